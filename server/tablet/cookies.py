"""The few cookies the tablet sets. None holds anything about the person.

- the session cookie binds a questionnaire to the browser that answers it: it holds the
  session's id and key (`server.credentials.session_binding`), is HttpOnly, so no page
  script reads it, and SameSite=Strict;
- the live marker says this browser has not been wiped since the questionnaire started.
  A page script can delete it, and an idle kiosk does, even offline, where it cannot
  reach the HttpOnly session cookie. A session cookie without its marker opens nothing:
  the next page request lets the session go and forgets the cookie;
- the kiosk cookie is an enrolled tablet's bearer token;
- the invitation cookie remembers an own-device invitation code until the start.

All are Secure when the deployment is on https (as the workspace's cookies are).
"""

import uuid
from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import Cookie

from server.settings import https_configured

#: Not "lm_session": that is the workspace's login cookie on the same origin.
SESSION_COOKIE = "lm_questionnaire"
LIVE_COOKIE = "lm_live"
KIOSK_COOKIE = "lm_kiosk"
INVITE_COOKIE = "lm_invite"

KIOSK_MAX_AGE = 400 * 24 * 3600
INVITE_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Binding:
    """The questionnaire session this browser holds, and its key."""

    response_id: uuid.UUID
    session_key: str


def session_cookies(response_id: uuid.UUID, session_key: str) -> list[Cookie]:
    """Bind a questionnaire to this browser for the browser's session."""
    secure = https_configured()
    return [
        Cookie(key=SESSION_COOKIE, value=f"{response_id}.{session_key}", path="/", samesite="strict", httponly=True, secure=secure),
        Cookie(key=LIVE_COOKIE, value="1", path="/", samesite="strict", httponly=False, secure=secure),
    ]


def forget_session() -> list[Cookie]:
    """Cookies that make the browser forget its questionnaire."""
    return [expired(SESSION_COOKIE), expired(LIVE_COOKIE)]


def expired(key: str) -> Cookie:
    """A cookie that makes the browser forget `key`."""
    return Cookie(key=key, value="", path="/", max_age=0, samesite="strict", httponly=key != LIVE_COOKIE, secure=https_configured())


def kiosk_cookie(token: str) -> Cookie:
    """The enrolled tablet's token."""
    return Cookie(key=KIOSK_COOKIE, value=token, path="/", max_age=KIOSK_MAX_AGE, samesite="strict", httponly=True, secure=https_configured())


def invite_cookie(code: str) -> Cookie:
    """The invitation code until the questionnaire starts."""
    return Cookie(key=INVITE_COOKIE, value=code, path="/", max_age=INVITE_MAX_AGE, samesite="lax", httponly=True, secure=https_configured())


def held_session(request: Request) -> Binding | None:
    """The session in this browser's session cookie (live or not), if it is well formed."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    response_id, _, session_key = raw.partition(".")
    try:
        return Binding(uuid.UUID(response_id), session_key) if session_key else None
    except ValueError:
        return None


def is_live(request: Request) -> bool:
    """False once the browser was wiped since its questionnaire started."""
    return request.cookies.get(LIVE_COOKIE) == "1"
