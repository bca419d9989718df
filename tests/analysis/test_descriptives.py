"""Descriptives against statsmodels, scipy and numpy computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.descriptives import allowed_descriptives, clustered_mean_ci, rating_descriptives, survey_style
from analysis.tidy import validate_tidy

from .conftest import make_rows


def test_clustered_ci_matches_statsmodels_cluster_robust_ols() -> None:
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(40), rng.integers(1, 5, 40))
    y = rng.normal(50, 10, clusters.size) + rng.normal(0, 8, 40)[clusters]
    mean, lo, hi = clustered_mean_ci(y, clusters, 0.05)
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    ref_lo, ref_hi = fit.conf_int(0.05)[0]
    assert np.isclose(mean, fit.params[0])
    assert np.isclose(lo, ref_lo) and np.isclose(hi, ref_hi)


def test_one_rating_per_respondent_gives_the_ordinary_t_interval() -> None:
    y = np.array([10.0, 35, 40, 52, 70, 88])
    mean, lo, hi = clustered_mean_ci(y, np.arange(6), 0.05)
    ref = stats.t.interval(0.95, 5, loc=y.mean(), scale=stats.sem(y))
    assert np.allclose((lo, hi), ref)


def test_rating_descriptives_hand_case() -> None:
    values = [10.0, 20.0, 30.0, 70.0]
    rows = [{"respondent": f"r{i}", "measure": "time_out", "value": v} for i, v in enumerate(values)]
    rows += [
        {"respondent": "r4", "measure": "time_out", "missing": "dont_know"},
        {"respondent": "r5", "measure": "time_out", "missing": "prefer_not_to_answer"},
        {"respondent": "r6", "measure": "time_out", "missing": "dont_know"},
    ]
    out = rating_descriptives(validate_tidy(make_rows(rows)), 0.05).iloc[0]
    assert out["n"] == 4 and out["rows"] == 7
    assert out["mean"] == 32.5  # the "don't know" rows are never averaged
    assert out["median"] == np.median(values)
    assert out["q1"] == np.percentile(values, 25) and out["q3"] == np.percentile(values, 75)
    assert np.isclose(out["share_dont_know"], 2 / 7)
    assert np.isclose(out["share_prefer_not_to_answer"], 1 / 7)
    ref = stats.t.interval(0.95, 3, loc=32.5, scale=stats.sem(values))
    assert np.allclose((out["ci_low"], out["ci_high"]), ref)


def test_rating_descriptives_match_pandas_groupby(realistic: pd.DataFrame) -> None:
    tidy = validate_tidy(realistic)
    out = rating_descriptives(tidy, 0.05).set_index(["group", "setting", "measure"])
    rated = tidy[(tidy["kind"] == "rating") & tidy["value"].notna()]
    ref = rated.groupby(["group", "setting", "measure"])["value"].agg(["mean", "median", "count"])
    assert np.allclose(out.loc[ref.index, "mean"], ref["mean"])
    assert np.allclose(out.loc[ref.index, "median"], ref["median"])
    assert (out.loc[ref.index, "n"] == ref["count"]).all()


def test_allowed_counts_hand_case() -> None:
    choices = ["no"] * 6 + ["yes"] * 3 + ["dont_know"]
    rows = [{"respondent": f"r{i}", "kind": "allowed", "measure": "seclusion", "choice": c} for i, c in enumerate(choices)]
    rows += [
        {"respondent": "x1", "kind": "allowed", "measure": "seclusion", "missing": "dont_know"},
        {"respondent": "x2", "kind": "allowed", "measure": "seclusion", "missing": "prefer_not_to_answer"},
    ]
    out = allowed_descriptives(validate_tidy(make_rows(rows))).iloc[0]
    assert (out["n"], out["yes"], out["no"], out["dont_know"], out["prefer_not_to_answer"]) == (11, 3, 6, 2, 1)
    assert np.isclose(out["pct_no"], 100 * 6 / 11)
    assert survey_style(out["pct_no"], int(out["n"]), "no") == "54.5% (n=11) no"
    assert survey_style(53.79, 515, "no") == "53.8% (n=515) no"
