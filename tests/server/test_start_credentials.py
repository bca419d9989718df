"""The respondent-side trust boundary: only enrolled tablets and real invitations start
questionnaires (outside demo mode), each only where and for whom it was issued; a
single-use invitation starts one questionnaire however many starts race; a retried start
makes no second respondent; a tablet cannot start faster than people answer.

Every test runs on SQLite and PostgreSQL (`strict_client`: the app as deployed, no demo mode).
"""

import asyncio
import secrets
import subprocess
import sys

import pytest
from httpx import AsyncClient

from server.credentials.kiosk import enrol_tablet
from server.settings import DemoModeRefused, demo_mode_from_env
from server.storage.credential_tables import ResponseStart
from server.storage.tables import Response
from server.storage.workspace_tables import InvitationCode
from server.studies import ensure_study
from server.workspace.enrolment import issue_invitations, issue_kiosk_code
from server.storage.tables import Site

START = {"language": "da", "consent": True}
#: What the security probe sent: a place and a group of its own choosing, no credential.
ANONYMOUS = {**START, "study": "s1", "site": "ward-1", "group": "staff", "setting": "forensic"}


@pytest.fixture
async def study_id(engine: object) -> int:
    return await ensure_study(
        "s1", "Study one", [("ward-1", "Ward 1", "general_adult"), ("ward-2", "Ward 2", "forensic")]
    )


async def _site_id(code: str) -> int:
    row = await Site.select(Site.id).where(Site.code == code).first()
    return row["id"]


async def _tablet(site: str = "ward-1") -> str:
    issued = await issue_kiosk_code(await _site_id(site), created_by=None)
    enrolled = await enrol_tablet(issued.code)
    assert enrolled is not None
    return enrolled[0]


async def _invitation(study_id: int, group: str, site: str | None = None, max_uses: int = 1) -> str:
    site_id = await _site_id(site) if site else None
    [issued] = await issue_invitations(study_id, group, 1, created_by=None, site_id=site_id, max_uses=max_uses)
    return issued.code


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _refused_field(reply: object) -> str:
    body = reply.json()  # type: ignore[attr-defined]
    return body["extra"][0]["key"]


async def test_without_a_credential_nothing_starts_outside_demo_mode(strict_client: AsyncClient, study_id: int) -> None:
    reply = await strict_client.post("/api/v1/responses/", json=ANONYMOUS)
    assert reply.status_code == 401, reply.text
    assert reply.headers["www-authenticate"] == "Bearer"
    # A made-up token or invitation is no credential either.
    assert (await strict_client.post("/api/v1/responses/", json=ANONYMOUS, headers=_bearer("x" * 43))).status_code == 401
    assert (await strict_client.post("/api/v1/responses/", json={**ANONYMOUS, "invitation": "ABCD-EFGH-JKMN"})).status_code == 401
    # The tablet pages: no open site picker, and a posted start is refused.
    welcome = await strict_client.get("/")
    assert welcome.status_code == 200 and 'name="site"' not in welcome.text and 'id="not-enrolled"' in welcome.text
    form = {"consent": "yes", "group": "patient", "site": "s1/ward-1", "setting": "general_adult", "language": "da"}
    posted = await strict_client.post("/tablet/start", data=form)
    assert posted.status_code == 400
    assert await Response.count() == 0


async def test_demo_mode_still_offers_the_open_welcome_screen(client: AsyncClient, study_id: int) -> None:
    welcome = await client.get("/")
    assert 'name="site"' in welcome.text
    assert (await client.post("/api/v1/responses/", json=ANONYMOUS)).status_code == 201


async def test_a_tablet_starts_only_at_its_ward_for_patients_and_relatives(strict_client: AsyncClient, study_id: int) -> None:
    token = await _tablet("ward-1")
    started = await strict_client.post("/api/v1/responses/", json={**START, "group": "patient"}, headers=_bearer(token))
    assert started.status_code == 201, started.text
    assert started.json()["setting"] == "general_adult"
    row = await Response.select(Response.site.code.as_alias("site"), Response.respondent_group).first()
    assert row == {"site": "ward-1", "respondent_group": "patient"}
    for field, value in (("group", "staff"), ("setting", "forensic"), ("site", "ward-2"), ("study", "other")):
        reply = await strict_client.post("/api/v1/responses/", json={**START, "group": "patient", field: value}, headers=_bearer(token))
        assert reply.status_code == 400 and _refused_field(reply) == field, reply.text
    # The same through the tablet's cookie, on the pages: staff cannot start on a ward tablet.
    strict_client.cookies.set("lm_kiosk", token)
    form = {"consent": "yes", "group": "staff", "language": "da"}
    assert (await strict_client.post("/tablet/start", data=form)).status_code == 400
    # Nor another setting or ward than the tablet's own; its own are taken without asking.
    assert (await strict_client.post("/tablet/start", data={**form, "group": "relative", "setting": "forensic"})).status_code == 400
    assert (await strict_client.post("/tablet/start", data={**form, "group": "relative", "site": "s1/ward-2"})).status_code == 400
    assert (await strict_client.get("/tablet/consent", params={"group": "patient", "setting": "forensic"})).status_code == 400
    own = await strict_client.post("/tablet/start", data={**form, "group": "relative", "site": "s1/ward-1", "setting": "general_adult"})
    assert own.status_code == 303
    settings = {row["setting"] for row in await Response.select(Response.setting)}
    assert settings == {"general_adult"} and await Response.count() == 2


async def test_an_invitation_starts_only_its_group_and_its_ward(strict_client: AsyncClient, study_id: int) -> None:
    code = await _invitation(study_id, "relative", site="ward-2", max_uses=5)
    for field, value in (("group", "staff"), ("site", "ward-1"), ("setting", "general_adult")):
        reply = await strict_client.post("/api/v1/responses/", json={**START, "invitation": code, field: value})
        assert reply.status_code == 400 and _refused_field(reply) == field, reply.text
    started = await strict_client.post("/api/v1/responses/", json={**START, "invitation": code})
    assert started.status_code == 201, started.text
    assert (started.json()["group"], started.json()["setting"]) == ("relative", "forensic")
    # A study-wide invitation: the ward is chosen among that study's wards only.
    wide = await _invitation(study_id, "staff", max_uses=5)
    assert _refused_field(await strict_client.post("/api/v1/responses/", json={**START, "invitation": wide})) == "site"
    chosen = await strict_client.post("/api/v1/responses/", json={**START, "invitation": wide, "site": "ward-1"})
    assert chosen.status_code == 201 and chosen.json()["setting"] == "general_adult"
    # Refusals took no uses: 2 starts, 2 uses.
    assert sorted(r["uses"] for r in await InvitationCode.select(InvitationCode.uses)) == [1, 1]


async def test_twenty_parallel_starts_with_a_single_use_invitation_make_one_session(strict_client: AsyncClient, study_id: int) -> None:
    code = await _invitation(study_id, "patient", site="ward-1")
    replies = await asyncio.gather(
        *(strict_client.post("/api/v1/responses/", json={**START, "invitation": code}) for _ in range(20))
    )
    assert sorted(r.status_code for r in replies).count(201) == 1, [r.status_code for r in replies]
    assert {r.status_code for r in replies} <= {201, 401, 403}
    assert await Response.count() == 1
    assert (await InvitationCode.select(InvitationCode.uses).first())["uses"] == 1


async def test_a_retried_start_with_the_same_key_returns_the_same_session(strict_client: AsyncClient, study_id: int) -> None:
    token = await _tablet()
    body = {**START, "group": "patient", "start_key": secrets.token_urlsafe(24)}
    first = await strict_client.post("/api/v1/responses/", json=body, headers=_bearer(token))
    again = await strict_client.post("/api/v1/responses/", json=body, headers=_bearer(token))
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    # Retries racing each other, with a single-use invitation: one session, one use.
    code = await _invitation(study_id, "patient", site="ward-1")
    raced = {**START, "invitation": code, "start_key": secrets.token_urlsafe(24)}
    replies = await asyncio.gather(*(strict_client.post("/api/v1/responses/", json=raced) for _ in range(8)))
    assert {r.status_code for r in replies} == {201}, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
    # Every racing reply carries the same, working session key.
    assert len({r.json()["session_key"] for r in replies}) == 1
    assert await Response.count() == 2
    # The tablet's consent form carries a server-made key, so a double-submitted form starts once.
    strict_client.cookies.set("lm_kiosk", token)
    consent = await strict_client.get("/tablet/consent", params={"group": "patient"})
    key = consent.text.split('name="start_key" value="', 1)[1].split('"', 1)[0]
    form = {"consent": "yes", "group": "patient", "language": "da", "start_key": key}
    one = await strict_client.post("/tablet/start", data=form)
    two = await strict_client.post("/tablet/start", data=form)
    assert one.status_code == two.status_code == 303 and one.headers["location"] == two.headers["location"]
    assert await Response.count() == 3


async def test_a_scripted_tablet_is_refused_after_the_human_limit(strict_client: AsyncClient, study_id: int) -> None:
    """The probe's burst: many scripted starts from one tablet within a minute. The shipped
    limit (20 per 10 minutes) lets 20 through, refuses the rest with 429, and counts
    refused starts against nothing else (another tablet still starts)."""
    token = await _tablet()
    body = {**START, "group": "patient"}
    statuses: list[int] = []
    for _ in range(3):
        replies = await asyncio.gather(
            *(strict_client.post("/api/v1/responses/", json=body, headers=_bearer(token)) for _ in range(20))
        )
        statuses += [r.status_code for r in replies]
    assert statuses.count(201) == 20 and statuses.count(429) == 40, statuses
    refused = next(r for r in replies if r.status_code == 429)
    assert int(refused.headers["retry-after"]) > 0
    assert await Response.count() == 20
    # The page says so in the respondent's language.
    strict_client.cookies.set("lm_kiosk", token)
    page = await strict_client.post("/tablet/start", data={"consent": "yes", "group": "patient", "language": "en"})
    assert page.status_code == 429 and "Wait a few minutes" in page.text
    other = await _tablet()
    assert (await strict_client.post("/api/v1/responses/", json=body, headers=_bearer(other))).status_code == 201
    assert await ResponseStart.count().where(ResponseStart.credential.like("kiosk:%")) == 21


def test_demo_mode_refuses_postgresql_and_a_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEASTMEANS_DEMO_MODE", "1")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/demo.sqlite3")
    assert demo_mode_from_env() is True
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/leastmeans")
    with pytest.raises(DemoModeRefused, match="PostgreSQL"):
        demo_mode_from_env()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/demo.sqlite3")
    monkeypatch.setenv("PUBLIC_URL", "https://survey.example.org")
    with pytest.raises(DemoModeRefused, match="PUBLIC_URL"):
        demo_mode_from_env()
    monkeypatch.delenv("LEASTMEANS_DEMO_MODE")
    assert demo_mode_from_env() is False


def test_the_server_does_not_start_in_demo_mode_with_postgresql() -> None:
    env = {"PATH": "/usr/bin:/bin", "LEASTMEANS_DEMO_MODE": "1", "DATABASE_URL": "postgresql://127.0.0.1:1/none"}
    result = subprocess.run([sys.executable, "-m", "server", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "LEASTMEANS_DEMO_MODE=1 is refused with a PostgreSQL DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_openapi_description_says_how_a_start_presents_its_credential() -> None:
    from server.app import create_app

    operation = create_app().openapi_schema.to_schema()["paths"]["/api/v1/responses"]["post"]
    assert "Authorization: Bearer <token>" in operation["description"] and "`invitation`" in operation["description"]
    assert "start_key" in operation["description"]
    assert {"400", "401", "403", "429"} <= set(operation["responses"])
