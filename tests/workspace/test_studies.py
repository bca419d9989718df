"""Studies, sites, questionnaires; fieldwork counts; kiosk enrolment and invitation codes."""

from collections.abc import Callable

import httpx

from server.storage.tables import Site
from server.storage.workspace_tables import AuditEntry, KioskTablet, StaffUser
from server.credentials.invitation import check_invitation, use_invitation
from server.credentials.kiosk import enrol_tablet, kiosk as enrolled_tablet
from server.workspace import enrolment
from server.workspace.fieldwork import fieldwork, iso_week
from server.workspace.roles import Role
from server.workspace.users import assign_sites
from tests.workspace.conftest import csrf_headers

START = {"group": "patient", "setting": "general_adult", "language": "da", "consent": True}


async def _study_with_two_sites(researcher: httpx.AsyncClient) -> int:
    h = csrf_headers(researcher)
    created = await researcher.post("/workspace/studies/", data={"code": "s1", "name": "Study one"}, headers=h)
    assert created.status_code == 303, created.text
    study_id = int(created.headers["location"].rsplit("/", 1)[1])
    for code in ("w1", "w2"):
        added = await researcher.post(
            f"/workspace/studies/{study_id}/sites",
            data={"site_code": code, "site_name": f"Ward {code}", "setting": "general_adult"},
            headers=h,
        )
        assert added.status_code == 303, added.text
    bad = await researcher.post(
        f"/workspace/studies/{study_id}/sites", data={"site_code": "w1", "site_name": "again", "setting": "general_adult"}, headers=h
    )
    assert bad.status_code == 400 and "site_code" in bad.text
    return study_id


async def test_fieldwork_counts_per_site_group_and_week_and_coordinators_see_only_theirs(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    started = []
    for site, n in (("w1", 3), ("w2", 2)):
        for _ in range(n):
            response = await client.post("/api/v1/responses", json={**START, "study": "s1", "site": site})
            assert response.status_code == 201, response.text
            started.append(response.json()["id"])
    item = (await client.get(f"/api/v1/responses/{started[0]}")).json()["items"][0]["code"]
    await client.put(f"/api/v1/responses/{started[0]}/answers/{item}", json={"missing": "dont_know"})
    assert (await client.post(f"/api/v1/responses/{started[0]}/submit")).status_code == 200

    progress = await fieldwork(study_id)
    assert (progress.started, progress.submitted) == (5, 1)
    w1 = next(t for t in progress.totals if t.site == "w1")
    assert (w1.started, w1.submitted, round(w1.completion, 2)) == (3, 1, 0.33)
    assert {r.week for r in progress.rows} == {iso_week(__import__("datetime").datetime.now())}

    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    w2 = await Site.select(Site.id).where(Site.code == "w2").first()
    await assign_sites(coordinator["id"], [w2["id"]])
    coordinator_client = await as_role(Role.COORDINATOR)
    page = await coordinator_client.get(f"/workspace/studies/{study_id}")
    assert page.status_code == 200
    assert ">w2<" in page.text and ">w1<" not in page.text
    assert "dont_know" not in page.text  # counts, never answers
    assert (await coordinator_client.get("/workspace/studies/")).status_code == 200
    # A coordinator cannot set studies up.
    assert (await coordinator_client.post("/workspace/studies/", data={"code": "x", "name": "x"}, headers=csrf_headers(coordinator_client))).status_code == 403


async def test_a_coordinator_enrols_a_tablet_and_issues_invitations_for_their_site_only(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    study_id = await _study_with_two_sites(await as_role(Role.RESEARCHER))
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    sites = {row["code"]: row["id"] for row in await Site.select(Site.id, Site.code)}
    await assign_sites(coordinator["id"], [sites["w1"]])
    coord = await as_role(Role.COORDINATOR)
    h = csrf_headers(coord)
    assert (await coord.post(f"/workspace/fieldwork/sites/{sites['w2']}/kiosk-code", data={"label": "Day room"}, headers=h)).status_code == 403
    issued = await coord.post(f"/workspace/fieldwork/sites/{sites['w1']}/kiosk-code", data={"label": "Day room"}, headers=h)
    assert issued.status_code == 200
    code = issued.text.split('<span class="code">')[1].split("<")[0]
    token, site = await enrol_tablet(code)
    assert site.site_code == "w1" and (await enrolled_tablet(token)).site == site
    assert await enrol_tablet(code) is None  # one-time
    tablet = await KioskTablet.select(KioskTablet.id).first()
    revoked = await coord.post(f"/workspace/fieldwork/sites/{sites['w1']}/tablets/{tablet['id']}/revoke", headers=h)
    assert revoked.status_code == 303 and await enrolled_tablet(token) is None

    invited = await coord.post(
        f"/workspace/fieldwork/studies/{study_id}/invitations", data={"group": "relative", "count": "3", "site": str(sites["w2"])}, headers=h
    )
    assert invited.status_code == 200
    codes = [part.split("<")[0] for part in invited.text.split('<span class="code">')[1:]]
    assert len(codes) == 3
    invitation = await check_invitation(codes[0])
    # The coordinator asked for w2, which is not theirs: the codes are bound to w1.
    assert invitation is not None and invitation.group == "relative" and [s.site_code for s in invitation.sites] == ["w1"]
    assert await use_invitation(codes[0]) and not await use_invitation(codes[0])
    assert await enrolment.revoke_invitation(codes[1]) and await check_invitation(codes[1]) is None
    audited = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"kiosk_code_issued", "kiosk_revoked", "invitations_issued"} <= audited
