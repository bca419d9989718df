"""Security headers on every response.

The pages carry no inline scripts or styles, so the content security policy can forbid
them outright; HSTS is only sent where the deployment is on https, where it means something.
"""

from litestar.types import ASGIApp, Message, Receive, Scope, Send

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
# The schema viewer loads its own scripts; it is documentation, not a respondent page.
_RELAXED_PREFIX = "/schema"


def security_headers_middleware(app: ASGIApp, hsts_always: bool = False) -> ASGIApp:
    """Wrap an ASGI app so every HTTP response carries the security headers.

    HSTS goes with https requests, and with every request when `hsts_always` (the
    deployment is reached over https through a proxy that speaks plain http to the app).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = [h for h in BASE_HEADERS if not (scope["path"].startswith(_RELAXED_PREFIX) and h[0] == b"content-security-policy")]
        if hsts_always or scope.get("scheme") == "https":
            headers.append(HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in headers if h[0] not in existing)]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
