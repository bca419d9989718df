"""Pairwise tests against scipy and statsmodels, and the verdict rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_paired

from analysis.pairwise import holm, pairwise_verdicts, tost_p


def _wide(rng: np.random.Generator, means: dict[str, float], n: int, sd: float = 10.0, person_sd: float = 10.0) -> pd.DataFrame:
    person = rng.normal(0, person_sd, n)
    data = {m: mu + person + rng.normal(0, sd, n) for m, mu in means.items()}
    return pd.DataFrame(data, index=[f"r{i}" for i in range(n)])


def test_difference_and_p_match_scipy_paired_t() -> None:
    rng = np.random.default_rng(1)
    wide = _wide(rng, {"a": 40, "b": 43, "c": 60}, 50)
    wide.iloc[:5, 1] = np.nan  # only common respondents enter a pair
    out = pairwise_verdicts(wide, 5.0, 0.05, 5).set_index(["measure_a", "measure_b"])
    both = wide[["a", "b"]].dropna()
    ref = stats.ttest_rel(both["b"], both["a"])
    row = out.loc[("a", "b")]
    assert row["n"] == 45
    assert np.isclose(row["diff"], (both["b"] - both["a"]).mean())
    assert np.isclose(row["p_diff"], ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert np.allclose((row["ci_low"], row["ci_high"]), (ci.low, ci.high))


def test_tost_matches_statsmodels() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(50, 10, 80), rng.normal(51, 10, 80)
    d = y - x
    p = tost_p(d.mean(), d.std(ddof=1) / np.sqrt(d.size), d.size - 1, 5.0)
    ref = ttost_paired(y, x, -5.0, 5.0)[0]
    assert np.isclose(p, ref)


def test_holm_matches_statsmodels() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.001, np.nan])
    ours = holm(p)
    ref = multipletests(p[:-1], method="holm")[1]
    assert np.allclose(ours[:-1], ref) and np.isnan(ours[-1])


def test_verdicts() -> None:
    rng = np.random.default_rng(3)
    wide = _wide(rng, {"low": 20, "tie": 20.5, "high": 60, "near": 70, "close": 62.5}, 400, sd=5)
    wide["sparse"] = np.nan
    wide.iloc[:3, wide.columns.get_loc("sparse")] = [1.0, 2.0, 3.0]
    out = pairwise_verdicts(wide, 5.0, 0.05, 5).set_index(["measure_a", "measure_b"])["verdict"]
    # diff = b - a; "less" means a is less intrusive than b.
    assert out[("low", "tie")] == "equivalent"
    assert out[("high", "low")] == "more"
    assert out[("high", "near")] == "less"
    # A significant difference smaller than the margin is declared equivalent.
    assert out[("close", "high")] == "equivalent"
    assert out[("low", "sparse")] == "undetermined"  # 3 common respondents < min_cell


def test_noise_with_few_respondents_is_undetermined() -> None:
    rng = np.random.default_rng(4)
    wide = _wide(rng, {"a": 50, "b": 50}, 8, sd=20)
    out = pairwise_verdicts(wide, 5.0, 0.05, 5)
    assert out["verdict"].iloc[0] == "undetermined"
