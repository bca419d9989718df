"""Ward tablets (kiosk mode) and own-device invitations: how a device gets its entry.

A coordinator's one-time enrolment code binds a tablet to one site; from then on the
tablet only starts questionnaires there. The reset page is where an idle kiosk goes to
forget everything: the questionnaire cookie, the page cache and the site's storage.
"""

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.tablet import entry
from server.tablet.cookies import RESPONSE_COOKIE, expired, invite_cookie, kiosk_cookie
from server.tablet.rendering import language, page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class KioskPages(Controller):
    """Enrol a ward tablet, reset it, and take invitation codes."""

    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    @get("/tablet/kiosk")
    async def enrol_form(self, lang: FromQuery[str | None] = None) -> Template:
        """Type the enrolment code."""
        return page("kiosk.html", language(lang), error=None, site=None)

    @post("/tablet/kiosk")
    async def enrol(self, data: Form) -> Template:
        """Redeem the code; the tablet keeps only its new token."""
        lang = language(data.get("language"))
        enrolled = await entry.enrol_tablet(data.get("code", ""))
        if enrolled is None:
            return page("kiosk.html", lang, error="kiosk_wrong", site=None, status_code=400)
        token, site = enrolled
        template = page("kiosk.html", lang, kiosk=await entry.kiosk(token), error=None, site=site)
        template.cookies.append(kiosk_cookie(token))
        template.cookies.append(expired(RESPONSE_COOKIE))
        return template

    @get("/tablet/kiosk/reset")
    async def reset(self, lang: FromQuery[str | None] = None) -> Redirect:
        """Forget the last respondent entirely and show a clean welcome screen."""
        redirect = Redirect(path=f"/?lang={language(lang)}", status_code=303)
        redirect.cookies.append(expired(RESPONSE_COOKIE))
        # Cookies are not cleared here: the tablet's enrolment token must survive.
        redirect.headers["Clear-Site-Data"] = '"cache", "storage"'
        return redirect

    @get("/tablet/invite")
    async def invite_form(self, lang: FromQuery[str | None] = None) -> Template:
        """Type an invitation code."""
        return page("invite.html", language(lang), error=None)

    @post("/tablet/invite")
    async def invite(self, data: Form) -> Template | Redirect:
        """Check a typed invitation code."""
        return await _accept_invitation(data.get("code", ""), language(data.get("language")))

    @get("/i/{code:str}")
    async def invite_link(self, code: FromPath[str], lang: FromQuery[str | None] = None) -> Template | Redirect:
        """The link a QR code holds."""
        return await _accept_invitation(code, language(lang))


async def _accept_invitation(code: str, lang: str) -> Template | Redirect:
    if await entry.check_invitation(code) is None:
        return page("invite.html", lang, error="invite_wrong", status_code=400)
    redirect = Redirect(path=f"/?lang={lang}", status_code=303)
    redirect.cookies.append(invite_cookie(code))
    redirect.cookies.append(expired(RESPONSE_COOKIE))
    return redirect

