"""Setting a workspace request's language: the middleware's guess and the user's choice."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from server.workspace.i18n import LANGUAGE_COOKIE, Language, as_language, from_accept_language, use_language

#: How long the login page remembers the language picked there.
LANGUAGE_COOKIE_MAX_AGE_S = int(timedelta(days=365).total_seconds())


def browser_language(connection: ASGIConnection) -> Language:
    """The switch's cookie if set, else what Accept-Language prefers (Danish if neither)."""
    return as_language(connection.cookies.get(LANGUAGE_COOKIE)) or from_accept_language(connection.headers.get("accept-language"))


def locale_middleware(app: ASGIApp) -> ASGIApp:
    """Give every workspace request the browser's language before anything renders;
    the role guard refines it with the user's own choice (`use_user_language`)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            use_language(browser_language(ASGIConnection(scope)))
        await app(scope, receive, send)

    return middleware


def use_user_language(user: Mapping[str, Any] | None) -> None:
    """Switch to the signed-in user's stored language, if they chose one."""
    chosen = as_language(user.get("language")) if user else None
    if chosen is not None:
        use_language(chosen)
