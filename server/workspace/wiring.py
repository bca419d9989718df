"""Everything the app factory needs to mount the workspace, built in one place."""

from dataclasses import dataclass, field
from pathlib import Path

from litestar import Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.stores.base import Store

from server.workspace.auth_pages import AuthPages
from server.workspace.config import WorkspaceSettings
from server.workspace.i18n_requests import locale_middleware
from server.workspace.roles import role_guard
from server.workspace.users_pages import AdminPages

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
WORKSPACE_PATH = "/workspace"


def _not_logged_in(request: Request, exc: NotAuthorizedException) -> Response:
    # A person following a link gets the login page; anything else a plain 401.
    if request.method == "GET":
        return Redirect(f"{WORKSPACE_PATH}/login", status_code=303)
    return Template(template_name="workspace/refused.html", status_code=401, context={"reason": exc.detail, "user": None})


def _forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    user = request.state.get("user") if "user" in request.state else None
    return Template(template_name="workspace/refused.html", status_code=403, context={"reason": exc.detail, "user": user})


@dataclass
class Workspace:
    """The workspace router and the app-level pieces it relies on."""

    router: Router
    stores: dict[str, Store]
    csrf_config: CSRFConfig
    template_dir: Path = field(default=TEMPLATE_DIR)


def route_handlers() -> list:
    """The workspace's controllers (each handler declares its roles in `opt`)."""
    from server.workspace.dashboard_pages import DashboardPages
    from server.workspace.export_pages import ExportPages
    from server.workspace.fieldwork_pages import FieldworkPages
    from server.workspace.import_pages import ImportPages
    from server.workspace.studies_pages import StudyPages

    return [AuthPages, AdminPages, StudyPages, DashboardPages, FieldworkPages, ExportPages, ImportPages]


def build_workspace(settings: WorkspaceSettings | None = None) -> Workspace:
    """Build the /workspace router: role guard, sessions, refusal pages."""
    settings = settings or WorkspaceSettings()
    router = Router(
        path=WORKSPACE_PATH,
        route_handlers=route_handlers(),
        guards=[role_guard],
        middleware=[settings.session_config().middleware, locale_middleware],
        exception_handlers={NotAuthorizedException: _not_logged_in, PermissionDeniedException: _forbidden},  # type: ignore[dict-item]
        include_in_schema=False,
    )
    return Workspace(router=router, stores=settings.stores(), csrf_config=settings.csrf_config())
