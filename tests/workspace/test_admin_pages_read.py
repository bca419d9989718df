"""What an admin reads and types on the admin pages: audit details as written (no JSON
escapes), pages that end where the log ends, and a refused new account that keeps what
was typed and marks the field."""

from collections.abc import Callable

import pytest
import tinyhtml5

from server.workspace import audit
from server.workspace.roles import Role
from server.workspace.users_pages import AUDIT_PAGE
from tests.workspace.conftest import accounts, as_role, csrf_headers, fast_password_hashing, new_client  # noqa: F401  (fixtures)

#: How admin pages read, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only

H = "{http://www.w3.org/1999/xhtml}"


async def test_audit_details_read_as_written_and_pages_end_with_the_log(client, as_role: Callable) -> None:
    admin = await as_role(Role.ADMIN)
    await audit.record("admin-user", "study_changed", "study:1", name="Afsnit 1–3, Århus", sites=["ward-a", "ward-b"], is_open=False)
    page = await admin.get("/workspace/admin/audit")
    assert page.status_code == 200
    assert "\\u2013" not in page.text and "Afsnit 1–3, Århus" in page.text
    row = next(r for r in tinyhtml5.parse(page.text).iter(H + "tr") if "study:1" in "".join(r.itertext()))
    details = dict(zip([d.text for d in row.iter(H + "dt")], [d.text for d in row.iter(H + "dd")], strict=True))
    assert details == {"name": "Afsnit 1–3, Århus", "sites": "ward-a, ward-b", "is_open": "no"}
    # Fewer entries than a page: no link to older ones.
    assert "Older entries" not in page.text and "Newer entries" not in page.text

    for k in range(AUDIT_PAGE):
        await audit.record("admin-user", "export", f"export:{k}")
    first = await admin.get("/workspace/admin/audit")
    assert "Older entries" in first.text
    last = await admin.get(f"/workspace/admin/audit?offset={AUDIT_PAGE}")
    assert "Older entries" not in last.text and "Newer entries" in last.text
    filtered = await admin.get("/workspace/admin/audit?action=nothing+like+this")
    assert "No entries for “nothing like this”" in filtered.text and "Older entries" not in filtered.text


async def test_a_refused_new_account_keeps_what_was_typed_and_marks_the_field(client, as_role: Callable) -> None:
    admin = await as_role(Role.ADMIN)
    refused = await admin.post(
        "/workspace/admin/users",
        data={"username": "ward.nurse@example", "password": "short", "role": "coordinator"},
        headers=csrf_headers(admin),
    )
    assert refused.status_code == 400
    root = tinyhtml5.parse(refused.text)
    fields = {e.get("name"): e for e in root.iter() if e.get("id", "").startswith("new-")}
    assert fields["username"].get("value") == "ward.nurse@example"
    assert fields["password"].get("value") in (None, "")  # a password is never sent back
    assert fields["password"].get("aria-invalid") == "true" and fields["username"].get("aria-invalid") is None
    chosen = [o.get("value") for o in fields["role"].iter(H + "option") if o.get("selected") is not None]
    assert chosen == ["coordinator"]
    assert "password:" in "".join(next(e for e in root.iter() if e.get("id") == "new-account-error").itertext())
