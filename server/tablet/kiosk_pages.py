"""Ward tablets (kiosk mode) and own-device invitations: how a device gets its entry.

A coordinator's one-time enrolment code binds a tablet to one site; from then on the
tablet only starts questionnaires there. The reset page is where an idle kiosk goes to
forget the respondent: the questionnaire (let go on the server, its cookies forgotten) and
the page cache. The page's script has
already wiped the respondent's storage, keeping only the device outbox of unsent answers
(which no screen reads); the service worker and its app shell stay, so the next outage
still shows the product's own offline page.
"""

from pathlib import Path
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from server.credentials.invitation import check_invitation
from server.credentials.kiosk import enrol_tablet, kiosk as enrolled_tablet
from server.tablet.cookies import forget_session, invite_cookie, kiosk_cookie
from server.tablet.held_session import let_go
from server.tablet.rendering import language, page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "sw.js"


class KioskPages(Controller):
    """Enrol a ward tablet, reset it, and take invitation codes."""

    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    @get("/tablet/kiosk")
    async def enrol_form(self, lang: FromQuery[str | None] = None) -> Template:
        """Type the enrolment code."""
        return page("kiosk.html", language(lang), error=None, site=None)

    @post("/tablet/kiosk")
    async def enrol(self, request: Request, data: Form) -> Template:
        """Redeem the code; the tablet keeps only its new token."""
        lang = language(data.get("language"))
        enrolled = await enrol_tablet(data.get("code", ""))
        if enrolled is None:
            return page("kiosk.html", lang, error="kiosk_wrong", site=None, status_code=400)
        token, site = enrolled
        template = page("kiosk.html", lang, kiosk=await enrolled_tablet(token), error=None, site=site)
        await let_go(request)
        template.cookies.append(kiosk_cookie(token))
        template.cookies.extend(forget_session())
        return template

    @get("/tablet/kiosk/reset")
    async def reset(self, request: Request, lang: FromQuery[str | None] = None) -> Redirect:
        """Forget the last respondent entirely and show a clean welcome screen."""
        await let_go(request)
        redirect = Redirect(path=f"/?lang={language(lang)}", status_code=303)
        redirect.cookies.extend(forget_session())
        # Neither cookies (the enrolment token must survive) nor storage (the outbox of
        # answers still to send, and the offline shell) are cleared here.
        redirect.headers["Clear-Site-Data"] = '"cache"'
        return redirect

    @get("/tablet/offline")
    async def offline(self, lang: FromQuery[str | None] = None) -> Template:
        """What the service worker shows when a page cannot be reached."""
        return page("offline.html", language(lang), at_rest=True)

    @get("/sw.js", cache_control=CacheControlHeader(no_cache=True))
    async def service_worker(self) -> Response[bytes]:
        """The service worker, served from the root so that its scope is the whole site."""
        return Response(SERVICE_WORKER.read_bytes(), media_type="text/javascript; charset=utf-8")

    @get("/tablet/invite")
    async def invite_form(self, lang: FromQuery[str | None] = None) -> Template:
        """Type an invitation code."""
        return page("invite.html", language(lang), error=None)

    @post("/tablet/invite")
    async def invite(self, request: Request, data: Form) -> Template | Redirect:
        """Check a typed invitation code."""
        return await _accept_invitation(request, data.get("code", ""), language(data.get("language")))

    @get("/i/{code:str}")
    async def invite_link(self, request: Request, code: FromPath[str], lang: FromQuery[str | None] = None) -> Template | Redirect:
        """The link a QR code holds."""
        return await _accept_invitation(request, code, language(lang))


async def _accept_invitation(request: Request, code: str, lang: str) -> Template | Redirect:
    if await check_invitation(code) is None:
        return page("invite.html", lang, error="invite_wrong", status_code=400)
    await let_go(request)
    redirect = Redirect(path=f"/?lang={lang}", status_code=303)
    redirect.cookies.append(invite_cookie(code))
    redirect.cookies.extend(forget_session())
    return redirect

