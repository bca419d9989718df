"""Kill -9 under load: every answer acknowledged before the kill is there afterwards, once."""

import asyncio
from pathlib import Path

import httpx
from piccolo.engine.base import Engine

from server.process import start_server
from server.storage.tables import Answer
from server.studies import ensure_study
from tests.conftest import database_url, tablet_headers
from tests.session_keys import SessionKeys

#: The key of every session these tests start, presented by each client (a restarted
#: server's too), as the tablets would.
KEYS = SessionKeys()

TABLETS = 12
CONCURRENCY = 8


async def _start_tablets(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    work: list[tuple[str, str]] = []
    for _ in range(TABLETS):
        # Each questionnaire on a ward tablet of its own, as on a ward.
        started = await client.post(
            "/api/v1/responses",
            json={"study": "crash", "site": "w", "group": "patient", "setting": "general_adult", "consent": True},
            headers=await tablet_headers("crash", "w"),
        )
        assert started.status_code == 201, started.text
        body = started.json()
        work.extend((body["id"], item["code"]) for item in body["items"] if item["type"] == "vas")
    return work


async def test_acknowledged_answers_survive_sigkill(engine: Engine, tmp_path: Path) -> None:
    await ensure_study("crash", "Crash test", [("w", "Ward", "general_adult")])
    url = database_url(engine)
    server = start_server(url, tmp_path / "server.log")
    acknowledged: dict[tuple[str, str], int] = {}
    attempted: set[tuple[str, str]] = set()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5, event_hooks=KEYS.hooks()) as client:
        work = await _start_tablets(client)
        queue = iter(enumerate(work))
        killed = asyncio.Event()

        async def tablet() -> None:
            for index, (response_id, item) in queue:
                if killed.is_set():
                    return
                value = index % 101
                attempted.add((response_id, item))
                try:
                    saved = await client.put(f"/api/v1/responses/{response_id}/answers/{item}", json={"value": value})
                except httpx.HTTPError:
                    return
                if saved.is_success:
                    acknowledged[(response_id, item)] = value

        async def killer() -> None:
            while len(acknowledged) < len(work) // 3:
                await asyncio.sleep(0.01)
            server.kill()
            killed.set()

        await asyncio.gather(killer(), *(tablet() for _ in range(CONCURRENCY)))
    assert 0 < len(acknowledged) < len(work), "the kill must land mid-load"

    restarted = start_server(url, tmp_path / "server-after.log")
    try:
        async with httpx.AsyncClient(base_url=restarted.base_url, timeout=5, event_hooks=KEYS.hooks()) as client:
            for response_id in {rid for rid, _ in work}:
                stored = (await client.get(f"/api/v1/responses/{response_id}")).json()["answers"]
                for (rid, item), value in acknowledged.items():
                    if rid == response_id:
                        assert stored[item]["value"] == value, (rid, item)
                for item in stored:
                    assert (response_id, item) in attempted
    finally:
        restarted.stop()
    rows = await Answer.select(Answer.response, Answer.item)
    keys = [(str(r["response"]), r["item"]) for r in rows]
    assert len(keys) == len(set(keys)), "an answer was stored twice"
    assert set(acknowledged) <= set(keys)
