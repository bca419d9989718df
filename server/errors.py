"""Map domain errors to HTTP responses that name the field and the problem.

API clients get JSON; a respondent on the tablet pages gets a plain page in their
language with a way back, never a JSON document, never a developer's reason or an
internal code (those go to the server log, with nothing that identifies anyone).
"""

import logging
import re

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from markupsafe import escape

from server.request_ids import log_server_error
from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseReleased, ResponseSubmitted
from server.tablet.refusals import refusal_phrase, respondent_language
from server.tablet.rendering import page

logger = logging.getLogger(__name__)

#: Paths of the respondent pages (HTML), as opposed to the JSON API.
TABLET_PAGE_PREFIXES = ("/tablet", "/i/")


def _body(status: int, detail: str, extra: list[dict[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"status_code": status, "detail": detail}
    if extra:
        body["extra"] = extra
    return body


def _on_tablet_page(request: Request) -> bool:
    return request.url.path.startswith(TABLET_PAGE_PREFIXES)


def _tablet_error(request: Request, status: int, phrase: str, developer_reason: str) -> Template:
    # The route's template, not its path: a path holds the questionnaire's id.
    logger.info("refused %s %s (%s): %s", request.method, request.scope.get("path_template", "?"), status, developer_reason)
    # After a refused form post, the same address shows the question again (GET).
    again = request.url.path if request.method == "POST" else "/"
    return page("error.html", respondent_language(request), status_code=status, refusal=phrase, again=again)


#: Methods whose requests carry no body: a field they refuse came in the URL.
_BODILESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
#: Litestar's refusal of a missing parameter, which comes without `extra`.
_MISSING = re.compile(r"Missing required (query|path|header|cookie) parameter '([^']+)'")


def _source(request: Request, field: str, given: str | None) -> str:
    """Where `field` was sent: "path", "query" or "body" ("body" was the default of every
    refusal, which told an API client to look in a body its GET request never had)."""
    if given and given != "body":
        return given
    # A refusal raised before routing (input screening) has no path parameters yet.
    if field in (request.scope.get("path_params") or {}):
        return "path"
    if field in request.query_params or request.method in _BODILESS:
        return "query"
    return "body"


def invalid_input(request: Request, exc: InvalidInput) -> Response | Template:
    """400, in the same shape as Litestar's own validation errors."""
    if _on_tablet_page(request):
        return _tablet_error(request, 400, refusal_phrase(exc.field), f"{exc.field}: {exc.reason}")
    source = _source(request, exc.field, exc.source)
    return Response(
        _body(400, f"Invalid {exc.field}: {exc.reason}", [{"key": exc.field, "message": exc.reason, "source": source}]),
        status_code=400,
    )


def _validation_extra(request: Request, exc: ValidationException) -> list[dict[str, str]] | None:
    """Litestar's `extra` with every entry's `source` set (it leaves some out, and gives
    none at all for a missing parameter)."""
    if isinstance(exc.extra, list):
        extra = []
        for entry in exc.extra:
            if isinstance(entry, dict) and "key" in entry:
                entry = {**entry, "source": _source(request, str(entry["key"]), entry.get("source"))}
            extra.append(entry)
        return extra
    missing = _MISSING.search(str(exc.detail))
    if missing:
        return [{"key": missing.group(2), "message": "required", "source": missing.group(1)}]
    return None


def invalid_request(request: Request, exc: ValidationException) -> Response | Template:
    """Litestar's own 400s: the same shape as `invalid_input` for the API, a page on the tablet."""
    if _on_tablet_page(request):
        # Litestar's detail names the path, and with it the questionnaire's id.
        return _tablet_error(request, 400, refusal_phrase(""), "request validation failed")
    return Response(_body(400, str(exc.detail), _validation_extra(request, exc)), status_code=400)


def not_found(request: Request, exc: ResponseNotFound) -> Response | Template:
    """404 for an unknown questionnaire session."""
    if _on_tablet_page(request):
        return _tablet_error(request, 404, "refused_not_found", "questionnaire not found")
    # The same answer for an unknown id, a wrong or missing session key, and a session
    # that is submitted or let go: a leaked id tells nothing.
    return Response(_body(404, f"No open questionnaire session with id {exc} for this session key"), status_code=404)


def released(request: Request, exc: ResponseReleased) -> Response | Template:
    """409: an answer of a session its device let go is stored once and never changed."""
    if _on_tablet_page(request):
        return _tablet_error(request, 409, "refused_submitted", "released")
    return Response(
        _body(409, "This questionnaire was closed on its device: an answer already stored cannot be changed."), status_code=409
    )


def submitted(request: Request, exc: ResponseSubmitted) -> Response | Template:
    """409: a submitted questionnaire takes no more answers."""
    if _on_tablet_page(request):
        return _tablet_error(request, 409, "refused_submitted", "submitted")
    return Response(_body(409, "This questionnaire has been submitted and takes no more answers."), status_code=409)


#: Paths that answer with pages (HTML), so a failure there is a page too.
HTML_PAGE_PREFIXES = (*TABLET_PAGE_PREFIXES, "/workspace", "/gradation")

_SERVER_ERROR_TEXT = {
    "da": ("Der skete en fejl", "Det er ikke din skyld. Prøv igen om lidt.", "Fejl-id", "Til forsiden"),
    "en": ("Something went wrong", "It is not your fault. Please try again in a moment.", "Error id", "To the start page"),
}


def _server_error_page(languages: tuple[str, ...], rid: str) -> str:
    """A page with no template and no script: it must render even when templates fail."""
    sections = []
    for language in languages:
        title, advice, id_label, back = _SERVER_ERROR_TEXT[language]
        sections.append(
            f'<section lang="{language}"><h1>{title}</h1><p>{advice}</p>'
            f"<p>{id_label}: <code>{escape(rid)}</code></p><p><a href=\"/\">{back}</a></p></section>"
        )
    return (
        f'<!DOCTYPE html><html lang="{languages[0]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_SERVER_ERROR_TEXT[languages[0]][0]}</title></head><body><main>{''.join(sections)}</main></body></html>"
    )


def server_error(request: Request, exc: Exception) -> Response:
    """500 for anything unexpected: logged once with the request id, which the answer shows
    so a user can quote it (the same id is in the `X-Request-Id` header)."""
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    rid = log_server_error(request.scope, status, exc)
    if request.url.path.startswith(HTML_PAGE_PREFIXES):
        languages: tuple[str, ...] = ("da", "en")
        if _on_tablet_page(request):
            try:
                language = respondent_language(request)
                languages = (language if language in _SERVER_ERROR_TEXT else "da",)
            except Exception:  # the page must come out even if the language cannot be read
                languages = ("da",)
        return Response(_server_error_page(languages, rid), status_code=status, media_type=MediaType.HTML)
    body = _body(status, "Internal Server Error")
    body["request_id"] = rid
    return Response(body, status_code=status)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
    InvalidInput: invalid_input,
    ValidationException: invalid_request,
    ResponseNotFound: not_found,
    ResponseSubmitted: submitted,
    ResponseReleased: released,
}
