"""Ward tablets with names: a label typed with the enrolment code names the tablet on the
study page, next to where it stands, when it was last seen and what it started."""

import asyncio
import datetime as dt
from collections.abc import Callable

import httpx
import pytest

from server.credentials import kiosk as kiosk_module
from server.credentials.kiosk import enrol_tablet
from server.storage.tables import Site
from server.storage.workspace_tables import AuditEntry, KioskEnrolment, KioskTablet, StaffUser
from server.workspace.i18n import local_date
from server.workspace.roles import Role
from server.workspace.users import assign_sites
from tests.workspace.conftest import csrf_headers
from tests.workspace.test_studies import START, _study_with_two_sites


def _code(html: str) -> str:
    return html.split('<span class="code">')[1].split("<")[0]


async def _coordinator_of_w1(as_role: Callable, accounts: dict[Role, str]) -> tuple[httpx.AsyncClient, int, int]:
    study_id = await _study_with_two_sites(await as_role(Role.RESEARCHER))
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    w1 = (await Site.select(Site.id).where(Site.code == "w1").first())["id"]
    await assign_sites(coordinator["id"], [w1])
    return await as_role(Role.COORDINATOR), w1, study_id


async def _enrol(coord: httpx.AsyncClient, site_id: int, label: str) -> str:
    issued = await coord.post(f"/workspace/fieldwork/sites/{site_id}/kiosk-code", data={"label": label}, headers=csrf_headers(coord))
    assert issued.status_code == 200, issued.text
    enrolled = await enrol_tablet(_code(issued.text))
    assert enrolled is not None
    return enrolled[0]


async def test_two_tablets_are_told_apart_by_name_with_their_questionnaires(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    coord, w1, study_id = await _coordinator_of_w1(as_role, accounts)
    door = await _enrol(coord, w1, "  Tablet by the door,   ward A ")
    await _enrol(coord, w1, "Day room tablet")
    audited = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "kiosk_code_issued").first()
    assert "Tablet by the door, ward A" in str(audited["detail"])

    # The door tablet starts two questionnaires and completes one; the day room none.
    bearer = {"authorization": f"Bearer {door}"}
    started = []
    for _ in range(2):
        response = await client.post("/api/v1/responses", json=START, headers=bearer)
        assert response.status_code == 201, response.text
        started.append(response.json()["id"])
    item = (await client.get(f"/api/v1/responses/{started[0]}", headers=bearer)).json()["items"][0]["code"]
    await client.put(f"/api/v1/responses/{started[0]}/answers/{item}", json={"missing": "dont_know"}, headers=bearer)
    assert (await client.post(f"/api/v1/responses/{started[0]}/submit", headers=bearer)).status_code == 200

    page = (await coord.get(f"/workspace/studies/{study_id}")).text
    # Dates as the page writes them (English for this client, Copenhagen time).
    today = local_date(dt.datetime.now(dt.timezone.utc))
    door_row = page.split('<th scope="row">Tablet by the door, ward A</th>')[1].split("</tr>")[0]
    assert "<td>w1</td>" in door_row and f"<td>{today}</td>" in door_row
    assert f"<td>{today}, " in door_row.split("</td>", 3)[2] + "</td>"  # last seen today
    assert "<td>2</td><td>1</td>" in door_row and "Revoke" in door_row
    day_row = page.split('<th scope="row">Day room tablet</th>')[1].split("</tr>")[0]
    assert "<td>0</td><td>0</td>" in day_row


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("label", "reason"),
    [("x" * 101, "label: must be at most 100 characters"), ("", "label: give the tablet a name"), ("  \t ", "label: give the tablet a name")],
)
async def test_a_missing_or_overlong_label_is_refused_and_the_form_comes_back_marked(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable, label: str, reason: str
) -> None:
    coord, w1, _ = await _coordinator_of_w1(as_role, accounts)
    refused = await coord.post(
        f"/workspace/fieldwork/sites/{w1}/kiosk-code", data={"label": label, "idle_seconds": "240"}, headers=csrf_headers(coord)
    )
    assert refused.status_code == 400
    assert reason in refused.text and '<span class="code">' not in refused.text
    # The study page comes back with this site's form as sent and its name field marked.
    form = refused.text.split(f'action="/workspace/fieldwork/sites/{w1}/kiosk-code"')[1].split("</form>")[0]
    label_input = form.split(f'id="label-{w1}"')[1].split(">")[0]
    assert f'value="{label}"' in label_input and 'aria-invalid="true"' in label_input
    assert f'aria-describedby="kiosk-{w1}-label-error"' in label_input and f'id="kiosk-{w1}-label-error"' in form
    assert 'value="240"' in form.split(f'id="idle-{w1}"')[1].split(">")[0]
    assert await KioskEnrolment.count() == 0


async def test_issuing_a_code_needs_the_csrf_token_and_ones_own_site(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    coord, w1, _ = await _coordinator_of_w1(as_role, accounts)
    w2 = (await Site.select(Site.id).where(Site.code == "w2").first())["id"]
    no_csrf = await coord.post(f"/workspace/fieldwork/sites/{w1}/kiosk-code", data={"label": "Door"})
    assert no_csrf.status_code == 403
    other_site = await coord.post(f"/workspace/fieldwork/sites/{w2}/kiosk-code", data={"label": "Door"}, headers=csrf_headers(coord))
    assert other_site.status_code == 403
    assert await KioskEnrolment.count() == 0


async def test_last_seen_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    coord, w1, _ = await _coordinator_of_w1(as_role, accounts)
    token = await _enrol(coord, w1, "Door")
    enrolled = (await KioskTablet.select(KioskTablet.last_seen_at).first())["last_seen_at"]
    assert enrolled is not None

    later = kiosk_module.now() + dt.timedelta(seconds=30)
    monkeypatch.setattr(kiosk_module, "now", lambda: later)
    assert await kiosk_module.kiosk(token) is not None
    assert (await KioskTablet.select(KioskTablet.last_seen_at).first())["last_seen_at"] == enrolled

    much_later = later + dt.timedelta(minutes=5)
    monkeypatch.setattr(kiosk_module, "now", lambda: much_later)
    assert await kiosk_module.kiosk(token) is not None
    seen = (await KioskTablet.select(KioskTablet.last_seen_at).first())["last_seen_at"]
    assert kiosk_module.aware(seen) == much_later


async def test_revoking_from_the_page_stops_the_tablet_once_and_only_at_ones_own_site(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    coord, w1, study_id = await _coordinator_of_w1(as_role, accounts)
    token = await _enrol(coord, w1, "Door")
    tablet_id = (await KioskTablet.select(KioskTablet.id).first())["id"]
    w2 = (await Site.select(Site.id).where(Site.code == "w2").first())["id"]
    assert (await coord.post(f"/workspace/fieldwork/sites/{w1}/tablets/{tablet_id}/revoke")).status_code == 403
    assert (await coord.post(f"/workspace/fieldwork/sites/{w2}/tablets/{tablet_id}/revoke", headers=csrf_headers(coord))).status_code == 403
    revoke = f"/workspace/fieldwork/sites/{w1}/tablets/{tablet_id}/revoke"
    burst = await asyncio.gather(*[coord.post(revoke, headers=csrf_headers(coord)) for _ in range(5)])
    assert [r.status_code for r in burst] == [303] * 5
    assert await AuditEntry.count().where(AuditEntry.action == "kiosk_revoked") == 1
    assert await kiosk_module.kiosk(token) is None
    refused = await client.post("/api/v1/responses", json=START, headers={"authorization": f"Bearer {token}"})
    assert refused.status_code in (401, 403)
    page = (await coord.get(f"/workspace/studies/{study_id}")).text
    assert "revoked " in page.split('<th scope="row">Door</th>')[1].split("</tr>")[0]
