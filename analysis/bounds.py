"""Floors and ceilings: ratings piled up at 0 or 100, and what they do to ties.

A slider rating is a latent judgement censored at the ends of the scale. When
many respondents put a measure at 100, a true gap between two intrusive
measures shrinks on the observed scale and an equivalence test on the
observed ratings calls them "equivalent" far more often than alpha.

The rule. For a latent rating ``Y* = mu + e`` censored to ``[0, 100]``, the
observed mean moves with the latent location at the rate

    d E[Y] / d mu = P(0 < Y* < 100) = 1 - share at 0 - share at 100

for any error distribution (the Tobit marginal effect of a location shift).
Integrating over a latent gap of ``margin`` between a and b, the observed gap
is at least ``margin * kappa`` with ``kappa`` the smaller of the two measures'
uncensored shares (the uncensored share is unimodal in mu, so its minimum on
the interval sits at an end). An equivalence claim at ``margin`` on the
latent scale is therefore only made when the rule also finds the pair
equivalent at the attenuated margin ``margin * kappa``; then a true latent
gap of ``margin`` is called equivalent in at most about alpha of samples,
however compressed the pair. Where either measure has at least
``refuse_share`` of its ratings at one bound, the latent location rests on a
minority of the answers and on the location-shift assumption, so no
equivalence is claimed at all. Refused claims become ``undetermined`` with the
reason ``compressed at the bound``. Claims of a difference are left alone:
censoring shrinks differences, so a difference found on the observed scale is
not an artefact of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import msgspec
import numpy as np
import pandas as pd

from analysis.verdict_rule import UNDETERMINED, VerdictRule, Verdicts

FLOOR: Final = 0.0
CEILING: Final = 100.0
REASON: Final = "compressed at the bound"
# kappa is rounded down to this grid before the re-run: conservative (a pair
# with 1% of its ratings at a bound is held to 95% of the margin), and pairs
# with similar compression share one re-run of the rule, which keeps the cost
# at a few re-runs per margin.
_KAPPA_STEP: Final = 0.05


class BoundShare(msgspec.Struct, frozen=True):
    """Share of one measure's numeric ratings at the floor (0) and the ceiling (100)."""

    measure: str
    n: int
    share_floor: float | None
    share_ceiling: float | None
    #: At least the planned share at one bound (``GradationSettings.bound_share_flag``).
    compressed: bool

    @property
    def uncensored(self) -> float:
        """Share strictly inside the scale: the rate at which observed means follow latent ones."""
        if self.share_floor is None or self.share_ceiling is None:
            return 1.0
        return 1.0 - self.share_floor - self.share_ceiling


class BoundRefusal(msgspec.Struct, frozen=True):
    """One equivalence claim refused because of compression at a bound."""

    measure_a: str
    measure_b: str
    #: The smaller uncensored share of the two measures.
    kappa: float
    #: The margin the claim had to pass instead (``margin * kappa``), or None
    #: when the share at a bound was beyond ``refuse_share`` outright.
    attenuated_margin: float | None
    reason: str = REASON


def bound_shares(wide: pd.DataFrame, flag_share: float) -> list[BoundShare]:
    """Per measure (column of ``wide``) the shares of ratings at 0 and at 100.

    A rating counts as at a bound when it equals 0 or 100 (the slider's ends).
    ``compressed`` is set when either share is at least ``flag_share``.
    """
    if not 0 < flag_share <= 1:
        raise ValueError(f"flag_share: must lie in (0, 1], got {flag_share!r}")
    out: list[BoundShare] = []
    for measure in sorted(str(c) for c in wide.columns):
        x = wide[measure].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        if x.size == 0:
            out.append(BoundShare(measure=measure, n=0, share_floor=None, share_ceiling=None, compressed=False))
            continue
        floor = float(np.mean(x <= FLOOR))
        ceiling = float(np.mean(x >= CEILING))
        out.append(
            BoundShare(measure=measure, n=int(x.size), share_floor=floor, share_ceiling=ceiling, compressed=max(floor, ceiling) >= flag_share)
        )
    return out


def pair_kappa(a: BoundShare, b: BoundShare) -> float:
    """The attenuation bound for a pair: the smaller uncensored share, rounded down to 0.05."""
    kappa = min(a.uncensored, b.uncensored)
    return max(0.0, math.floor(kappa / _KAPPA_STEP + 1e-9) * _KAPPA_STEP)


class BoundCheck(msgspec.Struct, frozen=True):
    """Verdicts after the bound rule, and the claims it refused."""

    verdicts: dict[tuple[str, str], str]
    refused: list[BoundRefusal]


def check_bounds(
    rule: VerdictRule,
    wide: pd.DataFrame,
    sites: np.ndarray | None,
    margin: float,
    shares: list[BoundShare],
    refuse_share: float,
    verdicts: Verdicts | None = None,
) -> BoundCheck:
    """Apply the bound rule of this module to the rule's verdicts at ``margin``.

    Args:
        rule: the pair verdict rule (see :mod:`analysis.verdict_rule`).
        wide, sites: the respondent x measure matrix and the site of each row.
        margin: the equivalence margin on the latent 0-100 scale.
        shares: :func:`bound_shares` of ``wide``.
        refuse_share: a share at one bound from which no equivalence is claimed.
        verdicts: the rule's verdicts at ``margin`` when already computed.

    Returns:
        The verdicts with refused equivalence claims set to ``undetermined``
        (both directions), and one :class:`BoundRefusal` per refused pair.
    """
    if not 0 < refuse_share <= 1:
        raise ValueError(f"refuse_share: must lie in (0, 1], got {refuse_share!r}")
    base = dict(verdicts if verdicts is not None else rule(wide, sites, margin))
    by_measure = {s.measure: s for s in shares}
    # Equivalent pairs per attenuation bound, so each distinct bound costs one re-run.
    to_check: dict[float, list[tuple[str, str]]] = {}
    refused: list[BoundRefusal] = []
    for (a, b), verdict in sorted(base.items()):
        if a >= b or verdict != "equivalent" or a not in by_measure or b not in by_measure:
            continue
        sa, sb = by_measure[a], by_measure[b]
        kappa = pair_kappa(sa, sb)
        worst = max(s for s in (sa.share_floor, sa.share_ceiling, sb.share_floor, sb.share_ceiling) if s is not None)
        if worst >= refuse_share:
            refused.append(BoundRefusal(measure_a=a, measure_b=b, kappa=kappa, attenuated_margin=None))
        elif kappa < 1.0:
            to_check.setdefault(kappa, []).append((a, b))
    for kappa in sorted(to_check):
        attenuated = rule(wide, sites, margin * kappa) if kappa > 0 else {}
        for a, b in to_check[kappa]:
            if attenuated.get((a, b)) != "equivalent":
                refused.append(BoundRefusal(measure_a=a, measure_b=b, kappa=kappa, attenuated_margin=margin * kappa))
    for r in refused:
        base[(r.measure_a, r.measure_b)] = UNDETERMINED
        base[(r.measure_b, r.measure_a)] = UNDETERMINED
    refused.sort(key=lambda r: (r.measure_a, r.measure_b))
    return BoundCheck(verdicts=base, refused=refused)


def shares_by_measure(shares: list[BoundShare]) -> Mapping[str, BoundShare]:
    """Index :func:`bound_shares` output by measure code."""
    return {s.measure: s for s in shares}
