"""Rank uncertainty by a respondent-level bootstrap.

Respondents (not answers) are resampled, because one respondent's ratings are
correlated. Each resample is a row of multinomial counts over respondents; the
resampled means of all measures for a chunk of resamples are two matrix
products, so the cost is linear in respondents and needs no Python loop per
resample.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

# Bound the count matrix of one chunk to about this many cells (~32 MiB).
_CHUNK_CELLS = 4_000_000


def cell_rng(seed: int, group: str, setting: str) -> np.random.Generator:
    """A generator seeded by the settings' seed and the cell's names.

    Depends only on names, not on which other cells exist, so adding a group
    to the data does not change another group's rank intervals.
    """
    return np.random.default_rng([seed, zlib.crc32(f"{group}|{setting}".encode("utf-8"))])


def bootstrap_ranks(wide: pd.DataFrame, resamples: int, alpha: float, rng: np.random.Generator) -> pd.DataFrame:
    """Bootstrap rank intervals of the column means of a respondent x measure matrix.

    Rank 1 is the least intrusive (lowest mean). Returns per measure the
    observed rank, the (alpha/2, 1 - alpha/2) rank interval and the mean
    bootstrap rank. Ties within a resample are broken by column order
    (measure code), so results are deterministic.
    """
    measures = list(wide.columns)
    x = wide.to_numpy(dtype=float)
    n, m = x.shape
    present = ~np.isnan(x)
    values = np.where(present, x, 0.0)
    mask = present.astype(float)
    ranks = np.empty((resamples, m), dtype=np.int32)
    chunk = max(1, min(resamples, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < resamples:
        k = min(chunk, resamples - done)
        draws = rng.integers(0, n, size=(k, n))
        # Offsetting each resample's draws lets one bincount build all rows
        # of counts at once.
        counts = np.bincount((draws + (np.arange(k) * n)[:, None]).ravel(), minlength=k * n).reshape(k, n).astype(float)
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
    return pd.DataFrame(
        {
            "measure": measures,
            "rank": observed,
            "rank_low": np.quantile(ranks, alpha / 2, axis=0, method="lower").astype(int),
            "rank_high": np.quantile(ranks, 1 - alpha / 2, axis=0, method="higher").astype(int),
            "rank_mean": ranks.mean(axis=0),
        }
    )
