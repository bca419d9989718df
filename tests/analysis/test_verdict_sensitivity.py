"""The cell's sensitivities together: which claims survive, and why the others do not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.bounds import REASON as COMPRESSED
from analysis.dont_know import REASON as FRAGILE
from analysis.pairwise import respondent_matrix
from analysis.settings import GradationSettings
from analysis.verdict_rule import pairwise_rule
from analysis.verdict_sensitivity import SensitivityPlan, cell_sensitivity, plan_from_settings
from tests.analysis.conftest import make_rows


def _ratings(values: dict[str, np.ndarray], dont_know: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for m, x in values.items():
        for i, v in enumerate(x):
            withheld = m in dont_know and dont_know[m][i]
            rows.append({"respondent": f"r{i:03d}", "site": f"s{i % 3}", "measure": m, "value": np.nan if withheld else float(v), "missing": "dont_know" if withheld else None})
    return make_rows(rows)


def test_a_ceiling_tie_is_refused_before_tiering_and_the_rest_is_reported() -> None:
    rng = np.random.default_rng(9)
    n = 300
    person = rng.normal(0, 10, n)

    def rate(mu: float) -> np.ndarray:
        return np.clip(np.round(mu + person + rng.normal(0, 12, n)), 0, 100)

    values = {"low": rate(30), "mid": rate(50), "top_a": rate(97.5), "top_b": rate(102.5), "hidden": rate(70)}
    # "hidden": those who would rate it highest say "don't know".
    ratings = _ratings(values, {"hidden": values["hidden"] > np.quantile(values["hidden"], 0.6)})
    wide = respondent_matrix(ratings)
    rule = pairwise_rule(0.05, 5)
    primary = rule(wide, None, 5.0)
    assert primary[("top_a", "top_b")] == "equivalent"
    out = cell_sensitivity(rule, wide, None, ratings, SensitivityPlan(), primary=primary)
    check = next(c for c in out.checks if (c.measure_a, c.measure_b) == ("top_a", "top_b"))
    assert (check.rule_verdict, check.verdict, check.reason) == ("equivalent", "undetermined", COMPRESSED)
    # The lookup the tier rule reads carries the refusal in both directions.
    assert out.verdicts()[("top_a", "top_b")] == out.verdicts()[("top_b", "top_a")] == "undetermined"
    assert out.verdicts()[("low", "top_a")] == primary[("low", "top_a")] == "less"
    assert {s.measure for s in out.bounds if s.compressed} == {"top_a", "top_b"}
    assert [d.measure for d in out.dont_know if d.flagged] == ["hidden"]
    assert out.margin_table.margins == [3.0, 5.0, 8.0, 10.0] and len(out.margin_table.pairs) == 10
    assert out.precision.pairs == 10 and out.precision.detectable_difference is not None
    assert out.tipping_points is not None and len(out.tipping_points) == 10
    # Claims kept are exactly the rule's claims minus the refused ones.
    for c in out.checks:
        assert c.verdict == (c.rule_verdict if c.reason is None else "undetermined")


def test_a_claim_that_tips_within_the_plausible_delta_is_reported_undetermined() -> None:
    n = 20
    values = {"a": np.array([40.0] * n), "b": np.array([55.0] * n)}
    ratings = _ratings(values, {"a": np.arange(n) >= 10})
    wide = respondent_matrix(ratings)

    def rule(w: pd.DataFrame, sites: np.ndarray | None, margin: float) -> dict[tuple[str, str], str]:
        v = "less" if w["b"].mean() - w["a"].mean() > 13 else "undetermined"
        return {("a", "b"): v, ("b", "a"): {"less": "more"}.get(v, v)}

    out = cell_sensitivity(rule, wide, None, ratings, SensitivityPlan())
    assert [(c.rule_verdict, c.verdict, c.reason) for c in out.checks] == [("less", "undetermined", FRAGILE)]
    assert out.verdicts() == {("a", "b"): "undetermined", ("b", "a"): "undetermined"}
    kept = cell_sensitivity(rule, wide, None, ratings, SensitivityPlan(plausible_delta=3.0))
    assert [(c.verdict, c.reason) for c in kept.checks] == [("less", None)]
    off = cell_sensitivity(rule, wide, None, ratings, SensitivityPlan(tipping_point=False))
    assert off.tipping_points is None and off.checks[0].verdict == "less"


def test_the_report_lines_name_what_was_withdrawn_and_why() -> None:
    n = 20
    values = {"a": np.array([40.0] * n), "b": np.array([55.0] * n)}
    ratings = _ratings(values, {"a": np.arange(n) >= 10})
    wide = respondent_matrix(ratings)

    def rule(w: pd.DataFrame, sites: np.ndarray | None, margin: float) -> dict[tuple[str, str], str]:
        v = "less" if w["b"].mean() - w["a"].mean() > 13 else "undetermined"
        return {("a", "b"): v, ("b", "a"): {"less": "more"}.get(v, v)}

    text = "\n".join(cell_sensitivity(rule, wide, None, ratings, SensitivityPlan(dont_know_flag=0.3)).summary_lines())
    assert f"a vs b: less -> undetermined ({FRAGILE})" in text
    assert "don't know: a 50% of answers" in text
    assert "1 of 1 claims change within shifts of 50 points, 1 fragile; smallest: a vs b at 4" in text


def test_the_plan_comes_from_the_settings_and_bad_thresholds_are_refused_by_name() -> None:
    plan = plan_from_settings(GradationSettings(margin=6.0, plausible_delta=8.0, min_measure_n=12))
    assert plan.margins == (3.0, 5.0, 6.0, 8.0, 10.0) and plan.margin == 6.0
    assert (plan.plausible_delta, plan.min_n) == (8.0, 12)
    for field, value in [("bound_share_refuse", 0.0), ("dont_know_flag", 1.0), ("power", 1.0), ("sensitivity_margins", (5.0, -1.0))]:
        with pytest.raises(ValueError, match=field):
            GradationSettings(**{field: value})
    with pytest.raises(ValueError, match="tipping_max_delta"):
        GradationSettings(plausible_delta=20.0, tipping_max_delta=10.0)


def test_the_gradation_reports_the_sensitivities_and_tiers_on_the_surviving_verdicts() -> None:
    from analysis.gradation import analyse

    rng = np.random.default_rng(9)
    n = 300
    person = rng.normal(0, 10, n)

    def rate(mu: float) -> np.ndarray:
        return np.clip(np.round(mu + person + rng.normal(0, 12, n)), 0, 100)

    values = {"low": rate(30), "mid": rate(50), "top_a": rate(97.5), "top_b": rate(102.5), "hidden": rate(70)}
    ratings = _ratings(values, {"hidden": values["hidden"] > np.quantile(values["hidden"], 0.6)})
    fast = GradationSettings(bootstrap=False, mixed_model=False, ordinal_model=False, bradley_terry=False)
    result = analyse(ratings, fast)
    cell = result.groups[0]
    assert cell.sensitivity is not None
    pair = next(p for p in cell.pairwise if (p.measure_a, p.measure_b) == ("top_a", "top_b"))
    assert (pair.rule_verdict, pair.verdict, pair.reason) == ("equivalent", "undetermined", COMPRESSED)
    assert not any(t.status == "tie" and {"top_a", "top_b"} <= set(t.measures) for t in cell.tiers)
    by_measure = {m.measure: m for m in cell.measures}
    assert by_measure["top_b"].share_ceiling is not None and by_measure["top_b"].share_ceiling > 0.5
    assert by_measure["hidden"].dont_know_flagged and not by_measure["mid"].dont_know_flagged
    text = result.summary()
    assert "precision: detects a difference of" in text and f"top_a vs top_b: equivalent -> undetermined ({COMPRESSED})" in text
    assert b'"sensitivity"' in result.to_json()


def test_counts_of_measures_and_pairs_below_the_shown_minimum_are_left_out() -> None:
    rng = np.random.default_rng(3)
    n = 40
    values = {"a": rng.normal(40, 10, n).round(), "b": rng.normal(60, 10, n).round(), "rare": rng.normal(50, 10, n).round()}
    ratings = _ratings(values, {"rare": np.arange(n) >= 3})  # only 3 rated it
    wide = respondent_matrix(ratings)
    out = cell_sensitivity(pairwise_rule(0.05, 5), wide, None, ratings, SensitivityPlan(min_shown=5))
    assert {s.measure for s in out.bounds} == {d.measure for d in out.dont_know} == {"a", "b"}
    assert [(r.measure_a, r.measure_b) for r in out.precision.by_pair] == [("a", "b")]
    # Verdict lists carry no counts and keep every pair.
    assert len(out.checks) == len(out.margin_table.pairs) == 3
