"""Map domain errors to HTTP responses that name the field and the problem."""

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from server.respondent.errors import InvalidInput, ResponseNotFound, ResponseSubmitted


def _body(status: int, detail: str, extra: list[dict[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"status_code": status, "detail": detail}
    if extra:
        body["extra"] = extra
    return body


def invalid_input(_: Request, exc: InvalidInput) -> Response:
    """400, in the same shape as Litestar's own validation errors."""
    return Response(
        _body(400, f"Invalid {exc.field}: {exc.reason}", [{"key": exc.field, "message": exc.reason, "source": "body"}]),
        status_code=400,
    )


def not_found(_: Request, exc: ResponseNotFound) -> Response:
    """404 for an unknown questionnaire session."""
    return Response(_body(404, f"No questionnaire session with id {exc}"), status_code=404)


def submitted(_: Request, exc: ResponseSubmitted) -> Response:
    """409: a submitted questionnaire takes no more answers."""
    return Response(_body(409, "This questionnaire has been submitted and takes no more answers."), status_code=409)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    InvalidInput: invalid_input,
    ResponseNotFound: not_found,
    ResponseSubmitted: submitted,
}
