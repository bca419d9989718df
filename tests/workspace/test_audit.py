"""The audit log: every audited action leaves an entry; entries cannot be changed."""

from collections.abc import Callable

import httpx
import pytest

from server.storage.workspace_tables import AuditEntry, StaffUser
from server.workspace.roles import Role
from tests.workspace.conftest import PASSWORD, csrf_headers, login


async def _actions() -> list[str]:
    return [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]


async def test_each_audited_action_is_recorded_with_who_what_when(
    accounts: dict[Role, str], as_role: Callable, new_client: Callable
) -> None:
    stranger = new_client()
    await login(stranger, accounts[Role.ADMIN], "not the password")
    admin = await as_role(Role.ADMIN)
    h = csrf_headers(admin)
    assert (await admin.post("/workspace/admin/users", data={"username": "newbie", "password": PASSWORD, "role": "researcher"}, headers=h)).status_code == 303
    newbie = await StaffUser.select(StaffUser.id).where(StaffUser.username == "newbie").first()
    assert (await admin.post(f"/workspace/admin/users/{newbie['id']}", data={"role": "coordinator", "is_active": "on"}, headers=h)).status_code == 303
    created = await admin.post("/workspace/studies/", data={"code": "s1", "name": "Study one"}, headers=h)
    study = created.headers["location"].rsplit("/", 1)[1]
    await admin.post(f"/workspace/studies/{study}/sites", data={"site_code": "w1", "site_name": "Ward 1", "setting": "forensic"}, headers=h)
    await admin.post(f"/workspace/studies/{study}/instruments", data={"use": ["patient_adult:da"]}, headers=h)
    await admin.post(f"/workspace/studies/{study}/status", data={"is_open": "0"}, headers=h)
    site = (await admin.get(f"/workspace/studies/{study}")).text
    assert "w1" in site
    page = await admin.get("/workspace/admin/audit")
    assert page.status_code == 200 and "study_created" in page.text
    new = "another long passphrase"
    await admin.post("/workspace/password", data={"current_password": PASSWORD, "new_password": new, "repeat_password": new}, headers=h)
    again = new_client()
    await login(again, accounts[Role.ADMIN], new)
    await again.post("/workspace/logout", headers=csrf_headers(again))
    actions = await _actions()
    for expected in [
        "login_failed", "login", "user_created", "user_changed", "study_created", "site_created",
        "instrument_changed", "study_changed", "password_changed", "logout",
    ]:
        assert expected in actions, expected
    row = await AuditEntry.select().where(AuditEntry.action == "user_changed").first()
    assert row["actor"] == accounts[Role.ADMIN] and row["target"] == "user:newbie" and row["at"] is not None


async def test_the_audit_log_refuses_updates_and_deletes(client: httpx.AsyncClient) -> None:
    await AuditEntry.insert(AuditEntry(actor="a", action="login", target="workspace")).run()
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.update({AuditEntry.actor: "someone else"}).where(AuditEntry.actor == "a")
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.delete().where(AuditEntry.actor == "a")
    assert await AuditEntry.count() == 1
