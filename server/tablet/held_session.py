"""The questionnaire a browser holds, by its session cookie (`cookies`), and letting it go.

A browser holds at most one questionnaire. It lets it go when the questionnaire leaves the
device (a kiosk reset, a pause, a new start, a wiped browser): from then on its stored
answers are final and nothing of it is read back (`service.release_session`).
"""

from litestar import Request

from server.respondent import service
from server.tablet.cookies import Binding, held_session, is_live


async def let_go(request: Request) -> None:
    """Release the questionnaire this browser holds, if any."""
    held = held_session(request)
    if held is not None:
        await service.release_session(held.response_id, held.session_key)


async def live_binding(request: Request) -> Binding | None:
    """The questionnaire this browser holds, unless the browser was wiped since (its live
    marker is gone): then the questionnaire is let go and None is returned."""
    if not is_live(request):
        await let_go(request)
        return None
    return held_session(request)
