"""Schemathesis against the served OpenAPI document: every respondent and authority
operation, with generated valid and invalid requests, gets no 5xx, only responses that
its schema documents (status codes, content types, bodies, headers), and every refusal
says why.

The server is the real deployment (`leastmeans serve` as a child process) on a database
with demo respondents, one publication and an API token, so the authority operations
answer with real documents and the respondent operations reach a real, open session.

Budget: FUZZ_EXAMPLES examples per operation (default 25; `make fuzz` raises it) on
SQLite; `make fuzz` (FUZZ_DATABASES=sqlite,postgres) adds PostgreSQL.
"""

import asyncio
import os
import zlib
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, CheckContext
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from server.process import ServerProcess, run_cli, start_server
from tests.conftest import _create_postgres_database, _drop_postgres_database, _dsn_for

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
DATABASES = os.environ.get("FUZZ_DATABASES", "sqlite").split(",")
TAGS = {"respondent", "gradation", "operations"}


class Served:
    """A seeded server and what the generated requests need to get past 404s."""

    def __init__(self, server: ServerProcess, token: str, open_id: str, items: list[str]) -> None:
        self.server = server
        self.token = token
        self.open_id = open_id
        self.items = items


async def _publications(url: str) -> None:
    """One released publication (of simulated answers: the demo study's can never be
    released) and one draft, so the authority operations also meet an unreleased number."""
    from server.gradation.runner import reference_tiers
    from server.publication.release import release, review
    from server.publication.store import publish_frame
    from server.storage.database import engine_for_url, use_database
    from tests.publication.conftest import WORKFLOW, simulated

    use_database(engine_for_url(url))
    released = await publish_frame(simulated(per_group=40), WORKFLOW, reference_tiers(), actor="researcher-a", studies=["national"])
    await review(released.number, "researcher-b")
    await release(released.number, "admin")
    await publish_frame(simulated(seed=9, per_group=40), WORKFLOW, reference_tiers(), actor="researcher-a", studies=["national"])


def _seed(url: str) -> str:
    """Migrate, add demo respondents and the publications; return a new API token."""
    run_cli(url, "migrate")
    run_cli(url, "demo", "--respondents", "15", "--no-publish")
    asyncio.run(_publications(url))
    token = run_cli(url, "token", "issue", "schemathesis").split(": ", 1)[1].strip()
    return token


@pytest.fixture(scope="module", params=DATABASES)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    scratch = tmp_path_factory.mktemp("schemathesis")
    postgres_name: str | None = None
    if request.param == "postgres":
        postgres_name = asyncio.run(_create_postgres_database())
        url = _dsn_for(postgres_name)
    else:
        url = f"sqlite:///{scratch / 'fuzz.sqlite3'}"
    try:
        token = _seed(url)
        server = start_server(url, scratch / "server.log")
        try:
            tablet = run_cli(url, "enrol-tablet", "demo", "ward-a").strip()
            started = httpx.post(
                f"{server.base_url}/api/v1/responses",
                json={"study": "demo", "site": "ward-a", "group": "patient", "setting": "general_adult", "consent": True},
                headers={"authorization": f"Bearer {tablet}"},
            )
            assert started.status_code == 201, started.text
            body = started.json()
            yield Served(server, token, body["id"], [item["code"] for item in body["items"]])
            assert "Traceback" not in server.log(), server.log()
        finally:
            server.stop()
    finally:
        if postgres_name is not None:
            asyncio.run(_drop_postgres_database(postgres_name))


def refusal_says_why(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """Every 4xx from these JSON APIs carries a non-empty `detail` saying what was wrong."""
    if 400 <= response.status_code < 500 and response.status_code != 304:
        body = response.json()
        assert isinstance(body, dict) and str(body.get("detail", "")).strip(), f"refusal without a reason: {response.text[:300]}"
    return None


def _aim(case: Case, served: Served) -> None:
    """Point most generated requests at the open session and a real item, so the
    validation behind the 404 is what gets fuzzed (the rest keep their random ids)."""
    parameters = case.path_parameters or {}
    salt = zlib.crc32(repr((case.body, case.query)).encode())
    if "response_id" in parameters and case.method != "POST" and salt % 4:
        parameters["response_id"] = served.open_id
    if "item" in parameters and salt % 3:
        parameters["item"] = served.items[salt % len(served.items)]


def test_openapi_operations_hold_their_schema(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.server.base_url}/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not TAGS & set(operation.definition.raw.get("tags", [])):
            continue
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Case) -> None:
            _aim(case, served)
            case.call_and_validate(
                base_url=served.server.base_url,
                headers={"Authorization": f"Bearer {served.token}"},
                # Schema-valid is not always acceptable here: an unknown study code, a start
                # without consent or an unknown filter code is a documented 400 naming the
                # field; that every refusal is a documented status is checked instead.
                excluded_checks=[positive_data_acceptance],
                additional_checks=[refusal_says_why],
            )

        try:
            run()
        except (AssertionError, FailureGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 8, "the respondent and authority operations must be in the schema"
    assert not failures, "\n\n".join(failures)
