"""The fieldwork dashboard: targets set per site and group, progress moving as ward
tablets submit questionnaires, "< 5" for small counts, coordinators limited to their
sites, and a CSV with the page's numbers."""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable

import httpx
import pytest

from server.storage.tables import Response, Site
from server.storage.workspace_tables import AuditEntry, StaffUser
from server.workspace.fieldwork import iso_week
from server.workspace.roles import Role
from server.workspace.users import assign_sites
from tests.conftest import tablet_headers
from tests.workspace.conftest import csrf_headers
from tests.workspace.test_studies import START, _study_with_two_sites


async def _respond(client: httpx.AsyncClient, headers: dict[str, str], submit: bool = True) -> None:
    started = await client.post("/api/v1/responses", json=START, headers=headers)
    assert started.status_code == 201, started.text
    rid = started.json()["id"]
    if submit:
        item = (await client.get(f"/api/v1/responses/{rid}", headers=headers)).json()["items"][0]["code"]
        answer = {"missing": "prefer_not_to_answer"}
        saved = await client.put(f"/api/v1/responses/{rid}/answers/{item}", json=answer, headers=headers)
        assert saved.status_code == 200, saved.text
        assert (await client.post(f"/api/v1/responses/{rid}/submit", headers=headers)).status_code == 200


def _table(html: str) -> list[list[str]]:
    """The dashboard's main table as cell texts, without the bar column."""
    body = html.split('<table class="dashboard"')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([c.strip().replace("&lt;", "<") for c in cells if "<svg" not in c])
    return rows


async def _set_target(client: httpx.AsyncClient, study_id: int, site: str, group: str, target: str) -> httpx.Response:
    form = {"site": str(await _site_id(site)), "group": group, "target": target}
    return await client.post(f"/workspace/studies/{study_id}/dashboard/targets", data=form, headers=csrf_headers(client))


async def _site_id(code: str) -> int:
    return (await Site.select(Site.id).where(Site.code == code).first())["id"]


async def test_a_target_is_set_and_progress_moves_as_questionnaires_are_submitted(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    url = f"/workspace/studies/{study_id}/dashboard"
    set_ = await _set_target(researcher, study_id, "w1", "patient", "8")
    assert set_.status_code == 303, set_.text
    # Setting it again replaces the target instead of adding a second row.
    await _set_target(researcher, study_id, "w1", "patient", "10")
    audited = await AuditEntry.select(AuditEntry.target, AuditEntry.detail).where(AuditEntry.action == "fieldwork_target_set")
    assert [a["target"] for a in audited] == ["site:w1", "site:w1"]
    assert '"completed_target":10' in str(audited[-1]["detail"]).replace(" ", "")

    page = await researcher.get(url)
    assert page.status_code == 200, page.text
    assert _table(page.text) == [["w1", "patient", "10", "0", "0%", "0", "", "", ""]]

    tablet = await tablet_headers("s1", "w1")
    for _ in range(2):
        await _respond(client, tablet)
    rows = _table((await researcher.get(url)).text)
    # Two completed: shown as "< 5", with no percentage or rate computed from them.
    assert rows == [["w1", "patient", "10", "< 5", "", "< 5", "", "", ""]]

    for _ in range(3):
        await _respond(client, tablet)
    for _ in range(5):
        await _respond(client, tablet, submit=False)
    page = (await researcher.get(url)).text
    [row] = _table(page)
    assert row[:8] == ["w1", "patient", "10", "5", "50%", "10", "50%", "50%"]
    assert re.fullmatch(r"\d+\.\d", row[8])
    assert '<svg class="bar"' in page and 'width="80"' in page  # half of the 160-wide bar
    assert '<svg class="weeks"' in page and "style=" not in page.split("<main")[-1]
    assert "<td>tablet</td><td>10</td><td>5</td>" in page
    # One answer submitted at once is faster than the report's rule allows.
    assert '<th scope="row">w1</th><td>5</td><td>5</td>' in page


async def test_bad_targets_are_refused_naming_the_field_and_keeping_what_was_typed(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    w2 = await _site_id("w2")
    url = f"/workspace/studies/{study_id}/dashboard/targets"
    for form, field in (
        ({"site": str(w2), "group": "relative", "target": "100001"}, "target"),
        ({"site": str(w2), "group": "relative", "target": "ten"}, "target"),
        ({"site": str(w2), "group": "visitor", "target": "3"}, "group"),
        ({"site": "999999", "group": "relative", "target": "3"}, "site"),
    ):
        refused = await researcher.post(url, data=form, headers=csrf_headers(researcher))
        assert refused.status_code == 400, form
        assert field in refused.text.split('class="error"')[1].split("</p>")[0]
        # The refused field is marked, with the reason beside it.
        assert f'aria-invalid="true" aria-describedby="target-{field}-error"' in refused.text and f'id="target-{field}-error"' in refused.text
        if field == "target":
            assert f'value="{form["target"]}"' in refused.text
            assert f'<option value="{w2}" selected>' in refused.text
    assert await AuditEntry.count().where(AuditEntry.action == "fieldwork_target_set") == 0
    assert "not set" not in (await researcher.get(f"/workspace/studies/{study_id}/dashboard")).text


async def test_a_coordinator_sees_only_their_site_and_cannot_set_targets(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    w2 = await _site_id("w2")
    url = f"/workspace/studies/{study_id}/dashboard"
    await _set_target(researcher, study_id, "w1", "patient", "7")
    for _ in range(5):
        await _respond(client, await tablet_headers("s1", "w1"))
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    await assign_sites(coordinator["id"], [w2])
    coord = await as_role(Role.COORDINATOR)

    page = await coord.get(url)
    assert page.status_code == 200
    assert ">w1<" not in page.text and "Set a target" not in page.text
    # w1's five questionnaires are in no chart, channel or quality count either.
    assert "No questionnaire completed yet." in page.text and "Nothing started yet." in page.text
    assert '<th scope="row">w2</th><td>0</td><td>0</td>' in page.text
    assert _table(page.text.replace("Nothing started yet and no targets set.", '<table class="dashboard"><tbody></tbody>')) == []
    csv_text = (await coord.get(f"{url}.csv")).text
    assert "w1" not in csv_text
    refused = await _set_target(coord, study_id, "w2", "patient", "3")
    assert refused.status_code == 403
    # A coordinator of no site of the study does not learn that it exists.
    await assign_sites(coordinator["id"], [])
    assert (await coord.get(url)).status_code == 404
    assert (await coord.get(f"{url}.csv")).status_code == 404


async def test_the_csv_holds_the_pages_numbers(client: httpx.AsyncClient, as_role: Callable) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    url = f"/workspace/studies/{study_id}/dashboard"
    w2 = await _site_id("w2")
    await _set_target(researcher, study_id, "w2", "staff", "4")
    tablet = await tablet_headers("s1", "w1")
    for _ in range(6):
        await _respond(client, tablet)
    await _respond(client, tablet, submit=False)

    downloaded = await researcher.get(f"{url}.csv")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(downloaded.text)))
    assert rows[0] == ["site", "group", "target", "completed", "of_target", "started", "completion", "breakoff", "median_minutes"]
    page_rows = _table((await researcher.get(url)).text)
    assert [[("not set" if (i == 2 and v == "") else v) for i, v in enumerate(r)] for r in rows[1:]] == page_rows
    assert rows[1][:8] == ["w1", "patient", "", "6", "", "7", "", ""]
    assert rows[2][:6] == ["w2", "staff", "4", "0", "0%", "0"]


async def test_a_site_code_a_spreadsheet_would_run_is_neutralised_in_the_csv(
    client: httpx.AsyncClient, as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    added = await researcher.post(
        f"/workspace/studies/{study_id}/sites",
        data={"site_code": "-w3", "site_name": "Ward three", "setting": "general_adult"},
        headers=csrf_headers(researcher),
    )
    assert added.status_code == 303, added.text
    url = f"/workspace/studies/{study_id}/dashboard"
    await _set_target(researcher, study_id, "-w3", "patient", "5")
    rows = list(csv.reader(io.StringIO((await researcher.get(f"{url}.csv")).text)))
    assert rows[1][:3] == ["'-w3", "patient", "5"]


async def test_targets_saved_at_once_leave_one_row_with_the_last_value(engine) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from server.storage.workspace_tables import FieldworkTarget
    from server.studies import ensure_study
    from server.storage.tables import Site
    from server.workspace.dashboard import set_target

    await ensure_study("t", "T", [("w", "W", "general_adult")])
    site = (await Site.select(Site.id).first())["id"]
    await asyncio.gather(*(set_target(site, "patient", n) for n in range(1, 9)))
    rows = await FieldworkTarget.select(FieldworkTarget.target).where(FieldworkTarget.site == site)
    assert len(rows) == 1 and 1 <= rows[0]["target"] <= 8
    await set_target(site, "patient", 40)
    assert [r["target"] for r in await FieldworkTarget.select(FieldworkTarget.target)] == [40]


def _weekly(html: str) -> list[list[str]]:
    """The weekly table (week, site, group, completed, target) as cell texts."""
    body = html.split('<table class="weekly"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return [
        [c.strip().replace("&lt;", "<") for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
async def test_completed_per_week_site_and_group_against_the_target_with_small_counts_hidden(
    client: httpx.AsyncClient, accounts: dict[Role, str], as_role: Callable
) -> None:
    researcher = await as_role(Role.RESEARCHER)
    study_id = await _study_with_two_sites(researcher)
    url = f"/workspace/studies/{study_id}/dashboard"
    await _set_target(researcher, study_id, "w1", "patient", "12")
    w1_tablet, w2_tablet = await tablet_headers("s1", "w1"), await tablet_headers("s1", "w2")
    for _ in range(7):
        await _respond(client, w1_tablet)
    await _respond(client, w2_tablet)
    # Two of w1's questionnaires were handed in a week earlier.
    w1 = await _site_id("w1")
    earlier = [r["id"] for r in await Response.select(Response.id).where(Response.site == w1).limit(2)]
    for rid in earlier:
        row = await Response.select(Response.started_at, Response.submitted_at).where(Response.id == rid).first()
        week = dt.timedelta(days=7)
        await Response.update({Response.started_at: row["started_at"] - week, Response.submitted_at: row["submitted_at"] - week}).where(
            Response.id == rid
        )
    now = dt.datetime.now(dt.timezone.utc)
    this_week, last_week = iso_week(now), iso_week(now - dt.timedelta(days=7))

    page = (await researcher.get(url)).text
    assert _weekly(page) == [
        [last_week, "w1", "patient", "< 5", "12"],
        [this_week, "w1", "patient", "5", "12"],
        [this_week, "w2", "patient", "< 5", "not set"],
    ]
    downloaded = await researcher.get(f"/workspace/studies/{study_id}/dashboard-weeks.csv")
    assert downloaded.status_code == 200 and downloaded.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(downloaded.text)))
    assert rows[0] == ["week", "site", "group", "completed", "target"]
    assert rows[1:] == [[last_week, "w1", "patient", "< 5", "12"], [this_week, "w1", "patient", "5", "12"], [this_week, "w2", "patient", "< 5", ""]]

    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    await assign_sites(coordinator["id"], [await _site_id("w2")])
    coord = await as_role(Role.COORDINATOR)
    assert _weekly((await coord.get(url)).text) == [[this_week, "w2", "patient", "< 5", "not set"]]
    assert "w1" not in (await coord.get(f"/workspace/studies/{study_id}/dashboard-weeks.csv")).text
