"""A respondent's own order of the measures, from their own answers (pure functions over
the real patient questionnaires' items)."""

import pytest

from server.tablet.preference_order import break_tie, personal_order
from surveys.loader import load_instruments
from surveys.model import Item, Option

INSTRUMENTS = load_instruments()


def _items(code: str = "patient_adult", setting: str = "general_adult") -> list[Item]:
    """Every rating, every pair and the ranking task of a questionnaire (as if all were asked)."""
    return [item for item in INSTRUMENTS[code].items_for(setting) if item.kind in ("rating", "paired", "ranking")]


def _ratings(**values: int | str) -> dict[str, tuple[object, str | None]]:
    """Rating answers by measure; a string is a missing code."""
    return {f"rating.{m}": (None, v) if isinstance(v, str) else (v, None) for m, v in values.items()}


def _pair(a: str, b: str, chosen: str, items: list[Item]) -> dict[str, tuple[object, str | None]]:
    code = next(i.code for i in items if i.type == "paired" and {i.measure, i.measure_b} == {a, b})
    return {code: (chosen, None)}


@pytest.mark.parametrize("code,setting", [("patient_adult", "general_adult"), ("patient_youth", "child_adolescent")])
def test_ratings_order_the_measures_and_equal_ratings_share_a_rung(code: str, setting: str) -> None:
    items = _items(code, setting)
    answers = _ratings(belt_long=95, personal_observation=5, area_restriction=40, time_out=40, holding_short=60)
    order = personal_order(items, answers)
    assert order.rungs == [["personal_observation"], ["area_restriction", "time_out"], ["holding_short"], ["belt_long"]]


def test_dont_know_prefer_not_and_unanswered_are_listed_apart_in_questionnaire_order() -> None:
    items = _items()
    order = personal_order(items, _ratings(area_restriction=20, time_out="dont_know", holding_short="prefer_not_to_answer"))
    asked = [i.measure for i in items if i.kind == "rating"]
    assert order.rungs == [["area_restriction"]]
    assert order.unrated == [m for m in asked if m != "area_restriction"]
    assert order.unrated[:2] == ["personal_observation", "time_out"]


def test_a_measure_not_asked_is_not_on_the_card() -> None:
    # A forensic measure on a general ward, and anything skip logic hid, is not in `asked`.
    items = _items()
    assert "locked_room" not in personal_order(items, {}).unrated
    forensic = personal_order(_items(setting="forensic"), {})
    assert "locked_room" in forensic.unrated


def test_the_ranking_task_breaks_a_tie() -> None:
    items = _items()
    answers = {
        **_ratings(area_restriction=50, holding_short=50, seclusion=50, belt_short=90),
        "ranking.core": (["seclusion", "holding_short", "area_restriction", "acute_sedation", "belt_short"], None),
    }
    assert personal_order(items, answers).rungs == [["seclusion"], ["holding_short"], ["area_restriction"], ["belt_short"]]


def test_a_ranking_never_overrides_different_ratings() -> None:
    items = _items()
    answers = {
        **_ratings(area_restriction=10, belt_short=90),
        "ranking.core": (["belt_short", "holding_short", "area_restriction", "acute_sedation", "seclusion"], None),
    }
    assert personal_order(items, answers).rungs == [["area_restriction"], ["belt_short"]]


def test_a_paired_choice_breaks_a_tie_the_ranking_does_not_cover() -> None:
    items = _items()
    answers = {**_ratings(time_out=30, personal_observation=30), **_pair("time_out", "personal_observation", "time_out", items)}
    assert personal_order(items, answers).rungs == [["time_out"], ["personal_observation"]]


def test_the_ranking_comes_before_a_paired_choice_that_contradicts_it() -> None:
    items = _items()
    answers = {
        **_ratings(area_restriction=50, seclusion=50),
        "ranking.core": (["area_restriction", "holding_short", "acute_sedation", "belt_short", "seclusion"], None),
        **_pair("area_restriction", "seclusion", "seclusion", items),
    }
    assert personal_order(items, answers).rungs == [["area_restriction"], ["seclusion"]]


def test_a_skipped_ranking_or_pair_leaves_the_tie_side_by_side() -> None:
    items = _items()
    answers = {
        **_ratings(area_restriction=50, seclusion=50),
        "ranking.core": (None, "prefer_not_to_answer"),
        **{code: (None, "dont_know") for code in _pair("area_restriction", "seclusion", "seclusion", items)},
    }
    assert personal_order(items, answers).rungs == [["area_restriction", "seclusion"]]


def test_no_order_is_made_up_where_nothing_was_said() -> None:
    # a before b was said; c was never compared: c stays level with a, not squeezed between.
    assert break_tie(["a", "b", "c"], [["a", "b"]], {}) == [["a", "c"], ["b"]]
    # A contradiction (a<b, b<c, c<a) leaves all three level.
    cycle = {frozenset("ab"): "a", frozenset("bc"): "b", frozenset("ac"): "c"}
    assert break_tie(["a", "b", "c"], [], cycle) == [["a", "b", "c"]]
    # A full order comes out as it was given.
    assert break_tie(["c", "a", "b"], [["a", "b", "c"]], {}) == [["a"], ["b"], ["c"]]


def test_a_likert_rating_is_placed_by_its_options_position() -> None:
    # No questionnaire has a reversed rating scale today (every rating's low anchor is
    # "not intrusive"); a likert rating orders by the position of the chosen option.
    options = [Option(code=c, label={}) for c in ("none", "some", "much")]
    likert = [Item(code=f"r.{m}", type="likert", kind="rating", prompt={}, measure=m, options=options) for m in ("a", "b", "c")]
    order = personal_order(likert, {"r.a": ("much", None), "r.b": ("none", None), "r.c": ("some", None)})
    assert order.rungs == [["b"], ["c"], ["a"]]
