"""Refuse hostile input before any handler, decoder or database sees it.

One middleware, run after routing for every route:

- a path with a control character (`/static/tablet.css%00.js`), or a path integer outside
  what the database holds (`/gradation/2147483648`), is 404: no such page can exist;
- a query parameter with a control character is 400 naming the parameter;
- a request body (JSON, or a form post) is read once, up to the size limit (413 beyond),
  and refused with 400 if JSON nests deeper than `MAX_JSON_DEPTH` (checked on the raw
  bytes, before anything decodes it: a decoder would recurse once per level) or if any
  text in it holds a control character other than tab and line breaks, naming the field.
  The body is then handed on unchanged. File uploads (multipart) are left to their parser.

NUL in particular must never reach storage: PostgreSQL refuses it in text, SQLite keeps it
and truncates it in some readers.
"""

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

import msgspec
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.bounded_integers import fits_integer_column
from server.respondent.errors import InvalidInput

#: Far deeper than any body this API takes (an answer is two levels deep).
MAX_JSON_DEPTH = 64

#: Control characters: refused everywhere in paths and query strings.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: In a body's text, tab, line feed and carriage return are ordinary (a free-text answer).
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/"


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the brackets of `body`, outside JSON strings, nest deeper than `limit`."""
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _field(parent: str, key: str) -> str:
    shown = key.encode("unicode_escape").decode("ascii")
    return f"{parent}.{shown}" if parent else shown


def field_with_control_character(value: object, where: str = "") -> str | None:
    """The path (`study`, `value[2]`, `a.b`) of the first text in a decoded JSON value that
    holds a control character, or None. Keys are checked as well as values."""
    if isinstance(value, str):
        return (where or "body") if _CONTROL_IN_TEXT.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _CONTROL_IN_TEXT.search(key):
                return _field(where, key)
            if found := field_with_control_character(item, _field(where, key)):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := field_with_control_character(item, f"{where or 'body'}[{index}]"):
                return found
    return None


def _first_control_pair(pairs: Iterable[tuple[str, str]], pattern: re.Pattern[str]) -> str | None:
    for name, value in pairs:
        if pattern.search(name) or pattern.search(value):
            return name.encode("unicode_escape").decode("ascii")
    return None


def _decoded_pairs(raw: bytes) -> list[tuple[str, str]]:
    # latin-1 maps every byte to one character, so nothing is lost before unquoting.
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")


def _screen_location(scope: Scope) -> None:
    if _CONTROL.search(scope.get("path", "")):
        raise NotFoundException()
    for value in scope.get("path_params", {}).values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not fits_integer_column(value):
            raise NotFoundException()
        if isinstance(value, str) and _CONTROL.search(value):
            raise NotFoundException()
    if name := _first_control_pair(_decoded_pairs(scope.get("query_string", b"")), _CONTROL):
        raise InvalidInput(name, "contains a control character", source="query")


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, max_bytes: int) -> tuple[bytes, list[Message]]:
    """The whole body, and the messages to hand on in its place."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [{"type": "http.request", "body": b"".join(chunks), "more_body": False}, message]
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = b"".join(chunks)
            return body, [{"type": "http.request", "body": body, "more_body": False}]


def _screen_body(content_type: str, body: bytes) -> None:
    if content_type == _FORM:
        if name := _first_control_pair(_decoded_pairs(body), _CONTROL_IN_TEXT):
            raise InvalidInput(name, "contains a control character")
        return
    if json_too_deep(body):
        raise InvalidInput("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # not JSON: the handler's own decoding refuses it if it wanted JSON
    if field := field_with_control_character(decoded):
        raise InvalidInput(field, "contains a control character")


def input_screening_middleware(app: ASGIApp, max_body_bytes: int = 1_048_576) -> ASGIApp:
    """Wrap a route's ASGI app with the checks above (see the module's docstring)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        _screen_location(scope)
        content_type = _content_type(scope)
        if scope.get("method") not in _BODY_METHODS or content_type.startswith(_MULTIPART):
            await app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > max_body_bytes:
            raise RequestEntityTooLarge()
        body, replay = await _read_body(receive, max_body_bytes)
        if body:
            _screen_body(content_type, body)

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        await app(scope, replayed, send)

    return middleware
