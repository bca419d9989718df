"""Pairwise verdicts between measures rated by the same respondents.

For each pair (a, b) within one group x setting, the within-respondent
difference ``d = rating(b) - rating(a)`` is tested twice:

* a paired t test of ``d = 0``, Holm-adjusted over all pairs of the cell,
  because a gradation makes many "this is worse than that" claims at once;
* a TOST equivalence test of ``|d| < margin`` at level alpha per pair, with
  the margin stated in the settings before analysis. Each equivalence is its
  own claim about one pair; Holm-adjusting it as well would make ties
  practically unreachable at realistic sample sizes and push true ties into
  "undetermined". The Holm-adjusted TOST p-value is still reported for
  readers who want family-wise control of equivalence claims.

Verdict for a relative to b: ``equivalent`` when equivalence is shown (even if
a tiny difference is also significant: it is smaller than what was declared to
matter), else ``less`` / ``more`` when the difference is significant, else
``undetermined``. Pairs with fewer than ``min_cell`` common respondents are
``undetermined``: there is not enough evidence for any claim.
"""

from __future__ import annotations

from itertools import combinations
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

VERDICTS: Final = ("less", "equivalent", "more", "undetermined")
PAIR_COLUMNS: Final = [
    "measure_a",
    "measure_b",
    "n",
    "diff",
    "ci_low",
    "ci_high",
    "p_diff",
    "p_diff_holm",
    "p_tost",
    "p_tost_holm",
    "verdict",
]


def respondent_matrix(ratings: pd.DataFrame) -> pd.DataFrame:
    """Respondent x measure matrix of mean numeric ratings (NaN when not rated).

    Rows are sorted by respondent id and columns by measure code, so the
    matrix (and everything computed from it) is independent of row order.
    """
    numeric = ratings[ratings["value"].notna()]
    wide = numeric.pivot_table(index="respondent", columns="measure", values="value", aggfunc="mean", sort=True)
    wide.columns = [str(c) for c in wide.columns]
    wide.index = wide.index.astype(str)
    return wide.sort_index(axis=0).sort_index(axis=1)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN entries are left out and kept NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="mergesort")]
    m = order.size
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def tost_p(diff: float, se: float, df: float, margin: float) -> float:
    """p-value of the two one-sided tests of ``-margin < true diff < margin``.

    The larger of the two one-sided p-values; below alpha exactly when the
    (1 - 2 alpha) t interval lies inside the margin.
    """
    if not np.isfinite(se) or df < 1:
        return np.nan
    if se == 0:
        return 0.0 if abs(diff) < margin else 1.0
    p_low = stats.t.sf((diff + margin) / se, df)
    p_high = stats.t.cdf((diff - margin) / se, df)
    return float(max(p_low, p_high))


def pairwise_verdicts(wide: pd.DataFrame, margin: float, alpha: float, min_cell: int) -> pd.DataFrame:
    """All pairwise comparisons of the columns of a respondent x measure matrix.

    Returns one row per pair (``measure_a`` < ``measure_b`` by code) with the
    mean difference b - a, its t interval, raw and Holm-adjusted p-values of
    the difference and TOST tests, and the verdict for a relative to b.
    """
    wide = wide.sort_index(axis=1)
    measures = [str(c) for c in wide.columns]
    x = wide.to_numpy(dtype=float)
    rows: list[dict[str, object]] = []
    tq = stats.t.ppf(1 - alpha / 2, np.arange(1, x.shape[0] + 2)) if x.shape[0] else np.array([np.nan])
    for i, j in combinations(range(len(measures)), 2):
        both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
        d = x[both, j] - x[both, i]
        n = int(d.size)
        row: dict[str, object] = {"measure_a": measures[i], "measure_b": measures[j], "n": n}
        if n >= 2:
            mean = float(d.mean())
            se = float(d.std(ddof=1) / np.sqrt(n))
            half = tq[n - 2] * se
            if se > 0:
                p_diff = float(2 * stats.t.sf(abs(mean) / se, n - 1))
            else:
                p_diff = 1.0 if mean == 0 else 0.0
            row.update(diff=mean, ci_low=mean - half, ci_high=mean + half, p_diff=p_diff, p_tost=tost_p(mean, se, n - 1, margin))
        else:
            row.update(diff=float(d.mean()) if n else np.nan, ci_low=np.nan, ci_high=np.nan, p_diff=np.nan, p_tost=np.nan)
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    out = pd.DataFrame(rows)
    # Pairs too small for a claim do not enter the multiplicity family either.
    enough = out["n"] >= max(min_cell, 2)
    p_diff = out["p_diff"].where(enough).to_numpy(dtype=float)
    p_tost = out["p_tost"].where(enough).to_numpy(dtype=float)
    out["p_diff_holm"] = holm(p_diff)
    out["p_tost_holm"] = holm(p_tost)
    verdict = np.full(len(out), "undetermined", dtype=object)
    different = out["p_diff_holm"].to_numpy() < alpha
    verdict[different & (out["diff"].to_numpy() > 0)] = "less"
    verdict[different & (out["diff"].to_numpy() < 0)] = "more"
    verdict[(out["p_tost"].where(enough).to_numpy(dtype=float) < alpha)] = "equivalent"
    out["verdict"] = verdict
    return out[PAIR_COLUMNS]


def verdict_lookup(pairs: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Map (a, b) to the verdict for a relative to b, in both directions."""
    flip = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    out: dict[tuple[str, str], str] = {}
    for a, b, v in zip(pairs["measure_a"], pairs["measure_b"], pairs["verdict"]):
        out[(a, b)] = v
        out[(b, a)] = flip[v]
    return out
