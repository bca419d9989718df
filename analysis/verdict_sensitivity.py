"""The verdict sensitivities of one cell, and the verdicts that survive them.

One call per group x setting runs, on the pair verdict rule the tiers rest on:

1. the bound rule (:mod:`analysis.bounds`): an equivalence claim that
   compression at 0 or 100 makes unidentifiable becomes ``undetermined``
   ("compressed at the bound");
2. the tipping-point analysis (:mod:`analysis.dont_know`) on what is left: a
   claim that withheld answers could flip within the plausible delta becomes
   ``undetermined`` ("fragile to don't know");
3. the margin table (:mod:`analysis.margins`), the "don't know" shares and
   flags, and the design's precision (:mod:`analysis.precision`), which are
   reported and change no verdict.

The tiers are then built from :meth:`CellSensitivity.verdicts`, so a claim
the sensitivities refuse cannot merge or separate measures.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np
import pandas as pd

from analysis.bounds import BoundRefusal, BoundShare, bound_shares, check_bounds
from analysis.bounds import REASON as COMPRESSED
from analysis.dont_know import REASON as FRAGILE
from analysis.dont_know import DontKnowShare, TippingPoint, dont_know_shares, tipping_points, withheld_mask, without_fragile
from analysis.margins import MarginTable, margin_table
from analysis.precision import CellPrecision, cell_precision
from analysis.settings import GradationSettings
from analysis.verdict_rule import UNDETERMINED, VerdictRule, Verdicts, pair_keys


class SensitivityPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The planned thresholds of the sensitivities (set from the gradation settings)."""

    margin: float = 5.0
    margins: tuple[float, ...] = (3.0, 5.0, 8.0, 10.0)
    alpha: float = 0.05
    power: float = 0.8
    min_n: int = 5
    min_sites: int = 2
    bound_share_flag: float = 0.2
    bound_share_refuse: float = 0.5
    dont_know_flag: float = 0.15
    plausible_delta: float = 10.0
    max_delta: float = 50.0
    tipping_point: bool = True
    #: Measures and pairs with fewer respondents are left out of the reported
    #: counts and shares (bounds, "don't know", precision per pair), as small
    #: cells are everywhere else; verdict lists carry no counts and stay whole.
    min_shown: int = 5


def plan_from_settings(settings: GradationSettings) -> SensitivityPlan:
    """The sensitivity thresholds of a gradation's settings."""
    return SensitivityPlan(
        margin=settings.margin,
        margins=tuple(sorted({*settings.sensitivity_margins, settings.margin})),
        alpha=settings.alpha,
        power=settings.power,
        min_n=settings.min_measure_n,
        min_sites=settings.min_sites,
        bound_share_flag=settings.bound_share_flag,
        bound_share_refuse=settings.bound_share_refuse,
        dont_know_flag=settings.dont_know_flag,
        plausible_delta=settings.plausible_delta,
        max_delta=settings.tipping_max_delta,
        tipping_point=settings.tipping_point,
        min_shown=settings.min_cell,
    )


class PairCheck(msgspec.Struct, frozen=True):
    """One pair's verdict before and after the sensitivities (a relative to b)."""

    measure_a: str
    measure_b: str
    #: The verdict rule's own verdict.
    rule_verdict: str
    #: The reported verdict: ``undetermined`` when a sensitivity refused the claim.
    verdict: str
    #: ``compressed at the bound`` or ``fragile to don't know``; None when kept.
    reason: str | None


class CellSensitivity(msgspec.Struct, frozen=True):
    """Everything the sensitivities found in one group x setting."""

    plan: SensitivityPlan
    bounds: list[BoundShare]
    dont_know: list[DontKnowShare]
    bound_refusals: list[BoundRefusal]
    #: None when the tipping-point analysis is switched off.
    tipping_points: list[TippingPoint] | None
    margin_table: MarginTable
    precision: CellPrecision
    checks: list[PairCheck]

    def summary_lines(self, shown: int = 6) -> list[str]:
        """Plain-text lines for the report: precision, refused claims, margin dependence, flags."""
        p = self.precision
        lines = []
        if p.detectable_difference is not None:
            provable = f"{p.provable_margin:.1f}" if p.provable_margin is not None else "-"
            lines.append(
                f"precision: detects a difference of {p.detectable_difference:.1f} points (least precise pair "
                f"{p.detectable_difference_max:.1f}) with {100 * p.power:.0f}% power at alpha {p.alpha_family:.2g} per pair "
                f"({p.pairs} pairs); a tie is provable within {provable} points"
            )
        refused = [c for c in self.checks if c.reason is not None]
        if refused:
            lines.append(f"claims withdrawn: {len(refused)}")
            lines += [f"  {c.measure_a} vs {c.measure_b}: {c.rule_verdict} -> undetermined ({c.reason})" for c in refused[:shown]]
            if len(refused) > shown:
                lines.append(f"  ... and {len(refused) - shown} more")
        t = self.margin_table
        moving = [r for r in t.pairs if r.depends_on_margin]
        lines.append(f"margins {', '.join(f'{m:g}' for m in t.margins)}: {len(moving)} of {len(t.pairs)} verdicts depend on the margin")
        lines += [f"  {r.measure_a} vs {r.measure_b}: {' / '.join(r.verdicts)}" for r in moving[:shown]]
        if len(moving) > shown:
            lines.append(f"  ... and {len(moving) - shown} more")
        flagged = [d for d in self.dont_know if d.flagged]
        for d in flagged:
            gap = f"; those who withheld rate the other measures {d.other_ratings_gap:+.1f} points" if d.other_ratings_gap is not None else ""
            lines.append(f"don't know: {d.measure} {100 * d.share:.0f}% of answers{gap}")
        if self.tipping_points is not None:
            tipped = sorted((p for p in self.tipping_points if p.delta is not None), key=lambda p: (p.delta, p.measure_a, p.measure_b))
            claims = sum(1 for p in self.tipping_points if p.verdict in ("less", "equivalent", "more"))
            fragile = sum(1 for p in tipped if p.fragile)
            first = f"; smallest: {tipped[0].measure_a} vs {tipped[0].measure_b} at {tipped[0].delta:g}" if tipped else ""
            lines.append(f"tipping points: {len(tipped)} of {claims} claims change within shifts of {self.plan.max_delta:g} points, {fragile} fragile{first}")
        return lines

    def verdicts(self) -> dict[tuple[str, str], str]:
        """The reported verdicts, keyed (a, b) in both directions, for the tier rule."""
        flip = {"less": "more", "more": "less"}
        out: dict[tuple[str, str], str] = {}
        for c in self.checks:
            out[(c.measure_a, c.measure_b)] = c.verdict
            out[(c.measure_b, c.measure_a)] = flip.get(c.verdict, c.verdict)
        return out


def cell_sensitivity(
    rule: VerdictRule,
    wide: pd.DataFrame,
    sites: np.ndarray | None,
    ratings: pd.DataFrame,
    plan: SensitivityPlan,
    primary: Verdicts | None = None,
    alpha_family: float | None = None,
    precision_measures: Sequence[str] | None = None,
) -> CellSensitivity:
    """Run the sensitivities of this module on one cell.

    Args:
        rule: the pair verdict rule the tiers rest on.
        wide: the cell's respondent x measure matrix; ``sites`` its rows' sites.
        ratings: the cell's tidy rating rows (for "don't know" answers).
        plan: the planned thresholds.
        primary: the rule's verdicts at ``plan.margin`` when already computed.
        alpha_family: per-comparison level of the family-wise scheme, for the
            precision (default alpha over the number of testable pairs).
        precision_measures: the measures whose pairs form the testing family
            (default: all columns of ``wide``).
    """
    verdicts = dict(primary if primary is not None else rule(wide, sites, plan.margin))
    shares = bound_shares(wide, plan.bound_share_flag)
    bounded = check_bounds(rule, wide, sites, plan.margin, shares, plan.bound_share_refuse, verdicts=verdicts)
    points = None
    final = bounded.verdicts
    if plan.tipping_point:
        withheld = withheld_mask(ratings, wide)
        points = tipping_points(rule, wide, sites, withheld, plan.margin, bounded.verdicts, plan.plausible_delta, plan.max_delta, at_zero=verdicts)
        final = without_fragile(bounded.verdicts, points)
    refused = {(r.measure_a, r.measure_b) for r in bounded.refused}
    checks = []
    for pair in pair_keys([str(c) for c in wide.columns]):
        before = verdicts.get(pair, UNDETERMINED)
        after = final.get(pair, UNDETERMINED)
        reason = COMPRESSED if pair in refused else (FRAGILE if after != bounded.verdicts.get(pair, UNDETERMINED) else None)
        checks.append(PairCheck(measure_a=pair[0], measure_b=pair[1], rule_verdict=before, verdict=after, reason=reason))
    family = wide if precision_measures is None else wide[sorted(precision_measures)]
    precision = cell_precision(family, sites, plan.min_n, plan.power, plan.alpha, alpha_family, plan.min_sites)
    shown = {s.measure for s in shares if s.n >= plan.min_shown}
    precision = msgspec.structs.replace(precision, by_pair=[r for r in precision.by_pair if r.n >= plan.min_shown])
    return CellSensitivity(
        plan=plan,
        bounds=[s for s in shares if s.measure in shown],
        dont_know=[d for d in dont_know_shares(ratings, wide, plan.dont_know_flag) if d.measure in shown],
        bound_refusals=bounded.refused,
        tipping_points=points,
        margin_table=margin_table(rule, wide, sites, plan.margins, shares, plan.bound_share_refuse, known={float(plan.margin): bounded.verdicts}),
        precision=precision,
        checks=checks,
    )
