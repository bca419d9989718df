"""The gradation result: one object carrying every estimate, the method and provenance.

Modelled on statsmodels results classes: attributes for the numbers, a
``summary()`` for people and a ``to_json()`` for machines, in the
``leastmeans.gradation/3`` schema (docs/gradation-schema.md).

Tiers are numbered from 1 (1 = least intrusive) in the JSON, the API and the report;
the Python objects keep 0-based positions (``Tier.index``, ``MeasureSummary.tier``) and
:meth:`GradationResult.to_dict` adds one. Schema /2 documents stored earlier are 0-based
(:func:`server.publication.tier_numbering.first_tier` tells a reader which).
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

from analysis.bradley_terry import BradleyTerryResult
from analysis.plackett_luce import PlackettLuceResult
from analysis.source_agreement import SourceAgreement
from analysis.models import SettingModels
from analysis.reference import ReferenceComparison
from analysis.settings import GradationSettings
from analysis.verdict_sensitivity import CellSensitivity

SCHEMA: Final = "leastmeans.gradation/3"
#: The number of the least intrusive tier in the JSON (objects count from 0).
FIRST_TIER: Final = 1


class Snapshot(msgspec.Struct, frozen=True):
    """Which data the result came from."""

    respondents: int
    answers: int
    sha256: str


class MeasureSummary(msgspec.Struct, frozen=True):
    """Descriptives, rank interval and tier of one measure in one group x setting."""

    measure: str
    n: int
    rows: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    share_dont_know: float
    share_prefer_not_to_answer: float
    rank: int
    rank_low: int | None
    rank_high: int | None
    #: None when the measure was left out of the tiers (too few ratings, or a cell without tiers).
    tier: int | None
    small_cell: bool
    #: Sites behind the ratings, and how the interval was clustered: ``site_cr2`` or ``respondent``.
    sites: int = 0
    ci_method: str | None = None
    #: Shares of the numeric ratings at 0 and at 100 (None without ratings).
    share_floor: float | None = None
    share_ceiling: float | None = None
    #: ``share_dont_know`` above the planned threshold: possibly informative.
    dont_know_flagged: bool = False
    #: Share of the stability resamples in which the measure has exactly the
    #: same tier-mates (None when untiered or not computed); descriptive.
    tier_stability: float | None = None


class PairVerdict(msgspec.Struct, frozen=True):
    """Within-respondent comparison of two measures; diff = mean(b - a)."""

    measure_a: str
    measure_b: str
    n: int
    diff: float | None
    #: Bonferroni-simultaneous (1 - alpha/m) interval: "different" when it excludes 0.
    ci_low: float | None
    ci_high: float | None
    #: Bonferroni-simultaneous (1 - 2 alpha/m) interval: "equivalent" when inside the margin.
    eq_low: float | None
    eq_high: float | None
    #: Degrees of freedom, sites and method (``site_cr2`` / ``respondent``) of the intervals.
    df: float | None
    sites: int
    method: str | None
    p_diff: float | None
    #: Bonferroni-adjusted over the m pairs of the cell eligible for claims.
    p_diff_adj: float | None
    p_tost: float | None
    p_tost_adj: float | None
    #: The reported verdict: the rule's, unless a sensitivity refused the claim.
    verdict: str
    #: The verdict rule's own verdict, and why the reported one differs from
    #: it (``compressed at the bound`` / ``fragile to don't know``), else None.
    rule_verdict: str | None = None
    reason: str | None = None


class Tier(msgspec.Struct, frozen=True):
    """One tier; ``boundary_above`` is the status of the boundary to the next tier."""

    index: int
    measures: list[str]
    boundary_above: str | None
    #: ``single``, ``tie`` (every pair inside equivalent) or ``undetermined`` (order inside not settled).
    status: str = "single"
    #: Share of the stability resamples in which exactly these measures form a
    #: tier (None when not computed); descriptive.
    stability: float | None = None


class AllowedSummary(msgspec.Struct, frozen=True):
    """Yes / no / don't know counts for "should this measure be allowed?"."""

    measure: str
    n: int
    yes: int
    no: int
    dont_know: int
    prefer_not_to_answer: int
    pct_yes: float | None
    pct_no: float | None
    pct_dont_know: float | None
    small_cell: bool


class GroupGradation(msgspec.Struct, frozen=True):
    """Everything measured for one respondent group in one setting."""

    group: str
    setting: str
    respondents: int
    small_cell: bool
    #: Sites in the cell and the method of its intervals (``site_cr2`` or ``respondent``).
    sites: int
    interval_method: str
    #: False when the cell is below the minimum for tiering (then ``tiers`` is empty).
    tiered: bool
    #: What was left out of the tiers and why, and fallbacks used.
    notes: list[str]
    measures: list[MeasureSummary]
    tiers: list[Tier]
    pairwise: list[PairVerdict]
    allowed: list[AllowedSummary]
    bradley_terry: BradleyTerryResult | None
    reference: ReferenceComparison | None
    #: Plackett-Luce fit of the ranking task (None when the cell has no rankings).
    plackett_luce: PlackettLuceResult | None = None
    #: What ratings, paired comparisons and rankings each say, and where they disagree.
    source_agreement: SourceAgreement | None = None
    #: Bound shares, "don't know" flags and tipping points, the margin table
    #: and the design's precision (None for a cell without tiers).
    sensitivity: CellSensitivity | None = None
    #: Unit of the rank bootstrap: ``site`` (whole sites, at least
    #: ``min_sites``) or ``respondent``; None without a bootstrap.
    rank_resampling: str | None = None
    #: Resamples behind the tier stability (0 when not computed).
    tier_stability_resamples: int = 0


def _rounded(obj: Any, digits: int) -> Any:
    # Rounding every float in one place keeps the JSON stable across
    # platforms whose last-bit floating point results may differ.
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        value = round(obj, digits)
        return 0.0 if value == 0 else value
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v, digits) for v in obj]
    return obj


def _numbered_from_one(document: dict[str, Any]) -> dict[str, Any]:
    # One numbering for every reader of the JSON: the least intrusive tier is 1.
    for group in document["groups"]:
        for tier in group["tiers"]:
            tier["index"] += FIRST_TIER
        for measure in group["measures"]:
            if measure["tier"] is not None:
                measure["tier"] += FIRST_TIER
    return document


class GradationResult(msgspec.Struct, frozen=True):
    """Result of :func:`analysis.gradation.analyse`."""

    schema: str
    software_version: str
    settings: GradationSettings
    snapshot: Snapshot
    groups: list[GroupGradation]
    models: list[SettingModels]
    reference_gradation: dict[str, list[list[str]]] | None
    notes: list[str]
    #: SHA-256 of the analysis plan the run was held to (:mod:`analysis.plan`); "" when none is known.
    plan_sha256: str = ""
    #: Where the run departs from that plan, in plain words (settings changed, models subsampled, cells too small).
    departures: list[str] = []
    #: Version of each numerical library the numbers were computed with
    #: (``analysis.gradation.NUMERICAL_LIBRARIES``); empty in documents from before it was recorded.
    library_versions: dict[str, str] = {}

    def group(self, group: str, setting: str) -> GroupGradation:
        """The result for one group x setting (KeyError if absent)."""
        for g in self.groups:
            if g.group == group and g.setting == setting:
                return g
        raise KeyError((group, setting))

    def to_dict(self) -> dict[str, Any]:
        """Plain builtins with floats rounded to ``settings.float_digits``; tiers numbered from 1."""
        return _numbered_from_one(_rounded(msgspec.to_builtins(self), self.settings.float_digits))

    def to_json(self) -> bytes:
        """JSON in the ``leastmeans.gradation/3`` schema; same input, same bytes."""
        return msgspec.json.encode(self.to_dict(), order="sorted")

    def summary(self) -> str:
        """A plain-text report of tiers, estimates and verdict counts per group x setting."""
        s = self.settings
        lines = [
            "leastmeans gradation",
            "=" * 78,
            f"schema {self.schema}   software {self.software_version}",
            "libraries " + (", ".join(f"{k} {v}" for k, v in sorted(self.library_versions.items())) or "-"),
            f"data sha256 {self.snapshot.sha256}",
            f"plan sha256 {self.plan_sha256 or '-'}",
            f"respondents {self.snapshot.respondents}   answers {self.snapshot.answers}",
            f"margin {s.margin:g}   alpha {s.alpha:g}   bootstrap {s.bootstrap_resamples if s.bootstrap else 'off'}   seed {s.seed}   min cell {s.min_cell}",
        ]
        for g in self.groups:
            lines += ["", "-" * 78, f"{g.group} / {g.setting}: {g.respondents} respondents, {g.sites} site(s), intervals {g.interval_method}" + ("  [SMALL CELL]" if g.small_cell else "")]
            lines.append(f"{'tier':>4} {'measure':<22} {'n':>6} {'mean':>6} {'95% CI':>15} {'median':>6} {'rank':>7} {'dk%':>5} {'@0%':>5} {'@100%':>5}")
            for m in g.measures:
                ci = f"{m.ci_low:.1f}-{m.ci_high:.1f}" if m.ci_low is not None and m.ci_high is not None else "-"
                rank = f"{m.rank_low}-{m.rank_high}" if m.rank_low is not None else str(m.rank)
                mean = f"{m.mean:.1f}" if m.mean is not None else "-"
                median = f"{m.median:.1f}" if m.median is not None else "-"
                flag = " *" if m.small_cell else ""
                tier = str(m.tier + 1) if m.tier is not None else "-"
                floor = f"{100 * m.share_floor:.0f}" if m.share_floor is not None else "-"
                ceiling = f"{100 * m.share_ceiling:.0f}" if m.share_ceiling is not None else "-"
                dk = f"{100 * m.share_dont_know:.1f}" + ("!" if m.dont_know_flagged else "")
                lines.append(f"{tier:>4} {m.measure:<22} {m.n:>6} {mean:>6} {ci:>15} {median:>6} {rank:>7} {dk:>5} {floor:>5} {ceiling:>5}{flag}")
            order = " ".join(
                ("[" if t.status != "undetermined" else "[? ") + ", ".join(t.measures) + "]" + ({"separated": " <", "undetermined": " ?"}.get(t.boundary_above or "", ""))
                for t in g.tiers
            )
            lines.append(f"tiers: {order}" if g.tiered else "tiers: none")
            if g.tier_stability_resamples and g.tiers:
                shares = ", ".join(f"tier {t.index + 1} {t.stability:.2f}" for t in g.tiers if t.stability is not None)
                lines.append(f"tier stability ({g.tier_stability_resamples} {g.rank_resampling} resamples; share reproducing each tier, descriptive): {shares}")
            lines += [f"  note: {n}" for n in g.notes]
            counts = {v: sum(p.verdict == v for p in g.pairwise) for v in ("less", "equivalent", "more", "undetermined")}
            lines.append("pairs: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            if g.sensitivity is not None:
                lines += g.sensitivity.summary_lines()
            if g.bradley_terry is not None:
                bt = g.bradley_terry
                if bt.status == "ok":
                    lines.append(f"Bradley-Terry (ties: Davidson): {bt.comparisons} comparisons, {bt.ties} don't know as ties, nu {bt.tie_parameter:.3g}; order {' < '.join(bt.order)}")
                else:
                    lines.append(f"Bradley-Terry: {bt.comparisons} comparisons; not estimated ({bt.status}): {bt.message}")
            if g.plackett_luce is not None:
                pl = g.plackett_luce
                if pl.status == "ok":
                    lines.append(f"Plackett-Luce: {pl.rankings} rankings, {pl.resamples} resamples; order {' < '.join(pl.order)}")
                else:
                    lines.append(f"Plackett-Luce: {pl.rankings} rankings; not estimated ({pl.status}): {pl.message}")
            if g.source_agreement is not None:
                for c in g.source_agreement.comparisons:
                    tau = f"{c.kendall_tau:.2f}" if c.kendall_tau is not None else "-"
                    lines.append(f"{c.source_a} vs {c.source_b}: {len(c.measures)} measures, Kendall tau {tau}, opposite order {c.opposite} of {c.pairs} pairs ({c.clear_opposite} clear)")
                    lines += [f"  clear disagreement: {d.measure_a} is {d.source_a_says} intrusive than {d.measure_b} by {c.source_a}, {d.source_b_says} by {c.source_b}" for d in c.disagreements if d.clear]
            if g.reference is not None:
                r = g.reference
                lines.append(f"reference: agree {r.agree}, disagree {r.disagree}, undetermined {r.undetermined}")
                for p in r.pairs:
                    if p.status == "disagree":
                        lines.append(f"  differs: {p.measure_a} vs {p.measure_b}: reference {p.reference}, measured {p.measured}")
        for sm in self.models:
            lines += ["", "-" * 78, f"models / {sm.setting}"]
            lines += sm.summary_lines()
        if self.departures:
            lines += ["", "departures from the plan:"] + [f"- {d}" for d in self.departures]
        if self.notes:
            lines += ["", "notes:"] + [f"- {n}" for n in self.notes]
        lines.append("* small cell: fewer respondents than the minimum; suppress in outputs for others.")
        lines.append("[? ...]: a tier whose inner order the data do not settle; < : an established boundary.")
        lines.append("dk% ... !: \"don't know\" share above the planned threshold; @0% / @100%: shares of ratings at the bounds.")
        return "\n".join(lines)
