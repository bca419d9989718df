"""Admin pages: staff accounts and the audit log."""

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.bounded_integers import Offset, form_integer
from server.storage.tables import Site
from server.workspace import audit
from server.workspace.audit import Action
from server.workspace.forms import Form, form_text
from server.workspace.i18n import _
from server.workspace.rendering import page
from server.workspace.roles import ADMIN_ONLY, Role, allow
from server.workspace.users import UserError, assign_sites, coordinator_site_ids, create_user, list_users, set_role_and_status


#: Audit entries per page.
AUDIT_PAGE = 200


def audit_details(detail: dict[str, object]) -> list[tuple[str, str]]:
    """An entry's details as (name, readable value) pairs: text as written (no escapes),
    lists joined, yes/no for flags (in the page's language)."""
    def readable(value: object) -> str:
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list | tuple):
            return ", ".join(readable(v) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
        return "" if value is None else str(value)

    return [(str(name), readable(value)) for name, value in detail.items()]


def _ids(data: dict, name: str) -> list[int]:
    raw = data.get(name, [])
    values = raw if isinstance(raw, list) else [raw]
    return [number for v in values if (number := form_integer(name, v)) is not None]


class AdminPages(Controller):
    """Who may use the workspace, and what they did."""

    path = "/admin"
    include_in_schema = False
    opt = allow(ADMIN_ONLY)

    async def _users_page(
        self, request: Request, status_code: int = 200, error: UserError | None = None, typed: dict[str, str] | None = None
    ) -> Template:
        """The accounts page; after a refused new account, what was typed (never the
        password) is filled in again and the field in error is marked."""
        sites = await Site.select(Site.id, Site.code, Site.study.code.as_alias("study")).order_by(Site.id)
        users = await list_users()
        assigned = {u.id: await coordinator_site_ids(u.id) for u in users if u.role == Role.COORDINATOR}
        return page(
            request, "users.html", status_code=status_code, users=users, sites=sites, assigned=assigned,
            error=str(error) if error else None, error_field=error.field if error else None, typed=typed or {},
        )

    @get("/users")
    async def users(self, request: Request) -> Template:
        """All accounts."""
        return await self._users_page(request)

    @post("/users")
    async def create(self, request: Request, data: Form) -> Template | Redirect:
        """Create an account with an initial password the person must change."""
        try:
            made = await create_user(form_text(data, "username"), form_text(data, "password"), form_text(data, "role"))
        except UserError as exc:
            return await self._users_page(request, 400, exc, {"username": form_text(data, "username"), "role": form_text(data, "role")})
        await audit.record(request.state.user["username"], Action.USER_CREATED, f"user:{made.username}", role=made.role)
        return Redirect("/workspace/admin/users", status_code=303)

    @post("/users/{user_id:int}")
    async def change(self, request: Request, user_id: FromPath[int], data: Form) -> Template | Redirect:
        """Change role, active status and (for coordinators) sites."""
        try:
            changed = await set_role_and_status(user_id, form_text(data, "role"), form_text(data, "is_active") == "on")
        except UserError as exc:
            return await self._users_page(request, 400, exc)
        sites = _ids(data, "sites") if changed.role == Role.COORDINATOR else []
        await assign_sites(user_id, sites)
        await audit.record(
            request.state.user["username"],
            Action.USER_CHANGED,
            f"user:{changed.username}",
            role=changed.role,
            is_active=changed.is_active,
            sites=sites,
        )
        return Redirect("/workspace/admin/users", status_code=303)

    @get("/audit")
    async def audit_log(self, request: Request, action: FromQuery[str | None] = None, offset: Offset = 0) -> Template:
        """The audit log, newest first, a page of `AUDIT_PAGE` entries at a time."""
        offset = max(offset, 0)
        # One more than shown tells whether an older page exists.
        rows = await audit.entries(limit=AUDIT_PAGE + 1, offset=offset, action=action or None)
        return page(
            request, "audit.html", entries=rows[:AUDIT_PAGE], action=action or "", offset=offset,
            older=len(rows) > AUDIT_PAGE, page_size=AUDIT_PAGE, details=audit_details,
        )
