"""The tier rule: from estimates and pairwise verdicts to ordered tiers.

Rule (deterministic and order-invariant; also in docs/gradation-schema.md):

1. Sort the measures by mean rating, least intrusive first.
2. Cut between two consecutive positions only where every measure below the
   cut is established ``less`` intrusive than every measure above it (the
   family-wise controlled verdicts of :mod:`analysis.pairwise`), and never
   between measures with exactly equal means. The tiers are the runs between
   cuts, so every boundary is a finding (``separated``).
3. Each tier has a status: ``single`` (one measure), ``tie`` when every pair
   inside it is established ``equivalent``, and ``undetermined`` otherwise:
   the data do not settle the order inside it (the listed order is that of the
   means, not a finding).

Why this rule: it depends on the measures only through their means and the
pair verdicts, so renaming the codes gives the same tiers, and reversing the
scale (100 - x, which flips "less" and "more") gives the mirrored tiers. A
cut needs at least one "less" claim, so on data where all measures are
identical the whole cell is one tier unless a false "different" claim was
made, which happens in at most alpha of cells. The greedy walk it replaces
depended on where the walk started.
"""

from __future__ import annotations

import math
from typing import Final

import msgspec

TIER_STATUSES: Final = ("single", "tie", "undetermined")


class Tiering(msgspec.Struct, frozen=True):
    """Tiers (least intrusive first), the status of each boundary and of each tier."""

    tiers: list[list[str]]
    #: ``boundaries[k]`` is between ``tiers[k]`` and ``tiers[k + 1]``.
    boundaries: list[str]
    #: ``statuses[k]`` is the status of ``tiers[k]`` (see :data:`TIER_STATUSES`).
    statuses: list[str]

    def tier_of(self) -> dict[str, int]:
        """Map each measure to its tier index (0 = least intrusive)."""
        return {m: k for k, tier in enumerate(self.tiers) for m in tier}


def order_measures(means: dict[str, float]) -> list[str]:
    """Measures by ascending mean, ties and NaN means ordered by code (NaN last)."""
    return sorted(means, key=lambda m: (means[m] != means[m], means[m] if means[m] == means[m] else 0.0, m))


def build_tiers(means: dict[str, float], verdicts: dict[tuple[str, str], str]) -> Tiering:
    """Apply the tier rule of this module to means and a pairwise verdict lookup.

    ``verdicts[(a, b)]`` is the verdict for a relative to b; absent pairs count
    as ``undetermined``. Every measure needs a finite mean: measures without
    one, or below the minimum n, are left out by the caller before tiering.
    """
    missing = sorted(m for m, v in means.items() if not math.isfinite(v))
    if missing:
        raise ValueError(f"measures without a finite mean cannot be tiered: {missing}")
    order = order_measures(means)
    cuts = [
        k
        for k in range(1, len(order))
        if means[order[k - 1]] < means[order[k]]
        and all(verdicts.get((low, high)) == "less" for low in order[:k] for high in order[k:])
    ]
    edges = [0, *cuts, len(order)]
    tiers = [order[a:b] for a, b in zip(edges, edges[1:]) if b > a]
    statuses = [
        "single"
        if len(tier) == 1
        else "tie"
        if all(verdicts.get((a, b)) == "equivalent" for i, a in enumerate(tier) for b in tier[i + 1 :])
        else "undetermined"
        for tier in tiers
    ]
    return Tiering(tiers=tiers, boundaries=["separated"] * max(len(tiers) - 1, 0), statuses=statuses)
