"""Map domain errors to HTTP responses that name the field and the problem.

API clients get JSON; a respondent on the tablet pages gets a plain page in their
language with the same reason and a way back, never a JSON document.
"""

from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseSubmitted
from server.tablet.rendering import language, page

#: Paths of the respondent pages (HTML), as opposed to the JSON API.
TABLET_PAGE_PREFIXES = ("/tablet", "/i/")


def _body(status: int, detail: str, extra: list[dict[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"status_code": status, "detail": detail}
    if extra:
        body["extra"] = extra
    return body


def _on_tablet_page(request: Request) -> bool:
    return request.url.path.startswith(TABLET_PAGE_PREFIXES)


def _tablet_error(request: Request, status: int, reason: str) -> Template:
    # After a refused form post, the same address shows the question again (GET).
    again = request.url.path if request.method == "POST" else "/"
    return page("error.html", language(request.query_params.get("lang")), status_code=status, reason=reason, again=again)


def invalid_input(request: Request, exc: InvalidInput) -> Response | Template:
    """400, in the same shape as Litestar's own validation errors."""
    if _on_tablet_page(request):
        return _tablet_error(request, 400, f"{exc.field}: {exc.reason}")
    return Response(
        _body(400, f"Invalid {exc.field}: {exc.reason}", [{"key": exc.field, "message": exc.reason, "source": exc.source}]),
        status_code=400,
    )


def invalid_request(request: Request, exc: ValidationException) -> Response | Template:
    """Litestar's own 400s: unchanged for the API, a page on the tablet."""
    if _on_tablet_page(request):
        return _tablet_error(request, 400, str(exc.detail))
    return Response(_body(400, str(exc.detail), exc.extra if isinstance(exc.extra, list) else None), status_code=400)


def not_found(request: Request, exc: ResponseNotFound) -> Response | Template:
    """404 for an unknown questionnaire session."""
    if _on_tablet_page(request):
        return _tablet_error(request, 404, "questionnaire not found")
    return Response(_body(404, f"No questionnaire session with id {exc}"), status_code=404)


def submitted(request: Request, exc: ResponseSubmitted) -> Response | Template:
    """409: a submitted questionnaire takes no more answers."""
    if _on_tablet_page(request):
        return _tablet_error(request, 409, "submitted")
    return Response(_body(409, "This questionnaire has been submitted and takes no more answers."), status_code=409)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    InvalidInput: invalid_input,
    ValidationException: invalid_request,
    ResponseNotFound: not_found,
    ResponseSubmitted: submitted,
}
