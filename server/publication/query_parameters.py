"""Strict query strings for the authority API: a parameter the route does not take, or one
given twice, is refused (400, naming it) instead of being ignored or silently reduced to
its last value (`?setting=a&setting=b` used to mean `?setting=b`).

The parameters a route takes are read from its handler's signature (the same model
Litestar parses the request with), so the check cannot drift from the handler.
"""

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.respondent.errors import InvalidInput

#: Per handler function, its paths and path parameter names: (accepted names, names that
#: may repeat). Keyed by the function, not the handler object: guards get a copy of that.
_ACCEPTED: dict[tuple[object, frozenset[str], frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}


def accepted_query_parameters(handler: BaseRouteHandler, path_parameters: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameter names `handler` takes, and those of them that are lists (may repeat)."""
    key = (handler.fn, frozenset(handler.paths), path_parameters)
    if key not in _ACCEPTED:
        model = handler.create_kwargs_model(path_parameters=dict.fromkeys(path_parameters))  # type: ignore[arg-type]
        names = frozenset(p.field_alias for p in model.expected_query_params)
        _ACCEPTED[key] = (names, frozenset(model.sequence_query_parameter_names) & names)
    return _ACCEPTED[key]


def check_query(names_and_counts: list[tuple[str, int]], accepted: frozenset[str], repeatable: frozenset[str]) -> None:
    """Refuse the first unknown or repeated parameter (in the order the client sent them)."""
    for name, count in names_and_counts:
        if name not in accepted:
            takes = f"this route takes {', '.join(sorted(accepted))}" if accepted else "this route takes no query parameters"
            raise InvalidInput(name, f"unknown query parameter; {takes}", source="query")
        if count > 1 and name not in repeatable:
            raise InvalidInput(name, f"given {count} times; give it at most once", source="query")


async def strict_query_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard: the request's query string holds only parameters the route takes, each once."""
    query = connection.query_params
    if not query:
        return
    accepted, repeatable = accepted_query_parameters(handler, frozenset(connection.path_params))
    check_query([(name, len(query.getall(name))) for name in query], accepted, repeatable)
