"""The tier rule: from estimates and pairwise verdicts to ordered tiers.

Rule (deterministic, also described in docs/gradation-schema.md):

1. Order the measures by mean rating, least intrusive first; equal means are
   ordered by measure code.
2. Walk that order. A measure joins the current tier if its verdict is
   ``equivalent`` against *every* measure already in the tier; otherwise it
   opens a new tier. Ties are thus a statistical verdict, never a default:
   a measure with unclear evidence is not merged.
3. The boundary between two consecutive tiers is ``separated`` when every
   measure of the lower tier is ``less`` intrusive than every measure of the
   upper tier (Holm-adjusted), and ``undetermined`` otherwise, so an order
   the data do not support is shown as such rather than invented.
"""

from __future__ import annotations

import msgspec


class Tiering(msgspec.Struct, frozen=True):
    """Tiers (least intrusive first) and the status of each boundary between them."""

    tiers: list[list[str]]
    #: ``boundaries[k]`` is between ``tiers[k]`` and ``tiers[k + 1]``.
    boundaries: list[str]

    def tier_of(self) -> dict[str, int]:
        """Map each measure to its tier index (0 = least intrusive)."""
        return {m: k for k, tier in enumerate(self.tiers) for m in tier}


def order_measures(means: dict[str, float]) -> list[str]:
    """Measures by ascending mean, ties and NaN means ordered by code (NaN last)."""
    return sorted(means, key=lambda m: (means[m] != means[m], means[m] if means[m] == means[m] else 0.0, m))


def build_tiers(means: dict[str, float], verdicts: dict[tuple[str, str], str]) -> Tiering:
    """Apply the tier rule of this module to means and a pairwise verdict lookup.

    ``verdicts[(a, b)]`` is the verdict for a relative to b; absent pairs count
    as ``undetermined``.
    """
    tiers: list[list[str]] = []
    for measure in order_measures(means):
        if tiers and all(verdicts.get((member, measure)) == "equivalent" for member in tiers[-1]):
            tiers[-1].append(measure)
        else:
            tiers.append([measure])
    boundaries = [
        "separated"
        if all(verdicts.get((low, high)) == "less" for low in lower for high in upper)
        else "undetermined"
        for lower, upper in zip(tiers, tiers[1:])
    ]
    return Tiering(tiers=tiers, boundaries=boundaries)
