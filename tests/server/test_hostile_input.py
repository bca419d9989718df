"""Hostile input gets a 4xx naming what was wrong, never a 500: control characters in
bodies, query strings and form posts, deeply nested JSON, integers the database cannot
hold, NUL in a static file's path. Every case runs on SQLite and PostgreSQL."""

from collections.abc import Callable

import httpx
import pytest
from httpx import AsyncClient

from server.studies import ensure_study
from server.workspace.roles import Role
from tests.workspace.conftest import accounts, as_role, fast_password_hashing, new_client  # noqa: F401 (fixtures)

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}
INT4_OVER = 2**31
INT8_OVER = 2**63


@pytest.fixture
async def study(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])


def _fields(response: httpx.Response) -> set[str]:
    return {entry.get("key") for entry in response.json().get("extra", [])}


@pytest.mark.parametrize("field", ["study", "site"])
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
async def test_a_control_character_in_a_start_request_is_refused_naming_the_field(
    client: AsyncClient, study: None, field: str, character: str
) -> None:
    refused = await client.post("/api/v1/responses", json={**START, field: f"s{character}1" if field == "study" else f"ward{character}-1"})
    assert refused.status_code == 400, refused.text
    assert _fields(refused) == {field}
    assert "control character" in refused.json()["detail"]


async def test_a_nul_in_a_free_text_answer_is_refused_but_line_breaks_are_kept(client: AsyncClient, study: None) -> None:
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201, started.text
    body = started.json()
    item = body["items"][0]["code"]
    refused = await client.put(f"/api/v1/responses/{body['id']}/answers/{item}", json={"value": ["a\x00b"]})
    assert refused.status_code == 400 and _fields(refused) == {"value[0]"}
    # Tab and line breaks are ordinary text: not refused here (whatever the item makes of them).
    other = await client.put(f"/api/v1/responses/{body['id']}/answers/{item}", json={"value": "line one\nline two\tend"})
    assert other.status_code != 500 and "control character" not in other.text


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
async def test_deeply_nested_json_is_refused_before_it_is_decoded(client: AsyncClient, study: None, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    for body in (nested, '{"study": ' + nested + "}"):
        refused = await client.post("/api/v1/responses", content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 400, refused.text
        assert _fields(refused) == {"body"} and "nested deeper than 64" in refused.json()["detail"]
    # Even without saying it is JSON (the handler would decode it all the same).
    untyped = await client.post("/api/v1/responses", content=nested, headers={"content-type": "text/plain"})
    assert untyped.status_code == 400


async def test_brackets_inside_strings_do_not_count_as_nesting(client: AsyncClient, study: None) -> None:
    refused = await client.post("/api/v1/responses", json={**START, "study": "[" * 500})
    assert refused.status_code == 400 and _fields(refused) == {"study"}
    assert "no open study" in refused.json()["detail"]


async def test_a_control_character_in_a_query_parameter_is_refused_naming_it(client: AsyncClient) -> None:
    for name in ("language", "instrument"):
        refused = await client.get("/api/v1/responses/consent", params={"group": "patient", name: "d\x00a"})
        assert refused.status_code == 400 and _fields(refused) == {name}
        assert "control character" in refused.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        f"/gradation/{INT4_OVER}",
        f"/gradation/{INT8_OVER}",
        f"/gradation/-{INT4_OVER + 1}",
        "/gradation/" + "9" * 5000,
        f"/api/v1/gradation/{INT4_OVER}",
        f"/tablet/00000000-0000-0000-0000-000000000000/{INT4_OVER}",
        "/static/tablet.css%00.js",
        "/static/%00",
        "/tablet/resume%01",
    ],
)
async def test_paths_no_row_can_match_are_404(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, (path, response.status_code, response.text[:300])


async def test_a_control_character_in_a_tablet_form_post_is_a_refusal_page(client: AsyncClient) -> None:
    refused = await client.post("/tablet/resume", data={"code": "AB\x00CD", "language": "en"})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")


async def test_a_control_character_in_a_workspace_form_post_is_refused_naming_the_field(client: AsyncClient) -> None:
    refused = await client.post("/workspace/login", data={"username": "admin\x00", "password": "x"})
    assert refused.status_code == 400 and _fields(refused) == {"username"}


async def test_a_workspace_user_gets_4xx_for_out_of_range_ids_and_hostile_queries(as_role: Callable) -> None:
    admin = await as_role(Role.ADMIN)
    for path in (f"/workspace/studies/{INT4_OVER}", f"/workspace/studies/{INT8_OVER}", f"/workspace/studies/-{INT4_OVER + 1}"):
        response = await admin.get(path)
        assert response.status_code == 404, (path, response.status_code)
    for path in (
        f"/workspace/fieldwork/sites/{INT4_OVER}/kiosk-code",
        f"/workspace/fieldwork/sites/1/tablets/{INT4_OVER}/revoke",
        f"/workspace/fieldwork/studies/{INT4_OVER}/invitations",
        f"/workspace/studies/{INT4_OVER}/status",
        f"/workspace/admin/users/{INT4_OVER}",
    ):
        response = await admin.post(path, data={"group": "patient", "count": "1"})
        assert response.status_code == 404, (path, response.status_code)
    nul = await admin.get("/workspace/admin/audit", params={"action": "login\x00"})
    assert nul.status_code == 400 and _fields(nul) == {"action"}
    for offset in (INT8_OVER, -1):
        far = await admin.get("/workspace/admin/audit", params={"offset": str(offset)})
        assert far.status_code == 400 and _fields(far) == {"offset"}, far.text
    assert (await admin.get("/workspace/admin/audit", params={"offset": str(2**62)})).status_code == 200


async def test_numbers_in_workspace_forms_never_reach_the_database_out_of_range(as_role: Callable, accounts: dict, study: None) -> None:
    from server.storage.tables import Site, Study
    from server.storage.workspace_tables import StaffUser
    from tests.workspace.conftest import csrf_headers

    admin = await as_role(Role.ADMIN)
    h = csrf_headers(admin)
    study_id = (await Study.select(Study.id).first())["id"]
    site_id = (await Site.select(Site.id).first())["id"]
    invitations = f"/workspace/fieldwork/studies/{study_id}/invitations"
    too_far = await admin.post(invitations, data={"group": "patient", "count": "1", "site": str(INT4_OVER)}, headers=h)
    assert too_far.status_code == 400 and _fields(too_far) == {"site"}
    for count in ("²", "9" * 5000, str(INT8_OVER)):
        response = await admin.post(invitations, data={"group": "patient", "count": count}, headers=h)
        assert response.status_code in (200, 400), (count[:20], response.status_code)
    for hours in ("9" * 5000, "³"):
        response = await admin.post(f"/workspace/fieldwork/sites/{site_id}/kiosk-code", data={"valid_hours": hours, "idle_seconds": hours}, headers=h)
        assert response.status_code in (200, 400), (hours[:20], response.status_code)
    coordinator = await StaffUser.select(StaffUser.id).where(StaffUser.username == accounts[Role.COORDINATOR]).first()
    changed = await admin.post(
        f"/workspace/admin/users/{coordinator['id']}", data={"role": "coordinator", "is_active": "on", "sites": [str(INT4_OVER)]}, headers=h
    )
    assert changed.status_code == 400 and _fields(changed) == {"sites"}
