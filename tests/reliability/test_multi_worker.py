"""Several server processes on one database: shared state stays right, starts and stops are clean.

These run `leastmeans serve` (with several workers, or several servers side by side, as
on several hosts) as child processes, on SQLite and PostgreSQL.
"""

import asyncio
import time
from pathlib import Path

import httpx
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

from server.process import start_server
from server.studies import ensure_study
from tests.conftest import database_url, tablet_headers
from tests.session_keys import SessionKeys

#: The key of every session these tests start, presented by each client (a restarted
#: server's too), as the tablets would.
KEYS = SessionKeys()

START = {"study": "multi", "site": "w", "group": "patient", "setting": "general_adult", "consent": True}
SESSIONS = 8


async def _one_session(a: httpx.AsyncClient, b: httpx.AsyncClient) -> tuple[dict[str, object], dict[str, object]]:
    """Alternate one session's saves between servers `a` and `b` so that each, holding its
    own copy of the session from its last save, is often out of date."""
    started = await a.post("/api/v1/responses", json=START, headers=await tablet_headers("multi", "w"))
    assert started.status_code == 201, started.text
    rid = started.json()["id"]
    url = f"/api/v1/responses/{rid}/answers"
    rating = next(item["code"] for item in started.json()["items"] if item["type"] == "vas")

    async def save(through: httpx.AsyncClient, code: str, value: object) -> httpx.Response:
        reply = await through.put(f"{url}/{code}", json={"value": value})
        assert reply.status_code == 200, (code, reply.text)
        return reply

    await save(a, "coercion_any", "yes")
    shown = [item for item in (await a.get(f"/api/v1/responses/{rid}")).json()["items"] if item["code"].startswith("experience.")]
    first, second = shown[0], shown[1]
    await save(b, first["code"], first["options"][0]["code"])
    # `a` last saw the session before the follow-up was answered; it must still drop it.
    assert (await save(a, "coercion_any", "no")).json()["dropped"] == [first["code"]]
    # `b` last saw "yes": the follow-ups are hidden now all the same.
    refused = await b.put(f"{url}/{second['code']}", json={"value": second["options"][0]["code"]})
    assert refused.status_code == 400, refused.text
    await save(b, rating, 35)
    await save(a, "coercion_any", "yes")
    await save(b, second["code"], second["options"][1]["code"])
    await save(a, rating, 60)
    expected = {"coercion_any": "yes", second["code"]: second["options"][1]["code"], rating: 60}
    stored = (await b.get(f"/api/v1/responses/{rid}")).json()["answers"]
    return expected, {code: answer["value"] for code, answer in stored.items()}


async def test_a_session_saved_alternately_through_two_servers_stays_exact(engine: Engine, tmp_path: Path) -> None:
    await ensure_study("multi", "Multi", [("w", "Ward", "general_adult")])
    first = start_server(database_url(engine), tmp_path / "first.log", workers=2)
    second = start_server(database_url(engine), tmp_path / "second.log")
    try:
        async with (
            httpx.AsyncClient(base_url=first.base_url, timeout=10, event_hooks=KEYS.hooks()) as a,
            httpx.AsyncClient(base_url=second.base_url, timeout=10, event_hooks=KEYS.hooks()) as b,
        ):
            results = await asyncio.gather(*(_one_session(a, b) for _ in range(SESSIONS)))
    finally:
        first.stop()
        second.stop()
    for expected, stored in results:
        assert stored == expected
    assert "Traceback" not in first.log() + second.log()


async def test_sigterm_lets_saves_in_flight_finish(engine: Engine, tmp_path: Path) -> None:
    await ensure_study("multi", "Multi", [("w", "Ward", "general_adult")])
    server = start_server(database_url(engine), tmp_path / "server.log", workers=2)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, event_hooks=KEYS.hooks()) as client:
        work: list[tuple[str, str]] = []
        for _ in range(6):
            body = (await client.post("/api/v1/responses", json=START, headers=await tablet_headers("multi", "w"))).json()
            work.extend((body["id"], item["code"]) for item in body["items"] if item["type"] == "vas")
        answered_after_term: list[float] = []
        term_sent = asyncio.Event()
        term_time = 0.0

        async def save(rid: str, code: str) -> tuple[tuple[str, str], int | None]:
            try:
                reply = await client.put(f"/api/v1/responses/{rid}/answers/{code}", json={"value": 42})
            except httpx.HTTPError:
                return (rid, code), None  # never acknowledged: the server had stopped accepting
            if term_sent.is_set():
                answered_after_term.append(time.monotonic() - term_time)
            return (rid, code), reply.status_code

        saves = [asyncio.create_task(save(rid, code)) for rid, code in work]
        await asyncio.sleep(0.05)
        term_time = time.monotonic()
        term_sent.set()
        await asyncio.to_thread(server.stop)  # SIGTERM, then wait for the exit
        outcomes = await asyncio.gather(*saves)

    statuses = [status for _, status in outcomes if status is not None]
    assert statuses and all(status == 200 for status in statuses), statuses
    assert answered_after_term, "some saves were in flight when SIGTERM arrived and were still answered"
    restarted = start_server(database_url(engine), tmp_path / "after.log")
    try:
        async with httpx.AsyncClient(base_url=restarted.base_url, timeout=10, event_hooks=KEYS.hooks()) as client:
            for (rid, code), status in outcomes:
                if status == 200:
                    answers = (await client.get(f"/api/v1/responses/{rid}")).json()["answers"]
                    assert answers[code]["value"] == 42
    finally:
        restarted.stop()


async def test_serve_migrate_applies_each_migration_once_before_the_workers_start(bare_engine: Engine, tmp_path: Path) -> None:
    server = start_server(database_url(bare_engine), tmp_path / "server.log", workers=2, migrate=True)
    try:
        assert httpx.get(f"{server.base_url}/health").json()["status"] == "ok"
    finally:
        server.stop()
    names = [row["name"] for row in await Migration.select(Migration.name)]
    assert names and len(names) == len(set(names))
    assert server.log().count("migrations not yet run") == 1, server.log()
