"""The public /gradation page and the workspace's publication pages."""

import re
from collections.abc import Callable

import tinyhtml5
from httpx import AsyncClient

from server.publication.job import wait_for_jobs
from server.publication.release import release, review, set_public
from server.publication.store import publish_frame
from server.workspace.roles import Role
from tests.publication.conftest import WORKFLOW, simulated
from tests.workspace.conftest import accounts, as_role, csrf_headers, fast_password_hashing, new_client  # noqa: F401  (fixtures)

H = "{http://www.w3.org/1999/xhtml}"


async def test_public_page_shows_only_publications_marked_public(client: AsyncClient, dataset, reference) -> None:
    empty = await client.get("/gradation")
    assert empty.status_code == 404 and "ingen offentlig" in empty.text
    await publish_frame(dataset, WORKFLOW, reference, actor="researcher-a", studies=["national"])
    await review(1, "researcher-b")
    await release(1, "admin-user")
    assert (await client.get("/gradation")).status_code == 404  # released, but not public
    assert (await client.get("/gradation/1")).status_code == 404
    await set_public(1, True, "admin-user")
    page = await client.get("/gradation?lang=en")
    assert page.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    root = tinyhtml5.parse(page.text)
    sections = [s for s in root.iter(H + "section") if s.get("data-group")]
    assert {(s.get("data-group"), s.get("data-setting")) for s in sections} == {("patient", "general_adult"), ("staff", "general_adult")}
    assert all(s.find(".//{http://www.w3.org/2000/svg}svg") is not None for s in sections)
    for row in (r for r in root.iter(H + "tr") if r.get("data-measure")):
        assert int(list(row.iter(H + "td"))[4].get("data-value")) >= 5
    assert "relative" not in {s.get("data-group") for s in sections}

    # A newer, non-public publication does not replace what the public sees.
    await publish_frame(simulated(seed=9), WORKFLOW, reference)
    again = await client.get("/gradation")
    assert "Offentliggørelse 1 " in again.text
    assert (await client.get("/gradation/2")).status_code == 404


async def test_workspace_release_flow_as_the_people_who_use_it(client: AsyncClient, as_role: Callable, dataset, reference) -> None:
    await publish_frame(dataset, WORKFLOW, reference, actor="researcher-user", studies=["national"])
    authority = await as_role(Role.AUTHORITY)
    # A draft does not exist for the authority, in the workspace as in the API.
    listing = await authority.get("/workspace/publications/")
    assert listing.status_code == 200 and 'data-number="1"' not in listing.text
    for path in ("/workspace/publications/1", "/workspace/publications/1/report?lang=en", "/workspace/publications/1/gradation.json"):
        assert (await authority.get(path)).status_code == 404, path

    researcher = await as_role(Role.RESEARCHER)
    page = await researcher.get("/workspace/publications/1")
    assert page.status_code == 200 and 'data-status="draft"' in page.text and "another person must review it" in page.text
    own = await researcher.post("/workspace/publications/1/review", headers=csrf_headers(researcher))
    assert own.status_code == 409 and "another person must review it" in own.text
    preview = await researcher.get("/workspace/publications/1/gradation.json")
    assert preview.json()["publication"]["status"] == "draft"
    # Only admins release.
    assert (await researcher.post("/workspace/publications/1/release", data={"reason": ""}, headers=csrf_headers(researcher))).status_code == 403

    admin = await as_role(Role.ADMIN)
    assert (await admin.post("/workspace/publications/1/release", data={"reason": ""}, headers=csrf_headers(admin))).status_code == 409
    assert (await admin.post("/workspace/publications/1/review", headers=csrf_headers(admin))).status_code == 303
    reviewed = await admin.get("/workspace/publications/1")
    assert 'data-status="reviewed"' in reviewed.text and "Reviewed" in reviewed.text and "admin-user" in reviewed.text
    assert (await admin.post("/workspace/publications/1/release", data={"reason": ""}, headers=csrf_headers(admin))).status_code == 303
    await wait_for_jobs()  # the released report PDFs are rendered in the background

    listing = await authority.get("/workspace/publications/")
    assert 'data-number="1" data-status="released"' in listing.text
    report = await authority.get("/workspace/publications/1/report?lang=en")
    assert report.status_code == 200 and "Gradation of coercive measures" in report.text
    pdf = await authority.get("/workspace/publications/1/report?lang=en&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The authority may read but not make public.
    assert (await authority.post("/workspace/publications/1/public", data={"public": "1"}, headers=csrf_headers(authority))).status_code == 403
    coordinator = await as_role(Role.COORDINATOR)
    assert (await coordinator.get("/workspace/publications/")).status_code == 403
    # The same data again: the draft's page says so before anyone tries to release it.
    await publish_frame(dataset, WORKFLOW, reference, actor="researcher-user", studies=["national"])
    assert "the same as those of publication 1" in (await admin.get("/workspace/publications/2")).text
    made_public = await admin.post("/workspace/publications/1/public", data={"public": "1"}, headers=csrf_headers(admin))
    assert made_public.status_code == 303
    assert (await client.get("/gradation")).status_code == 200
    issued = await admin.post("/workspace/publications/tokens", data={"label": "ministry"}, headers=csrf_headers(admin))
    secret = re.search(r"lmt_[A-Za-z0-9_-]+", issued.text).group(0)  # type: ignore[union-attr]
    assert (await client.get("/api/v1/gradation/1", headers={"Authorization": f"Bearer {secret}"})).status_code == 200
