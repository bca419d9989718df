"""Invitations from the study page: a CSV of links for the hospital's own messaging, a list
of issued invitations (without their codes) to revoke one from, and cards that name the
study and whom to ask."""

import asyncio
import csv
import io
import json
from collections.abc import Callable

import httpx
import pytest

from server.credentials.invitation import check_invitation
from server.storage.tables import Site
from server.storage.workspace_tables import AuditEntry, InvitationCode, StaffUser
from server.workspace.roles import Role
from server.workspace.users import assign_sites
from tests.workspace.conftest import csrf_headers
from tests.workspace.test_studies import _study_with_two_sites


async def _site(code: str) -> int:
    return (await Site.select(Site.id).where(Site.code == code).first())["id"]


async def _csv(client: httpx.AsyncClient, study_id: int, **form: str) -> list[dict[str, str]]:
    response = await client.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations/csv", data={"group": "patient", **form}, headers=csrf_headers(client)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"] and response.headers["cache-control"] == "no-store"
    return list(csv.DictReader(io.StringIO(response.text)))


def _code(row: dict[str, str]) -> str:
    return row["link"].rsplit("/i/", 1)[1]


async def test_a_csv_of_links_works_in_the_hospitals_own_messaging(client: httpx.AsyncClient, as_role: Callable) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    rows = await _csv(researcher, study_id, count="3", site=str(await _site("w1")), valid_days="10")
    assert len(rows) == 3 and set(rows[0]) == {"link", "group", "site", "expires"}
    assert {(r["group"], r["site"]) for r in rows} == {("patient", "w1")}
    assert rows[0]["link"].startswith("http://testserver/i/") and rows[0]["expires"].endswith("Z")
    assert len({r["link"] for r in rows}) == 3
    for row in rows:
        invitation = await check_invitation(_code(row))
        assert invitation is not None and invitation.group == "patient"
    # The link opens the questionnaire on the respondent's own device.
    opened = await client.get(f"/i/{_code(rows[0])}")
    assert opened.status_code in (200, 302, 303), opened.text
    audited = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "invitations_issued").first()
    assert '"count":3' in str(audited["detail"]).replace(" ", "") and "csv" in str(audited["detail"])
    assert _code(rows[0]) not in str(audited["detail"])


async def test_a_csv_needs_the_csrf_token_and_refuses_bad_input_without_codes(as_role: Callable) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    no_csrf = await researcher.post(f"/workspace/fieldwork/studies/{study_id}/invitations/csv", data={"group": "patient"})
    assert no_csrf.status_code == 403
    refused = await researcher.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations/csv", data={"group": "nobody"}, headers=csrf_headers(researcher)
    )
    assert refused.status_code == 400 and "group:" in refused.text and not refused.headers["content-type"].startswith("text/csv")
    assert await InvitationCode.count() == 0


async def test_revoking_an_invitation_from_the_page_stops_it_once(as_role: Callable) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    rows = await _csv(researcher, study_id, count="2", max_uses="3")
    ids = [row["id"] for row in await InvitationCode.select(InvitationCode.id).order_by(InvitationCode.id)]
    page = (await researcher.get(f"/workspace/studies/{study_id}")).text
    listed = page.split('<table class="invitations"')[1].split("</table>")[0]
    assert listed.count("<tr>") == 3 and "<td>0/3</td>" in listed and "any site" in listed
    assert _code(rows[0]) not in page and _code(rows[1]) not in page

    revoke = f"/workspace/fieldwork/studies/{study_id}/invitations/{ids[0]}/revoke"
    assert (await researcher.post(revoke)).status_code == 403  # no CSRF token
    # A burst of clicks, at once: one revocation, one audit entry.
    burst = await asyncio.gather(*[researcher.post(revoke, headers=csrf_headers(researcher)) for _ in range(5)])
    assert [r.status_code for r in burst] == [303] * 5
    assert await AuditEntry.count().where(AuditEntry.action == "invitation_revoked") == 1
    assert await check_invitation(_code(rows[0])) is None
    assert await check_invitation(_code(rows[1])) is not None
    page = (await researcher.get(f"/workspace/studies/{study_id}")).text
    assert page.split('<th scope="row">{}</th>'.format(ids[0]))[1].split("</tr>")[0].count("revoked ") == 1
    missing = await researcher.post(f"/workspace/fieldwork/studies/{study_id}/invitations/999999/revoke", headers=csrf_headers(researcher))
    assert missing.status_code == 404


async def test_a_coordinator_sees_and_revokes_only_their_own_sites_invitations(
    accounts: dict[Role, str], as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    w1, w2 = await _site("w1"), await _site("w2")
    own = await _csv(researcher, study_id, site=str(w1))
    other = await _csv(researcher, study_id, site=str(w2))
    own_id, other_id = [row["id"] for row in await InvitationCode.select(InvitationCode.id).order_by(InvitationCode.id)]
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    await assign_sites(coordinator["id"], [w1])
    coord = await as_role(Role.COORDINATOR)

    listed = (await coord.get(f"/workspace/studies/{study_id}")).text.split('<table class="invitations"')[1].split("</table>")[0]
    assert listed.count("<tr>") == 2 and "<td>w1</td>" in listed and "w2" not in listed
    refused = await coord.post(f"/workspace/fieldwork/studies/{study_id}/invitations/{other_id}/revoke", headers=csrf_headers(coord))
    assert refused.status_code == 404
    assert await check_invitation(_code(other[0])) is not None
    done = await coord.post(f"/workspace/fieldwork/studies/{study_id}/invitations/{own_id}/revoke", headers=csrf_headers(coord))
    assert done.status_code == 303 and await check_invitation(_code(own[0])) is None

    # A coordinator's CSV is tied to their own site, whatever site the form names.
    mine = await _csv(coord, study_id, site=str(w2))
    assert mine[0]["site"] == "w1"

    # Another study, none of whose sites is theirs: as if it did not exist.
    second = await researcher.post("/workspace/studies/", data={"code": "s2", "name": "Study two"}, headers=csrf_headers(researcher))
    second_id = int(second.headers["location"].rsplit("/", 1)[1])
    await researcher.post(
        f"/workspace/studies/{second_id}/sites", data={"site_code": "x1", "site_name": "X", "setting": "general_adult"},
        headers=csrf_headers(researcher),
    )
    await _csv(researcher, second_id)
    foreign_id = (await InvitationCode.select(InvitationCode.id).where(InvitationCode.study == second_id).first())["id"]
    for path in (f"/workspace/fieldwork/studies/{second_id}/invitations/{foreign_id}/revoke", f"/workspace/fieldwork/studies/{second_id}/invitations/csv"):
        assert (await coord.post(path, data={"group": "patient"}, headers=csrf_headers(coord))).status_code == 404
    # Nor through the study it does have: the id belongs to another study.
    crossed = await coord.post(f"/workspace/fieldwork/studies/{study_id}/invitations/{foreign_id}/revoke", headers=csrf_headers(coord))
    assert crossed.status_code == 404
    assert await InvitationCode.count().where(InvitationCode.revoked_at.is_not_null()) == 1


CARD_WORDS = {
    "da": ("Du er inviteret til at svare på et spørgeskema", "Spørgsmål: Study nurse, 7000 0000", "Dataansvarlig: Region Midtjylland", "Koden gælder til"),
    "en": ("You are invited to answer a questionnaire", "Questions: Study nurse, 7000 0000", "Data controller: Region Midtjylland", "Valid until"),
}


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("chosen", "language"), [(None, "da"), ("da", "da"), ("en", "en")])
async def test_printed_cards_name_the_study_its_purpose_contact_and_data_controller_in_the_chosen_language(
    as_role: Callable, chosen: str | None, language: str
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    saved = await researcher.post(
        f"/workspace/studies/{study_id}/responsible",
        data={"data_controller": "Region Midtjylland", "contact": "Study nurse, 7000 0000"},
        headers=csrf_headers(researcher),
    )
    assert saved.status_code == 303, saved.text
    purpose = "Vi vil gerne vide, hvordan tvang opleves."
    saved = await researcher.post(f"/workspace/studies/{study_id}/cards", data={"purpose": purpose}, headers=csrf_headers(researcher))
    assert saved.status_code == 303, saved.text
    form = {"group": "patient", "count": "2"} | ({"card_language": chosen} if chosen else {})
    sheet = await researcher.post(f"/workspace/fieldwork/studies/{study_id}/invitations/print", data=form, headers=csrf_headers(researcher))
    assert sheet.status_code == 200
    cards = sheet.text.split('<ul class="print-cards">')[1]
    assert cards.count(f'<li class="print-card" lang="{language}">') == 2
    assert cards.count("Study one") == 2 and cards.count(purpose) == 2
    for words in CARD_WORDS[language]:
        assert cards.count(words) == 2, words
    other = "en" if language == "da" else "da"
    assert not any(words in cards for words in CARD_WORDS[other][:1] + CARD_WORDS[other][2:])
    detail = (await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "invitations_issued").first())["detail"]
    assert json.loads(detail)["card_language"] == language


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
async def test_a_refused_invitation_form_comes_back_as_typed_with_the_field_marked(as_role: Callable) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    path = f"/workspace/fieldwork/studies/{study_id}/invitations/print"
    typed = {"group": "relative", "count": "abc", "valid_days": "12", "card_language": "en"}
    refused = await researcher.post(path, data=typed, headers=csrf_headers(researcher))
    assert refused.status_code == 400 and "count: must be a whole number" in refused.text
    form = refused.text.split(f'action="/workspace/fieldwork/studies/{study_id}/invitations"')[1].split("</form>")[0]
    count = form.split('id="count"')[1].split(">")[0]
    assert 'value="abc"' in count and 'aria-invalid="true"' in count and 'id="invitations-count-error"' in form
    assert '<option value="relative" selected>' in form and '<option value="en" selected>' in form
    assert 'value="12"' in form.split('id="valid_days"')[1].split(">")[0]
    refused = await researcher.post(path, data={**typed, "count": "2", "card_language": "fr"}, headers=csrf_headers(researcher))
    assert refused.status_code == 400 and "card_language: choose one of da, en" in refused.text
    assert 'aria-describedby="invitations-card_language-error"' in refused.text
    assert await InvitationCode.count() == 0
