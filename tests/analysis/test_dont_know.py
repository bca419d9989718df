"""Informative "don't know": the share flag and the tipping-point analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dont_know import dont_know_shares, shifted, tipping_points, withheld_mask, without_fragile
from analysis.pairwise import respondent_matrix
from analysis.simulate import Simulation, simulate_answers
from analysis.verdict_rule import pairwise_rule
from tests.analysis.conftest import make_rows

RULE = pairwise_rule(0.05, 5)


def _cell(sim: Simulation) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = simulate_answers(sim)
    ratings = df[(df["kind"] == "rating") & (df["group"] == "patient")]
    return ratings, respondent_matrix(ratings)


def test_shares_count_dont_know_rows_only_and_flag_above_the_threshold() -> None:
    rows = [{"respondent": f"r{i}", "measure": "a", "value": 50.0} for i in range(8)]
    rows += [{"respondent": "r8", "measure": "a", "missing": "dont_know"}, {"respondent": "r9", "measure": "a", "missing": "prefer_not_to_answer"}]
    rows += [{"respondent": f"r{i}", "measure": "b", "value": 40.0} for i in range(10)]
    ratings = make_rows(rows)
    wide = respondent_matrix(ratings)
    shares = {s.measure: s for s in dont_know_shares(ratings, wide, 0.05)}
    assert (shares["a"].rows, shares["a"].dont_know, shares["a"].share) == (10, 1, 0.1)
    assert shares["a"].flagged and not shares["b"].flagged
    assert not {s.measure: s for s in dont_know_shares(ratings, wide, 0.15)}["a"].flagged


def test_informative_dont_know_flags_the_measure_and_shows_who_withheld() -> None:
    base = {"respondents_per_group": 150, "groups": ("patient",), "pairs_per_respondent": 0, "allowed_items": False}
    ratings, wide = _cell(Simulation(**base, informative_dont_know={"seclusion": 0.4}, seed=21))
    shares = {s.measure: s for s in dont_know_shares(ratings, wide, 0.15)}
    assert shares["seclusion"].flagged
    assert [m for m, s in shares.items() if s.flagged] == ["seclusion"]
    # Those who said "don't know" rate the other measures clearly higher than
    # those who answered: a sign the answers are not missing at random.
    assert shares["seclusion"].other_ratings_gap is not None and shares["seclusion"].other_ratings_gap > 3
    ratings_mar, wide_mar = _cell(Simulation(**base, dont_know_rate=0.3, seed=21))
    mar = {s.measure: s for s in dont_know_shares(ratings_mar, wide_mar, 0.15)}["seclusion"]
    assert mar.flagged and abs(mar.other_ratings_gap or 0.0) < 3


def test_withheld_mask_marks_refusals_not_measures_never_asked() -> None:
    rows = [
        {"respondent": "r1", "measure": "a", "value": 10.0},
        {"respondent": "r1", "measure": "b", "missing": "dont_know"},
        {"respondent": "r2", "measure": "a", "missing": "prefer_not_to_answer"},
        {"respondent": "r2", "measure": "b", "value": 30.0},
        {"respondent": "r3", "measure": "a", "value": 20.0},
    ]
    ratings = make_rows(rows)
    wide = respondent_matrix(ratings).reindex(columns=["a", "b"])
    mask = withheld_mask(ratings, wide)
    assert mask.to_dict() == {"a": {"r1": False, "r2": True, "r3": False}, "b": {"r1": True, "r2": False, "r3": False}}


def _threshold_rule(threshold: float):
    # "less" while mean(b) - mean(a) exceeds the threshold: its tipping point
    # can be worked out by hand.
    def rule(wide: pd.DataFrame, sites: np.ndarray | None, margin: float) -> dict[tuple[str, str], str]:
        gap = wide["b"].mean() - wide["a"].mean()
        v = "less" if gap > threshold else "undetermined"
        return {("a", "b"): v, ("b", "a"): {"less": "more"}.get(v, v)}

    return rule


def test_a_claim_that_tips_at_delta_four_is_fragile_and_becomes_undetermined() -> None:
    # a: 10 answers of 40 and 10 "don't know"; b: 20 answers of 55. If a's
    # withheld answers lay at 40 + delta, a's mean over all 20 would be
    # 40 + delta / 2, so the gap 15 - delta / 2 stays above 13 only while
    # delta < 4.
    wide = pd.DataFrame({"a": [40.0] * 10 + [np.nan] * 10, "b": [55.0] * 20}, index=[f"r{i:02d}" for i in range(20)])
    withheld = wide.isna()
    rule = _threshold_rule(13.0)
    primary = rule(wide, None, 5.0)
    assert primary[("a", "b")] == "less"
    [point] = tipping_points(rule, wide, None, withheld, 5.0, primary, plausible_delta=10.0)
    assert (point.delta, point.shifted, point.signed_delta, point.flipped_to) == (4.0, "a", 4.0, "undetermined")
    assert point.fragile
    assert without_fragile(primary, [point]) == {("a", "b"): "undetermined", ("b", "a"): "undetermined"}
    [robust] = tipping_points(rule, wide, None, withheld, 5.0, primary, plausible_delta=3.0)
    assert robust.delta == 4.0 and not robust.fragile
    assert without_fragile(primary, [robust]) == primary


def test_no_claim_no_search_and_no_withheld_answers_no_tipping_point() -> None:
    wide = pd.DataFrame({"a": [40.0] * 20, "b": [55.0] * 20})
    rule = _threshold_rule(13.0)
    [point] = tipping_points(rule, wide, None, wide.isna(), 5.0, rule(wide, None, 5.0), plausible_delta=10.0)
    assert point.delta is None and not point.fragile
    wide.iloc[:5, 0] = np.nan
    [point] = tipping_points(rule, wide, None, wide.isna(), 5.0, {("a", "b"): "undetermined"}, plausible_delta=10.0)
    assert point.verdict == "undetermined" and point.delta is None


def test_the_tipping_point_is_where_the_real_rule_first_changes_its_verdict() -> None:
    rng = np.random.default_rng(5)
    n = 60
    person = rng.normal(0, 10, n)
    wide = pd.DataFrame({m: mu + person + rng.normal(0, 8, n) for m, mu in {"a": 50, "b": 57, "c": 75}.items()}, index=[f"r{i:02d}" for i in range(n)])
    withheld = pd.DataFrame(rng.random(wide.shape) < 0.2, index=wide.index, columns=wide.columns)
    wide = wide.mask(withheld)
    primary = RULE(wide, None, 5.0)
    points = {(p.measure_a, p.measure_b): p for p in tipping_points(RULE, wide, None, withheld, 5.0, primary, plausible_delta=10.0)}
    near = points[("a", "b")]
    assert primary[("a", "b")] == "less" and near.delta is not None and near.delta <= 20

    def verdict(m: str, signed: float, pair: tuple[str, str]) -> str:
        return RULE(shifted(wide, withheld, m, signed), None, 5.0)[pair]

    assert near.shifted is not None and near.signed_delta is not None
    assert verdict(near.shifted, near.signed_delta, ("a", "b")) == near.flipped_to != "less"
    # Everywhere closer to zero, in both directions and for both measures,
    # the verdict is still the primary one.
    for m in ("a", "b"):
        for k in range(-int(near.delta) + 1, int(near.delta)):
            assert verdict(m, float(k), ("a", "b")) == "less", (m, k)
    far = points[("a", "c")]
    assert far.delta is None and all(verdict(m, d, ("a", "c")) == "less" for m in ("a", "c") for d in (-50.0, 50.0))


def test_bad_grid_and_mismatched_mask_are_refused() -> None:
    wide = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    rule = _threshold_rule(0.0)
    with pytest.raises(ValueError, match="step"):
        tipping_points(rule, wide, None, wide.isna(), 5.0, {}, 10.0, step=0)
    with pytest.raises(ValueError, match="withheld"):
        tipping_points(rule, wide, None, wide[["a"]].isna(), 5.0, {}, 10.0)
    with pytest.raises(ValueError, match="threshold"):
        dont_know_shares(make_rows([{"respondent": "r1", "measure": "a", "value": 1.0}]), wide, 1.5)


def test_tipping_points_do_not_depend_on_codes_or_the_direction_of_the_scale() -> None:
    rng = np.random.default_rng(6)
    n = 60
    person = rng.normal(0, 10, n)
    wide = pd.DataFrame({m: mu + person + rng.normal(0, 8, n) for m, mu in {"a": 50, "b": 56, "c": 62}.items()}, index=[f"r{i:02d}" for i in range(n)])
    withheld = pd.DataFrame(rng.random(wide.shape) < 0.2, index=wide.index, columns=wide.columns)
    wide = wide.mask(withheld)

    def deltas(w: pd.DataFrame, mask: pd.DataFrame, names: dict[str, str]) -> dict[frozenset[str], float | None]:
        points = tipping_points(RULE, w, None, mask, 5.0, RULE(w, None, 5.0), plausible_delta=10.0)
        back = {v: k for k, v in names.items()}
        return {frozenset((back[p.measure_a], back[p.measure_b])): p.delta for p in points}

    same = {m: m for m in "abc"}
    renamed = {"a": "zz", "b": "yy", "c": "xx"}
    base = deltas(wide, withheld, same)
    assert any(d is not None for d in base.values())
    assert deltas(wide.rename(columns=renamed)[["xx", "yy", "zz"]], withheld.rename(columns=renamed)[["xx", "yy", "zz"]], renamed) == base
    assert deltas(100 - wide, withheld, same) == base


def test_the_shift_moves_the_mean_as_if_the_withheld_answers_lay_delta_away() -> None:
    wide = pd.DataFrame({"a": [40.0, 60.0, np.nan, np.nan], "b": [1.0, 2.0, 3.0, 4.0]})
    withheld = wide.isna()
    moved = shifted(wide, withheld, "a", 10.0)
    # Half withheld at 50 + 10: the mean over all four is 55, the spread unchanged.
    assert moved["a"].mean() == 55.0 and moved["a"].std() == wide["a"].std()
    assert moved["b"].equals(wide["b"]) and shifted(wide, withheld, "a", 0.0)["a"].equals(wide["a"])
    # Withheld answers cannot lie above 100: the shift stops there.
    assert shifted(wide, withheld, "a", 80.0)["a"].mean() == 75.0


@pytest.mark.slow
def test_informative_dont_know_is_flagged_in_every_run_and_random_dont_know_never() -> None:
    runs = 100
    base = {"respondents_per_group": 150, "groups": ("patient",), "pairs_per_respondent": 0, "allowed_items": False, "sites": 12}
    flagged = false_flags = 0
    for seed in range(runs):
        ratings, wide = _cell(Simulation(**base, informative_dont_know={"seclusion": 0.4}, seed=seed))
        flagged += {s.measure: s.flagged for s in dont_know_shares(ratings, wide, 0.15)}["seclusion"]
        ratings, wide = _cell(Simulation(**base, seed=seed))
        false_flags += any(s.flagged for s in dont_know_shares(ratings, wide, 0.15))
    assert flagged == runs and false_flags == 0
