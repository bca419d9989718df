"""A study's purpose (printed on invitation cards) and its 'My order' card switch: set when
the study is created and in its settings, stored, audited, and refused when too long."""

from collections.abc import Callable

import httpx
import markupsafe
import pytest

from server.storage.tables import Study
from server.storage.workspace_tables import AuditEntry
from server.workspace.roles import Role
from tests.workspace.conftest import csrf_headers

PURPOSE = "We ask patients how intrusive they find each measure, to make the ward's care less coercive."


async def test_purpose_and_card_switch_are_stored_at_creation_and_changed_in_the_settings(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    h = csrf_headers(researcher)
    form = (await researcher.get("/workspace/studies/")).text
    assert "Purpose (shown on invitation cards)" in form and "Offer patients their own 'My order' card after the thanks" in form
    # An unticked box sends nothing: the card is not offered.
    created = await researcher.post("/workspace/studies/", data={"code": "s1", "name": "Study one", "purpose": f"  {PURPOSE}\n"}, headers=h)
    assert created.status_code == 303, created.text
    stored = await Study.select(Study.id, Study.purpose, Study.preference_card).where(Study.code == "s1").first()
    assert stored["purpose"] == PURPOSE and stored["preference_card"] is False
    study_id = stored["id"]
    page = (await researcher.get(f"/workspace/studies/{study_id}")).text
    assert f">{markupsafe.escape(PURPOSE)}</textarea>" in page and "card: not offered" in page

    changed = await researcher.post(
        f"/workspace/studies/{study_id}/cards", data={"purpose": "Shorter purpose.", "preference_card": "1"}, headers=h
    )
    assert changed.status_code == 303, changed.text
    stored = await Study.select(Study.purpose, Study.preference_card).where(Study.id == study_id).first()
    assert stored == {"purpose": "Shorter purpose.", "preference_card": True}
    details = [row["detail"] for row in await AuditEntry.select(AuditEntry.detail).where(AuditEntry.target == f"study:{study_id}")]
    assert any("Shorter purpose." in str(d) and "preference_card" in str(d) for d in details)
    created_detail = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "study_created").first()
    assert PURPOSE in str(created_detail["detail"])


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
async def test_a_purpose_too_long_is_refused_naming_the_field_and_the_form_keeps_what_was_typed(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    h = csrf_headers(researcher)
    long_purpose = "p" * 501
    refused = await researcher.post(
        "/workspace/studies/", data={"code": "s1", "name": "Study one", "purpose": long_purpose}, headers=h
    )
    assert refused.status_code == 400
    assert "purpose: must be at most 500 characters" in refused.text
    assert 'name="code" required maxlength="64" value="s1"' in refused.text and 'value="Study one"' in refused.text
    textarea = refused.text.split('<textarea id="purpose"')[1].split("</textarea>")[0]
    assert 'aria-invalid="true"' in textarea and textarea.endswith(long_purpose)
    assert 'id="new-study-purpose-error"' in refused.text
    # The box was not ticked, and it stays so.
    assert 'name="preference_card" value="1" >' in refused.text
    assert await Study.count() == 0

    created = await researcher.post("/workspace/studies/", data={"code": "s1", "name": "Study one"}, headers=h)
    study_id = int(created.headers["location"].rsplit("/", 1)[1])
    refused = await researcher.post(
        f"/workspace/studies/{study_id}/cards", data={"purpose": long_purpose, "preference_card": "1"}, headers=h
    )
    assert refused.status_code == 400 and "purpose: must be at most 500 characters" in refused.text
    textarea = refused.text.split('<textarea id="purpose"')[1].split("</textarea>")[0]
    assert 'aria-invalid="true"' in textarea and 'aria-describedby="cards-purpose-error"' in textarea
    assert (await Study.select(Study.purpose).first())["purpose"] == ""
