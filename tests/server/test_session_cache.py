"""A worker's memory of the sessions it saved never lets a save go wrong (PostgreSQL).

On PostgreSQL a worker decides a tablet's next save on the session as it last stored it
(`server.respondent.session_cache`). With several workers another one may have written
the session since; these tests put such an out-of-date state back into the cache, as a
worker that served an earlier save would hold it, and check that the save still obeys
skip logic, the submit and the study's switches, exactly as on a fresh read.
"""

import uuid

import pytest
from httpx import AsyncClient
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from server.respondent import service, session_cache
from server.respondent.answer_store import SessionState, decode_value
from server.respondent.withdrawal import discard_response
from server.storage.tables import Answer, Study
from server.studies import ensure_study

START = {"study": "cache", "site": "w", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}


@pytest.fixture
async def study(client: AsyncClient, engine: Engine) -> None:
    if not isinstance(engine, PostgresEngine):
        pytest.skip("only PostgreSQL saves from a worker's cache (SQLite serialises every save)")
    await ensure_study("cache", "Cache", [("w", "Ward", "general_adult")])


async def _start(client: AsyncClient) -> tuple[str, uuid.UUID]:
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201, started.text
    return f"/api/v1/responses/{started.json()['id']}", uuid.UUID(started.json()["id"])


async def _stored(rid: uuid.UUID) -> dict[str, object]:
    rows = await Answer.select(Answer.item, Answer.value).where(Answer.response == rid)
    return {row["item"]: decode_value(row["value"]) for row in rows}


async def _follow_up(client: AsyncClient, url: str) -> dict:
    items = (await client.get(url)).json()["items"]
    return next(item for item in items if item["code"].startswith("experience."))


def _held(rid: uuid.UUID) -> SessionState:
    state = session_cache.cached_session(rid)
    assert state is not None, "a save on PostgreSQL leaves the session in the worker's cache"
    return state


async def test_consecutive_saves_of_a_session_need_no_read(client: AsyncClient, study: None, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[uuid.UUID] = []
    real_read = service.read_session

    async def counting_read(response_id: uuid.UUID, lock: bool) -> SessionState:
        reads.append(response_id)
        return await real_read(response_id, lock)

    monkeypatch.setattr(service, "read_session", counting_read)
    url, rid = await _start(client)
    items = [item for item in (await client.get(url)).json()["items"] if item["type"] == "vas"][:5]
    for item in items:
        assert (await client.put(f"{url}/answers/{item['code']}", json={"value": 30})).status_code == 200
    assert reads == []
    assert await _stored(rid) == {item["code"]: 30 for item in items}

    # Another worker served the tablet meanwhile: this one no longer holds the session.
    session_cache.forget_session(rid)
    assert (await client.put(f"{url}/answers/{items[0]['code']}", json={"value": 70})).status_code == 200
    assert reads == [rid]
    assert (await _stored(rid))[items[0]["code"]] == 70


async def test_an_item_shown_by_an_answer_saved_elsewhere_is_accepted(client: AsyncClient, study: None) -> None:
    url, rid = await _start(client)
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "no"})).status_code == 200
    before = _held(rid)
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "yes"})).status_code == 200
    follow_up = await _follow_up(client, url)
    session_cache.remember_session(rid, before)  # this worker still believes "no"

    saved = await client.put(f"{url}/answers/{follow_up['code']}", json={"value": follow_up["options"][0]["code"]})
    assert saved.status_code == 200, saved.text
    assert await _stored(rid) == {"coercion_any": "yes", follow_up["code"]: follow_up["options"][0]["code"]}


async def test_an_item_hidden_by_an_answer_saved_elsewhere_is_refused(client: AsyncClient, study: None) -> None:
    url, rid = await _start(client)
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "yes"})).status_code == 200
    follow_up = await _follow_up(client, url)
    before = _held(rid)
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "no"})).status_code == 200
    session_cache.remember_session(rid, before)  # this worker still believes "yes"

    refused = await client.put(f"{url}/answers/{follow_up['code']}", json={"value": follow_up["options"][0]["code"]})
    assert refused.status_code == 400 and "skip logic" in refused.text
    assert await _stored(rid) == {"coercion_any": "no"}


async def test_a_session_submitted_elsewhere_takes_no_more_answers(client: AsyncClient, study: None) -> None:
    url, rid = await _start(client)
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "no"})).status_code == 200
    before = _held(rid)
    assert (await client.post(f"{url}/submit")).status_code == 200
    session_cache.remember_session(rid, before)

    refused = await client.put(f"{url}/answers/coercion_any", json={"value": "yes"})
    assert refused.status_code == 409
    assert await _stored(rid) == {"coercion_any": "no"}


async def test_a_withdrawn_session_is_not_found(client: AsyncClient, study: None) -> None:
    started = await client.post("/api/v1/responses", json=START)
    url, rid, key = f"/api/v1/responses/{started.json()['id']}", uuid.UUID(started.json()["id"]), started.json()["session_key"]
    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "no"})).status_code == 200
    before = _held(rid)
    await discard_response(rid, key)
    session_cache.remember_session(rid, before)

    assert (await client.put(f"{url}/answers/coercion_any", json={"value": "yes"})).status_code == 404
    assert await _stored(rid) == {}


async def test_free_text_switched_off_meanwhile_is_refused(client: AsyncClient, study: None) -> None:
    await Study.update({Study.free_text: True}).where(Study.code == "cache")
    url, rid = await _start(client)
    assert "comment" in {item["code"] for item in (await client.get(url)).json()["items"]}
    assert _held(rid).free_text
    await Study.update({Study.free_text: False}).where(Study.code == "cache")

    refused = await client.put(f"{url}/answers/comment", json={"value": "Hej"})
    assert refused.status_code == 400 and "free_text" in refused.text
    assert await _stored(rid) == {}
