"""The diff of two gradation documents (server.publication.diff), on real analyses and on
small hand-made ladders."""

import copy
from typing import Any

import msgspec
import pandas as pd
import pytest

from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import STRING_COLUMNS
from server.gradation.runner import reference_tiers
from server.publication.diff import PublicationDiff, diff_documents
from server.publication.store import PreparedPublication, prepare_publication

QUICK = GradationSettings(bootstrap_resamples=40, mixed_model=False, ordinal_model=False, bradley_terry=False, tier_stability_resamples=0)
#: Tiers 20 points apart, so a measure shifted by +20 lands in the next tier up.
TIERS = (("area_restriction",), ("holding_short", "acute_sedation"), ("belt_short", "holding_long"), ("sedation_danger", "belt_long"))
SHIFTED = "holding_short"


def base_answers(seed: int = 1) -> pd.DataFrame:
    """Patients and staff in general adult psychiatry, four true tiers 20 points apart."""
    frame = simulate_answers(
        Simulation(respondents_per_group=150, groups=("patient", "staff"), tiers=TIERS, base=15.0, tier_gap=20.0, pairs_per_respondent=0, group_measure_shift={}, seed=seed)
    )
    for column in STRING_COLUMNS:
        frame[column] = frame[column].astype("string")
    return frame


def shifted(frame: pd.DataFrame, measure: str = SHIFTED, by: float = 20.0) -> pd.DataFrame:
    """The same answers with every rating of `measure` raised by `by` points (at most 100)."""
    frame = frame.copy()
    rows = (frame["kind"] == "rating") & (frame["measure"] == measure) & frame["value"].notna()
    frame.loc[rows, "value"] = (frame.loc[rows, "value"] + by).clip(upper=100.0)
    return frame


def prepared_pair() -> tuple[PreparedPublication, PreparedPublication]:
    """Publication content before and after one measure's ratings were shifted by +20."""
    answers = base_answers()
    return prepare_publication(answers, QUICK, reference_tiers()), prepare_publication(shifted(answers), QUICK, reference_tiers())


def assert_only_the_shifted_measure(changes: PublicationDiff) -> None:
    """The acceptance rule: in every group, one tier move (the shifted measure, tier 2 -> 3)
    and one mean change (+20) and nothing else; the data hash is the only other change."""
    assert not changes.unchanged
    assert [(g.group, g.setting) for g in changes.groups] == [("patient", "general_adult"), ("staff", "general_adult")]
    for group in changes.groups:
        assert [(m.measure, m.from_tier, m.to_tier, m.kind) for m in group.tier_moves] == [(SHIFTED, 2, 3, "moved")]
        assert [m.measure for m in group.mean_changes] == [SHIFTED]
        change = group.mean_changes[0]
        assert change.difference == pytest.approx(20.0, abs=0.5)
        assert not (change.old_ci_low <= change.new_mean <= change.old_ci_high)
        assert (group.boundary_changes, group.tier_status_changes, group.measures_added, group.measures_removed) == ([], [], [], [])
    assert (changes.groups_added, changes.groups_removed, changes.settings_added, changes.settings_removed) == ([], [], [], [])
    assert (changes.method, changes.libraries) == ([], [])
    assert [c.key for c in changes.provenance] == ["data_sha256"]


@pytest.fixture(scope="module")
def pair() -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = prepared_pair()
    return msgspec.json.decode(before.gradation), msgspec.json.decode(after.gradation)


def test_one_measure_shifted_by_20_points_is_the_only_change(pair) -> None:
    before, after = pair
    changes = diff_documents(before, after, 1, 2)
    assert_only_the_shifted_measure(changes)
    # JSON-able, and the measure is named in it.
    as_json = msgspec.json.decode(msgspec.json.encode(changes))
    assert as_json["groups"][0]["tier_moves"][0]["measure"] == SHIFTED and as_json["unchanged"] is False


def test_a_document_compared_with_itself_is_unchanged(pair) -> None:
    before, _ = pair
    changes = diff_documents(before, copy.deepcopy(before), 3, 3)
    assert changes.unchanged
    assert msgspec.to_builtins(changes) == {
        "old": 3, "new": 3, "unchanged": True, "groups": [], "groups_added": [], "groups_removed": [],
        "settings_added": [], "settings_removed": [], "method": [], "libraries": [], "provenance": [],
    }


def test_going_back_reverses_the_move(pair) -> None:
    before, after = pair
    back = diff_documents(after, before, 2, 1)
    assert {(g.group, tuple((m.measure, m.from_tier, m.to_tier) for m in g.tier_moves)) for g in back.groups} == {
        ("patient", ((SHIFTED, 3, 2),)), ("staff", ((SHIFTED, 3, 2),)),
    }
    assert all(g.mean_changes[0].difference == pytest.approx(-20.0, abs=0.5) for g in back.groups)


def test_a_changed_method_setting_is_a_method_change(pair) -> None:
    before, _ = pair
    other = msgspec.json.decode(prepare_publication(base_answers(), msgspec.structs.replace(QUICK, bootstrap_resamples=60), reference_tiers()).gradation)
    changes = diff_documents(before, other, 1, 2)
    assert [(c.key, c.old, c.new) for c in changes.method] == [("bootstrap_resamples", 40, 60)]
    assert not changes.unchanged
    # Same data, so no data change; the departures from the plan do not change its hash.
    assert "data_sha256" not in {c.key for c in changes.provenance}


def _as_schema_2(document: dict[str, Any]) -> dict[str, Any]:
    """The same content as a stored `leastmeans.gradation/2` document (tiers from 0)."""
    old = copy.deepcopy(document)
    old["schema"] = "leastmeans.gradation/2"
    for group in old["groups"]:
        for tier in group["tiers"]:
            tier["index"] -= 1
        for measure in group["measures"]:
            if measure["tier"] is not None:
                measure["tier"] -= 1
    return old


def test_a_schema_2_document_and_its_schema_3_twin_have_no_tier_moves(pair) -> None:
    before, _ = pair
    assert before["schema"] == "leastmeans.gradation/3"
    changes = diff_documents(_as_schema_2(before), before, 1, 2)
    assert changes.groups == []
    assert [(c.key, c.old, c.new) for c in changes.provenance] == [("schema", "leastmeans.gradation/2", "leastmeans.gradation/3")]
    # Across schemas, a real move is still found, numbered from 1 on both sides.
    _, after = pair
    across = diff_documents(_as_schema_2(before), after, 1, 2)
    assert [(m.measure, m.from_tier, m.to_tier) for m in across.groups[0].tier_moves] == [(SHIFTED, 2, 3)]


# --- small hand-made ladders ----------------------------------------------------------------


def _document(*ladder: str, means: dict[str, float] | None = None, group: str = "patient", setting: str = "general_adult") -> dict[str, Any]:
    """A /3 document with one cell whose tiers are given as "a b" strings, lowest first
    (a tier written "?a b" has an undetermined boundary above it)."""
    tiers, measures = [], []
    for k, text in enumerate(ladder):
        codes = text.lstrip("?").split()
        last = k == len(ladder) - 1
        tiers.append({"index": k + 1, "measures": codes, "boundary_above": None if last else ("undetermined" if text.startswith("?") else "separated"), "status": "single" if len(codes) == 1 else "tie"})
        for code in codes:
            mean = (means or {}).get(code, 10.0 * (k + 1))
            measures.append({"measure": code, "mean": mean, "ci_low": mean - 1, "ci_high": mean + 1, "tier": k + 1, "n": 100})
    return {
        "schema": "leastmeans.gradation/3",
        "settings": {"margin": 5.0},
        "snapshot": {"respondents": 100, "answers": 1000, "sha256": "d"},
        "groups": [{"group": group, "setting": setting, "respondents": 100, "tiers": tiers, "measures": measures}],
    }


def _moves(changes: PublicationDiff) -> list[tuple[str, int | None, int | None, str]]:
    return [(m.measure, m.from_tier, m.to_tier, m.kind) for g in changes.groups for m in g.tier_moves]


def test_a_tier_split_below_renumbers_the_tiers_above_with_the_same_neighbours() -> None:
    # Same means: the split is a new boundary, not a move of a or b.
    before = _document("a b", "c", "d e", means={"a": 10, "b": 10.5, "c": 20, "d": 30, "e": 30})
    after = _document("a", "b", "c", "d e", means={"a": 10, "b": 10.5, "c": 20, "d": 30, "e": 30})
    changes = diff_documents(before, after, 1, 2)
    assert _moves(changes) == [("b", 1, 2, "regrouped"), ("c", 2, 3, "renumbered"), ("d", 3, 4, "renumbered"), ("e", 3, 4, "renumbered")]
    [boundary] = changes.groups[0].boundary_changes
    assert (boundary.change, boundary.publication, boundary.tier_below, boundary.below, boundary.tier_above, boundary.above) == ("separated", 2, 1, ["a"], 2, ["b"])
    assert changes.groups[0].tier_moves[1].same_neighbours


def test_two_tiers_merging_is_a_boundary_that_became_undetermined() -> None:
    before = _document("a", "b", "c d", means={"a": 10, "b": 20, "c": 22, "d": 23})
    after = _document("a", "b c d", means={"a": 10, "b": 20, "c": 22, "d": 23})
    changes = diff_documents(before, after, 4, 5)
    [boundary] = changes.groups[0].boundary_changes
    assert (boundary.change, boundary.old_state, boundary.new_state, boundary.publication) == ("undetermined", "separated", "none", 4)
    assert (boundary.tier_below, boundary.below, boundary.tier_above, boundary.above) == (2, ["b"], 3, ["c", "d"])
    assert _moves(changes) == [("c", 3, 2, "regrouped"), ("d", 3, 2, "regrouped")]


def test_a_boundary_no_longer_established_is_undetermined() -> None:
    changes = diff_documents(_document("a", "b"), _document("?a", "b"), 1, 2)
    [boundary] = changes.groups[0].boundary_changes
    assert (boundary.change, boundary.old_state, boundary.new_state) == ("undetermined", "separated", "undetermined")
    assert _moves(changes) == []


def test_a_measure_whose_mean_moved_beyond_its_intervals_moved_rather_than_split_its_tier() -> None:
    before = _document("a b", "c", means={"a": 10, "b": 11, "c": 30})
    after = _document("a", "b", "c", means={"a": 10, "b": 20, "c": 30})
    changes = diff_documents(before, after, 1, 2)
    assert _moves(changes) == [("b", 1, 2, "moved"), ("c", 2, 3, "renumbered")]
    assert changes.groups[0].boundary_changes == []
    assert [(m.measure, m.old_mean, m.new_mean) for m in changes.groups[0].mean_changes] == [("b", 11, 20)]


def test_a_mean_inside_the_other_interval_is_not_a_change_beyond_intervals() -> None:
    before = _document("a", means={"a": 10.0})
    after = _document("a", means={"a": 10.9})  # intervals +-1: new mean inside the old interval
    assert diff_documents(before, after, 1, 2).unchanged


def test_new_and_removed_measures_groups_and_settings() -> None:
    before = _document("a", "b c")
    after = _document("a", "b d")
    after["groups"].append(_document("a", group="staff", setting="forensic")["groups"][0])
    changes = diff_documents(before, after, 1, 2)
    [cell] = changes.groups
    assert (cell.measures_added, cell.measures_removed, cell.tier_moves, cell.boundary_changes) == (["d"], ["c"], [], [])
    assert [(c.group, c.setting) for c in changes.groups_added] == [("staff", "forensic")]
    assert changes.settings_added == ["forensic"] and changes.groups_removed == [] and changes.settings_removed == []


def test_a_lone_measure_joining_the_tier_above_renumbers_the_rest_with_the_same_neighbours() -> None:
    before = _document("a", "b", "c d", "e", means={"a": 10, "b": 20, "c": 30, "d": 31, "e": 40})
    after = _document("a", "b c d", "e", means={"a": 10, "b": 30.5, "c": 30, "d": 31, "e": 40})
    [cell] = diff_documents(before, after, 1, 2).groups
    assert [(m.measure, m.from_tier, m.to_tier, m.kind, m.same_neighbours) for m in cell.tier_moves] == [
        ("b", 2, 2, "moved", False), ("c", 3, 2, "renumbered", True), ("d", 3, 2, "renumbered", True), ("e", 4, 3, "renumbered", True),
    ]
    assert (cell.tier_moves[0].from_mates, cell.tier_moves[0].to_mates) == ([], ["c", "d"])
    assert cell.boundary_changes == []
