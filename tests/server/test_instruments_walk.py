"""Walk every questionnaire through the respondent API, answering every item type,
with skip logic exercised both ways, then read the answers back as the tidy frame."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from server.gradation.snapshot import TIDY_COLUMNS, tidy_snapshot
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer, Study
from server.studies import ensure_study

SITES = [("ward-g", "General", "general_adult"), ("ward-c", "Child", "child_adolescent"), ("ward-f", "Forensic", "forensic")]
#: (instrument, group, setting, language, the choice item that controls a follow-up, its follow-up prefix)
WALKS = [
    ("patient_adult", "patient", "general_adult", "da", "coercion_any", "experience."),
    ("patient_youth", "patient", "child_adolescent", "en", "coercion_any", "experience."),
    ("relative", "relative", "forensic", "da", "coercion_any", "experience."),
    ("staff", "staff", "forensic", "en", "coercion_applied", "coercion_applied_recently"),
]


@pytest.fixture
async def study(client: AsyncClient) -> None:
    await ensure_study("s1", "Study one", SITES)
    await Study.update({Study.free_text: True}).where(Study.code == "s1")


def _answer(item: dict[str, Any]) -> dict[str, Any]:
    """A valid answer of each type (the first option says "yes" to follow-up questions)."""
    codes = [option["code"] for option in item["options"]]
    kind_type = item["type"]
    if kind_type == "vas":
        return {"value": 42}
    if kind_type == "numeric":
        return {"value": item["maximum"] - 3}
    if kind_type in ("likert", "single"):
        return {"value": codes[0]}
    if kind_type == "multiple":
        return {"value": codes[:2]}
    if kind_type == "paired":
        return {"value": codes[1]}
    if kind_type == "ranking":
        return {"value": list(reversed(codes))}
    if kind_type == "text":
        return {"value": "Tak for spørgsmålene."}
    raise AssertionError(kind_type)


async def _read(client: AsyncClient, rid: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/responses/{rid}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("code", "group", "setting", "language", "gate", "follow_up"), WALKS)
async def test_walk_every_questionnaire_through_the_api(
    client: AsyncClient, study: None, engine, code: str, group: str, setting: str, language: str, gate: str, follow_up: str
) -> None:
    site = next(s for s, _, st in SITES if st == setting)
    consent = (await client.get("/api/v1/responses/consent", params={"group": group, "language": language, "instrument": code})).json()
    assert consent["consent"] and consent["information"] and consent["instrument"] == code
    refused = await client.post(
        "/api/v1/responses", json={"study": "s1", "site": site, "group": group, "setting": setting, "language": language, "instrument": code}
    )
    assert refused.status_code == 400 and "consent" in refused.text
    started = await client.post(
        "/api/v1/responses",
        json={"study": "s1", "site": site, "group": group, "setting": setting, "language": language, "instrument": code, "consent": True},
    )
    assert started.status_code == 201, started.text
    rid = started.json()["id"]
    initial = {item["code"] for item in started.json()["items"]}
    assert not any(c.startswith(follow_up) for c in initial), "follow-ups are hidden until the gate is answered yes"
    hidden = f"{follow_up}belt_short" if follow_up.endswith(".") else follow_up
    early = await client.put(f"/api/v1/responses/{rid}/answers/{hidden}", json=_answer({"type": "single", "options": [{"code": "none"}, {"code": "no"}]}))
    assert early.status_code == 400 and "skip logic" in early.text

    types_answered: set[str] = set()
    used_missing = False
    for _ in range(200):
        session = await _read(client, rid)
        todo = [item for item in session["items"] if item["code"] not in session["answers"]]
        if not todo:
            break
        item = todo[0]
        body = _answer(item)
        if not used_missing and item["kind"] == "rating":
            body, used_missing = {"missing": "dont_know"}, True
        saved = await client.put(f"/api/v1/responses/{rid}/answers/{item['code']}", json=body)
        assert saved.status_code == 200, (item["code"], saved.text)
        types_answered.add(item["type"])
    assert types_answered == {"vas", "numeric", "likert", "single", "multiple", "paired", "ranking", "text"}

    session = await _read(client, rid)
    shown_follow_ups = [c for c in session["answers"] if c.startswith(follow_up)]
    assert shown_follow_ups, "answering yes shows the follow-ups"
    measures = {item["measure"] for item in session["items"] if item["kind"] == "rating"}
    assert ("locked_room" in measures) == (setting == "forensic")
    paired = [item for item in session["items"] if item["type"] == "paired"]
    assert paired and all(len(item["options"]) == 2 for item in paired)
    assert session["items"][0]["prompt"] and session["language"] == language

    # Changing the gate to "no" hides the follow-ups and drops their answers.
    changed = await client.put(f"/api/v1/responses/{rid}/answers/{gate}", json={"value": "no"})
    assert changed.status_code == 200 and sorted(changed.json()["dropped"]) == sorted(shown_follow_ups)
    session = await _read(client, rid)
    assert not any(c.startswith(follow_up) for c in session["answers"])
    assert not any(item["code"].startswith(follow_up) for item in session["items"])
    stored = {row["item"] for row in await Answer.select(Answer.item).where(Answer.response == uuid.UUID(rid))}
    assert stored == set(session["answers"])

    submitted = await client.post(f"/api/v1/responses/{rid}/submit")
    assert submitted.status_code == 200 and submitted.json()["answers"] == len(stored)

    registry = InstrumentRegistry()
    await registry.register_current()
    tidy = await tidy_snapshot(registry)
    assert list(tidy.columns) == TIDY_COLUMNS
    assert set(tidy["kind"]) == {"rating", "allowed", "paired", "rank"}
    assert tidy["gender"].dropna().unique().tolist() == ["female"]
    ratings = tidy[tidy["kind"] == "rating"]
    assert ratings["value"].dropna().eq(42).all() and ratings["missing"].eq("dont_know").sum() == 1
    if gate == "coercion_any":
        # The respondent finally said they never met coercion: experience is "none".
        assert ratings["experience"].eq("none").all()
    pairs = tidy[tidy["kind"] == "paired"]
    assert (pairs["choice"] == pairs["measure_b"]).all() or (pairs["choice"] == pairs["measure"]).any()
    from analysis.tidy import validate_tidy

    validate_tidy(tidy)


async def test_free_text_is_off_unless_the_study_enables_it(client: AsyncClient) -> None:
    await ensure_study("plain", "No comments", [("ward-g", "General", "general_adult")])
    started = (
        await client.post(
            "/api/v1/responses",
            json={"study": "plain", "site": "ward-g", "group": "patient", "setting": "general_adult", "consent": True},
        )
    ).json()
    assert "comment" not in {item["code"] for item in started["items"]}
    refused = await client.put(f"/api/v1/responses/{started['id']}/answers/comment", json={"value": "Hej"})
    assert refused.status_code == 400 and "free_text" in refused.text
    assert await Answer.count() == 0
