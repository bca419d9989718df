"""Plackett-Luce on the ranking task: the respondent's order of measures, least intrusive first.

The model reads a ranking as successive choices: first the least intrusive of
all listed measures, then the least intrusive of those left, and so on, each
choice a multinomial logit over the measures still unranked (Plackett 1975;
Luce 1959). That is how the task is put to respondents, so it is the
direction modelled. Reported strengths are intrusiveness, the negated
log-worths, centred to mean 0: higher means more intrusive, as for
Bradley-Terry.

The point estimate is the maximum-likelihood estimate from ``choix``'s
iterative Luce spectral ranking (Maystre & Grossglauser 2015), after the
same comparison-graph check as Bradley-Terry (a measure that every
respondent put first or last has no finite strength; the result then says so
and gives no estimate).

Intervals come from a seeded bootstrap over sites (enough sites) or
respondents (otherwise), percentile intervals. All resamples are fitted at
once by Newton's method on the bootstrap-weighted log-likelihood, started at
the full-data estimate; resamples whose own comparison graph is not strongly
connected, or that do not converge, are counted and left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import pandas as pd

from analysis.choice_models import (
    MIN_SITE_CLUSTERS,
    Clustering,
    FitStatus,
    StrengthDifference,
    choose_clustering,
    comparison_graph_problem,
    differences_from_draws,
    strongly_connected,
)

# Bound one chunk of resamples to about this many cells of the
# resamples x rankings x positions x measures arrays.
_CHUNK_CELLS = 3_000_000


class PLEstimate(msgspec.Struct, frozen=True):
    """Centred intrusiveness strength of one measure from the rankings (higher = more intrusive)."""

    measure: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    #: Rankings that listed the measure, its mean position (1 = least
    #: intrusive) and how often it was put first (least) and last (most intrusive).
    rankings: int
    mean_position: float
    first: int
    last: int


class PlackettLuceResult(msgspec.Struct, frozen=True):
    """Plackett-Luce fit of the rankings of one group x setting."""

    rankings: int
    respondents: int
    small_cell: bool
    status: FitStatus
    message: str | None
    estimates: list[PLEstimate]
    #: Measures least to most intrusive by estimate (empty unless status is "ok").
    order: list[str]
    #: Bootstrap resamples used, and those left out (not estimable or not converged).
    resamples: int
    resamples_failed: int
    clustering: Clustering | None
    differences: list[StrengthDifference] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class Rankings:
    """Rankings as measure indices, least intrusive first, with the respondent and site of each."""

    measures: list[str]
    orders: list[tuple[int, ...]]
    frame: pd.DataFrame  # one row per ranking: respondent, site (when known)


def rankings_from_rows(rank_rows: pd.DataFrame) -> Rankings:
    """Collect tidy ``rank`` rows into rankings.

    A ranking item ``<code>`` answered by a respondent gives one row per
    measure with item ``<code>.<measure>`` and value = position (1 = least
    intrusive). Raises ValueError naming the column when a ranking repeats a
    position or lacks one.
    """
    rows = rank_rows[rank_rows["value"].notna()]
    if rows.empty:
        return Rankings(measures=[], orders=[], frame=pd.DataFrame({"respondent": pd.Series(dtype=object)}))
    item = rows["item"].astype(str)
    measure = rows["measure"].astype(str)
    suffix_len = measure.str.len() + 1
    base = [i[:-n] if i.endswith("." + m) else i for i, m, n in zip(item, measure, suffix_len, strict=True)]
    keyed = pd.DataFrame(
        {
            "respondent": rows["respondent"].astype(str).to_numpy(),
            "ranking": base,
            "measure": measure.to_numpy(),
            "position": rows["value"].to_numpy(dtype=float),
        }
    )
    if "site" in rows.columns:
        keyed["site"] = rows["site"].astype(str).to_numpy()
    measures = sorted(set(keyed["measure"]))
    keyed["index"] = keyed["measure"].map({m: k for k, m in enumerate(measures)})
    keyed = keyed.sort_values(["respondent", "ranking", "position"], kind="mergesort").reset_index(drop=True)
    grouped = keyed.groupby(["respondent", "ranking"], sort=False)
    expected = grouped.cumcount().to_numpy() + 1
    size = grouped["position"].transform("size").to_numpy()
    bad = (keyed["position"].to_numpy() != expected) | (grouped["position"].transform("max").to_numpy() != size)
    if bad.any():
        first = keyed.loc[np.flatnonzero(bad)[0]]
        one = keyed[(keyed["respondent"] == first["respondent"]) & (keyed["ranking"] == first["ranking"])]
        raise ValueError(
            f"column 'value': ranking {first['ranking']!r} of respondent {first['respondent']!r} must hold positions 1..{len(one)} once each, got {sorted(one['position'].tolist())}"
        )
    starts = np.flatnonzero(expected == 1)
    orders = [tuple(int(i) for i in chunk) for chunk in np.split(keyed["index"].to_numpy(), starts[1:])]
    info = keyed.iloc[starts][["respondent", *(["site"] if "site" in keyed.columns else [])]].reset_index(drop=True)
    return Rankings(measures=measures, orders=orders, frame=info)


def _edges(orders: list[tuple[int, ...]], k: int) -> np.ndarray:
    """Per ranking, the flattened k x k indicator of "i ranked as more intrusive than j"."""
    e = np.zeros((len(orders), k * k))
    for r, order in enumerate(orders):
        for s, less in enumerate(order):
            for more in order[s + 1 :]:
                e[r, more * k + less] = 1.0
    return e


def _padded(orders: list[tuple[int, ...]]) -> np.ndarray:
    width = max(len(o) for o in orders)
    out = np.full((len(orders), width), -1, dtype=int)
    for r, o in enumerate(orders):
        out[r, : len(o)] = o
    return out


def weighted_newton(orders: np.ndarray, k: int, weights: np.ndarray, start: np.ndarray, max_iter: int = 50, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Plackett-Luce MLE of the log-worths for several weightings of the same rankings at once.

    ``orders`` is rankings x positions (measure index, -1 for padding), first
    = chosen first; ``weights`` is fits x rankings. Returns centred
    log-worths (fits x k) and a converged flag per fit.
    """
    b, n = weights.shape
    width = orders.shape[1]
    present = orders >= 0
    # Padding points at a scratch column k, whose strength is -inf (never chosen).
    idx = np.where(present, orders, k)
    theta = np.repeat(start[None, :] - start.mean(), b, axis=0)
    converged = np.zeros(b, dtype=bool)
    ones = np.full((k, k), 1.0 / k)
    eye = np.eye(k)
    for _ in range(max_iter):
        grad = np.zeros((b, k))
        hess = np.zeros((b, k, k))
        t = np.concatenate([theta, np.full((b, 1), -np.inf)], axis=1)[:, idx]
        for s in range(width - 1):
            # Stage s: the measure at position s is chosen among positions s.. of
            # its ranking; a stage with one measure left is no choice.
            live = present[:, s + 1]
            if not live.any():
                break
            sub = idx[live, s:]
            logits = t[:, live, s:]
            p = np.exp(logits - logits.max(axis=2, keepdims=True))
            p /= p.sum(axis=2, keepdims=True)
            w = weights[:, live]
            pk = np.zeros(p.shape[:2] + (k + 1,))
            np.put_along_axis(pk, np.broadcast_to(sub, p.shape), p, axis=2)
            pk = pk[:, :, :k]
            wp = w[:, :, None] * pk
            grad += w @ eye[sub[:, 0]] - wp.sum(axis=1)
            hess -= wp.sum(axis=1)[:, :, None] * eye[None] - wp.transpose(0, 2, 1) @ pk
        # The likelihood is flat along theta + c; adding the projection on
        # the ones vector makes the system regular and keeps steps centred.
        step = np.linalg.solve(-hess + ones[None], grad[:, :, None])[:, :, 0]
        step = np.clip(step, -1.0, 1.0)
        theta = theta + np.where(converged[:, None], 0.0, step)
        converged |= np.abs(step).max(axis=1) < tol
        if converged.all():
            break
    theta -= theta.mean(axis=1, keepdims=True)
    return theta, converged & np.isfinite(theta).all(axis=1)


def fit_plackett_luce(
    rank_rows: pd.DataFrame, alpha: float, min_cell: int, resamples: int, rng: np.random.Generator | None, min_sites: int = MIN_SITE_CLUSTERS
) -> PlackettLuceResult | None:
    """Fit Plackett-Luce to the ``rank`` rows of one group x setting.

    ``rank_rows`` needs ``respondent``, ``item``, ``measure`` and ``value``
    (position, 1 = least intrusive); ``site`` is used for clustering when
    present with at least ``min_sites`` sites. ``resamples`` bootstrap
    resamples (0 or ``rng`` None: no intervals). Returns None when there is
    no ranking.
    """
    import choix

    data = rankings_from_rows(rank_rows)
    if not data.orders:
        return None
    measures, orders = data.measures, data.orders
    k = len(measures)
    respondents = int(data.frame["respondent"].nunique())
    positions: dict[int, list[int]] = {i: [] for i in range(k)}
    for o in orders:
        for p, m in enumerate(o):
            positions[m].append(p + 1)
    lengths = {i: [len(o) for o in orders if i in o] for i in range(k)}

    edges = _edges(orders, k)
    problem = comparison_graph_problem(measures, edges.sum(axis=0).reshape(k, k))
    codes, clustering = choose_clustering(data.frame, min_sites)
    theta = np.full(k, np.nan)
    draws: np.ndarray | None = None
    failed = 0
    used = 0
    if problem is None:
        try:
            # choix's worths are of being chosen first, i.e. least intrusive.
            theta = -np.asarray(choix.ilsr_rankings(k, orders, alpha=0.0, max_iter=1000, tol=1e-10), dtype=float)
            theta -= theta.mean()
        except RuntimeError as exc:
            problem = ("fit_failed", f"the ranking model did not converge ({exc})")
    if problem is None and resamples > 0 and rng is not None:
        draws, failed = _bootstrap(orders, edges, k, codes, clustering.clusters, resamples, -theta, rng)
        draws = -draws
        used = len(draws)
    ok = problem is None
    se = draws.std(axis=0, ddof=1) if draws is not None and len(draws) > 1 else np.full(k, np.nan)
    low, high = (np.quantile(draws, q, axis=0) for q in (alpha / 2, 1 - alpha / 2)) if draws is not None and len(draws) else (np.full(k, np.nan),) * 2

    def opt(v: float) -> float | None:
        return float(v) if ok and np.isfinite(v) else None

    estimates = [
        PLEstimate(
            measure=m,
            estimate=opt(theta[i]),
            se=opt(se[i]),
            ci_low=opt(low[i]),
            ci_high=opt(high[i]),
            rankings=len(positions[i]),
            mean_position=float(np.mean(positions[i])) if positions[i] else float("nan"),
            first=sum(p == 1 for p in positions[i]),
            last=sum(p == n for p, n in zip(positions[i], lengths[i], strict=True)),
        )
        for i, m in enumerate(measures)
    ]
    return PlackettLuceResult(
        rankings=len(orders),
        respondents=respondents,
        small_cell=respondents < min_cell,
        status="ok" if ok else problem[0],
        message=None if ok else problem[1],
        estimates=estimates,
        order=sorted(measures, key=lambda m: (theta[measures.index(m)], m)) if ok else [],
        resamples=used,
        resamples_failed=failed,
        clustering=clustering,
        differences=differences_from_draws(measures, theta, draws, alpha) if ok else [],
    )


def _bootstrap(
    orders: list[tuple[int, ...]],
    edges: np.ndarray,
    k: int,
    codes: np.ndarray,
    clusters: int,
    resamples: int,
    start: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Log-worths of cluster-bootstrap resamples (kept x k) and the number left out."""
    padded = _padded(orders)
    n = len(orders)
    # A resample's comparison graph is the sum of its drawn clusters' graphs.
    cluster_edges = np.zeros((clusters, k * k))
    np.add.at(cluster_edges, codes, edges)
    chunk = max(1, _CHUNK_CELLS // max(n * padded.shape[1] * k, 1))
    kept: list[np.ndarray] = []
    failed = 0
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        # Clusters drawn with replacement; a ranking's weight is how often its cluster was drawn.
        drawn = np.zeros((size, clusters))
        picks = rng.integers(0, clusters, size=(size, clusters))
        np.add.at(drawn, (np.repeat(np.arange(size), clusters), picks.ravel()), 1.0)
        weights = drawn[:, codes]
        estimable = strongly_connected((drawn @ cluster_edges).reshape(size, k, k))
        theta, converged = weighted_newton(padded, k, weights[estimable], start)
        kept.append(theta[converged])
        failed += int((~estimable).sum() + (~converged).sum())
        done += size
    return np.concatenate(kept) if kept else np.empty((0, k)), failed
