"""A coordinator sets a ward tablet's idle time with its enrolment code; the tablet keeps it."""

from collections.abc import Callable

import httpx
import pytest

from server.storage.tables import Site
from server.storage.workspace_tables import AuditEntry, KioskEnrolment, KioskTablet, StaffUser
from server.credentials.kiosk import enrol_tablet, kiosk as enrolled_tablet
from server.tablet.config import TABLET_SETTINGS
from server.workspace import enrolment
from server.workspace.roles import Role
from server.workspace.users import assign_sites
from tests.workspace.conftest import csrf_headers
from tests.workspace.test_studies import _study_with_two_sites


def _code(html: str) -> str:
    return html.split('<span class="code">')[1].split("<")[0]


async def _coordinator_of_w1(as_role: Callable, accounts: dict[Role, str]) -> tuple[httpx.AsyncClient, int]:
    study_id = await _study_with_two_sites(await as_role(Role.RESEARCHER))
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    w1 = (await Site.select(Site.id).where(Site.code == "w1").first())["id"]
    await assign_sites(coordinator["id"], [w1])
    coord = await as_role(Role.COORDINATOR)
    page = await coord.get(f"/workspace/studies/{study_id}")
    assert f'id="idle-{w1}" name="idle_seconds" type="number" min="30" max="600" value="90"' in page.text
    return coord, w1


async def test_the_enrolled_tablet_uses_the_idle_time_set_with_its_code(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    coord, w1 = await _coordinator_of_w1(as_role, accounts)
    issued = await coord.post(f"/workspace/fieldwork/sites/{w1}/kiosk-code", data={"idle_seconds": "240", "label": "Day room"}, headers=csrf_headers(coord))
    assert issued.status_code == 200, issued.text
    assert "after 240 seconds" in issued.text
    token, site = await enrol_tablet(_code(issued.text))
    kiosk = await enrolled_tablet(token)
    assert kiosk is not None and kiosk.site == site and kiosk.idle_seconds == 240
    assert (await KioskTablet.select(KioskTablet.idle_seconds).first())["idle_seconds"] == 240
    audited = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "kiosk_code_issued").first()
    assert "240" in str(audited["detail"])

    # The tablet's pages carry its own idle time, not the server-wide one.
    client.cookies.set("lm_kiosk", token)
    welcome = await client.get("/")
    assert 'data-kiosk-idle="240"' in welcome.text
    client.cookies.delete("lm_kiosk")


async def test_a_code_without_idle_time_follows_the_server_default(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    coord, w1 = await _coordinator_of_w1(as_role, accounts)
    issued = await coord.post(f"/workspace/fieldwork/sites/{w1}/kiosk-code", data={"idle_seconds": "", "label": "Day room"}, headers=csrf_headers(coord))
    assert issued.status_code == 200 and "the server's default idle time" in issued.text
    token, _ = await enrol_tablet(_code(issued.text))
    assert (await enrolled_tablet(token)).idle_seconds == TABLET_SETTINGS.kiosk_idle_seconds
    assert (await KioskEnrolment.select(KioskEnrolment.idle_seconds).first())["idle_seconds"] is None


@pytest.mark.parametrize("value", ["29", "601", "abc"])
async def test_an_idle_time_out_of_range_is_refused_naming_the_field(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable, value: str
) -> None:
    coord, w1 = await _coordinator_of_w1(as_role, accounts)
    refused = await coord.post(f"/workspace/fieldwork/sites/{w1}/kiosk-code", data={"idle_seconds": value, "label": "Day room"}, headers=csrf_headers(coord))
    assert refused.status_code == 400
    assert "idle_seconds:" in refused.text and '<span class="code">' not in refused.text
    assert await KioskEnrolment.count() == 0


async def test_issuing_directly_checks_the_range_too(client: httpx.AsyncClient) -> None:
    with pytest.raises(enrolment.EnrolmentError) as refused:
        await enrolment.issue_kiosk_code(1, None, idle_seconds=700)
    assert refused.value.field == "idle_seconds" and "30 and 600" in refused.value.reason
