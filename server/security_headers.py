"""Security and caching headers on every response.

The pages carry no inline scripts or styles, so the content security policy can forbid
them outright; HSTS is only sent where the deployment is on https, where it means something.

The headers are added by a `before_send` hook, which sees every response the app sends:
pages, API answers, static files, and the 404/405/500 answers the router and the
exception handlers make before any route's middleware would run.
"""

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

#: For a downloadable, self-contained document (the report): its styles are inline by
#: design, and it runs no script and loads nothing, so nothing else is allowed.
SELF_CONTAINED_DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

BASE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")

NO_STORE = b"no-store"
#: Logged-in pages and downloads (codes, exports, audit log) and a respondent's answers:
#: never kept by a browser or proxy cache, whatever the handler said.
NO_STORE_ALWAYS = ("/workspace", "/api/v1/responses")
#: Respondent pages (resume and invitation codes, answers on a shared tablet): not stored
#: unless the handler chose otherwise (the service worker script is revalidated instead).
NO_STORE_BY_DEFAULT = ("/tablet", "/i/")

BeforeSend = Callable[[Message, Scope], Awaitable[None]]


def _cache_control(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    has_cache_control = any(name.lower() == b"cache-control" for name, _ in headers)
    if path.startswith(NO_STORE_ALWAYS):
        return [h for h in headers if h[0].lower() != b"cache-control"] + [(b"cache-control", NO_STORE)]
    if path.startswith(NO_STORE_BY_DEFAULT) and not has_cache_control:
        return [*headers, (b"cache-control", NO_STORE)]
    return headers


def security_headers_hook(hsts_always: bool = False) -> BeforeSend:
    """A `before_send` hook that gives every HTTP response the security headers.

    A header the handler set itself (the report's own CSP) is kept. HSTS goes with https
    requests, and with every request when `hsts_always` (the deployment is reached over
    https through a proxy that speaks plain http to the app).
    """

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = _cache_control(scope.get("path", ""), list(message.get("headers", [])))
        extra = list(BASE_HEADERS)
        if hsts_always or scope.get("scheme") == "https":
            extra.append(HSTS)
        existing = {name.lower() for name, _ in headers}
        message["headers"] = [*headers, *(h for h in extra if h[0] not in existing)]

    return add_headers
