"""Server-side sessions whose id is replaced at login (no session fixation), stored only
once there is something to keep: an anonymous visitor (the login page, a redirect to
it) gets no stored session and no session cookie, so requests without a login cannot
fill the store. The login form's CSRF token needs no session: it is Litestar's signed
double-submit cookie (`WorkspaceSettings.csrf_config`).
"""

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

ROTATE_FLAG = "session_rotate"
_ROTATED_ID = "session_rotated_id"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Like Litestar's backend, but a handler can ask for a fresh session id.

    Without this the id from before login (which someone else could have planted in the
    browser) would carry the logged-in session.
    """

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE_FLAG):
            if _ROTATED_ID not in state:
                state[_ROTATED_ID] = self.generate_session_id()
            return state[_ROTATED_ID]
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        """Store a session only when it holds data; an empty one is not written anywhere.

        Litestar would save an empty `{}` under a fresh id for every visitor without a
        cookie. An empty session that arrived with a cookie is ended as if cleared.
        """
        if scope_session is not Empty and not scope_session:
            if connection.cookies.get(self.config.key) in (None, "", "null"):
                return
            scope_session = Empty
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    """Server-side session config using `RotatingSessionBackend`."""

    _backend_class = RotatingSessionBackend


def rotate_session(connection: ASGIConnection) -> None:
    """Store this response's session under a new id."""
    connection.scope.setdefault("state", {})[ROTATE_FLAG] = True
