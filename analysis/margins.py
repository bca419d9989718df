"""Margin sensitivity: every pair's verdict at several equivalence margins.

The margin decides which pairs can be called ties. Showing each verdict at
margins 3, 5, 8 and 10 points lets a reader see which ties hold at a strict
margin and which exist only at a generous one. Each column is the primary
verdict rule re-run at that margin, with the bound rule of
:mod:`analysis.bounds` applied, so the column at the planned margin equals the
reported verdicts before the "don't know" check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec
import numpy as np
import pandas as pd

from analysis.bounds import BoundShare, check_bounds
from analysis.verdict_rule import VerdictRule, Verdicts, pair_keys


class MarginRow(msgspec.Struct, frozen=True):
    """Verdicts of one pair (a relative to b), one per margin of the table."""

    measure_a: str
    measure_b: str
    verdicts: list[str]
    #: True when the verdict is not the same at every margin.
    depends_on_margin: bool


class MarginTable(msgspec.Struct, frozen=True):
    """The margin sensitivity table of one group x setting."""

    margins: list[float]
    pairs: list[MarginRow]

    def verdict(self, measure_a: str, measure_b: str, margin: float) -> str:
        """The verdict for a relative to b at ``margin`` (KeyError if not in the table)."""
        k = self.margins.index(margin)
        flip = {"less": "more", "more": "less"}
        for row in self.pairs:
            if (row.measure_a, row.measure_b) == (measure_a, measure_b):
                return row.verdicts[k]
            if (row.measure_b, row.measure_a) == (measure_a, measure_b):
                return flip.get(row.verdicts[k], row.verdicts[k])
        raise KeyError((measure_a, measure_b))


def margin_table(
    rule: VerdictRule,
    wide: pd.DataFrame,
    sites: np.ndarray | None,
    margins: Sequence[float],
    shares: list[BoundShare],
    refuse_share: float,
    known: Mapping[float, Verdicts] | None = None,
) -> MarginTable:
    """Verdicts of every pair of ``wide``'s measures at each of ``margins``.

    Pairs are ordered ``measure_a < measure_b`` by code; ``verdicts[k]`` is the
    verdict for a relative to b at ``margins[k]`` after the bound rule.
    ``known`` holds such verdicts already computed at some margins (such as
    the planned one); those are not re-run.
    """
    if not margins:
        raise ValueError("margins: at least one margin is needed")
    if any(not (m > 0) for m in margins):
        raise ValueError(f"margins: every margin must be positive, got {list(margins)}")
    ordered = sorted(float(m) for m in margins)
    known = known or {}
    columns = [known[m] if m in known else check_bounds(rule, wide, sites, m, shares, refuse_share).verdicts for m in ordered]
    rows = []
    for a, b in pair_keys([str(c) for c in wide.columns]):
        verdicts = [v.get((a, b), "undetermined") for v in columns]
        rows.append(MarginRow(measure_a=a, measure_b=b, verdicts=verdicts, depends_on_margin=len(set(verdicts)) > 1))
    return MarginTable(margins=ordered, pairs=rows)
