"""Staff roles and the guard that enforces them on every workspace route.

Each workspace handler declares who may use it in `opt={"roles": ...}`; the guard reads
that declaration, so the route-matrix test can read the very same data.
"""

from enum import StrEnum

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from server.storage.workspace_tables import StaffUser
from server.workspace.i18n import N_, _
from server.workspace.i18n_requests import use_user_language


class Role(StrEnum):
    """What a staff account may do."""

    ADMIN = "admin"
    RESEARCHER = "researcher"
    COORDINATOR = "coordinator"
    AUTHORITY = "authority"


#: Each role's name as shown on pages (the stored value stays English).
_ROLE_NAMES: dict[str, str] = {
    Role.ADMIN: N_("admin"),
    Role.RESEARCHER: N_("researcher"),
    Role.COORDINATOR: N_("coordinator"),
    Role.AUTHORITY: N_("authority"),
}


def role_name(role: str | None) -> str:
    """A role's name in the page's language (unknown values as they are)."""
    return _(_ROLE_NAMES[role]) if role in _ROLE_NAMES else (role or "")


ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF: frozenset[Role] = frozenset({Role.ADMIN, Role.RESEARCHER})
FIELDWORK: frozenset[Role] = frozenset({Role.ADMIN, Role.RESEARCHER, Role.COORDINATOR})
ADMIN_ONLY: frozenset[Role] = frozenset({Role.ADMIN})

ROLES_OPT = "roles"
SESSION_USER_KEY = "uid"
SESSION_STAMP_KEY = "stamp"


def allow(roles: frozenset[Role]) -> dict[str, frozenset[Role]]:
    """The handler `opt` that declares which roles may use it."""
    return {ROLES_OPT: roles}


def password_stamp(user: dict) -> str:
    """A value that changes when the password changes, so old sessions stop working."""
    return str(user["password_changed_at"].timestamp())


async def current_user(connection: ASGIConnection) -> dict | None:
    """The logged-in, active staff user of this request (cached on the request state)."""
    if "user" in connection.state:
        return connection.state["user"]
    user = None
    session = connection.scope.get("session") or {}
    uid = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    if isinstance(uid, int):
        row = await StaffUser.select().where((StaffUser.id == uid) & (StaffUser.is_active == True)).first()  # noqa: E712
        if row is not None and session.get(SESSION_STAMP_KEY) == password_stamp(row):
            user = row
    connection.state["user"] = user
    return user


async def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Refuse anonymous requests (401) and users whose role the handler does not allow (403).

    A handler without a roles declaration is refused to everyone: forgetting the
    declaration must fail closed, never open.
    """
    roles = handler.opt.get(ROLES_OPT)
    if roles is None:
        raise PermissionDeniedException(_("this page declares no roles"))
    if roles == "anonymous":
        return
    user = await current_user(connection)
    # From here on the page speaks the user's language, refusals included.
    use_user_language(user)
    if user is None:
        raise NotAuthorizedException(_("log in to use the workspace"))
    if user["role"] not in roles:
        raise PermissionDeniedException(_("the role '%(role)s' may not use this page") % {"role": role_name(user["role"])})
