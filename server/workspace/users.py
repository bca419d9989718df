"""Staff accounts: create, authenticate, change password, change role or status."""

import datetime as dt

import msgspec

from server.storage.workspace_tables import SiteCoordinator, StaffUser
from server.workspace.i18n import Language, _, as_language
from server.workspace.passwords import check_strength, hash_password, needs_rehash, verify_password
from server.workspace.roles import Role


class UserError(ValueError):
    """A user change was refused; `field` names the offending input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StaffUserOut(msgspec.Struct, frozen=True):
    """An account as shown in the workspace (never the hash)."""

    id: int
    username: str
    role: str
    is_active: bool


def _valid_username(username: str) -> str:
    name = username.strip()
    if not 3 <= len(name) <= 64 or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise UserError("username", _("use 3-64 letters, digits or . _ - @"))
    return name


async def create_user(username: str, password: str, role: str) -> StaffUserOut:
    """Create an active account; refuses duplicates, unknown roles and weak passwords."""
    name = _valid_username(username)
    if role not in {r.value for r in Role}:
        raise UserError("role", _("'%(role)s' is not one of %(roles)s") % {"role": role, "roles": ", ".join(r.value for r in Role)})
    try:
        check_strength(password, name, admin=role == Role.ADMIN)
    except ValueError as exc:
        raise UserError("password", str(exc)) from None
    if await StaffUser.exists().where(StaffUser.username == name):
        raise UserError("username", _("'%(name)s' is already taken") % {"name": name})
    rows = await StaffUser.insert(StaffUser(username=name, password_hash=hash_password(password), role=role)).returning(
        StaffUser.id
    )
    return StaffUserOut(id=rows[0]["id"], username=name, role=role, is_active=True)


async def authenticate(username: str, password: str) -> dict | None:
    """The active user row if the password matches, else None (same cost either way)."""
    row = await StaffUser.select().where(StaffUser.username == username.strip()).first()
    ok = verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["is_active"]:
        return None
    if needs_rehash(row["password_hash"]):
        await StaffUser.update({StaffUser.password_hash: hash_password(password)}).where(StaffUser.id == row["id"])
    return row


async def change_password(user_id: int, current: str, new: str) -> None:
    """Replace the password after checking the current one; ends other sessions."""
    row = await StaffUser.select().where(StaffUser.id == user_id).first()
    if row is None or not verify_password(row["password_hash"], current):
        raise UserError("current_password", _("is not correct"))
    try:
        check_strength(new, row["username"], admin=row["role"] == Role.ADMIN)
    except ValueError as exc:
        raise UserError("new_password", str(exc)) from None
    await StaffUser.update(
        {StaffUser.password_hash: hash_password(new), StaffUser.password_changed_at: dt.datetime.now(dt.timezone.utc)}
    ).where(StaffUser.id == user_id)


async def set_role_and_status(user_id: int, role: str, is_active: bool) -> StaffUserOut:
    """Change an account's role or (de)activate it; the last active admin stays."""
    if role not in {r.value for r in Role}:
        raise UserError("role", _("'%(role)s' is not a role") % {"role": role})
    row = await StaffUser.select().where(StaffUser.id == user_id).first()
    if row is None:
        raise UserError("user", _("no account with id %(id)s") % {"id": user_id})
    losing_admin = row["role"] == Role.ADMIN and (role != Role.ADMIN or not is_active)
    if losing_admin:
        admins = await StaffUser.count().where((StaffUser.role == Role.ADMIN.value) & (StaffUser.is_active == True))  # noqa: E712
        if admins <= 1:
            raise UserError("role", _("the last active admin cannot be demoted or deactivated"))
    await StaffUser.update({StaffUser.role: role, StaffUser.is_active: is_active}).where(StaffUser.id == user_id)
    return StaffUserOut(id=user_id, username=row["username"], role=role, is_active=is_active)


async def set_language(user_id: int, language: str) -> Language:
    """Keep the workspace language a user chose ("da" or "en")."""
    chosen = as_language(language)
    if chosen is None:
        raise UserError("language", _("choose da or en"))
    await StaffUser.update({StaffUser.language: chosen}).where(StaffUser.id == user_id)
    return chosen


async def list_users() -> list[StaffUserOut]:
    """Every account, by username."""
    rows = await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.role, StaffUser.is_active).order_by(
        StaffUser.username
    )
    return [StaffUserOut(**row) for row in rows]


async def assign_sites(user_id: int, site_ids: list[int]) -> None:
    """Set exactly which sites a coordinator looks after."""
    await SiteCoordinator.delete().where(SiteCoordinator.staff == user_id)
    if site_ids:
        await SiteCoordinator.insert(*[SiteCoordinator(staff=user_id, site=site_id) for site_id in site_ids]).run()


async def coordinator_site_ids(user_id: int) -> list[int]:
    """The sites a coordinator looks after."""
    rows = await SiteCoordinator.select(SiteCoordinator.site).where(SiteCoordinator.staff == user_id)
    return [row["site"] for row in rows]
