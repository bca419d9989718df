"""The shared skip-logic cases (tests/vectors/routing_cases.json): the server's rule gives
each case's `visible`, and the file is what the instruments and the rule give today, so
neither the rule nor the device's copy of it (routing.js, tests/browser) can drift unseen."""

import json
from typing import Any

import msgspec
import pytest

from surveys.routing import RouteStep, visible_codes
from tests.vectors.make_routing_cases import CASES_FILE, render

CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))


def _answers(case: dict[str, Any]) -> dict[str, tuple[Any, str | None]]:
    return {code: (value, missing) for code, (value, missing) in case["answers"].items()}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_server_asks_what_the_shared_case_says(case: dict[str, Any]) -> None:
    plan = msgspec.convert(case["plan"], list[RouteStep])
    assert visible_codes(plan, _answers(case)) == case["visible"]


def test_the_cases_cover_every_edge_and_every_instrument() -> None:
    names = " | ".join(case["name"] for case in CASES)
    for instrument in ("patient_adult", "patient_youth", "relative", "staff"):
        for setting in ("general_adult", "child_adolescent", "forensic"):
            assert f"{instrument} {setting}" in names
    for edge in ("any_of", "none_of", "multiple choice", "missing code", "chain", "several conditions", "swapped"):
        assert edge in names
    assert any(step["swapped"] for case in CASES for step in case["plan"])
    # Every case is one the rule could get wrong: some hide, some show.
    assert any(len(case["visible"]) < len(case["plan"]) for case in CASES)


def test_the_committed_cases_are_what_the_instruments_and_the_rule_give_now() -> None:
    assert CASES_FILE.read_text(encoding="utf-8") == render(), (
        "tests/vectors/routing_cases.json is stale: run `.venv/bin/python -m tests.vectors.make_routing_cases`,"
        " check the diff and commit it"
    )
