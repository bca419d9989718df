"""The few cookies the tablet sets. None holds anything about the person.

- the response cookie binds a questionnaire to the browser that answers it, so a page of
  it cannot be reopened from history once the cookie is gone (kiosk reset, submit, stop);
  it is readable by the page's script so an idle kiosk can drop it even when offline;
- the kiosk cookie is an enrolled tablet's bearer token;
- the invitation cookie remembers an own-device invitation code until the start.

All are Secure when the deployment is on https (as the workspace's cookies are).
"""

import uuid

from litestar import Request
from litestar.datastructures import Cookie

from server.settings import https_configured

RESPONSE_COOKIE = "lm_response"
KIOSK_COOKIE = "lm_kiosk"
INVITE_COOKIE = "lm_invite"

KIOSK_MAX_AGE = 400 * 24 * 3600
INVITE_MAX_AGE = 24 * 3600


def response_cookie(response_id: uuid.UUID) -> Cookie:
    """Bind a questionnaire to this browser for the session."""
    return Cookie(key=RESPONSE_COOKIE, value=str(response_id), path="/", samesite="strict", httponly=False, secure=https_configured())


def expired(key: str) -> Cookie:
    """A cookie that makes the browser forget `key`."""
    return Cookie(key=key, value="", path="/", max_age=0, samesite="strict", httponly=key != RESPONSE_COOKIE, secure=https_configured())


def kiosk_cookie(token: str) -> Cookie:
    """The enrolled tablet's token."""
    return Cookie(key=KIOSK_COOKIE, value=token, path="/", max_age=KIOSK_MAX_AGE, samesite="strict", httponly=True, secure=https_configured())


def invite_cookie(code: str) -> Cookie:
    """The invitation code until the questionnaire starts."""
    return Cookie(key=INVITE_COOKIE, value=code, path="/", max_age=INVITE_MAX_AGE, samesite="lax", httponly=True, secure=https_configured())


def owns(request: Request, response_id: uuid.UUID) -> bool:
    """True if this browser is the one answering `response_id`."""
    return request.cookies.get(RESPONSE_COOKIE) == str(response_id)
