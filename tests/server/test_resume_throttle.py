"""Resume codes: wrong codes slow down the client that types them, never anyone else.

Runs on SQLite and PostgreSQL with the database store, and on Redis.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from litestar import Litestar
from piccolo.engine.base import Engine

from server.app import create_app
from server.studies import ensure_study
from server.tablet import resume_codes
from server.workspace import store as store_module
from tests.conftest import flush_redis, running, tablet_headers

REDIS_URL = "redis://127.0.0.1:6379/12"
START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}


@pytest.fixture
async def at(store_kind: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """`at(address)`: a client of one running app whose requests come from `address`."""
    if store_kind == "redis":
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        await flush_redis(REDIS_URL)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("LEASTMEANS_TRUSTED_PROXIES", raising=False)
    monkeypatch.setattr(store_module, "_last_purge", 0.0)
    app: Litestar = create_app(engine=engine)
    made: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver")
        made.append(client)
        return client

    async with running(app):
        await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
        yield make
        for client in made:
            await client.aclose()
    if store_kind == "redis":
        await flush_redis(REDIS_URL)


async def _paused_response_code(client: httpx.AsyncClient) -> tuple[str, str]:
    started = await client.post("/api/v1/responses", json=START, headers=await tablet_headers("s1", "ward-1"))
    assert started.status_code == 201, started.text
    response_id = started.json()["id"]
    return response_id, await resume_codes.issue(uuid.UUID(response_id), days=3)


async def _resume(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/tablet/resume", data={"code": code, "language": "en"})


async def test_two_hundred_wrong_codes_do_not_stop_a_genuine_code_from_another_client(
    at: Callable[[str], httpx.AsyncClient],
) -> None:
    guesser, respondent = at("203.0.113.7"), at("198.51.100.20")
    response_id, code = await _paused_response_code(respondent)
    answers = [await _resume(guesser, f"WRONG{n:03d}") for n in range(200)]

    resumed = await _resume(respondent, code)
    assert resumed.status_code == 303, resumed.text
    assert resumed.headers["location"].startswith("/tablet/questions/")
    # The guesser was slowed down, told so in words, and told when to try again.
    assert answers[0].status_code == 200 and "The code does not work" in answers[0].text
    assert answers[-1].status_code == 429 and "Too many attempts" in answers[-1].text
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert sum(a.status_code == 200 for a in answers) == resume_codes.MAX_FAILURES_PER_WINDOW
    # The code is used up.
    assert "The code does not work" in (await _resume(at("198.51.100.21"), code)).text


async def test_parallel_wrong_codes_from_one_client_are_looked_up_at_most_the_allowed_number(
    at: Callable[[str], httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    pop = resume_codes._codes.pop

    async def counting(key: str) -> bytes | None:
        looked_up.append(key)
        return await pop(key)

    monkeypatch.setattr(resume_codes._codes, "pop", counting)
    guesser = at("203.0.113.7")
    answers = await asyncio.gather(*[_resume(guesser, f"GUESS{n:03d}") for n in range(80)])
    assert len(looked_up) == resume_codes.MAX_FAILURES_PER_WINDOW
    assert sum(a.status_code == 429 for a in answers) == 80 - resume_codes.MAX_FAILURES_PER_WINDOW


async def test_a_genuine_code_does_not_use_up_its_clients_budget(at: Callable[[str], httpx.AsyncClient]) -> None:
    ward = at("198.51.100.20")  # many tablets behind one hospital address
    for _ in range(resume_codes.MAX_FAILURES_PER_WINDOW + 5):
        _, code = await _paused_response_code(ward)
        assert (await _resume(ward, code)).status_code == 303
    assert (await _resume(ward, "WRONGONE")).status_code == 200
