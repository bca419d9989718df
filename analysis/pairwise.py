"""Pairwise verdicts between measures rated by the same respondents.

For each pair (a, b) within one group x setting, the within-respondent
difference ``d = rating(b) - rating(a)`` is a mean of respondent-level values,
so its standard error is cluster-robust by site: CR2 with Bell-McCaffrey
degrees of freedom (:mod:`analysis.cluster_robust`), because respondents of
one site share more than respondents of different sites (site x measure
effects do not cancel in ``d``). When the pair's respondents come from fewer
than ``min_sites`` sites, or no sites are given, respondents are the clusters
(the paired t interval) and the row's ``method`` says so.

Both kinds of claim are family-wise controlled over the pairs of the cell
that are eligible for claims (``m`` of them: both measures in the family and
at least ``min_n`` common respondents), by Bonferroni-simultaneous intervals:

* "different": the two-sided (1 - alpha/m) interval ``ci_low``..``ci_high``
  excludes 0 (``p_diff_adj = min(1, m * p_diff) < alpha``);
* "equivalent": the (1 - 2 alpha/m) interval ``eq_low``..``eq_high`` lies
  inside ``(-margin, margin)``, i.e. two one-sided tests each at alpha/m
  (``p_tost_adj = min(1, m * p_tost) < alpha``).

Each family's error rate is at most alpha: the chance that any "different"
claim of a cell is false, and the chance that any "equivalent" claim is
false. Bonferroni rather than Holm, so every verdict can be read off an
interval printed beside it.

Verdict for a relative to b: ``equivalent`` when equivalence is shown (even if
a tiny difference is also significant: it is smaller than what was declared to
matter), else ``less`` / ``more`` when the difference is established, else
``undetermined``. Pairs outside the family have no interval and are
``undetermined``.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from analysis.cluster_robust import RESPONDENT, SITE_CR2, cr2_from_codes

VERDICTS: Final = ("less", "equivalent", "more", "undetermined")
PAIR_COLUMNS: Final = [
    "measure_a",
    "measure_b",
    "n",
    "diff",
    "ci_low",
    "ci_high",
    "eq_low",
    "eq_high",
    "df",
    "sites",
    "method",
    "p_diff",
    "p_diff_adj",
    "p_tost",
    "p_tost_adj",
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


def tost_p(diff: float | np.ndarray, se: float | np.ndarray, df: float | np.ndarray, margin: float) -> float | np.ndarray:
    """p-value of the two one-sided tests of ``-margin < true diff < margin``.

    The larger of the two one-sided p-values; below alpha exactly when the
    (1 - 2 alpha) t interval lies inside the margin. Works elementwise on
    arrays; NaN where there is no standard error or no degrees of freedom.
    """
    d, s, f = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(diff, se, df))
    out = np.full(d.shape, np.nan)
    ok = np.isfinite(s) & (f > 0)
    zero = ok & (s == 0)
    out[zero] = np.where(np.abs(d[zero]) < margin, 0.0, 1.0)
    pos = ok & (s > 0)
    if pos.any():
        out[pos] = np.maximum(stats.t.sf((d[pos] + margin) / s[pos], f[pos]), stats.t.cdf((d[pos] - margin) / s[pos], f[pos]))
    return float(out) if out.ndim == 0 else out


def respondent_sites(ratings: pd.DataFrame, wide: pd.DataFrame) -> np.ndarray:
    """The site of each row of ``wide`` (as from :func:`respondent_matrix`)."""
    first = ratings.drop_duplicates("respondent")
    site = pd.Series(first["site"].astype(str).to_numpy(), index=first["respondent"].astype(str).to_numpy())
    return site.reindex(wide.index).astype(str).to_numpy()


def pairwise_verdicts(
    wide: pd.DataFrame,
    margin: float,
    alpha: float,
    min_n: int,
    sites: np.ndarray | None = None,
    min_sites: int = 5,
    weighting: str = "respondent",
    family: Iterable[str] | None = None,
) -> pd.DataFrame:
    """All pairwise comparisons of the columns of a respondent x measure matrix.

    Args:
        wide: respondent x measure ratings (NaN = not rated).
        margin: equivalence margin on the 0-100 scale.
        alpha: family-wise error rate of each kind of claim in this cell.
        min_n: pairs with fewer common respondents make no claim.
        sites: the site of each row of ``wide``; None when unknown.
        min_sites: fewer sites behind a pair: respondent-level interval.
        weighting: estimand, ``"respondent"`` or ``"site"`` weighted mean.
        family: the measures eligible for claims (default: all columns).

    Returns:
        One row per pair (``measure_a`` < ``measure_b`` by code) with the mean
        difference b - a, the simultaneous intervals and adjusted p-values of
        the module docstring, the degrees of freedom, the number of sites, the
        interval ``method`` and the verdict for a relative to b.
    """
    wide = wide.sort_index(axis=1)
    measures = [str(c) for c in wide.columns]
    eligible = set(measures if family is None else (str(m) for m in family))
    x = wide.to_numpy(dtype=float)
    if weighting not in ("respondent", "site"):
        raise ValueError(f"weighting must be 'respondent' or 'site', got {weighting!r}")
    if sites is not None and len(sites) != x.shape[0]:
        raise ValueError("sites must give one site per row of the matrix")
    # Factorized once; every pair uses a subset of these codes.
    site_codes = pd.factorize(np.asarray(sites).astype(str))[0] if sites is not None else np.zeros(x.shape[0], dtype=np.int64)
    rows: list[dict[str, object]] = []
    for i, j in combinations(range(len(measures)), 2):
        both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
        d = x[both, j] - x[both, i]
        n = int(d.size)
        row: dict[str, object] = {"measure_a": measures[i], "measure_b": measures[j], "n": n, "diff": np.nan, "se": np.nan, "df": np.nan, "sites": 0, "method": None}
        in_family = measures[i] in eligible and measures[j] in eligible and n >= max(min_n, 2)
        if n:
            pair_codes = site_codes[both]
            per_site = np.bincount(pair_codes)
            n_sites = int(np.count_nonzero(per_site)) if sites is not None else 0
            weights = None if weighting == "respondent" else 1.0 / per_site[pair_codes]
            if sites is not None and n_sites >= min_sites:
                fit, method = cr2_from_codes(d, pair_codes, weights), SITE_CR2
            else:
                fit, method = cr2_from_codes(d, np.arange(n), weights), RESPONDENT
            row.update(diff=fit.mean, sites=n_sites)
            if in_family and np.isfinite(fit.se) and fit.df > 0:
                row.update(se=fit.se, df=fit.df, method=method)
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    out = pd.DataFrame(rows)
    diff = out["diff"].to_numpy(dtype=float)
    se = out["se"].to_numpy(dtype=float)
    df = out["df"].to_numpy(dtype=float)
    claimable = np.isfinite(se)
    m = max(int(claimable.sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_diff = np.where(claimable, stats.t.ppf(1 - alpha / (2 * m), np.where(claimable, df, 1.0)), np.nan)
        t_eq = np.where(claimable, stats.t.ppf(1 - alpha / m, np.where(claimable, df, 1.0)), np.nan)
        p_diff = np.where(se > 0, 2 * stats.t.sf(np.abs(diff) / se, np.where(claimable, df, 1.0)), np.where(diff == 0, 1.0, 0.0))
    p_diff = np.where(claimable, p_diff, np.nan)
    out["ci_low"] = diff - t_diff * se
    out["ci_high"] = diff + t_diff * se
    out["eq_low"] = diff - t_eq * se
    out["eq_high"] = diff + t_eq * se
    out["p_diff"] = p_diff
    out["p_diff_adj"] = np.minimum(m * p_diff, 1.0)
    p_tost = np.where(claimable, tost_p(diff, se, np.where(claimable, df, 1.0), margin), np.nan)
    out["p_tost"] = p_tost
    out["p_tost_adj"] = np.minimum(m * p_tost, 1.0)
    verdict = np.full(len(out), "undetermined", dtype=object)
    low, high = out["ci_low"].to_numpy(), out["ci_high"].to_numpy()
    verdict[claimable & (low > 0)] = "less"
    verdict[claimable & (high < 0)] = "more"
    inside = claimable & (out["eq_low"].to_numpy() > -margin) & (out["eq_high"].to_numpy() < margin)
    verdict[inside] = "equivalent"
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
