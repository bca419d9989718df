"""The bound rule: shares at 0 and 100, and no false ties at the ceiling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.bounds import REASON, bound_shares, check_bounds
from analysis.verdict_rule import pairwise_rule

RULE = pairwise_rule(0.05, 5)


def _pair(rng: np.random.Generator, mu_a: float, mu_b: float, n: int) -> pd.DataFrame:
    # A respondent intercept plus noise, rounded and clipped as a slider gives them.
    person = rng.normal(0, 10, n)
    a = np.clip(np.round(mu_a + person + rng.normal(0, 12, n)), 0, 100)
    b = np.clip(np.round(mu_b + person + rng.normal(0, 12, n)), 0, 100)
    return pd.DataFrame({"a": a, "b": b}, index=[f"r{i}" for i in range(n)])


def test_shares_at_each_bound_and_the_flag() -> None:
    wide = pd.DataFrame({"x": [0, 0, 50, 100, np.nan], "y": [100, 100, 100, 99, 20], "z": [np.nan] * 5})
    shares = {s.measure: s for s in bound_shares(wide, 0.5)}
    assert (shares["x"].n, shares["x"].share_floor, shares["x"].share_ceiling) == (4, 0.5, 0.25)
    assert shares["x"].compressed  # half at the floor
    assert (shares["y"].share_floor, shares["y"].share_ceiling, shares["y"].compressed) == (0.0, 0.6, True)
    assert shares["z"].n == 0 and shares["z"].share_ceiling is None and not shares["z"].compressed
    assert shares["x"].uncensored == pytest.approx(0.25)


def test_a_tie_piled_up_at_the_ceiling_is_refused_and_the_same_tie_mid_scale_is_kept() -> None:
    rng = np.random.default_rng(4)
    top = _pair(rng, 97.5, 102.5, 400)  # a true 5-point gap, about half the ratings at 100
    assert RULE(top, None, 5.0)[("a", "b")] == "equivalent"  # the plain test is fooled
    checked = check_bounds(RULE, top, None, 5.0, bound_shares(top, 0.2), refuse_share=0.5)
    assert checked.verdicts[("a", "b")] == checked.verdicts[("b", "a")] == "undetermined"
    assert [(r.measure_a, r.measure_b, r.reason) for r in checked.refused] == [("a", "b", REASON)]
    middle = _pair(rng, 50, 50.5, 400)
    kept = check_bounds(RULE, middle, None, 5.0, bound_shares(middle, 0.2), refuse_share=0.5)
    assert kept.verdicts[("a", "b")] == "equivalent" and kept.refused == []


def test_moderate_compression_reruns_the_rule_at_the_attenuated_margin() -> None:
    wide = pd.DataFrame({"a": [100.0] * 3 + [60.0] * 7, "b": [100.0] * 3 + [62.0] * 7, "c": [30.0] * 10})
    asked: list[float] = []

    def rule(w: pd.DataFrame, sites: np.ndarray | None, margin: float) -> dict[tuple[str, str], str]:
        # Equivalent when the mean gap is below the margin, so the margin used decides.
        asked.append(margin)
        out = {}
        for x in w.columns:
            for y in w.columns:
                gap = abs(w[y].mean() - w[x].mean())
                out[(x, y)] = "equivalent" if gap < margin else ("less" if w[y].mean() > w[x].mean() else "more")
        return out

    shares = bound_shares(wide, 0.2)
    # 30% at 100: the observed gap of 1.4 is checked against 5 * 0.7 = 3.5 (kept) ...
    kept = check_bounds(rule, wide, None, 5.0, shares, refuse_share=0.5)
    assert kept.verdicts[("a", "b")] == "equivalent"
    assert asked == [5.0, pytest.approx(3.5)]
    # ... and against 1.5 * 0.7 = 1.05 at a margin of 1.5 (refused).
    refused = check_bounds(rule, wide, None, 1.5, shares, refuse_share=0.5)
    assert refused.verdicts[("a", "b")] == "undetermined"
    assert refused.refused[0].attenuated_margin == pytest.approx(1.05)
    # Differences are never touched by the bound rule.
    assert refused.verdicts[("a", "c")] == "more"


def test_bad_thresholds_are_refused_by_name() -> None:
    wide = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="flag_share"):
        bound_shares(wide, 0.0)
    with pytest.raises(ValueError, match="refuse_share"):
        check_bounds(RULE, wide, None, 5.0, bound_shares(wide, 0.2), refuse_share=1.5)


def _false_tie_rates(runs: int, n: int, mu_a: float, mu_b: float, refuse_share: float, seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    raw = bounded = 0
    for _ in range(runs):
        wide = _pair(rng, mu_a, mu_b, n)
        verdicts = RULE(wide, None, 5.0)
        checked = check_bounds(RULE, wide, None, 5.0, bound_shares(wide, 0.2), refuse_share, verdicts=verdicts)
        raw += verdicts[("a", "b")] == "equivalent"
        bounded += checked.verdicts[("a", "b")] == "equivalent"
    return raw, bounded


@pytest.mark.parametrize("refuse_share", [0.5, 1.0], ids=["planned", "attenuation-only"])
def test_a_true_five_point_gap_under_half_ceiling_is_rarely_called_equivalent(refuse_share: float) -> None:
    runs = 200
    raw, bounded = _false_tie_rates(runs, 150, 97.5, 102.5, refuse_share, seed=7)
    assert raw / runs > 0.5  # the scenario fools the plain equivalence test
    # At most alpha, allowing for simulation error: above the 99.9% binomial
    # quantile at alpha = 0.05 would be a real excess.
    assert bounded <= stats.binom.ppf(0.999, runs, 0.05)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "mu_a", "mu_b"),
    [(150, 97.5, 102.5), (600, 97.5, 102.5), (150, 90.0, 95.0), (600, 90.0, 95.0), (150, 95.0, 105.0), (600, 2.5, -2.5)],
)
def test_false_ties_at_the_bounds_stay_below_alpha(n: int, mu_a: float, mu_b: float) -> None:
    runs = 1000
    _, bounded = _false_tie_rates(runs, n, mu_a, mu_b, 1.0, seed=n)
    assert bounded / runs <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)


@pytest.mark.slow
def test_a_true_tie_at_the_ceiling_is_still_found_at_large_n() -> None:
    rng = np.random.default_rng(8)
    found = 0
    for _ in range(200):
        wide = _pair(rng, 85, 85, 600)
        found += check_bounds(RULE, wide, None, 5.0, bound_shares(wide, 0.2), 0.5).verdicts[("a", "b")] == "equivalent"
    assert found / 200 > 0.9
