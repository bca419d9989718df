"""The cell's sensitivities together: which claims survive, and why the others do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.bounds import REASON as COMPRESSED
from analysis.dont_know import REASON as FRAGILE
from analysis.pairwise import respondent_matrix
from analysis.verdict_rule import pairwise_rule
from analysis.verdict_sensitivity import SensitivityPlan, cell_sensitivity
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
