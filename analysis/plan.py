"""The pre-registered analysis plan as data, its hash, and a run's departures from it.

A plan fixes, before the data are seen, what is estimated and how claims are
decided: the estimands, the equivalence margin and its rationale, alpha, the
multiplicity scheme, the minimum n for tiering, the sensitivity analyses and the
method settings themselves (:class:`GradationSettings`). Its SHA-256 is taken
over a canonical JSON encoding of the plan (keys sorted, numbers as their
declared types), so the same plan has the same hash whether it is kept as JSON
or YAML and however it is indented; any change of content changes the hash.

A plan file (``leastmeans.plan/1``) holds ``{"plan": {...}, "sha256": "..."}``.
:func:`read_plan` refuses a file whose content does not match its stated hash,
because an edited plan is no longer the registered one. Every result records
the hash of the plan it was run under and a plain list of its departures from
it (:func:`plan_departures`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from analysis.settings import GradationSettings

if TYPE_CHECKING:
    from analysis.result import GradationResult

PLAN_SCHEMA: Final = "leastmeans.plan/1"
DEFAULT_MARGIN_RATIONALE: Final = (
    "Equivalence means a difference smaller than 5 points on the 0-100 scale. The smallest change in a 0-100 "
    "visual analogue rating that respondents notice as a difference is about 10-13 points in studies of pain "
    "ratings (Emerg Med J 2001;18:205-7; Ann Emerg Med 1996;27:485-9). Half of it is taken, so that two measures "
    "called equally intrusive differ by clearly less than a respondent would notice; a wider margin would merge "
    "measures that people tell apart. Because the margin decides ties, every equivalence verdict is also shown "
    "at 3, 5, 8 and 10 points."
)


_WEIGHTING: Final = {
    "respondent": "every respondent counting equally",
    "site": "every site counting equally (respondents weighted by 1 / their site's respondents)",
}


class PlanError(ValueError):
    """A plan could not be read, is inconsistent, or does not match its hash."""


class Estimand(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One quantity the analysis estimates, defined in words."""

    name: str
    definition: str


class Margin(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The equivalence margin, its basis, and the margins of the sensitivity table."""

    points: float
    rationale: str
    sensitivity_points: list[float]


class SensitivityAnalysis(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A planned check of how far a conclusion depends on an assumption."""

    name: str
    description: str


class AnalysisPlan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The registered analysis plan; ``settings`` determines every computation."""

    schema: str = PLAN_SCHEMA
    estimands: list[Estimand]
    margin: Margin
    alpha: float
    multiplicity: str
    #: Respondents a cell needs before it is tiered (fewer: descriptives only).
    min_n_tiering: int
    #: Respondents a measure needs in a cell before it enters verdicts and tiers.
    min_n_measure: int
    #: Cells and measures with fewer respondents are never shown to others.
    min_n_shown: int
    sensitivity_analyses: list[SensitivityAnalysis]
    settings: GradationSettings


class PlanFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The stored form of a plan: the plan and the SHA-256 it had when written."""

    plan: AnalysisPlan
    sha256: str


def _estimands(settings: GradationSettings) -> list[Estimand]:
    return [
        Estimand(
            name="measure_mean",
            definition=(
                "Mean intrusiveness rating (0 = not intrusive at all, 100 = extremely intrusive) of each coercive measure "
                "among the respondents of one group (patients, relatives, staff) in one setting who gave a numeric rating, "
                f"{_WEIGHTING[settings.mean_weighting]}, with sites as clusters. "
                "\"Don't know\" and \"prefer not to answer\" are never averaged in; their shares are reported."
            ),
        ),
        Estimand(
            name="paired_difference",
            definition=(
                "Mean within-respondent difference rating(b) - rating(a) between two measures in one group x setting, "
                "over respondents who rated both; the basis of the verdicts less, equivalent, more and undetermined."
            ),
        ),
        Estimand(
            name="tier_partition",
            definition=(
                "The ordered partition of a cell's measures into tiers: measures within a tier shown equivalent within "
                "the margin, a boundary settled where the measures on either side are shown different; it must not "
                "depend on the direction of the scale or on the measures' codes."
            ),
        ),
        Estimand(
            name="bound_shares",
            definition="Share of each measure's ratings at 0 and at 100, per group x setting.",
        ),
        Estimand(
            name="choice_strength",
            definition=(
                "Strength of each measure in the paired choices (Bradley-Terry with ties) and in the rankings "
                "(Plackett-Luce), per group x setting, compared with the order of the mean ratings."
            ),
        ),
        Estimand(
            name="group_contrast",
            definition=(
                "Difference in mean rating of a measure between respondent groups within a setting, from the primary "
                "model with site as a cluster."
            ),
        ),
    ]


def _sensitivity(settings: GradationSettings, margins: list[float]) -> list[SensitivityAnalysis]:
    shown = ", ".join(f"{m:g}" for m in margins)
    return [
        SensitivityAnalysis(
            name="equivalence_margin",
            description=f"Every equivalence verdict recomputed at margins of {shown} points and shown as a table.",
        ),
        SensitivityAnalysis(
            name="dont_know_tipping_point",
            description=(
                f"Per measure, a flag when more than {settings.dont_know_flag:.0%} of its answers are \"don't know\"; per "
                "claim, the shift delta of the withheld answers (the given ratings moved by the share withheld times "
                f"delta, searched up to {settings.tipping_max_delta:g} points either way) that would change it. A claim "
                f"that changes within {settings.plausible_delta:g} points is reported as undetermined."
            ),
        ),
        SensitivityAnalysis(
            name="bounded_scale",
            description=(
                f"Per measure the shares of ratings at 0 and at 100, flagged from {settings.bound_share_flag:.0%}. A "
                "ceiling or floor shrinks observed differences by the share of ratings strictly inside the scale, so an "
                "equivalence claim must also hold at the margin times that share; with "
                f"{settings.bound_share_refuse:.0%} or more of either measure's ratings at one bound no equivalence is "
                "claimed. Claims of a difference are kept: compression only shrinks differences."
            ),
        ),
        SensitivityAnalysis(
            name="invariance",
            description="Tiers recomputed on the reversed scale (100 - x) and with renamed codes must be the mirror image and the same.",
        ),
        SensitivityAnalysis(
            name="tier_stability",
            description=(
                f"Share of {min(settings.tier_stability_resamples, settings.bootstrap_resamples)} bootstrap resamples "
                f"(seed {settings.seed}; whole sites resampled when a cell has at least {settings.min_sites} sites) in "
                "which the primary verdicts give each tier again. Descriptive."
            ),
        ),
        SensitivityAnalysis(
            name="data_sources",
            description="Ratings, paired choices and rankings compared; where they disagree on the order of two measures, it is shown.",
        ),
        SensitivityAnalysis(
            name="detectable_difference",
            description=(
                f"For each cell, the smallest difference the design detects with {settings.power:.0%} power at the "
                "family-adjusted alpha, printed beside the tiers."
            ),
        ),
    ]


def build_plan(settings: GradationSettings | None = None, margin_rationale: str | None = None) -> AnalysisPlan:
    """The analysis plan for `settings` (default settings when None).

    Raises:
        PlanError: when the margin differs from the default and no rationale
            is given (a margin without a stated basis decides ties arbitrarily).
    """
    settings = settings or GradationSettings()
    if margin_rationale is None:
        if settings.margin != GradationSettings().margin:
            raise PlanError(f"margin: {settings.margin:g} points differs from the default; state its rationale")
        margin_rationale = DEFAULT_MARGIN_RATIONALE
    if not margin_rationale.strip():
        raise PlanError("margin: the rationale must not be empty")
    margins = sorted({*settings.sensitivity_margins, float(settings.margin)})
    level = round(100 * (1 - settings.alpha), 2)
    plan = AnalysisPlan(
        estimands=_estimands(settings),
        margin=Margin(points=float(settings.margin), rationale=margin_rationale, sensitivity_points=margins),
        alpha=settings.alpha,
        multiplicity=(
            f"Within each group x setting cell, claims that two measures differ and claims that they are equivalent are "
            f"each controlled family-wise at alpha = {settings.alpha:g} over the m pairs of measures eligible for claims "
            f"(both measures rated by at least {settings.min_measure_n} respondents), by Bonferroni-simultaneous "
            "intervals: \"different\" when the (1 - alpha/m) interval of the paired difference excludes 0, "
            "\"equivalent\" when its (1 - 2 alpha/m) interval lies inside plus or minus the margin. Intervals are "
            f"cluster-robust by site (CR2 with Bell-McCaffrey degrees of freedom) when the ratings come from at least "
            f"{settings.min_sites} sites, and respondent-level otherwise, which the result states. Each cell is its own "
            "family; claims are not pooled across cells, and the number of cells analysed is stated beside the tiers."
        ),
        min_n_tiering=settings.min_cell_for_tiers,
        min_n_measure=settings.min_measure_n,
        min_n_shown=settings.min_cell,
        sensitivity_analyses=_sensitivity(settings, margins),
        settings=settings,
    )
    check_plan(plan)
    return plan


def check_plan(plan: AnalysisPlan) -> None:
    """Refuse a plan whose stated figures disagree with its settings.

    Raises:
        PlanError: naming the field and both values.
    """
    if plan.schema != PLAN_SCHEMA:
        raise PlanError(f"schema: {plan.schema!r}; this software reads {PLAN_SCHEMA!r}")
    s = plan.settings
    pairs = (
        ("margin.points", plan.margin.points, s.margin),
        ("alpha", plan.alpha, s.alpha),
        ("min_n_tiering", plan.min_n_tiering, s.min_cell_for_tiers),
        ("min_n_measure", plan.min_n_measure, s.min_measure_n),
        ("min_n_shown", plan.min_n_shown, s.min_cell),
    )
    for field, stated, expected in pairs:
        if stated != expected:
            raise PlanError(f"{field}: {stated!r} but the settings say {expected!r}")
    if s.margin not in plan.margin.sensitivity_points:
        raise PlanError(f"margin.sensitivity_points: must include the margin itself ({s.margin:g})")


def canonical_plan_bytes(plan: AnalysisPlan) -> bytes:
    """The bytes the plan hash is taken over: sorted-key JSON of the plan."""
    return msgspec.json.encode(msgspec.to_builtins(plan), order="sorted")


def plan_sha256(plan: AnalysisPlan) -> str:
    """SHA-256 (hex) of :func:`canonical_plan_bytes`."""
    return hashlib.sha256(canonical_plan_bytes(plan)).hexdigest()


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def plan_document(plan: AnalysisPlan, fmt: str = "json") -> bytes:
    """The plan file's content (``json`` or ``yaml``), with the plan's hash."""
    stored = {"plan": msgspec.to_builtins(plan), "sha256": plan_sha256(plan)}
    if fmt == "yaml":
        return msgspec.yaml.encode(stored)
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(stored), indent=2) + b"\n"
    raise PlanError(f"format: {fmt!r}; expected 'json' or 'yaml'")


def write_plan(plan: AnalysisPlan, path: str | Path) -> str:
    """Write the plan file (YAML for a .yaml/.yml name, else JSON); return its hash."""
    path = Path(path)
    path.write_bytes(plan_document(plan, "yaml" if _is_yaml(path) else "json"))
    return plan_sha256(plan)


def _differences(found: Any, expected: Any, where: str = "") -> list[str]:
    if isinstance(found, dict) and isinstance(expected, dict):
        out: list[str] = []
        for key in sorted(set(found) | set(expected)):
            out += _differences(found.get(key), expected.get(key), f"{where}.{key}" if where else key)
        return out
    if isinstance(found, list) and isinstance(expected, list) and len(found) == len(expected):
        return [d for k, (a, b) in enumerate(zip(found, expected)) for d in _differences(a, b, f"{where}[{k}]")]
    return [] if found == expected else [where]


def parse_plan(content: bytes, name: str = "plan", yaml: bool = False) -> tuple[AnalysisPlan, str]:
    """Decode a plan file and verify it; return the plan and its hash.

    Raises:
        PlanError: naming the file, the field and the problem: unreadable,
            a field missing or of the wrong type, content that does not match
            the stated hash (an edited plan), or figures that contradict the
            plan's settings.
    """
    try:
        raw = msgspec.yaml.decode(content) if yaml else msgspec.json.decode(content)
    except msgspec.DecodeError as exc:
        raise PlanError(f"{name}: not a readable plan ({exc})") from None
    if not isinstance(raw, dict) or "plan" not in raw or "sha256" not in raw:
        raise PlanError(f"{name}: expected the fields 'plan' and 'sha256' (write a plan with `leastmeans plan`)")
    try:
        stored = msgspec.convert(raw, PlanFile)
    except (msgspec.ValidationError, ValueError) as exc:
        raise PlanError(f"{name}: {exc}") from None
    actual = plan_sha256(stored.plan)
    if actual != stored.sha256:
        # The original is unknown; most plans start from the default, so its
        # differences usually point at the edit.
        changed = _differences(msgspec.to_builtins(stored.plan), msgspec.to_builtins(build_plan()))
        hint = f" (fields that differ from the default plan: {', '.join(changed[:8])})" if changed else ""
        raise PlanError(
            f"{name}: field 'sha256': the plan's content hashes to {actual}, not to the stated {stored.sha256}; "
            f"the plan was changed after it was written{hint}. Write a new plan with `leastmeans plan` instead of editing one"
        )
    try:
        check_plan(stored.plan)
    except PlanError as exc:
        raise PlanError(f"{name}: {exc}") from None
    return stored.plan, actual


def read_plan(path: str | Path) -> tuple[AnalysisPlan, str]:
    """Read and verify a plan file (see :func:`parse_plan`)."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path}: cannot be read ({exc.strerror})") from None
    # YAML holds JSON as well, so only a .json name needs the stricter reader.
    return parse_plan(content, str(path), yaml=path.suffix.lower() != ".json")


def plan_departures(plan: AnalysisPlan, result: GradationResult) -> list[str]:
    """Where a run departs from its plan, in plain words.

    Settings changed from the plan's, models fitted on a subsample, fits that
    failed or did not converge, and cells or measures below the planned minimum
    n. No respondent count below the minimum is written out, because small
    counts are never shown to others.
    """
    out: list[str] = []
    planned, used = plan.settings, result.settings
    for field in planned.__struct_fields__:
        a, b = getattr(planned, field), getattr(used, field)
        if a != b:
            out.append(f"settings.{field}: {b!r} instead of the planned {a!r}")
    for models in result.models:
        for label, fit in (("mixed model", models.mixed), ("ordinal model", models.ordinal)):
            if fit is None:
                continue
            if fit.error is not None:
                out.append(f"{models.setting}: the {label} was not fitted ({fit.error})")
                continue
            if fit.subsampled:
                out.append(
                    f"{models.setting}: the {label} was fitted on a random subset of "
                    f"{used.model_max_respondents} respondents, not on all"
                )
            if not fit.converged:
                out.append(f"{models.setting}: the {label} did not converge")
    for g in result.groups:
        cell = f"{g.group} / {g.setting}"
        if g.respondents < plan.min_n_tiering:
            out.append(
                f"{cell}: fewer respondents than the planned minimum of {plan.min_n_tiering} for tiering"
                + ("; tiers were formed nevertheless" if g.tiers else "; descriptives only")
            )
            continue
        thin = [m.measure for m in g.measures if m.n < plan.min_n_measure]
        if thin:
            out.append(
                f"{cell}: {', '.join(thin)} rated by fewer than the planned minimum of {plan.min_n_measure} respondents"
            )
    return out


def with_plan(result: GradationResult, plan: AnalysisPlan) -> GradationResult:
    """`result` with the plan's hash and the run's departures from it."""
    return msgspec.structs.replace(result, plan_sha256=plan_sha256(plan), departures=plan_departures(plan, result))
