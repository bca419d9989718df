"""Every route of the app is either public by declaration or refuses anonymous and
wrong-role access. The public list is data: moving a route out of it is one line."""

import re
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from server.app import create_app
from server.workspace.roles import ROLES_OPT, Role
from tests.workspace.conftest import csrf_headers

#: Which routes refuse whom, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only

#: Routes reachable without login. `/api/v1/gradation` becomes authority-only later.
PUBLIC = [
    r"^/$",
    r"^/tablet/",
    r"^/static/",
    r"^/sw\.js$",  # the tablet's service worker (app shell and offline page, no data)
    r"^/api/v1/responses",
    r"^/health$",
    r"^/schema",
    r"^/i/",  # invitation links: the code in the URL is the respondent's bearer credential
    r"^/api/v1/gradation",  # the published gradation (authority-only is a later change)
    r"^/api/v1/publications",
    r"^/workspace/login$",
    r"^/workspace/language$",  # the language switch: a cookie, and the signed-in user's own choice
    r"^/gradation",  # the public gradation page shows only publications an admin marked public
]

_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "path": "x"}


def _concrete(path: str) -> str:
    return _PARAM.sub(lambda m: _SAMPLE[m.group(2)], path)


def _routes(app: Litestar) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(method, concrete path, allowed roles) of every non-public HTTP handler."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                if any(re.search(p, route.path) for p in PUBLIC):
                    continue
                roles = handler.opt.get(ROLES_OPT)  # controller-level opt is merged in by Litestar
                yield method, _concrete(route.path), frozenset(roles or ())


def test_every_non_public_route_declares_roles() -> None:
    routes = list(_routes(create_app()))
    assert len(routes) >= 8
    undeclared = [(m, p) for m, p, roles in routes if not roles]
    assert not undeclared, f"routes without a roles declaration: {undeclared}"


async def test_anonymous_and_wrong_roles_are_refused_everywhere(
    client: httpx.AsyncClient, as_role: Callable, new_client: Callable
) -> None:
    routes = list(_routes(create_app()))
    anonymous = new_client()
    await anonymous.get("/workspace/login")  # a CSRF cookie, so refusals come from the guard
    clients = {role: await as_role(role) for role in Role}
    checked = 0
    for method, path, roles in routes:
        refused = await anonymous.request(method, path, headers=csrf_headers(anonymous))
        if refused.status_code == 303:
            assert refused.headers["location"] == "/workspace/login", (method, path)
        else:
            assert refused.status_code == 401, (method, path, refused.status_code)
        for role, role_client in clients.items():
            if role.value in roles:
                if method == "GET":
                    allowed = await role_client.get(path)
                    assert allowed.status_code not in (401, 403), (role, path, allowed.status_code)
                continue
            denied = await role_client.request(method, path, headers=csrf_headers(role_client))
            assert denied.status_code == 403, (role, method, path, denied.status_code)
            checked += 1
    assert checked > 0
