"""Descriptive statistics per measure x group x setting.

Ratings: n, mean with a respondent-clustered confidence interval, median and
quartiles, and the shares of "don't know" / "prefer not to answer", which are
reported beside the numbers and never averaged into them.

Allowed items (yes / no / don't know): counts and percentages with n, in the
style of the Danish survey ("53.8% (n=515) no").
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

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
]


def clustered_mean_ci(values: np.ndarray, clusters: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Mean of ``values`` with a cluster-robust (1 - alpha) CI over ``clusters``.

    The standard error is the CR1 sandwich estimate for an intercept-only
    regression, ``sqrt(G/(G-1) * sum_g (sum_i (y_gi - mean))^2) / N``, with a
    t quantile on ``G - 1`` degrees of freedom. With one value per cluster it
    reduces to the ordinary ``s / sqrt(n)`` interval.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    codes, _ = pd.factorize(np.asarray(clusters))
    g = int(codes.max()) + 1
    if g < 2:
        return (mean, np.nan, np.nan)
    sums = np.bincount(codes, weights=values - mean, minlength=g)
    se = np.sqrt(g / (g - 1) * np.sum(sums**2)) / n
    half = stats.t.ppf(1 - alpha / 2, g - 1) * se
    return (mean, mean - half, mean + half)


def rating_descriptives(tidy: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per measure x group x setting descriptives of the 0-100 ratings.

    ``n`` counts respondents with a numeric rating; ``rows`` counts all rating
    rows including "don't know" and "prefer not to answer"; the shares are of
    ``rows``. Quartiles use linear interpolation (numpy's default), the same
    rule as ``numpy.percentile``.
    """
    keys = ["group", "setting", "measure"]
    # Only the columns used here: every filter copies the columns it keeps.
    ratings = tidy.loc[tidy["kind"] == "rating", [*keys, "respondent", "missing", "value"]]
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
    numeric = ratings.loc[ratings["value"].notna(), [*keys, "respondent", "value"]]
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
    # Cluster-robust SE, vectorised over cells: residuals summed within each
    # respondent, squared, summed within each cell.
    resid = numeric["value"] - grouped.transform("mean")
    per_resp = resid.groupby([numeric[k] for k in keys] + [numeric["respondent"]], sort=False, observed=True).sum()
    ss = (per_resp**2).groupby(level=[0, 1, 2], sort=True, observed=True).sum()
    g = summary["n"].astype(float)
    se = np.sqrt(g / (g - 1) * ss.reindex(summary.index)) / summary["obs"]
    tq = pd.Series(stats.t.ppf(1 - alpha / 2, np.maximum(g - 1, 1)), index=summary.index)
    half = (tq * se).where(g >= 2)
    summary["ci_low"] = summary["mean"] - half
    summary["ci_high"] = summary["mean"] + half
    out = base.join(summary, how="left")
    out["n"] = out["n"].fillna(0).astype(int)
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
