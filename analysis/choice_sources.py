"""The paired comparisons and the rankings of one group x setting, and how they agree with the ratings.

One call per cell from :func:`analysis.gradation.analyse`, so the
orchestration stays a few lines there.
"""

from __future__ import annotations

import zlib

import msgspec
import numpy as np
import pandas as pd

from analysis.bradley_terry import BradleyTerryResult, fit_bradley_terry
from analysis.choice_models import MIN_SITE_CLUSTERS
from analysis.plackett_luce import PlackettLuceResult, fit_plackett_luce
from analysis.source_agreement import SourceAgreement, SourceView, compare_sources, resolved_from_intervals, view_of


class ChoiceSources(msgspec.Struct, frozen=True):
    """Bradley-Terry, Plackett-Luce and the agreement of all sources in one cell (each None when absent)."""

    bradley_terry: BradleyTerryResult | None
    plackett_luce: PlackettLuceResult | None
    agreement: SourceAgreement | None


def analyse_choice_sources(
    paired: pd.DataFrame | None,
    ranked: pd.DataFrame | None,
    rating_means: dict[str, float],
    rating_intervals: dict[tuple[str, str], tuple[float | None, float | None]],
    *,
    alpha: float,
    min_cell: int,
    bradley_terry: bool,
    resamples: int,
    seed: int,
    cell: tuple[str, str],
    min_sites: int = MIN_SITE_CLUSTERS,
) -> ChoiceSources:
    """Fit the choice models of one cell and compare the three sources.

    ``rating_intervals[(a, b)]`` is the ratings' interval for mean(b - a);
    ``resamples`` bootstrap resamples (0: none) for the ranking intervals,
    seeded by ``seed`` and the cell's (group, setting) names only.
    """
    rng = np.random.default_rng([seed, zlib.crc32(f"rankings|{cell[0]}|{cell[1]}".encode("utf-8"))])
    bt = fit_bradley_terry(paired, rating_means, alpha, min_cell, min_sites=min_sites) if bradley_terry and paired is not None and len(paired) else None
    pl = fit_plackett_luce(ranked, alpha, min_cell, resamples, rng, min_sites=min_sites) if ranked is not None and len(ranked) else None
    views = [SourceView(source="ratings", strengths={m: v for m, v in rating_means.items() if np.isfinite(v)}, resolved=resolved_from_intervals(rating_intervals))]
    if bt is not None and bt.status == "ok":
        views.append(view_of("pairs", {e.measure: e.estimate for e in bt.estimates}, bt.differences))
    if pl is not None and pl.status == "ok":
        views.append(view_of("rankings", {e.measure: e.estimate for e in pl.estimates}, pl.differences))
    return ChoiceSources(bradley_terry=bt, plackett_luce=pl, agreement=compare_sources(views))
