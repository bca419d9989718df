"""Rank uncertainty and tier stability by a site-aware bootstrap.

The resampling unit is the site when the cell's ratings come from at least
``min_sites`` sites: whole sites are drawn with replacement (all respondents
of a drawn site; a site drawn twice counts twice, as two clusters), because
respondents of one site share more than respondents of different sites, and
the sites stand for a population of sites. With fewer sites (or none known)
respondents are resampled, and the result is conditional on the sites at
hand. Either way respondents (not answers) stay whole, because one
respondent's ratings are correlated.

Each resample is a row of multinomial counts over respondents; the resampled
means of all measures for a chunk of resamples are two matrix products, so the
cost is linear in respondents and needs no Python loop per resample. The
first few resamples are kept, so the tier rule can be re-run on exactly the
resamples behind the rank intervals (:func:`tier_stability`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from analysis.tiers import build_tiers
from analysis.verdict_rule import VerdictRule

# Bound the count matrix of one chunk to about this many cells (~32 MiB).
_CHUNK_CELLS = 4_000_000

SITE_RESAMPLING: Final = "site"
RESPONDENT_RESAMPLING: Final = "respondent"


def cell_rng(seed: int, group: str, setting: str) -> np.random.Generator:
    """A generator seeded by the settings' seed and the cell's names.

    Depends only on names, not on which other cells exist, so adding a group
    to the data does not change another group's rank intervals.
    """
    return np.random.default_rng([seed, zlib.crc32(f"{group}|{setting}".encode("utf-8"))])


def resampling_unit(sites: np.ndarray | None, min_sites: int) -> str:
    """``"site"`` when the rows come from at least ``min_sites`` distinct sites, else ``"respondent"``."""
    if sites is None or len(sites) == 0:
        return RESPONDENT_RESAMPLING
    return SITE_RESAMPLING if pd.unique(np.asarray(sites).astype(str)).size >= min_sites else RESPONDENT_RESAMPLING


@dataclass(frozen=True)
class Resample:
    """One bootstrap sample: rows of the matrix (repeated as drawn) and their clusters.

    ``clusters`` labels each drawn row: with site resampling each drawn copy of
    a site is its own cluster (a site drawn twice is two clusters); with
    respondent resampling the original site labels (None when unknown).
    """

    rows: np.ndarray
    clusters: np.ndarray | None


@dataclass(frozen=True)
class RankBootstrap:
    """Rank intervals, the resampling unit used and the first resamples kept."""

    ranks: pd.DataFrame
    unit: str
    kept: list[Resample] = field(default_factory=list)


def _kept_resamples(counts: np.ndarray, unit: str, site_codes: np.ndarray | None, site_labels: np.ndarray | None) -> list[Resample]:
    out: list[Resample] = []
    for row in counts:
        if unit == SITE_RESAMPLING:
            assert site_codes is not None
            rows: list[np.ndarray] = []
            clusters: list[np.ndarray] = []
            copy = 0
            for s, c in enumerate(row.astype(int)):
                members = np.flatnonzero(site_codes == s)
                for _ in range(c):
                    rows.append(members)
                    clusters.append(np.full(members.size, copy))
                    copy += 1
            out.append(Resample(np.concatenate(rows), np.concatenate(clusters).astype(str)))
        else:
            drawn = np.repeat(np.arange(row.size), row.astype(int))
            out.append(Resample(drawn, site_labels[drawn] if site_labels is not None else None))
    return out


def rank_bootstrap(
    wide: pd.DataFrame,
    resamples: int,
    alpha: float,
    rng: np.random.Generator,
    sites: np.ndarray | None = None,
    min_sites: int = 5,
    keep: int = 0,
) -> RankBootstrap:
    """Bootstrap rank intervals of the column means of a respondent x measure matrix.

    Rank 1 is the least intrusive (lowest mean). The ranks frame has per
    measure the observed rank, the (alpha/2, 1 - alpha/2) rank interval and
    the mean bootstrap rank. Ties within a resample are broken by column order
    (measure code), so results are deterministic.

    Args:
        wide: respondent x measure ratings (NaN = not rated).
        resamples: number of bootstrap resamples.
        alpha: 1 - level of the rank intervals.
        rng: the cell's generator (:func:`cell_rng`).
        sites: the site of each row of ``wide``; None when unknown.
        min_sites: with at least this many sites whole sites are resampled.
        keep: how many of the first resamples to return (for tier stability).
    """
    measures = list(wide.columns)
    x = wide.to_numpy(dtype=float)
    n, m = x.shape
    if sites is not None and len(sites) != n:
        raise ValueError("sites must give one site per row of the matrix")
    unit = resampling_unit(sites, min_sites)
    site_labels = np.asarray(sites).astype(str) if sites is not None else None
    site_codes, g = None, n
    if unit == SITE_RESAMPLING:
        assert site_labels is not None
        site_codes = pd.factorize(site_labels, sort=True)[0]
        g = int(site_codes.max()) + 1
    present = ~np.isnan(x)
    values = np.where(present, x, 0.0)
    mask = present.astype(float)
    ranks = np.empty((resamples, m), dtype=np.int32)
    kept: list[Resample] = []
    chunk = max(1, min(resamples, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < resamples:
        k = min(chunk, resamples - done)
        # g units (sites or respondents) drawn g times per resample.
        draws = rng.integers(0, g, size=(k, g))
        # Offsetting each resample's draws lets one bincount build all rows
        # of counts at once.
        unit_counts = np.bincount((draws + (np.arange(k) * g)[:, None]).ravel(), minlength=k * g).reshape(k, g).astype(float)
        counts = unit_counts[:, site_codes] if site_codes is not None else unit_counts
        if len(kept) < keep:
            kept += _kept_resamples(unit_counts[: keep - len(kept)], unit, site_codes, site_labels)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (counts @ values) / (counts @ mask)
        # A measure nobody rated in a resample ranks last, not first.
        means = np.where(np.isnan(means), np.inf, means)
        order = np.argsort(means, axis=1, kind="stable")
        r = np.empty_like(order)
        np.put_along_axis(r, order, np.arange(1, m + 1)[None, :].repeat(k, axis=0), axis=1)
        ranks[done : done + k] = r
        done += k
    with np.errstate(invalid="ignore", divide="ignore"):
        observed_means = values.sum(axis=0) / mask.sum(axis=0)
    obs = np.where(np.isnan(observed_means), np.inf, observed_means)
    observed = np.empty(m, dtype=int)
    observed[np.argsort(obs, kind="stable")] = np.arange(1, m + 1)
    frame = pd.DataFrame(
        {
            "measure": measures,
            "rank": observed,
            "rank_low": np.quantile(ranks, alpha / 2, axis=0, method="lower").astype(int),
            "rank_high": np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher").astype(int),
            "rank_mean": ranks.mean(axis=0),
        }
    )
    return RankBootstrap(ranks=frame, unit=unit, kept=kept)


def bootstrap_ranks(
    wide: pd.DataFrame, resamples: int, alpha: float, rng: np.random.Generator, sites: np.ndarray | None = None, min_sites: int = 5
) -> pd.DataFrame:
    """The rank frame of :func:`rank_bootstrap` (site resampling when ``sites`` span ``min_sites``)."""
    return rank_bootstrap(wide, resamples, alpha, rng, sites=sites, min_sites=min_sites).ranks


def _resample_means(x: np.ndarray, clusters: np.ndarray | None, weighting: str) -> np.ndarray:
    # The same estimand as the cell's means: respondent- or site-weighted.
    present = ~np.isnan(x)
    if weighting != "site" or clusters is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(present, x, 0.0).sum(axis=0) / present.sum(axis=0)
    codes = pd.factorize(clusters)[0]
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        c = codes[present[:, j]]
        if c.size:
            w = 1.0 / np.bincount(c)[c]
            out[j] = float(np.sum(w * x[present[:, j], j]) / np.sum(w))
    return out


@dataclass(frozen=True)
class TierStability:
    """Per tier (in tier order) and per measure, the share of resamples reproducing it."""

    tiers: list[float]
    measures: dict[str, float]
    resamples: int


def tier_stability(
    wide: pd.DataFrame,
    tiers: list[list[str]],
    resamples: list[Resample],
    rule: VerdictRule,
    margin: float,
    weighting: str = "respondent",
) -> TierStability:
    """How often the tier rule, re-run on bootstrap resamples, gives back each tier.

    On each resample the verdict rule and :func:`analysis.tiers.build_tiers`
    are applied to the tiered measures (the columns in ``tiers``). A tier's
    stability is the share of resamples in which exactly its set of measures
    forms a tier; a measure's is the share in which it has exactly the same
    tier-mates (which is the same event as its tier being reproduced). A
    measure without ratings in a resample has no tier there, which counts as
    not reproduced. Descriptive: it says how much the partition moves under
    resampling, not the probability that it is true.
    """
    family = [m for tier in tiers for m in tier]
    if not family or not resamples:
        return TierStability(tiers=[], measures={}, resamples=0)
    x = wide[family].to_numpy(dtype=float)
    wanted = [frozenset(t) for t in tiers]
    tier_hits = np.zeros(len(tiers))
    measure_hits = dict.fromkeys(family, 0)
    for sample in resamples:
        sub = pd.DataFrame(x[sample.rows], columns=family)
        means = _resample_means(sub.to_numpy(), sample.clusters, weighting)
        verdicts = rule(sub, sample.clusters, margin)
        finite = {m: float(v) for m, v in zip(family, means) if np.isfinite(v)}
        found = {frozenset(t) for t in build_tiers(finite, verdicts).tiers}
        for k, t in enumerate(wanted):
            if t in found:
                tier_hits[k] += 1
                for m in t:
                    measure_hits[m] += 1
    b = len(resamples)
    return TierStability(tiers=[float(h / b) for h in tier_hits], measures={m: h / b for m, h in measure_hits.items()}, resamples=b)
