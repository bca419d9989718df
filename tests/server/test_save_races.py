"""Concurrent saves and submits on one session stay correct, on both databases.

The PostgreSQL save decides on an unlocked read and writes with one guarded statement
(see `server.respondent.answer_store`); these tests pin down what the guard must keep:
no answer to a question skip logic hides, no acknowledged answer lost, none accepted
after the submit.
"""

import asyncio
import datetime as dt
import uuid

import pytest
from httpx import AsyncClient
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from server.respondent import answer_store
from server.storage.tables import Answer
from server.studies import ensure_study

START = {"study": "race", "site": "w", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}


@pytest.fixture
async def study(client: AsyncClient) -> None:
    await ensure_study("race", "Race", [("w", "Ward", "general_adult")])


async def _start(client: AsyncClient) -> str:
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201, started.text
    return started.json()["id"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def _stored(response_id: str) -> dict[str, object]:
    rows = await Answer.select(Answer.item, Answer.value).where(Answer.response == uuid.UUID(response_id))
    return {row["item"]: answer_store.decode_value(row["value"]) for row in rows}


async def test_concurrent_saves_never_keep_answers_that_skip_logic_hides(client: AsyncClient, study: None) -> None:
    response_id = await _start(client)
    url = f"/api/v1/responses/{response_id}/answers"
    await client.put(f"{url}/coercion_any", json={"value": "yes"})
    shown = (await client.get(f"/api/v1/responses/{response_id}")).json()["items"]
    follow_ups = [item for item in shown if item["code"].startswith("experience.")][:4]
    assert follow_ups, "the instrument must have follow-ups of coercion_any"

    for round_ in range(6):
        gate = "no" if round_ % 2 == 0 else "yes"
        saves = [client.put(f"{url}/{item['code']}", json={"value": item["options"][0]["code"]}) for item in follow_ups]
        replies = await asyncio.gather(client.put(f"{url}/coercion_any", json={"value": gate}), *saves)
        assert all(reply.status_code in (200, 400) for reply in replies), [r.text for r in replies]
        stored = await _stored(response_id)
        if stored["coercion_any"] != "yes":
            assert not [code for code in stored if code.startswith("experience.")], stored


async def test_no_answer_is_accepted_after_a_concurrent_submit(client: AsyncClient, study: None) -> None:
    response_id = await _start(client)
    items = [item["code"] for item in (await client.get(f"/api/v1/responses/{response_id}")).json()["items"] if item["type"] == "vas"]
    saves = [client.put(f"/api/v1/responses/{response_id}/answers/{code}", json={"value": 50}) for code in items]
    submit = client.post(f"/api/v1/responses/{response_id}/submit")
    replies = await asyncio.gather(*saves[: len(saves) // 2], submit, *saves[len(saves) // 2 :])
    submitted = replies[len(saves) // 2]
    save_replies = replies[: len(saves) // 2] + replies[len(saves) // 2 + 1 :]
    assert submitted.status_code == 200
    assert all(reply.status_code in (200, 409) for reply in save_replies), [r.text for r in save_replies]
    acknowledged = {code for code, reply in zip(items, save_replies) if reply.status_code == 200}
    stored = await _stored(response_id)
    # Every acknowledged answer is stored, nothing else is, and the submit counted them all:
    # an answer acknowledged after the submit would make the count smaller.
    assert set(stored) == acknowledged
    assert submitted.json()["answers"] == len(stored)


async def test_a_guarded_write_on_a_session_changed_since_the_read_writes_nothing(
    client: AsyncClient, study: None, engine: Engine
) -> None:
    if not isinstance(engine, PostgresEngine):
        pytest.skip("the guarded write is PostgreSQL's")
    response_id = await _start(client)
    rid = uuid.UUID(response_id)
    url = f"/api/v1/responses/{response_id}/answers"
    stale = await answer_store.read_session(rid, lock=False)
    assert (await client.put(f"{url}/coercion_any", json={"value": "no"})).status_code == 200
    now = answer_store.encode_value(1)
    written = await answer_store.write_guarded(stale, rid, "rating.belt_long", now, None, _now(), [])
    assert written is None
    assert "rating.belt_long" not in await _stored(response_id)

    fresh = await answer_store.read_session(rid, lock=False)
    assert (await client.post(f"/api/v1/responses/{response_id}/submit")).status_code == 200
    assert await answer_store.write_guarded(fresh, rid, "rating.belt_long", now, None, _now(), []) is None
    refused = await client.put(f"{url}/rating.belt_long", json={"value": 1})
    assert refused.status_code == 409 and "rating.belt_long" not in await _stored(response_id)

    # An unchanged, open session is written (the guard is not always false).
    other = await _start(client)
    state = await answer_store.read_session(uuid.UUID(other), lock=False)
    assert await answer_store.write_guarded(state, uuid.UUID(other), "rating.belt_long", now, None, _now(), [])
    assert (await _stored(other))["rating.belt_long"] == 1
