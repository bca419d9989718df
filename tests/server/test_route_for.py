"""`service.route_for`: the route plan and answers a device needs to decide offline which
item comes next agree with what the server asks, through every change of answers."""

import msgspec
import pytest
from piccolo.engine.base import Engine

from server.instrument_registry import InstrumentRegistry
from server.respondent import service
from server.respondent.schemas import AnswerIn, StartRequest
from server.storage.tables import Study
from server.studies import ensure_study
from surveys.routing import visible_codes


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    await ensure_study("s1", "Study one", [("ward-1", "Ward 1", "general_adult")])
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


async def _start(registry: InstrumentRegistry) -> object:
    request = StartRequest(study="s1", site="ward-1", group="patient", setting="general_adult", language="en", consent=True)
    return await service.start_response(registry, request)


async def test_the_plan_routes_as_the_server_asks_through_answers_that_hide_and_show(registry: InstrumentRegistry) -> None:
    started = await _start(registry)
    rid, key = started.id, started.session_key  # type: ignore[attr-defined]
    steps = [
        ("coercion_any", AnswerIn(value="yes")),
        ("experience.belt_short", AnswerIn(value="experienced")),
        ("background.admitted_in", AnswerIn(value=["forensic", "general_adult"])),
        ("rating.belt_short", AnswerIn(value=70)),
        ("coercion_any", AnswerIn(value="no")),
        ("coercion_any", AnswerIn(missing="dont_know")),
    ]
    route = await service.route_for(registry, rid, key)
    plan = route.plan
    codes = [step.code for step in plan]
    # Everything that does not depend on answers is applied; everything that does is kept.
    assert sum(code.startswith("paired.") for code in codes) == 6
    assert "comment" not in codes and "rating.locked_room" not in codes
    assert all(step.show_if for step in plan if step.code.startswith("experience."))
    for code, body in steps:
        await service.save_answer(registry, rid, key, code, body)
        route = await service.route_for(registry, rid, key)
        assert route.plan == plan, "the plan must not depend on answers"
        asked = [item.code for item in (await service.get_response(registry, rid, key)).items]
        assert visible_codes(route.plan, route.answers) == asked
    # coercion_any with a missing code hides the follow-up, whose answer the server dropped.
    assert "experience.belt_short" not in asked and "experience.belt_short" not in route.answers
    assert route.answers["coercion_any"] == (None, "dont_know")


async def test_the_route_is_json_of_the_documented_shape(registry: InstrumentRegistry) -> None:
    await Study.update({Study.free_text: True}).where(Study.code == "s1")
    started = await _start(registry)
    rid, key = started.id, started.session_key  # type: ignore[attr-defined]
    await service.save_answer(registry, rid, key, "background.admitted_in", AnswerIn(value=["forensic"]))
    await service.save_answer(registry, rid, key, "rating.belt_short", AnswerIn(missing="prefer_not_to_answer"))
    route = msgspec.json.decode(msgspec.json.encode(await service.route_for(registry, rid, key)))
    assert set(route) == {"plan", "answers"}
    assert route["answers"] == {"background.admitted_in": [["forensic"], None], "rating.belt_short": [None, "prefer_not_to_answer"]}
    assert route["plan"][0] == {"code": "background.age_band", "swapped": False, "show_if": []}
    follow_up = next(step for step in route["plan"] if step["code"] == "experience.belt_short")
    assert follow_up["show_if"] == [{"item": "coercion_any", "any_of": ["yes"], "none_of": []}]
    assert route["plan"][-1]["code"] == "comment"
