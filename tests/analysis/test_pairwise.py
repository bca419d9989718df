"""Pairwise tests: against scipy and statsmodels, family-wise control, sites, and the verdict rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired

from analysis.pairwise import pairwise_verdicts, tost_p, verdict_lookup


def _wide(rng: np.random.Generator, means: dict[str, float], n: int, sd: float = 10.0, person_sd: float = 10.0) -> pd.DataFrame:
    person = rng.normal(0, person_sd, n)
    data = {m: mu + person + rng.normal(0, sd, n) for m, mu in means.items()}
    return pd.DataFrame(data, index=[f"r{i}" for i in range(n)])


def test_one_pair_without_sites_is_the_paired_t_test() -> None:
    rng = np.random.default_rng(1)
    wide = _wide(rng, {"a": 40, "b": 43}, 50)
    wide.iloc[:5, 1] = np.nan  # only common respondents enter a pair
    row = pairwise_verdicts(wide, 5.0, 0.05, 5).iloc[0]
    both = wide[["a", "b"]].dropna()
    ref = stats.ttest_rel(both["b"], both["a"])
    assert row["n"] == 45 and row["method"] == "respondent"
    assert np.isclose(row["diff"], (both["b"] - both["a"]).mean())
    assert np.isclose(row["p_diff"], ref.pvalue) and np.isclose(row["p_diff_adj"], ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert np.allclose((row["ci_low"], row["ci_high"]), (ci.low, ci.high))
    ci90 = ref.confidence_interval(0.90)  # the TOST interval of a single pair
    assert np.allclose((row["eq_low"], row["eq_high"]), (ci90.low, ci90.high))


def test_intervals_are_bonferroni_simultaneous_over_the_family() -> None:
    rng = np.random.default_rng(2)
    wide = _wide(rng, {"a": 40, "b": 43, "c": 50, "d": 52}, 60)
    out = pairwise_verdicts(wide, 5.0, 0.05, 5).set_index(["measure_a", "measure_b"])
    d = wide["c"] - wide["a"]
    ref = stats.ttest_1samp(d, 0.0)
    row = out.loc[("a", "c")]
    ci = ref.confidence_interval(1 - 0.05 / 6)
    assert np.allclose((row["ci_low"], row["ci_high"]), (ci.low, ci.high))
    assert np.isclose(row["p_diff_adj"], min(1.0, 6 * ref.pvalue))
    # A measure outside the family makes no claim and does not widen the others.
    fewer = pairwise_verdicts(wide, 5.0, 0.05, 5, family=["a", "b", "c"]).set_index(["measure_a", "measure_b"])
    assert (fewer.loc[[("a", "d"), ("b", "d"), ("c", "d")], "verdict"] == "undetermined").all()
    assert fewer.loc[[("a", "d")], "ci_low"].isna().all()
    ci3 = ref.confidence_interval(1 - 0.05 / 3)
    assert np.allclose(fewer.loc[("a", "c"), ["ci_low", "ci_high"]].to_numpy(dtype=float), (ci3.low, ci3.high))


def test_tost_matches_statsmodels() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(50, 10, 80), rng.normal(51, 10, 80)
    d = y - x
    p = tost_p(d.mean(), d.std(ddof=1) / np.sqrt(d.size), d.size - 1, 5.0)
    ref = ttost_paired(y, x, -5.0, 5.0)[0]
    assert np.isclose(p, ref)


def test_verdicts() -> None:
    rng = np.random.default_rng(3)
    wide = _wide(rng, {"low": 20, "tie": 20.5, "high": 60, "near": 70, "close": 62.5}, 400, sd=5)
    wide["sparse"] = np.nan
    wide.iloc[:3, wide.columns.get_loc("sparse")] = [1.0, 2.0, 3.0]
    out = pairwise_verdicts(wide, 5.0, 0.05, 5).set_index(["measure_a", "measure_b"])
    v = out["verdict"]
    # diff = b - a; "less" means a is less intrusive than b.
    assert v[("low", "tie")] == "equivalent"
    assert v[("high", "low")] == "more"
    assert v[("high", "near")] == "less"
    # A significant difference smaller than the margin is declared equivalent,
    # and the interval the verdict rests on lies inside the margin.
    assert v[("close", "high")] == "equivalent"
    assert -5 < out.loc[("close", "high"), "eq_low"] < out.loc[("close", "high"), "eq_high"] < 5
    assert v[("low", "sparse")] == "undetermined"  # 3 common respondents < min_n


def test_noise_with_few_respondents_is_undetermined() -> None:
    rng = np.random.default_rng(4)
    wide = _wide(rng, {"a": 50, "b": 50}, 8, sd=20)
    out = pairwise_verdicts(wide, 5.0, 0.05, 5)
    assert out["verdict"].iloc[0] == "undetermined"


def _site_data(rng: np.random.Generator, n_sites: int, per_site: int, means: list[float], site_measure_sd: float) -> tuple[pd.DataFrame, np.ndarray]:
    sites = np.repeat(np.arange(n_sites), per_site)
    n = sites.size
    person = rng.normal(0, 10, n) + rng.normal(0, 5, n_sites)[sites]
    cols = {}
    for k, mu in enumerate(means):
        site_measure = rng.normal(0, site_measure_sd, n_sites)[sites]
        cols[f"m{k}"] = mu + person + site_measure + rng.normal(0, 10, n)
    return pd.DataFrame(cols, index=[f"r{i}" for i in range(n)]), np.array([f"s{s:02d}" for s in sites])


def test_site_clustering_widens_the_pair_interval_and_is_named() -> None:
    rng = np.random.default_rng(7)
    wide, sites = _site_data(rng, 12, 15, [50.0, 50.0], site_measure_sd=6.0)
    naive = pairwise_verdicts(wide, 5.0, 0.05, 5).iloc[0]
    robust = pairwise_verdicts(wide, 5.0, 0.05, 5, sites=sites).iloc[0]
    assert robust["method"] == "site_cr2" and robust["sites"] == 12 and naive["method"] == "respondent"
    assert np.isclose(robust["df"], 11)  # equal site sizes: G - 1
    assert robust["ci_high"] - robust["ci_low"] > 1.5 * (naive["ci_high"] - naive["ci_low"])
    few = pairwise_verdicts(wide.iloc[:45], 5.0, 0.05, 5, sites=sites[:45]).iloc[0]
    assert few["method"] == "respondent" and few["sites"] == 3


def test_false_different_claims_are_family_wise_controlled_with_site_by_measure_effects() -> None:
    # Six identical measures, site x measure effects: a naive paired t test
    # makes false "different" claims in most cells; the site-aware family must not.
    rng = np.random.default_rng(11)
    runs = 200
    cells_with_false_claim = 0
    for _ in range(runs):
        wide, sites = _site_data(rng, 12, 10, [50.0] * 6, site_measure_sd=4.0)
        out = pairwise_verdicts(wide, 5.0, 0.05, 5, sites=sites)
        cells_with_false_claim += int(out["verdict"].isin(["less", "more"]).any())
    # alpha = 0.05; 200 runs: the upper 99.9% binomial limit at 0.05 is about 0.11.
    assert cells_with_false_claim / runs <= 0.11


def test_false_equivalent_claims_are_family_wise_controlled_on_the_margin() -> None:
    # Neighbours exactly 5 points apart: every "equivalent" between them is false.
    rng = np.random.default_rng(12)
    runs = 200
    cells_with_false_claim = 0
    for _ in range(runs):
        wide = _wide(rng, {f"m{k}": 30.0 + 5.0 * k for k in range(5)}, 400, sd=4.0)
        out = pairwise_verdicts(wide, 5.0, 0.05, 5)
        cells_with_false_claim += int((out["verdict"] == "equivalent").any())
    assert cells_with_false_claim / runs <= 0.11


def test_reversed_scale_mirrors_every_verdict_and_interval() -> None:
    rng = np.random.default_rng(9)
    wide, sites = _site_data(rng, 12, 12, [30.0, 32.0, 45.0, 46.0, 70.0], site_measure_sd=2.0)
    wide = wide.round().clip(0, 100)
    out = pairwise_verdicts(wide, 5.0, 0.05, 5, sites=sites)
    rev = pairwise_verdicts(100 - wide, 5.0, 0.05, 5, sites=sites)
    flip = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    assert list(rev["verdict"]) == [flip[v] for v in out["verdict"]]
    assert np.allclose(rev["diff"], -out["diff"]) and np.allclose(rev["ci_low"], -out["ci_high"])
    assert verdict_lookup(out)[("m0", "m4")] == "less"


def test_site_weighting_gives_every_site_the_same_weight_in_a_pair() -> None:
    rng = np.random.default_rng(10)
    wide, sites = _site_data(rng, 6, 10, [40.0, 45.0], site_measure_sd=3.0)
    keep = np.r_[np.arange(10), np.arange(10, 60, 5)]  # site 0 with 10 respondents, the others with 2
    wide, sites = wide.iloc[keep], sites[keep]
    d = (wide["m1"] - wide["m0"]).to_numpy()
    by_site = pd.Series(d).groupby(sites).mean().mean()
    row = pairwise_verdicts(wide, 5.0, 0.05, 5, sites=sites, weighting="site").iloc[0]
    assert np.isclose(row["diff"], by_site) and not np.isclose(row["diff"], d.mean())
