"""Descriptives against statsmodels, scipy and numpy computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.descriptives import allowed_descriptives, rating_descriptives, survey_style
from analysis.tidy import validate_tidy

from .conftest import make_rows


def _clustered_ratings(rng: np.random.Generator, sizes: np.ndarray, site_sd: float, mean: float = 50.0) -> pd.DataFrame:
    """One measure rated once by each respondent, respondents nested in sites."""
    sites = np.repeat(np.arange(sizes.size), sizes)
    values = mean + rng.normal(0, site_sd, sizes.size)[sites] + rng.normal(0, 15, sites.size)
    return pd.DataFrame(
        {
            "group": "patient",
            "setting": "general_adult",
            "measure": "seclusion",
            "kind": "rating",
            "missing": pd.array([pd.NA] * sites.size, dtype="string"),
            "respondent": [f"r{i}" for i in range(sites.size)],
            "site": [f"s{s:02d}" for s in sites],
            "value": values,
        }
    )


def test_site_clustered_interval_is_wider_than_the_respondent_interval() -> None:
    rng = np.random.default_rng(3)
    data = _clustered_ratings(rng, np.full(12, 15), site_sd=10.0)
    row = rating_descriptives(data, 0.05).iloc[0]
    assert row["ci_method"] == "site_cr2" and row["sites"] == 12
    ref = stats.t.interval(0.95, data.shape[0] - 1, loc=data["value"].mean(), scale=stats.sem(data["value"]))
    assert row["ci_high"] - row["ci_low"] > 1.5 * (ref[1] - ref[0])
    # Fewer sites than the planned minimum: respondent-level, and said so.
    few = rating_descriptives(data, 0.05, min_sites=13).iloc[0]
    assert few["ci_method"] == "respondent" and np.allclose((few["ci_low"], few["ci_high"]), ref)


def test_site_weighting_gives_every_site_the_same_weight() -> None:
    rng = np.random.default_rng(4)
    data = _clustered_ratings(rng, np.array([40, 5, 5, 5, 5, 5]), site_sd=10.0)
    row = rating_descriptives(data, 0.05, weighting="site").iloc[0]
    assert np.isclose(row["mean"], data.groupby("site")["value"].mean().mean())
    assert np.isclose(rating_descriptives(data, 0.05).iloc[0]["mean"], data["value"].mean())


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
