"""Write tests/vectors/routing_cases.json: the skip-logic cases on which the server
(surveys/routing.py) and the device (server/tablet/static/routing.js) must agree.

Run by hand after a change to the skip rules or the instruments, and commit the file:

    .venv/bin/python -m tests.vectors.make_routing_cases

Each case is {name, plan, answers, visible}: a route plan (as `route_plan` gives it, in
JSON), answers as item code -> [value, missing code or null], and the codes asked.
The hand-written cases below state their expected `visible` themselves, so they pin the
rule independently of either implementation (writing the file refuses if the Python
disagrees with one). The cases from the real instruments take `visible` from the
server's own path (`visible_entries`), for every instrument and setting, a few design
slots, with and without free text, and answer sets that flip each controlling item.
"""

import json
from pathlib import Path
from typing import Any

import msgspec

from surveys.design import assigned_pairs
from surveys.loader import load_instruments
from surveys.model import SETTINGS, Instrument, Item
from surveys.routing import Context, RouteStep, route_plan, visible_codes, visible_entries

CASES_FILE = Path(__file__).resolve().parent / "routing_cases.json"

Case = dict[str, Any]


def _step(code: str, *conditions: dict[str, Any], swapped: bool = False) -> dict[str, Any]:
    show_if = [{"item": c["item"], "any_of": c.get("any_of", []), "none_of": c.get("none_of", [])} for c in conditions]
    return {"code": code, "swapped": swapped, "show_if": show_if}


def _any(item: str, *codes: str) -> dict[str, Any]:
    return {"item": item, "any_of": list(codes)}


def _none(item: str, *codes: str) -> dict[str, Any]:
    return {"item": item, "none_of": list(codes)}


_YES_FOLLOW_UP = [_step("a"), _step("b", _any("a", "yes")), _step("z")]
_NOT_YOUNG = [_step("age"), _step("b", _none("age", "12-14")), _step("z")]
_MULTIPLE = [_step("m"), _step("b", _any("m", "x", "y")), _step("c", _none("m", "x")), _step("z")]
_CHAIN = [_step("a"), _step("b", _any("a", "yes")), _step("c", _any("b", "yes")), _step("d", _none("b", "yes")), _step("z")]

#: (name, plan, answers, visible): the semantics spelled out, one edge at a time.
HAND_WRITTEN: list[tuple[str, list[dict[str, Any]], dict[str, list[Any]], list[str]]] = [
    ("empty plan", [], {}, []),
    ("no conditions: everything is asked, answered or not", [_step("a"), _step("b")], {"a": ["x", None]}, ["a", "b"]),
    ("any_of: answered with a listed code shows", _YES_FOLLOW_UP, {"a": ["yes", None]}, ["a", "b", "z"]),
    ("any_of: answered with another code hides", _YES_FOLLOW_UP, {"a": ["no", None]}, ["a", "z"]),
    ("any_of: unanswered hides", _YES_FOLLOW_UP, {}, ["a", "z"]),
    ("any_of: a missing code hides", _YES_FOLLOW_UP, {"a": [None, "dont_know"]}, ["a", "z"]),
    ("any_of: prefer not to answer hides", _YES_FOLLOW_UP, {"a": [None, "prefer_not_to_answer"]}, ["a", "z"]),
    ("any_of: a missing code counts as no answer even beside a value", _YES_FOLLOW_UP, {"a": ["yes", "dont_know"]}, ["a", "z"]),
    ("any_of: an answer with neither value nor missing code matches nothing", _YES_FOLLOW_UP, {"a": [None, None]}, ["a", "z"]),
    ("any_of: codes compare exactly (case)", _YES_FOLLOW_UP, {"a": ["Yes", None]}, ["a", "z"]),
    ("any_of: a number never equals an option code", [_step("n"), _step("b", _any("n", "1"))], {"n": [1, None]}, ["n"]),
    ("any_of: a numeric-looking code matches the same string", [_step("n"), _step("b", _any("n", "1"))], {"n": ["1", None]}, ["n", "b"]),
    ("none_of: unanswered shows (asking is the safe default)", _NOT_YOUNG, {}, ["age", "b", "z"]),
    ("none_of: answered with a listed code hides", _NOT_YOUNG, {"age": ["12-14", None]}, ["age", "z"]),
    ("none_of: answered with another code shows", _NOT_YOUNG, {"age": ["15-17", None]}, ["age", "b", "z"]),
    ("none_of: a missing code shows", _NOT_YOUNG, {"age": [None, "prefer_not_to_answer"]}, ["age", "b", "z"]),
    ("none_of: a missing code beside a listed value shows", _NOT_YOUNG, {"age": ["12-14", "prefer_not_to_answer"]}, ["age", "b", "z"]),
    ("multiple choice: one listed code among others shows any_of, hides none_of", _MULTIPLE, {"m": [["w", "x"], None]}, ["m", "b", "z"]),
    ("multiple choice: another listed code shows any_of, keeps none_of", _MULTIPLE, {"m": [["y"], None]}, ["m", "b", "c", "z"]),
    ("multiple choice: no listed code hides any_of, keeps none_of", _MULTIPLE, {"m": [["w"], None]}, ["m", "c", "z"]),
    ("multiple choice: nothing chosen hides any_of, keeps none_of", _MULTIPLE, {"m": [[], None]}, ["m", "c", "z"]),
    ("multiple choice: a missing code hides any_of, keeps none_of", _MULTIPLE, {"m": [None, "dont_know"]}, ["m", "c", "z"]),
    ("chain: a shown controller's answer counts down the chain", _CHAIN, {"a": ["yes", None], "b": ["yes", None]}, ["a", "b", "c", "z"]),
    ("chain: a controller hidden by an earlier rule hides its any_of dependants", _CHAIN, {"a": ["no", None], "b": ["yes", None]}, ["a", "d", "z"]),
    ("chain: a hidden controller's stale answer does not count for none_of", _CHAIN, {"b": ["yes", None]}, ["a", "d", "z"]),
    ("chain: the controller shown but answered no", _CHAIN, {"a": ["yes", None], "b": ["no", None]}, ["a", "b", "d", "z"]),
    (
        "several conditions on one item: all must hold",
        [_step("a"), _step("age"), _step("b", _any("a", "yes"), _none("age", "12-14"))],
        {"a": ["yes", None], "age": ["15-17", None]},
        ["a", "age", "b"],
    ),
    (
        "several conditions on one item: one failing hides it",
        [_step("a"), _step("age"), _step("b", _any("a", "yes"), _none("age", "12-14"))],
        {"a": ["yes", None], "age": ["12-14", None]},
        ["a", "age"],
    ),
    (
        "several conditions on one item: an unanswered any_of hides it though none_of holds",
        [_step("a"), _step("age"), _step("b", _any("a", "yes"), _none("age", "12-14"))],
        {"age": ["15-17", None]},
        ["a", "age"],
    ),
    (
        "a condition on a later item does not see its answer",
        [_step("b", _any("a", "yes")), _step("c", _none("a", "yes")), _step("a")],
        {"a": ["yes", None]},
        ["c", "a"],
    ),
    (
        "a condition on an item outside the plan does not see its answer",
        [_step("b", _any("gone", "yes")), _step("c", _none("gone", "yes"))],
        {"gone": ["yes", None]},
        ["c"],
    ),
    ("a swapped pair routes like any item", [_step("paired.x.y", swapped=True), _step("b", _any("paired.x.y", "x"))], {"paired.x.y": ["x", None]}, ["paired.x.y", "b"]),
    ("both lists given: none_of decides", [_step("a"), _step("b", {"item": "a", "any_of": ["yes"], "none_of": ["no"]})], {}, ["a", "b"]),
    ("neither list given: the condition never holds", [_step("a"), _step("b", {"item": "a"})], {"a": ["yes", None]}, ["a"]),
]


def _plan_json(plan: list[RouteStep]) -> list[dict[str, Any]]:
    return msgspec.to_builtins(plan)


def _sample_value(item: Item) -> Any:
    """A valid answer to an item that controls nothing (only there to be kept or dropped)."""
    if item.type in ("vas", "numeric"):
        return (item.minimum + item.maximum) // 2
    if item.type == "multiple":
        return item.option_codes()[:2]
    if item.type == "ranking":
        return item.option_codes()
    if item.type == "text":
        return "ok"
    return item.option_codes()[0]


def _answer_sets(instrument: Instrument, plan: list[RouteStep]) -> list[tuple[str, dict[str, list[Any]]]]:
    """No answers; each controlling item answered with each option and each missing code;
    then every controller answered to show its dependants, the dependants answered, and
    each controller flipped so those answers go stale."""
    controllers = list(dict.fromkeys(c.item for step in plan for c in step.show_if))
    sets: list[tuple[str, dict[str, list[Any]]]] = [("unanswered", {})]
    for code in controllers:
        item = instrument.item(code)
        for option in item.option_codes():
            sets.append((f"{code}={option}", {code: [option, None]}))
        for missing in item.missing_options:
            sets.append((f"{code}={missing}", {code: [None, missing]}))
    showing = {code: [_showing(instrument, plan, code), None] for code in controllers}
    dependants = {step.code: [_sample_value(instrument.item(step.code)), None] for step in plan if step.show_if}
    background = next((i for i in instrument.items if i.type == "multiple"), None)
    extra = {background.code: [_sample_value(background), None]} if background is not None else {}
    sets.append(("controllers shown, dependants answered", {**extra, **showing, **dependants}))
    for code in controllers:
        for option in instrument.item(code).option_codes():
            if [option, None] != showing[code]:
                sets.append((f"dependants answered, then {code}={option}", {**extra, **showing, code: [option, None], **dependants}))
        for missing in instrument.item(code).missing_options:
            sets.append((f"dependants answered, then {code}={missing}", {**extra, **showing, code: [None, missing], **dependants}))
        sets.append((f"dependants answered, then {code} unanswered", {**extra, **{k: v for k, v in showing.items() if k != code}, **dependants}))
    return sets


def _showing(instrument: Instrument, plan: list[RouteStep], code: str) -> str:
    """An option of `code` that satisfies every condition on it (shows its dependants)."""
    conditions = [c for step in plan for c in step.show_if if c.item == code]
    for option in instrument.item(code).option_codes():
        if all((option in c.any_of if c.any_of else True) and option not in c.none_of for c in conditions):
            return option
    raise ValueError(f"no answer to '{code}' shows all its dependants")


def _first_swapped_slot(instrument: Instrument, setting: str) -> int:
    return next((s for s in range(1, 1000) if any(swap for _, swap in assigned_pairs(instrument, setting, s))), 1)


def instrument_cases() -> list[Case]:
    """Cases from the real instruments, `visible` by the server's own path."""
    cases: list[Case] = []
    for code, instrument in sorted(load_instruments().items()):
        for index, setting in enumerate(SETTINGS):
            slot = (0, 3, _first_swapped_slot(instrument, setting))[index % 3]
            features = frozenset() if index == 0 else frozenset({"free_text"})
            context = Context(setting=setting, slot=slot, features=features)
            plan = route_plan(instrument, context)
            where = f"{code} {setting} slot {slot}{' free_text' if features else ''}"
            for name, answers in _answer_sets(instrument, plan):
                saved = {item: (value, missing) for item, (value, missing) in answers.items()}
                asked = visible_entries(instrument, Context(setting, slot, features, saved))
                cases.append({"name": f"{where}: {name}", "plan": _plan_json(plan), "answers": answers, "visible": [i.code for i, _ in asked]})
    return cases


def hand_written_cases() -> list[Case]:
    """The hand-written cases; refuses if the Python rule disagrees with one."""
    cases: list[Case] = []
    for name, plan, answers, visible in HAND_WRITTEN:
        steps = msgspec.convert(plan, list[RouteStep])
        got = visible_codes(steps, {k: (v[0], v[1]) for k, v in answers.items()})
        if got != visible:
            raise AssertionError(f"surveys.routing disagrees with the hand-written case '{name}': {got} != {visible}")
        cases.append({"name": name, "plan": plan, "answers": answers, "visible": visible})
    return cases


def render() -> str:
    """The file's text: one case per line, so a change shows as a readable diff."""
    cases = hand_written_cases() + instrument_cases()
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return "[\n" + ",\n".join(json.dumps(case, ensure_ascii=False) for case in cases) + "\n]\n"


if __name__ == "__main__":
    CASES_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {CASES_FILE}")
