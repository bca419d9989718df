"""The smallest difference a cell's design can detect, and the smallest provable tie."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestPower

from analysis.precision import cell_precision, detectable_difference, site_design_effect


def _wide(rng: np.random.Generator, n: int, means: dict[str, float], noise: float = 12.0) -> pd.DataFrame:
    person = rng.normal(0, 10, n)
    return pd.DataFrame({m: mu + person + rng.normal(0, noise, n) for m, mu in means.items()}, index=[f"r{i}" for i in range(n)])


def test_without_sites_it_is_the_paired_t_power_at_the_bonferroni_level() -> None:
    rng = np.random.default_rng(1)
    wide = _wide(rng, 120, {"a": 30, "b": 40, "c": 50, "d": 60})
    out = cell_precision(wide, None, min_n=5, power=0.8, alpha=0.05)
    assert out.pairs == 6 and out.alpha_family == pytest.approx(0.05 / 6) and out.sites == 0
    for row in out.by_pair:
        effect = TTestPower().solve_power(nobs=row.n, alpha=0.05 / 6, power=0.8)
        assert row.df == row.n - 1 and row.design_effect == 1.0
        assert row.detectable_difference == pytest.approx(effect * row.sd_diff, rel=1e-4)
    mdds = sorted(r.detectable_difference for r in out.by_pair)
    assert out.detectable_difference == pytest.approx(np.median(mdds)) and out.detectable_difference_max == mdds[-1]
    assert cell_precision(wide, None, 5, 0.8, 0.05, alpha_family=0.01).alpha_family == 0.01


def test_the_stated_difference_is_detected_with_the_stated_power() -> None:
    rng = np.random.default_rng(2)
    n, sd, alpha = 40, 15.0, 0.005
    mdd = detectable_difference(sd, n, n - 1, alpha, 0.8)
    d = rng.normal(mdd, sd, (4000, n))
    p = stats.ttest_1samp(d, 0.0, axis=1).pvalue
    assert abs(np.mean(p < alpha) - 0.8) < 0.025


def test_a_true_tie_is_shown_within_the_provable_margin_with_the_stated_power() -> None:
    rng = np.random.default_rng(3)
    wide = _wide(rng, 80, {"a": 50, "b": 50})
    row = cell_precision(wide, None, 5, 0.8, 0.05, alpha_family=0.05).by_pair[0]
    margin, n, sd = row.provable_margin, row.n, row.sd_diff
    assert margin is not None and sd is not None
    d = rng.normal(0.0, sd, (4000, n))
    half = stats.t.ppf(0.95, n - 1) * d.std(axis=1, ddof=1) / np.sqrt(n)
    shown = np.abs(d.mean(axis=1)) + half < margin
    assert abs(np.mean(shown) - 0.8) < 0.03


def test_site_by_measure_effects_widen_the_detectable_difference() -> None:
    rng = np.random.default_rng(4)
    n, g = 240, 12
    sites = np.array([f"s{k % g:02d}" for k in range(n)])
    codes = np.arange(n) % g
    wide = _wide(rng, n, {"a": 40, "b": 45})
    plain = cell_precision(wide, sites, 5, 0.8, 0.05).by_pair[0]
    # A site effect shared by all measures cancels in the paired difference ...
    shifted = wide.add(rng.normal(0, 8, g)[codes], axis=0)
    assert cell_precision(shifted, sites, 5, 0.8, 0.05).by_pair[0].design_effect == pytest.approx(plain.design_effect)
    # ... a site x measure effect does not.
    clustered = wide.copy()
    clustered["b"] += rng.normal(0, 8, g)[codes]
    row = cell_precision(clustered, sites, 5, 0.8, 0.05).by_pair[0]
    assert row.design_effect > 2 and row.df == g - 1
    assert row.detectable_difference is not None and plain.detectable_difference is not None
    assert row.detectable_difference > 1.5 * plain.detectable_difference
    assert site_design_effect(np.zeros(10), None) == 1.0
    # Below the planned number of sites the primary intervals are
    # respondent-level, and so is the stated precision.
    few = cell_precision(clustered, sites, 5, 0.8, 0.05, min_sites=20).by_pair[0]
    assert (few.design_effect, few.df) == (1.0, n - 1)


def test_small_pairs_are_outside_the_family_and_bad_input_is_named() -> None:
    wide = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "b": [2.0, 2.0, 5.0, 4.0, 7.0, 6.0], "c": [1.0, 2.0] + [np.nan] * 4})
    out = cell_precision(wide, None, min_n=5, power=0.8, alpha=0.05)
    assert out.pairs == 1
    small = [r for r in out.by_pair if "c" in (r.measure_a, r.measure_b)]
    assert all(r.detectable_difference is None for r in small)
    with pytest.raises(ValueError, match="power"):
        cell_precision(wide, None, 5, 1.2, 0.05)
    with pytest.raises(ValueError, match="sites"):
        cell_precision(wide, np.array(["s1"]), 5, 0.8, 0.05)
