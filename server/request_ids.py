"""A random id per request, returned in `X-Request-Id`, and a log line for every 5xx.

The id lets a user quote what they saw ("error id 3f9c…") and lets an operator find the
matching log line. The line names the request id, the method, the route's template (never
the raw path: a path holds a questionnaire's id), the status and the exception's type and
stack. It never names the client's address, and it leaves out the exception's message
and any request content, because a message can quote what was sent (a code, a free text).
"""

import logging
import secrets
import traceback

from litestar.types import Message, Scope

logger = logging.getLogger("leastmeans.errors")

REQUEST_ID_HEADER = "x-request-id"
_STATE_KEY = "leastmeans_request_id"
_LOGGED_KEY = "leastmeans_error_logged"


def request_id(scope: Scope) -> str:
    """This request's id, made on first use and kept in the scope's state."""
    state = scope.setdefault("state", {})
    if _STATE_KEY not in state:
        # 64 random bits: unique enough to find one line, short enough to read out.
        state[_STATE_KEY] = secrets.token_hex(8)
    return state[_STATE_KEY]


def route_template(scope: Scope) -> str:
    """The matched route's template (e.g. `/api/v1/responses/{response_id:uuid}`), or `?`."""
    return str(scope.get("path_template") or "?")


def _stack(exc: BaseException) -> str:
    """Type and frames of `exc` and of the exceptions it came from, without their messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}\n{frames}")
        current = current.__cause__ or current.__context__
    return "caused by ".join(reversed(parts))


def log_server_error(scope: Scope, status: int, exc: BaseException | None = None) -> str:
    """Log one 5xx (once per request) and return the request id to show the user."""
    rid = request_id(scope)
    state = scope.setdefault("state", {})
    if not state.get(_LOGGED_KEY):
        state[_LOGGED_KEY] = True
        what = _stack(exc) if exc is not None else "no exception"
        logger.error(
            "server error request_id=%s %s %s status=%s: %s",
            rid,
            scope.get("method", "?"),
            route_template(scope),
            status,
            what,
        )
    return rid


async def stamp_request_id(message: Message, scope: Scope) -> None:
    """`before_send` hook: add `X-Request-Id` to every HTTP response, and log a 5xx that no
    exception handler logged (a handler that returned 503, say)."""
    if message["type"] != "http.response.start":
        return
    status = int(message.get("status", 200))
    if status >= 500:
        log_server_error(scope, status)
    headers = [h for h in message.get("headers", []) if h[0].lower() != REQUEST_ID_HEADER.encode()]
    message["headers"] = [*headers, (REQUEST_ID_HEADER.encode(), request_id(scope).encode())]
