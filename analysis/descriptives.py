"""Descriptive statistics per measure x group x setting.

Ratings: n, mean with a site-clustered confidence interval (CR2 with
Bell-McCaffrey degrees of freedom, :mod:`analysis.cluster_robust`; clustered
on respondents when a measure's ratings come from fewer than ``min_sites``
sites, and the row says which), median and quartiles, and the shares of
"don't know" / "prefer not to answer", which are reported beside the numbers
and never averaged into them.

Allowed items (yes / no / don't know): counts and percentages with n, in the
style of the Danish survey ("53.8% (n=515) no").
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from analysis.cluster_robust import RESPONDENT, SITE_CR2, cr2_mean, design_weights

CELL: Final = ["group", "setting"]
RATING_COLUMNS: Final = [
    "group",
    "setting",
    "measure",
    "n",
    "rows",
    "mean",
    "ci_low",
    "ci_high",
    "sd",
    "median",
    "q1",
    "q3",
    "share_dont_know",
    "share_prefer_not_to_answer",
    "sites",
    "ci_method",
]


def _interval(values: np.ndarray, sites: np.ndarray, respondents: np.ndarray, alpha: float, min_sites: int, weighting: str) -> tuple[float, float, float, int, str]:
    """Mean and (1 - alpha) CI clustered on sites, or on respondents when sites are too few."""
    n_sites = int(pd.unique(sites).size)
    weights = design_weights(sites, weighting)
    if n_sites >= min_sites:
        fit, method = cr2_mean(values, sites, weights), SITE_CR2
    else:
        # Few sites: inference is conditional on them (respondents are the
        # clusters); the site weights still define the estimand.
        fit, method = cr2_mean(values, respondents, weights), RESPONDENT
    if not np.isfinite(fit.se) or not fit.df > 0:
        return (fit.mean, np.nan, np.nan, n_sites, method)
    half = float(stats.t.ppf(1 - alpha / 2, fit.df)) * fit.se
    return (fit.mean, fit.mean - half, fit.mean + half, n_sites, method)


def rating_descriptives(
    tidy: pd.DataFrame, alpha: float, min_sites: int = 5, weighting: str = "respondent"
) -> pd.DataFrame:
    """Per measure x group x setting descriptives of the 0-100 ratings.

    ``n`` counts respondents with a numeric rating; ``rows`` counts all rating
    rows including "don't know" and "prefer not to answer"; the shares are of
    ``rows``. Quartiles use linear interpolation (numpy's default), the same
    rule as ``numpy.percentile``. ``mean`` is the respondent-weighted mean, or
    the site-weighted one with ``weighting="site"``; ``ci_method`` says how
    its interval was clustered and ``sites`` counts the sites behind it.
    """
    keys = ["group", "setting", "measure"]
    # Only the columns used here: every filter copies the columns it keeps.
    ratings = tidy.loc[tidy["kind"] == "rating", [*keys, "respondent", "site", "missing", "value"]]
    if ratings.empty:
        return pd.DataFrame(columns=RATING_COLUMNS)
    missing = ratings["missing"].astype("string").fillna("")
    flags = pd.DataFrame(
        {
            "rows": 1,
            "dont_know": (missing == "dont_know").astype(int).to_numpy(),
            "prefer_not": (missing == "prefer_not_to_answer").astype(int).to_numpy(),
        },
        index=ratings.index,
    )
    base = flags.groupby([ratings[k] for k in keys], sort=True, observed=True).sum()
    numeric = ratings.loc[ratings["value"].notna(), [*keys, "respondent", "site", "value"]]
    del ratings, missing  # the numeric rows are all that is needed from here on
    grouped = numeric.groupby(keys, sort=True, observed=True)["value"]
    summary = pd.DataFrame(
        {
            "n": numeric.groupby(keys, sort=True, observed=True)["respondent"].nunique(),
            "obs": grouped.size(),
            "mean": grouped.mean(),
            "sd": grouped.std(ddof=1),
            "median": grouped.median(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
        }
    )
    # Site-clustered CR2 interval per measure x cell; a loop over cells is
    # cheap (their number does not grow with respondents).
    intervals = {
        key: _interval(part["value"].to_numpy(), part["site"].to_numpy(), part["respondent"].to_numpy(), alpha, min_sites, weighting)
        for key, part in numeric.groupby(keys, sort=True, observed=True)
    }
    frame = pd.DataFrame.from_dict(intervals, orient="index", columns=["mean_w", "ci_low", "ci_high", "sites", "ci_method"])
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=keys)
    summary = summary.join(frame)
    # The mean is the stated estimand (respondent- or site-weighted).
    summary["mean"] = summary["mean_w"]
    out = base.join(summary, how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["sites"] = out["sites"].fillna(0).astype(int)
    out["share_dont_know"] = out["dont_know"] / out["rows"]
    out["share_prefer_not_to_answer"] = out["prefer_not"] / out["rows"]
    return out.reset_index()[RATING_COLUMNS]


ALLOWED_COLUMNS: Final = [
    "group",
    "setting",
    "measure",
    "n",
    "yes",
    "no",
    "dont_know",
    "prefer_not_to_answer",
    "pct_yes",
    "pct_no",
    "pct_dont_know",
]


def allowed_descriptives(tidy: pd.DataFrame) -> pd.DataFrame:
    """Counts and percentages of yes / no / don't know per measure x group x setting.

    A row counts as "don't know" if either the choice or the missing code says
    so. ``n`` is the number answering yes, no or don't know; "prefer not to
    answer" is counted separately and excluded from ``n``, as in the Danish
    survey's tables.
    """
    allowed = tidy.loc[tidy["kind"] == "allowed", ["group", "setting", "measure", "choice", "missing"]]
    if allowed.empty:
        return pd.DataFrame(columns=ALLOWED_COLUMNS)
    answer = allowed["choice"].astype("string")
    # Comparisons with <NA> give <NA>, which mask() would treat as unknown;
    # a missing code that is absent simply does not apply.
    missing = allowed["missing"].astype("string").fillna("")
    answer = answer.mask((missing == "dont_know").to_numpy(), "dont_know")
    answer = answer.mask((missing == "prefer_not_to_answer").to_numpy(), "prefer_not_to_answer")
    counts = (
        pd.crosstab([allowed["group"], allowed["setting"], allowed["measure"]], answer.fillna("prefer_not_to_answer"))
        .reindex(columns=["yes", "no", "dont_know", "prefer_not_to_answer"], fill_value=0)
        .astype(int)
    )
    counts.columns.name = None
    counts["n"] = counts["yes"] + counts["no"] + counts["dont_know"]
    for code in ("yes", "no", "dont_know"):
        counts[f"pct_{code}"] = (100.0 * counts[code] / counts["n"]).where(counts["n"] > 0)
    return counts.reset_index()[ALLOWED_COLUMNS]


def survey_style(pct: float, n: int, label: str) -> str:
    """Format a share the Danish survey's way, e.g. ``"53.8% (n=515) no"``."""
    return f"{pct:.1f}% (n={n}) {label}"
