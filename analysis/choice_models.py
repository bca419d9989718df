"""What the two choice models (Bradley-Terry on pairs, Plackett-Luce on rankings) share.

- The existence check of their maximum-likelihood estimates. Both estimates
  exist and are finite exactly when the directed comparison graph is strongly
  connected: for every split of the measures into two groups, some measure of
  each group was judged more intrusive than some measure of the other at least
  once (Ford 1957; Hunter 2004, Assumption 1). A tie counts in both
  directions. When it fails, the model is not fitted: a measure that always
  "wins" has an infinite strength, and software that returns a number for it
  (say 12.7 with SE 0.00) reports the optimiser's stopping point, not data.
- The choice of resampling/clustering unit. Answers cluster within
  respondents and respondents within sites. Sites are the unit when there are
  enough of them for a cluster-robust variance to be estimable
  (:data:`MIN_SITE_CLUSTERS`); with fewer, the unit is the respondent and the
  result says that between-site variation is not reflected.
- Pairwise differences of strengths with their intervals, which the source
  agreement reads.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec
import numpy as np
import pandas as pd

#: Default fewest sites for site-clustered intervals; the gradation passes its
#: planned ``min_sites`` instead. With few clusters a sandwich variance is
#: biased downwards (Cameron & Miller 2015, section VI), which the t(G-1)
#: reference distribution used here only partly offsets.
MIN_SITE_CLUSTERS: Final = 10

#: Outcome of a choice-model fit; anything but "ok" comes without estimates.
FitStatus = Literal["ok", "too_few_measures", "disconnected", "separated", "no_decisive_answers", "fit_failed"]


class StrengthDifference(msgspec.Struct, frozen=True):
    """Strength of ``measure_b`` minus that of ``measure_a`` (positive: b more intrusive)."""

    measure_a: str
    measure_b: str
    diff: float
    ci_low: float | None
    ci_high: float | None


class Clustering(msgspec.Struct, frozen=True):
    """Which unit the intervals treat as independent, and how many there are."""

    unit: Literal["site", "respondent"]
    clusters: int
    note: str | None


def comparison_graph_problem(measures: list[str], adjacency: np.ndarray) -> tuple[FitStatus, str] | None:
    """Why the strengths are not estimable from this comparison graph, or None if they are.

    ``adjacency[i, j] > 0`` when measure i was judged more intrusive than
    measure j at least once (a tie sets both directions).
    """
    from scipy.sparse.csgraph import connected_components

    k = len(measures)
    if k < 2:
        return "too_few_measures", "fewer than two measures were compared"
    linked = adjacency > 0
    parts, weak = connected_components(linked, directed=True, connection="weak")
    if parts > 1:
        groups = [sorted(measures[i] for i in range(k) if weak[i] == p) for p in range(parts)]
        shown = " | ".join(", ".join(g) for g in sorted(groups))
        return "disconnected", f"the comparisons fall into {parts} unlinked groups ({shown}); strengths in different groups are not comparable"
    count, strong = connected_components(linked, directed=True, connection="strong")
    if count == 1:
        return None
    problems = []
    # Smallest groups first: with two groups, the smaller one says it all.
    for c in sorted(range(count), key=lambda c: (int((strong == c).sum()), c)):
        inside = strong == c
        members = sorted(measures[i] for i in np.flatnonzero(inside))
        whom = "every other measure it was compared with" if len(members) == 1 else "every measure outside this group it was compared with"
        if not linked[np.ix_(~inside, inside)].any():
            problems.append(f"{', '.join(members)}: always judged the more intrusive against {whom}")
        elif not linked[np.ix_(inside, ~inside)].any():
            problems.append(f"{', '.join(members)}: always judged the less intrusive against {whom}")
    if count == 2:
        problems = problems[:1]
    return "separated", "separation, so the strengths are unbounded and not estimated: " + "; ".join(problems)


def strongly_connected(adjacency: np.ndarray) -> np.ndarray:
    """For a stack of graphs (fits x k x k), whether each is strongly connected.

    Repeated squaring of the reachability matrix, so a whole bootstrap's
    resamples are checked in a few batched matrix products.
    """
    k = adjacency.shape[-1]
    reach = ((adjacency > 0) | np.eye(k, dtype=bool)[None]).astype(float)
    for _ in range(max(1, int(np.ceil(np.log2(max(k, 2)))))):
        reach = ((reach @ reach) > 0).astype(float)
    return (reach > 0).all(axis=(1, 2))


def choose_clustering(frame: pd.DataFrame, min_sites: int = MIN_SITE_CLUSTERS) -> tuple[np.ndarray, Clustering]:
    """Cluster codes per row (0..G-1) and the clustering used.

    Sites when the frame has a ``site`` column with at least ``min_sites``
    sites, otherwise respondents.
    """
    sites = frame["site"] if "site" in frame.columns else None
    n_sites = int(sites.nunique()) if sites is not None else 0
    if sites is not None and n_sites >= min_sites:
        return pd.factorize(sites.to_numpy())[0], Clustering(unit="site", clusters=n_sites, note=None)
    codes = pd.factorize(frame["respondent"].to_numpy())[0]
    if n_sites == 1:
        note = "one site: intervals are clustered by respondent and cannot reflect variation between sites"
    elif n_sites > 1:
        note = f"{n_sites} sites (fewer than {min_sites}): intervals are clustered by respondent and do not reflect variation between sites"
    else:
        note = "no site recorded: intervals are clustered by respondent"
    return codes, Clustering(unit="respondent", clusters=int(codes.max()) + 1 if len(codes) else 0, note=note)


def differences_from_covariance(measures: list[str], theta: np.ndarray, cov: np.ndarray, quantile: float) -> list[StrengthDifference]:
    """All pairwise differences with Wald intervals ``diff +- quantile * se``."""
    out = []
    for i in range(len(measures)):
        for j in range(i + 1, len(measures)):
            se = float(np.sqrt(max(cov[i, i] + cov[j, j] - 2 * cov[i, j], 0.0)))
            d = float(theta[j] - theta[i])
            out.append(StrengthDifference(measures[i], measures[j], d, d - quantile * se, d + quantile * se))
    return out


def differences_from_draws(measures: list[str], theta: np.ndarray, draws: np.ndarray | None, alpha: float) -> list[StrengthDifference]:
    """All pairwise differences with percentile intervals from bootstrap draws (resamples x measures)."""
    out = []
    for i in range(len(measures)):
        for j in range(i + 1, len(measures)):
            d = float(theta[j] - theta[i])
            low = high = None
            if draws is not None and len(draws):
                diffs = draws[:, j] - draws[:, i]
                low, high = (float(q) for q in np.quantile(diffs, [alpha / 2, 1 - alpha / 2]))
            out.append(StrengthDifference(measures[i], measures[j], d, low, high))
    return out
