"""Headers on every response: a request id (and a log line for every 5xx that names it),
security headers on 404/405/500 and static files, no-store wherever a page shows a code,
answers or workspace data, Secure tablet cookies under https, and a /schema page that
loads nothing from elsewhere."""

import logging
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from httpx import AsyncClient

from server.publication import public_page
from server.request_ids import REQUEST_ID_HEADER
from server.respondent import service
from server.storage.tables import Site, Study
from server.studies import ensure_study
from server.tablet.cookies import INVITE_COOKIE, KIOSK_COOKIE, LIVE_COOKIE, SESSION_COOKIE
from server.workspace import enrolment
from server.workspace.roles import Role
from tests.workspace.conftest import accounts, as_role, csrf_headers, fast_password_hashing, new_client  # noqa: F401 (fixtures)

#: Headers, not storage: on SQLite only.
pytestmark = pytest.mark.sqlite_only

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}
CLIENT_ADDRESS = "127.0.0.1"  # httpx's ASGI transport reports this as the client


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers[REQUEST_ID_HEADER])


@pytest.fixture
async def study(client: AsyncClient) -> int:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    row = await Study.select(Study.id).where(Study.code == "s1").first()
    return row["id"]


async def test_not_found_not_allowed_and_static_files_carry_the_security_headers(client: AsyncClient) -> None:
    for method, path, status in (
        ("GET", "/no/such/page", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("DELETE", "/health", 405),
        ("GET", "/static/tablet.css", 200),
        ("GET", "/workspace/studies/99", None),
    ):
        response = await client.request(method, path)
        if status is not None:
            assert response.status_code == status, (path, response.status_code)
        _assert_security_headers(response)


async def test_each_request_gets_its_own_id(client: AsyncClient) -> None:
    first, second = await client.get("/health"), await client.get("/health")
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]


async def test_a_server_error_is_logged_with_its_request_id_and_route_and_nothing_about_the_client(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "free text 203.0.113.9 from the request"

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(secret)

    monkeypatch.setattr(service, "get_response", broken)
    response_id = uuid.uuid4()
    with caplog.at_level(logging.INFO):
        failed = await client.get(f"/api/v1/responses/{response_id}", headers={"x-forwarded-for": "203.0.113.9"})
    assert failed.status_code == 500
    request_id = failed.headers[REQUEST_ID_HEADER]
    assert failed.json()["request_id"] == request_id
    _assert_security_headers(failed)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in caplog.records]
    line = errors[0].getMessage()
    assert request_id in line
    assert "GET /api/v1/responses/{response_id}" in line
    assert "RuntimeError" in line and "test_response_headers.py" in line  # the type and where it came from
    # Everything the server logged (the test client's own request log aside).
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    for never in (str(response_id), CLIENT_ADDRESS, "203.0.113.9", secret):
        assert never not in logged


async def test_a_server_error_on_a_page_shows_the_request_id(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(public_page, "latest_public_number", broken)
    with caplog.at_level(logging.ERROR):
        failed = await client.get("/gradation")
    assert failed.status_code == 500 and failed.headers["content-type"].startswith("text/html")
    request_id = failed.headers[REQUEST_ID_HEADER]
    assert request_id in failed.text and "Fejl-id" in failed.text and "Error id" in failed.text
    _assert_security_headers(failed)
    assert any(request_id in record.getMessage() and "/gradation" in record.getMessage() for record in caplog.records)


async def test_the_answers_json_is_never_stored_by_a_cache(client: AsyncClient, study: int) -> None:
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201 and started.headers["cache-control"] == "no-store"
    body = started.json()
    read = await client.get(f"/api/v1/responses/{body['id']}")
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"
    saved = await client.put(f"/api/v1/responses/{body['id']}/answers/{body['items'][0]['code']}", json={"missing": "dont_know"})
    assert saved.headers["cache-control"] == "no-store"


async def test_workspace_pages_codes_and_exports_are_never_stored_by_a_cache(client: AsyncClient, as_role: Callable, study: int) -> None:
    assert (await client.get("/workspace/login")).headers["cache-control"] == "no-store"
    admin = await as_role(Role.ADMIN)
    site = await Site.select(Site.id).first()
    h = csrf_headers(admin)
    responses = {
        "home": await admin.get("/workspace/"),
        "studies": await admin.get("/workspace/studies/"),
        "study": await admin.get(f"/workspace/studies/{study}"),
        "audit": await admin.get("/workspace/admin/audit"),
        "enrolment code": await admin.post(f"/workspace/fieldwork/sites/{site['id']}/kiosk-code", data={"label": "Day room"}, headers=h),
        "invitation codes": await admin.post(f"/workspace/fieldwork/studies/{study}/invitations", data={"group": "patient", "count": "2"}, headers=h),
        "invitation cards": await admin.post(
            f"/workspace/fieldwork/studies/{study}/invitations/print", data={"group": "patient", "count": "2"}, headers=h
        ),
        "export": await admin.post("/workspace/export/", data={"k": "5"}, headers=h),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        assert response.headers["cache-control"] == "no-store", name
    assert '<span class="code">' in responses["enrolment code"].text
    assert responses["export"].headers["content-type"] == "application/zip"


async def _kiosk_session(client: AsyncClient, study: int) -> tuple[httpx.Response, httpx.Response]:
    """Enrol this client as a ward tablet and start a questionnaire: (enrolment, start)."""
    site = await Site.select(Site.id).first()
    code = (await enrolment.issue_kiosk_code(site["id"], None)).code
    enrolled = await client.post("/tablet/kiosk", data={"code": code, "language": "da"})
    assert enrolled.status_code == 200, enrolled.text
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "language": "da"})
    assert started.status_code in (302, 303), started.text
    return enrolled, started


async def test_the_resume_code_page_is_never_stored_by_a_cache(client: AsyncClient, study: int) -> None:
    await _kiosk_session(client, study)
    pause = await client.get("/tablet/questions/pause")
    assert pause.status_code == 200 and pause.headers["cache-control"] == "no-store"


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


@pytest.mark.parametrize("https", [True, False])
async def test_tablet_cookies_are_secure_when_the_deployment_is_on_https(
    client: AsyncClient, study: int, monkeypatch: pytest.MonkeyPatch, https: bool
) -> None:
    monkeypatch.delenv("HTTPS", raising=False)
    monkeypatch.setenv("PUBLIC_URL", "https://survey.example.org" if https else "http://localhost:8000")
    # Behind the TLS proxy the browser speaks https; a client that sends Secure cookies back.
    async with httpx.AsyncClient(transport=client._transport, base_url="https://testserver") as tablet:
        enrolled, started = await _kiosk_session(tablet, study)
        invitation = (await enrolment.issue_invitations(study, "patient", 1, None))[0].code
        invited = await tablet.get(f"/i/{invitation}")
    cookies = {**_set_cookies(enrolled), **_set_cookies(started), **_set_cookies(invited)}
    for name in (KIOSK_COOKIE, SESSION_COOKIE, LIVE_COOKIE, INVITE_COOKIE):
        assert name in cookies, (name, cookies)
        assert ("; Secure" in cookies[name]) is https, cookies[name]


async def test_the_schema_page_loads_only_its_own_files_under_the_csp(client: AsyncClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    _assert_security_headers(page)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "<style" not in page.text and "<script>" not in page.text.replace(" ", "")  # no inline code
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert "http://" not in page.text and "https://" not in page.text
    for ref in references:
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        _assert_security_headers(asset)
        if ref.endswith(".css"):
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", asset.text) and "@import" not in asset.text and "@font-face" not in asset.text
    assert (await client.get("/schema/assets/index.html")).status_code == 404
    assert (await client.get("/schema/openapi.json")).status_code == 200
