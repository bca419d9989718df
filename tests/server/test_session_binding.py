"""A questionnaire session answers only to the device holding its key.

The response id is not a secret: it travels in API paths and sits in the device's queue.
These tests take the attacker's side with a leaked id (and a stolen cookie name) and show
that the id alone reads, changes, submits or discards nothing; that submitted and
let-go sessions are never read back and their stored answers never changed; and that a
resume code or a retried start hands out a new key that retires the old one.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from httpx import AsyncClient

from server.storage.tables import Answer, Response
from server.studies import ensure_study

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}
VALUE = {"value": 40}


@pytest.fixture
async def study(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])


@pytest.fixture
async def stranger(client: AsyncClient) -> AsyncIterator[AsyncClient]:
    """Another client of the same server that knows ids but holds no key."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        yield other


async def _start(client: AsyncClient) -> tuple[str, str, list[str]]:
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201, started.text
    body = started.json()
    ratings = [item["code"] for item in body["items"] if item["type"] == "vas"]
    return body["id"], body["session_key"], ratings


def _key(key: str) -> dict[str, str]:
    return {"X-Session-Key": key}


async def _stored(rid: str) -> dict[str, object]:
    rows = await Answer.select(Answer.item, Answer.value).where(Answer.response == uuid.UUID(rid))
    return {row["item"]: json.loads(row["value"]) if isinstance(row["value"], str) else row["value"] for row in rows}


async def test_the_id_alone_reads_changes_and_submits_nothing(client: AsyncClient, stranger: AsyncClient, study: None) -> None:
    rid, key, ratings = await _start(client)
    saved = await client.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json=VALUE, headers=_key(key))
    assert saved.status_code == 200

    for headers in ({}, _key(""), _key("x" * 43), _key(key[:-1] + ("A" if key[-1] != "A" else "B"))):
        assert (await stranger.get(f"/api/v1/responses/{rid}", headers=headers)).status_code == 404
        changed = await stranger.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json={"value": 0}, headers=headers)
        assert changed.status_code == 404
        added = await stranger.put(f"/api/v1/responses/{rid}/answers/{ratings[1]}", json={"value": 0}, headers=headers)
        assert added.status_code == 404
        assert (await stranger.post(f"/api/v1/responses/{rid}/submit", headers=headers)).status_code == 404
    # The refusal says no more than for an id that does not exist.
    unknown = await stranger.get(f"/api/v1/responses/{uuid.uuid4()}")
    refused = await stranger.get(f"/api/v1/responses/{rid}")
    assert refused.json()["detail"].replace(rid, "ID") == unknown.json()["detail"].replace(unknown.url.path.split("/")[-1], "ID")

    assert await _stored(rid) == {ratings[0]: 40}
    row = await Response.select(Response.submitted_at).where(Response.id == uuid.UUID(rid)).first()
    assert row["submitted_at"] is None
    # The holder of the key goes on undisturbed.
    read = await client.get(f"/api/v1/responses/{rid}", headers=_key(key))
    assert read.status_code == 200 and read.json()["answers"][ratings[0]]["value"] == 40
    assert "session_key" not in read.json() or read.json()["session_key"] is None


async def test_a_burst_of_guessed_keys_gets_nothing(client: AsyncClient, stranger: AsyncClient, study: None) -> None:
    rid, _key_held, ratings = await _start(client)
    guesses = [
        stranger.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json={"value": 0}, headers=_key(uuid.uuid4().hex))
        for _ in range(50)
    ]
    statuses = {response.status_code for response in await asyncio.gather(*guesses)}
    assert statuses == {404}
    assert await _stored(rid) == {}


async def test_after_submit_nothing_is_read_back_or_changed(client: AsyncClient, study: None) -> None:
    rid, key, ratings = await _start(client)
    await client.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json=VALUE, headers=_key(key))
    submitted = await client.post(f"/api/v1/responses/{rid}/submit", headers=_key(key))
    assert submitted.status_code == 200

    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(key))).status_code == 404
    changed = await client.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json={"value": 0}, headers=_key(key))
    assert changed.status_code == 409
    # Submitting again (a retry) returns the first submission.
    again = await client.post(f"/api/v1/responses/{rid}/submit", headers=_key(key))
    assert again.status_code == 200 and again.json()["submitted_at"] == submitted.json()["submitted_at"]
    assert await _stored(rid) == {ratings[0]: 40}


async def _tablet_start(client: AsyncClient) -> tuple[str, str, list[str]]:
    """Start on the tablet pages; the response id and session key the browser was given,
    and the rating items the questionnaire asks."""
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "s1/ward-1", "language": "da"})
    assert started.status_code == 303, started.text
    assert started.headers["location"].startswith("/tablet/questions/")
    cookie = started.cookies["lm_questionnaire"]
    rid, _, key = cookie.partition(".")
    assert rid not in started.headers["location"]
    items = (await client.get(f"/api/v1/responses/{rid}", headers=_key(key))).json()["items"]
    return rid, key, [item["code"] for item in items if item["type"] == "vas"]


async def test_tablet_pages_bind_the_session_in_an_httponly_cookie_and_no_address_names_it(client: AsyncClient, study: None) -> None:
    started = await client.post("/tablet/start", data={"consent": "yes", "group": "patient", "site": "s1/ward-1", "language": "da"})
    set_cookies = started.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("lm_questionnaire="))
    live = next(c for c in set_cookies if c.startswith("lm_live="))
    assert "HttpOnly" in session and "samesite=strict" in session.lower()
    assert "HttpOnly" not in live
    screen = await client.get(started.headers["location"])
    assert screen.status_code == 200
    rid = started.cookies["lm_questionnaire"].split(".")[0]
    # The id is in the page (the script's API calls need it), but in no link or form address.
    assert f"/tablet/{rid}" not in screen.text and "action=\"/tablet/questions/" in screen.text


async def test_a_hand_made_cookie_with_a_leaked_id_cannot_discard_or_open(client: AsyncClient, stranger: AsyncClient, study: None) -> None:
    rid, key, ratings = await _tablet_start(client)
    await client.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json=VALUE, headers=_key(key))
    before = await _stored(rid)
    assert before

    stranger.cookies.set("lm_questionnaire", f"{rid}.{'A' * len(key)}")
    stranger.cookies.set("lm_live", "1")
    discard = await stranger.post("/tablet/questions/stop", data={"choice": "discard"})
    assert discard.status_code == 303 and discard.headers["location"].startswith("/?")
    page = await stranger.get("/tablet/questions/0")
    assert page.status_code == 303 and page.headers["location"].startswith("/?")
    assert await _stored(rid) == before
    assert await Response.exists().where(Response.id == uuid.UUID(rid))


async def test_a_kiosk_reset_lets_the_session_go_and_its_outbox_still_delivers_once(client: AsyncClient, study: None) -> None:
    rid, key, codes = await _tablet_start(client)
    answered = await client.put(f"/api/v1/responses/{rid}/answers/{codes[0]}", json=VALUE, headers=_key(key))
    assert answered.status_code == 200, answered.text

    reset = await client.get("/tablet/kiosk/reset")
    assert reset.status_code == 303
    assert "lm_questionnaire" not in client.cookies

    # Nothing of it is read back, not even with the key the outbox holds.
    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(key))).status_code == 404
    # A stored answer is final; an answer still on its way (the outbox) is taken once.
    changed = await client.put(f"/api/v1/responses/{rid}/answers/{codes[0]}", json={"value": 0}, headers=_key(key))
    assert changed.status_code == 409
    late = await client.put(f"/api/v1/responses/{rid}/answers/{codes[1]}", json={"value": 70}, headers=_key(key))
    assert late.status_code == 200, late.text
    again = await client.put(f"/api/v1/responses/{rid}/answers/{codes[1]}", json={"value": 71}, headers=_key(key))
    assert again.status_code == 409
    assert (await client.post(f"/api/v1/responses/{rid}/submit", headers=_key(key))).status_code == 409
    assert await _stored(rid) == {codes[0]: 40, codes[1]: 70}


async def test_a_wiped_browser_opens_nothing_and_the_session_is_let_go(client: AsyncClient, study: None) -> None:
    rid, key, _ratings = await _tablet_start(client)
    # The idle wipe deletes the live marker (the session cookie is HttpOnly and stays).
    client.cookies.delete("lm_live")
    page = await client.get("/tablet/questions/0")
    assert page.status_code == 303 and page.headers["location"].startswith("/?")
    row = await Response.select(Response.released_at).where(Response.id == uuid.UUID(rid)).first()
    assert row["released_at"] is not None
    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(key))).status_code == 404


async def test_resume_binds_a_new_key_and_retires_the_paused_devices(client: AsyncClient, stranger: AsyncClient, study: None) -> None:
    rid, old_key, ratings = await _tablet_start(client)
    await client.put(f"/api/v1/responses/{rid}/answers/{ratings[0]}", json=VALUE, headers=_key(old_key))
    paused = await client.get("/tablet/questions/pause")
    assert paused.status_code == 200
    code = paused.text.split('id="resume-code"')[1].split(">")[1].split("<")[0].strip()
    # Paused: nothing is read back with the old key, nothing is resumed without the code.
    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(old_key))).status_code == 404
    assert (await stranger.get("/tablet/questions/0")).status_code == 303

    resumed = await stranger.post("/tablet/resume", data={"code": code, "language": "da"})
    assert resumed.status_code == 303 and resumed.headers["location"].startswith("/tablet/questions/")
    new_rid, _, new_key = stranger.cookies["lm_questionnaire"].partition(".")
    assert new_rid == rid and new_key != old_key
    assert (await stranger.get(resumed.headers["location"])).status_code == 200
    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(new_key))).status_code == 200
    assert (await client.get(f"/api/v1/responses/{rid}", headers=_key(old_key))).status_code == 404


async def test_a_retried_start_returns_the_same_session_and_key(client: AsyncClient, stranger: AsyncClient, study: None) -> None:
    first = await client.post("/api/v1/responses", json={**START, "start_key": "k" * 24})
    retried = await client.post("/api/v1/responses", json={**START, "start_key": "k" * 24})
    assert first.status_code == 201 and retried.status_code == 201
    rid, key = first.json()["id"], first.json()["session_key"]
    assert retried.json()["id"] == rid and retried.json()["session_key"] == key
    assert (await stranger.get(f"/api/v1/responses/{rid}", headers=_key(key))).status_code == 200
    # Another start key is another respondent, with a key of its own.
    other = await client.post("/api/v1/responses", json={**START, "start_key": "j" * 24})
    assert other.json()["id"] != rid and other.json()["session_key"] != key
    assert (await stranger.get(f"/api/v1/responses/{rid}", headers=_key(other.json()["session_key"]))).status_code == 404
