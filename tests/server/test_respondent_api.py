"""The respondent API: start, idempotent saves, submit, and clear refusals."""

import uuid

import pytest
from httpx import AsyncClient

from server.storage.tables import Answer, Response
from server.studies import ensure_study

START = {"study": "s1", "site": "ward-1", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}


@pytest.fixture
async def study(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])


async def _start(client: AsyncClient, **overrides: str) -> dict:
    response = await client.post("/api/v1/responses", json={**START, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def _fields(body: dict) -> set[str]:
    return {entry.get("key") for entry in body.get("extra", [])}


async def test_start_returns_the_items_of_the_respondents_setting(client: AsyncClient, study: None) -> None:
    general = await _start(client)
    forensic = await _start(client, setting="forensic")
    general_measures = {item["measure"] for item in general["items"]}
    forensic_measures = {item["measure"] for item in forensic["items"]}
    assert "locked_room" not in general_measures and "locked_room" in forensic_measures
    assert "belt_long" in general_measures
    first = next(item for item in general["items"] if item["kind"] == "rating")
    assert first["type"] == "vas" and (first["minimum"], first["maximum"]) == (0, 100)
    assert first["missing_options"] == ["dont_know", "prefer_not_to_answer"]
    assert first["prompt"].startswith("Hvor indgribende")
    english = await _start(client, language="en")
    assert next(i for i in english["items"] if i["kind"] == "rating")["prompt"].startswith("How intrusive")
    assert len(general["instrument_version"]) == 64


async def test_saving_the_same_answer_twice_stores_it_once_and_a_new_value_replaces_it(
    client: AsyncClient, study: None
) -> None:
    started = await _start(client)
    url = f"/api/v1/responses/{started['id']}/answers/rating.belt_long"
    for _ in range(2):
        saved = await client.put(url, json={"value": 80})
        assert saved.status_code == 200, saved.text
    assert await Answer.count().where(Answer.response == uuid.UUID(started["id"])) == 1
    await client.put(url, json={"value": 95})
    await client.put(f"/api/v1/responses/{started['id']}/answers/rating.holding_short", json={"missing": "dont_know"})
    resumed = (await client.get(f"/api/v1/responses/{started['id']}")).json()
    assert resumed["answers"]["rating.belt_long"] == {"item": "rating.belt_long", "value": 95, "missing": None}
    assert resumed["answers"]["rating.holding_short"]["missing"] == "dont_know"
    assert resumed["answers"]["rating.holding_short"]["value"] is None
    assert await Answer.count().where(Answer.response == uuid.UUID(started["id"])) == 2


async def test_submit_is_idempotent_and_later_answers_are_refused(client: AsyncClient, study: None) -> None:
    started = await _start(client)
    rid = started["id"]
    await client.put(f"/api/v1/responses/{rid}/answers/rating.belt_short", json={"value": 70})
    first = await client.post(f"/api/v1/responses/{rid}/submit")
    second = await client.post(f"/api/v1/responses/{rid}/submit")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["answers"] == 1
    late = await client.put(f"/api/v1/responses/{rid}/answers/rating.belt_short", json={"value": 10})
    assert late.status_code == 409
    assert "submitted" in late.json()["detail"]
    stored = await Answer.select(Answer.value).where(Answer.response == uuid.UUID(rid)).first()
    assert stored is not None and "70" in str(stored["value"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 101}, "value"),
        ({"value": -1}, "value"),
        ({"value": "high"}, "value"),
        ({"value": True}, "value"),
        ({"value": 50, "missing": "dont_know"}, "value"),
        ({"missing": "maybe"}, "missing"),
        ({"value": 50, "colour": "red"}, "colour"),
        ({}, "value"),
    ],
)
async def test_bad_answers_get_400_naming_the_field(client: AsyncClient, study: None, body: dict, field: str) -> None:
    started = await _start(client)
    refused = await client.put(f"/api/v1/responses/{started['id']}/answers/rating.belt_short", json=body)
    assert refused.status_code == 400, refused.text
    assert field in refused.text
    assert await Answer.count() == 0


async def test_malformed_json_is_refused_with_400(client: AsyncClient, study: None) -> None:
    started = await _start(client)
    refused = await client.put(
        f"/api/v1/responses/{started['id']}/answers/rating.belt_short",
        content=b'{"value": 5',
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 400


async def test_items_outside_the_questionnaire_or_setting_are_refused(client: AsyncClient, study: None) -> None:
    started = await _start(client)
    unknown = await client.put(f"/api/v1/responses/{started['id']}/answers/rating.unicorn", json={"value": 5})
    assert unknown.status_code == 400 and "item" in _fields(unknown.json())
    forensic_only = await client.put(f"/api/v1/responses/{started['id']}/answers/rating.locked_room", json={"value": 5})
    assert forensic_only.status_code == 400 and "general_adult" in forensic_only.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"study": "nope"}, "study"),
        ({"site": "nope"}, "site"),
        ({"group": "visitor"}, "group"),
        ({"setting": "prison"}, "setting"),
        ({"language": "xx"}, "language"),
        ({"name": "Jens"}, "name"),
        ({"consent": False}, "consent"),
    ],
)
async def test_bad_start_requests_name_the_field(client: AsyncClient, study: None, overrides: dict, field: str) -> None:
    refused = await client.post("/api/v1/responses", json={**START, **overrides})
    assert refused.status_code == 400, refused.text
    assert field in refused.text
    assert await Response.count() == 0


async def test_missing_start_field_is_named(client: AsyncClient, study: None) -> None:
    body = {k: v for k, v in START.items() if k != "group"}
    refused = await client.post("/api/v1/responses", json=body)
    assert refused.status_code == 400 and "group" in refused.text


async def test_unknown_response_id_is_404(client: AsyncClient, study: None) -> None:
    ghost = uuid.uuid4()
    assert (await client.get(f"/api/v1/responses/{ghost}")).status_code == 404
    assert (await client.put(f"/api/v1/responses/{ghost}/answers/rating.belt_short", json={"value": 1})).status_code == 404
    assert (await client.post(f"/api/v1/responses/{ghost}/submit")).status_code == 404


async def test_health_reports_the_database_kind(client: AsyncClient, engine) -> None:
    body = (await client.get("/health")).json()
    assert body == {"status": "ok", "database": engine.engine_type}


async def test_openapi_documents_the_respondent_api(client: AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/responses" in schema["paths"]
    assert "/api/v1/responses/{response_id}/answers/{item}" in schema["paths"]
    assert "/api/v1/gradation" in schema["paths"]
