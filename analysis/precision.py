"""Precision stated: the smallest difference a cell's design could detect.

For each pair of measures the paired difference ``d = rating(b) - rating(a)``
has a standard deviation ``sd`` over the ``n`` respondents who rated both.
When respondents sit in sites, answers from one site are alike, and the
effective sample size is ``n / deff`` with the design effect

    deff = 1 + (m - 1) * icc,   m = sum(n_g^2) / n

(``icc`` of ``d`` between sites by the one-way ANOVA estimator, truncated at
0; ``m`` the size-weighted mean site size, Kish's form for unequal sites).
Cluster-robust tests then rest on about ``G - 1`` degrees of freedom for
``G`` sites (the CR2 Bell-McCaffrey degrees of freedom of the primary
intervals are at most that, so the figure errs on the optimistic side when
sites are very unequal). With fewer than ``min_sites`` sites behind a pair,
the primary intervals are respondent-level, and so is this figure: no design
effect, ``n - 1`` degrees of freedom.

The detectable difference is the true mean difference that a two-sided
paired t test at the family-adjusted alpha rejects with the planned power
(non-central t power, as in :func:`statsmodels.stats.power.ttest_power`,
computed with scipy's ``nct`` because statsmodels returns NaN once the power
is all but 1). The default
family-adjusted alpha is ``alpha / K`` for the ``K`` testable pairs: the
level of the first Holm step and of a Bonferroni simultaneous interval, so
the figure is what the design can detect under family-wise control. Beside
it, the provable margin: the smallest equivalence margin within which a
true difference of 0 is shown equivalent with the planned power,
``se * (t(1 - alpha_f) + t((1 + power) / 2))``.

Per cell the report gives the median over pairs (the typical pair) and the
largest (the least precise pair).
"""

from __future__ import annotations

from itertools import combinations

import msgspec
import numpy as np
import pandas as pd
from scipy import optimize, stats


class PairPrecision(msgspec.Struct, frozen=True):
    """Design precision of one pair's comparison."""

    measure_a: str
    measure_b: str
    n: int
    sd_diff: float | None
    design_effect: float
    df: int
    detectable_difference: float | None
    provable_margin: float | None


class CellPrecision(msgspec.Struct, frozen=True):
    """What one group x setting could detect, summarised over its pairs."""

    power: float
    alpha_family: float
    #: Pairs with at least the minimum n (the testing family).
    pairs: int
    sites: int
    n_median: float | None
    sd_diff_median: float | None
    design_effect_median: float | None
    #: Median and largest detectable difference over the pairs (0-100 points).
    detectable_difference: float | None
    detectable_difference_max: float | None
    #: Median smallest margin within which a true tie would be shown.
    provable_margin: float | None
    by_pair: list[PairPrecision]


def site_design_effect(d: np.ndarray, sites: np.ndarray | None) -> float:
    """Design effect of site clustering on the mean of ``d`` (1 without sites)."""
    if sites is None:
        return 1.0
    codes, _ = pd.factorize(np.asarray(sites))
    g = int(codes.max()) + 1 if codes.size else 0
    n = d.size
    if g < 2 or n <= g:
        return 1.0
    sizes = np.bincount(codes, minlength=g).astype(float)
    means = np.bincount(codes, weights=d, minlength=g) / sizes
    msb = float(np.sum(sizes * (means - d.mean()) ** 2) / (g - 1))
    msw = float(np.sum((d - means[codes]) ** 2) / (n - g))
    n0 = (n - np.sum(sizes**2) / n) / (g - 1)
    between = max(0.0, (msb - msw) / n0)
    icc = between / (between + msw) if between + msw > 0 else 0.0
    m = float(np.sum(sizes**2) / n)
    # float(): numpy scalars would reach the result and its JSON encoder.
    return float(1.0 + (m - 1.0) * icc)


def detectable_difference(sd: float, n_eff: float, df: int, alpha: float, power: float) -> float:
    """Smallest true mean difference a two-sided t test detects with ``power``."""
    if sd <= 0:
        return 0.0
    if df < 1 or n_eff <= 0:
        return float("nan")

    crit = float(stats.t.ppf(1 - alpha / 2, df))

    def gap(effect: float) -> float:
        nc = effect * np.sqrt(n_eff)
        # The far tail (rejecting in the wrong direction) is negligible, and
        # scipy's nct returns NaN for it at large noncentrality.
        wrong_side = float(stats.nct.cdf(-crit, df, nc))
        return float(stats.nct.sf(crit, df, nc)) + (wrong_side if np.isfinite(wrong_side) else 0.0) - power

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e6:
            return float("nan")
    return sd * float(optimize.brentq(gap, 0.0, hi, xtol=1e-10))


def cell_precision(
    wide: pd.DataFrame,
    sites: np.ndarray | None,
    min_n: int,
    power: float,
    alpha: float,
    alpha_family: float | None = None,
    min_sites: int = 2,
) -> CellPrecision:
    """Detectable difference and provable margin for every pair of ``wide``.

    Args:
        wide: respondent x measure matrix of one cell (NaN = not rated).
        sites: site label of each row of ``wide``, or None.
        min_n: pairs with fewer common respondents are not in the family.
        power: the planned power, e.g. 0.8.
        alpha: the family-wise alpha.
        alpha_family: the per-comparison level of the family-wise scheme;
            default ``alpha / K`` for the K pairs in the family.
        min_sites: fewer sites behind a pair: respondent-level precision.
    """
    if not 0 < power < 1:
        raise ValueError(f"power: must lie in (0, 1), got {power!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must lie in (0, 1), got {alpha!r}")
    if sites is not None and len(sites) != len(wide):
        raise ValueError(f"sites: {len(sites)} labels for {len(wide)} respondents")
    measures = sorted(str(c) for c in wide.columns)
    x = wide[measures].to_numpy(dtype=float)
    site_arr = None if sites is None else np.asarray(sites, dtype=object)
    raw = []
    for i, j in combinations(range(len(measures)), 2):
        both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
        d = x[both, j] - x[both, i]
        s = None if site_arr is None else site_arr[both]
        raw.append((measures[i], measures[j], d, s))
    family = sum(1 for *_, d, _ in raw if d.size >= max(min_n, 2))
    level = alpha_family if alpha_family is not None else alpha / max(family, 1)
    if not 0 < level < 1:
        raise ValueError(f"alpha_family: must lie in (0, 1), got {level!r}")
    n_sites = 0 if site_arr is None else int(pd.Series(site_arr).nunique())
    rows: list[PairPrecision] = []
    for a, b, d, s in raw:
        n = int(d.size)
        if n < max(min_n, 2):
            rows.append(PairPrecision(measure_a=a, measure_b=b, n=n, sd_diff=None, design_effect=1.0, df=0, detectable_difference=None, provable_margin=None))
            continue
        sd = float(d.std(ddof=1))
        g = 0 if s is None else int(pd.Series(s).nunique())
        by_site = g >= max(min_sites, 2)
        deff = site_design_effect(d, s) if by_site else 1.0
        df = g - 1 if by_site else n - 1
        n_eff = n / deff
        mdd = detectable_difference(sd, n_eff, df, level, power)
        se = sd / np.sqrt(n_eff)
        provable = float(se * (stats.t.ppf(1 - level, df) + stats.t.ppf((1 + power) / 2, df)))
        rows.append(
            PairPrecision(
                measure_a=a,
                measure_b=b,
                n=n,
                sd_diff=sd,
                design_effect=deff,
                df=df,
                detectable_difference=mdd if np.isfinite(mdd) else None,
                provable_margin=provable if np.isfinite(provable) else None,
            )
        )
    tested = [r for r in rows if r.sd_diff is not None]

    def median(values: list[float | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return float(np.median(kept)) if kept else None

    mdds = [r.detectable_difference for r in tested if r.detectable_difference is not None]
    return CellPrecision(
        power=power,
        alpha_family=level,
        pairs=family,
        sites=n_sites,
        n_median=median([float(r.n) for r in tested]),
        sd_diff_median=median([r.sd_diff for r in tested]),
        design_effect_median=median([r.design_effect for r in tested]),
        detectable_difference=median(list(mdds)),
        detectable_difference_max=max(mdds) if mdds else None,
        provable_margin=median([r.provable_margin for r in tested]),
        by_pair=rows,
    )
