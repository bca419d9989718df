"""CR2 intervals for a mean: against the general matrix formula, and coverage with few sites."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, stats

from analysis.cluster_robust import cr2_mean, design_weights


def _cr2_by_matrices(y: np.ndarray, clusters: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """CR2 variance and Bell-McCaffrey df from the general formulas (independence working model)."""
    n = y.size
    x = np.ones((n, 1))
    m = np.linalg.inv(x.T @ (w[:, None] * x))
    h = x @ m @ (x * w[:, None]).T
    ih = np.eye(n) - h
    beta = (m @ (x * w[:, None]).T @ y).item()
    e = y - beta
    var = 0.0
    q_cols = []
    for g in np.unique(clusters):
        idx = np.flatnonzero(clusters == g)
        block = ih[idx, :]
        a_g = np.real(linalg.sqrtm(np.linalg.inv(block @ block.T)))
        p_g = (m @ (x[idx] * w[idx, None]).T @ a_g).ravel()  # 1 x n_g
        var += float(p_g @ e[idx]) ** 2
        q_cols.append(block.T @ p_g)  # e_g = block @ y
    q = np.column_stack(q_cols)
    gram = q.T @ q
    df = np.trace(gram) ** 2 / np.sum(gram**2)
    return var, df


@pytest.mark.parametrize("weighting", ["respondent", "site"])
def test_closed_form_matches_the_matrix_formula(weighting: str) -> None:
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(7), [3, 8, 5, 12, 4, 6, 9])
    y = rng.normal(50, 10, clusters.size) + rng.normal(0, 6, 7)[clusters]
    sizes = np.bincount(clusters)
    w = np.ones(y.size) if weighting == "respondent" else 1.0 / sizes[clusters]
    out = cr2_mean(y, clusters, design_weights(clusters, weighting))
    var, df = _cr2_by_matrices(y, clusters, w)
    assert np.isclose(out.mean, np.sum(w * y) / np.sum(w))
    assert np.isclose(out.se**2, var)
    assert np.isclose(out.df, df)
    assert out.clusters == 7


def test_equal_clusters_give_g_minus_1_df_and_singletons_the_t_interval() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=60)
    assert np.isclose(cr2_mean(y, np.repeat(np.arange(12), 5)).df, 11)
    single = cr2_mean(y, np.arange(60))
    assert np.isclose(single.se, stats.sem(y)) and np.isclose(single.df, 59)


def test_one_cluster_has_no_standard_error() -> None:
    out = cr2_mean(np.array([1.0, 2.0, 3.0]), np.array(["a", "a", "a"]))
    assert out.mean == 2.0 and np.isnan(out.se) and out.clusters == 1
    with pytest.raises(ValueError, match="weighting"):
        design_weights(np.array(["a"]), "sites")
    with pytest.raises(ValueError, match="constant within each cluster"):
        cr2_mean(np.array([1.0, 2.0]), np.array(["a", "a"]), np.array([1.0, 2.0]))


def _coverage(rng: np.random.Generator, runs: int, site_sd: float = 6.0) -> tuple[float, float]:
    """Coverage of the 95% CR2 and respondent-level intervals of a mean, 12 sites of 5-20 respondents."""
    hits = naive = 0
    for _ in range(runs):
        sizes = rng.integers(5, 21, 12)
        sites = np.repeat(np.arange(12), sizes)
        y = 50.0 + rng.normal(0, site_sd, 12)[sites] + rng.normal(0, 15, sites.size)
        fit = cr2_mean(y, sites)
        half = stats.t.ppf(0.975, fit.df) * fit.se
        hits += abs(fit.mean - 50.0) <= half
        naive += abs(y.mean() - 50.0) <= stats.t.ppf(0.975, y.size - 1) * stats.sem(y)
    return hits / runs, naive / runs


def test_coverage_with_12_sites_is_near_nominal() -> None:
    covered, naive = _coverage(np.random.default_rng(8), 400)
    # 95% nominal; 400 runs put the estimate within about +-2.5 points of it.
    assert 0.92 <= covered <= 0.98
    assert naive < 0.90  # the respondent-level interval ignores the sites


@pytest.mark.slow
def test_coverage_with_12_sites_large_study() -> None:
    for site_sd in (0.0, 3.0, 6.0, 12.0):
        covered, _ = _coverage(np.random.default_rng(9), 20000, site_sd)
        assert 0.93 <= covered <= 0.97, (site_sd, covered)
