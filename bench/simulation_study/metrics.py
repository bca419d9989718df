"""One run of one scenario: simulate, analyse, and score what the result claims against the truth.

Each ``run_<scenario>(design, seed, margin)`` returns ``{metric: value}`` with
``value`` 0/1 for an event, a number for a quantity, or None when the result
does not report what the metric reads ("not available"). :data:`METRICS`
lists every metric with its label and target; :mod:`.study` averages them
over runs.

"Per cell" rates count the group x setting cells of a run (three per run)
that hold at least one false claim: the family-wise error of the cell, the
unit a gradation is published in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis.gradation import GradationSettings, analyse
from analysis.simulate import mirrored, renamed, simulate_answers
from bench.simulation_study import reading, scenarios
from bench.simulation_study.scenarios import Design

Metrics = dict[str, float | None]
#: Differences in expected rating below this count as none (float noise of the root finder).
TOL: Final = 1e-6


class Metric(msgspec.Struct, frozen=True):
    """A row of the study table: what is measured, in which scenario, and its target.

    ``kind``: ``max`` (estimate at most ``target``), ``min`` (at least),
    ``range`` (between ``target`` and ``upper``), ``all`` (in every run) or
    ``info`` (reported, no target).
    """

    scenario: str
    key: str
    label: str
    kind: str
    target: float | None = None
    upper: float | None = None
    #: Only for these designs (empty: every design).
    designs: tuple[str, ...] = ()
    #: ``rate`` (shown as a percentage) or ``points`` (on the 0-100 scale).
    unit: str = "rate"

    def target_text(self, alpha: float) -> str:
        """The target as the table prints it."""
        if self.kind == "max":
            return f"<= {_fmt_target(self.target, alpha)}"
        if self.kind == "min":
            return f">= {_fmt_target(self.target, alpha)}"
        if self.kind == "range":
            return f"{self.target:.0%}-{self.upper:.0%}"
        if self.kind == "all":
            return "100%"
        return "-"


def _fmt_target(value: float | None, alpha: float) -> str:
    return "alpha" if value is None else f"{value:.0%}"


ALPHA_TARGET: Final = None  # "max" with target None means: at most the result's alpha

METRICS: Final = (
    Metric("realistic", "coverage", "coverage of the measures' 95% CIs", "range", 0.93, 0.97),
    Metric("realistic", "pair_coverage", "all pair intervals of a cell cover their truth (simultaneous)", "min", 0.95),
    Metric("realistic", "coverage_bound", "  coverage for measures with >= 30% of ratings at 0 or 100", "info"),
    Metric("null", "false_different", "false 'different' claims, per cell (null)", "max", ALPHA_TARGET),
    Metric("null", "coverage", "coverage of the measures' 95% CIs (null)", "range", 0.93, 0.97),
    Metric("null", "several_tiers", "identical measures drawn as > 1 tier, per cell", "info"),
    Metric("margin", "false_different", "false 'different' claims, per cell (ties 1 margin apart)", "max", ALPHA_TARGET),
    Metric("margin", "false_equivalent", "false 'equivalent' claims, per cell (neighbours on the margin)", "max", ALPHA_TARGET),
    Metric("margin", "false_shared_tier", "measures >= 1 margin apart shown as one tie tier, per cell", "max", ALPHA_TARGET),
    Metric("ceiling", "top_equivalent", "true 5-point gap under ~50% ceiling called 'equivalent'", "max", ALPHA_TARGET),
    Metric("ceiling", "control_equivalent", "same 5-point gap mid-scale called 'equivalent'", "info"),
    Metric("ceiling", "share_100_top", "  share of ratings at 100, upper measure of the top pair", "info"),
    Metric("ceiling", "power_5", "power: 5-point gap mid-scale called 'different'", "info"),
    Metric("ceiling", "power_10", "power: 10-point gap mid-scale called 'different'", "info"),
    Metric("ceiling", "detectable_difference", "stated minimum detectable difference, points (mean)", "info", unit="points"),
    Metric("realistic", "tiers_mirrored", "100 - x reversal gives the mirrored tiers", "all"),
    Metric("realistic", "claims_mirrored", "100 - x reversal gives the mirrored pair verdicts", "all"),
    Metric("realistic", "tiers_renamed", "renamed codes give identical tiers", "all"),
    Metric("realistic", "claims_renamed", "renamed codes give identical pair verdicts", "all"),
    Metric("confound", "any_contrast", "null group effect, groups at different sites: any group contrast (Holm)", "max", ALPHA_TARGET),
    Metric("confound", "contrast_rate", "  group contrasts significant, per contrast (unadjusted)", "max", ALPHA_TARGET),
    Metric("confound", "gender_mixed", "null gender effect called significant: mixed model", "max", ALPHA_TARGET),
    Metric("confound", "gender_ordinal", "null gender effect called significant: ordinal model", "max", ALPHA_TARGET, designs=("realistic",)),
    Metric("mnar", "flagged", "informative 'don't know' (40%) flags the measure", "min", 0.95),
    Metric("mnar", "wrong_verdict", "  wrong verdict on the informative measure ('equivalent' or reversed)", "max", ALPHA_TARGET),
    Metric("mnar", "correct_less", "  correct verdict on the informative measure kept", "info"),
    Metric("mnar", "bias", "  informative measure: reported mean minus truth (points)", "info", unit="points"),
    Metric("mnar", "false_flags", "  other measures flagged for don't know", "info"),
    Metric("small", "no_tiers_n19", "cell of 19 respondents: descriptives, no tiers", "all", designs=("realistic",)),
    Metric("small", "small_measure_out", "measure rated by 4: not in any tier", "all", designs=("realistic",)),
    Metric("small", "few_sites_said", "cell from 2 sites: the result says its intervals are not site-based", "all", designs=("realistic",)),
    Metric("small", "tiers_unchanged", "measure rated by 4 leaves the other tiers as without it", "all", designs=("realistic",)),
)


def study_settings(**changes: Any) -> GradationSettings:
    """The analysis' own default settings with ``changes`` that this version has (others ignored)."""
    known = {f.name for f in msgspec.structs.fields(GradationSettings)}
    return GradationSettings(**{k: v for k, v in changes.items() if k in known})


#: What the scored claims do not rest on is switched off, to spend the time on
#: runs: the models (read only by the confound scenario) and the bootstrap of
#: rank intervals (kept, at fewer resamples, in the null scenario, which
#: analyses every data source).
NO_MODELS: Final = {"mixed_model": False, "ordinal_model": False, "bootstrap": False}
NULL_BOOTSTRAP: Final = {"bootstrap": True, "bootstrap_resamples": 200}


def _run(df: pd.DataFrame, **changes: Any) -> Any:
    return analyse(df, study_settings(**(NO_MODELS | changes)))


def _truth_diff(truth: Mapping[tuple[str, str], float], group: str, a: str, b: str) -> float:
    return truth[(group, b)] - truth[(group, a)]


def false_claims(c: Any, truth: Mapping[tuple[str, str], float], margin: float) -> tuple[bool, bool, bool]:
    """(false difference, false equivalence, false shared tie tier) in one cell.

    A difference claim is false when the truth is a tie or the other way
    round; an equivalence claim (or a shared tie tier) is false when the true
    difference is at least the margin.
    """
    g = c.group
    different = reading.difference_claims(c) | reading.separation_claims(c)
    false_diff = any(_truth_diff(truth, g, low, high) <= TOL for low, high in different)
    false_eq = any(abs(_truth_diff(truth, g, *sorted(p))) >= margin - TOL for p in reading.equivalence_claims(c))
    false_tier = any(abs(_truth_diff(truth, g, *sorted(p))) >= margin - TOL for p in reading.shared_tier_pairs(c))
    return false_diff, false_eq, false_tier


def coverage(result: Any, truth: Mapping[tuple[str, str], float], only: set[str] | None = None) -> float | None:
    """Share of measure intervals (all cells) that contain the true expected rating."""
    hits: list[bool] = []
    for c in reading.cells(result):
        for m, (low, high) in reading.measure_intervals(c).items():
            if only is None or m in only:
                hits.append(low <= truth[(c.group, m)] <= high)
    return float(np.mean(hits)) if hits else None


def simultaneous_coverage(c: Any, truth: Mapping[tuple[str, str], float]) -> bool:
    """Whether every pair interval of a cell contains the true difference b - a."""
    return all(
        p.ci_low <= _truth_diff(truth, c.group, p.measure_a, p.measure_b) <= p.ci_high
        for p in getattr(c, "pairwise", None) or []
        if p.ci_low is not None and p.ci_high is not None
    )


def _per_cell(result: Any, score: Callable[[Any], bool]) -> float | None:
    cs = reading.cells(result)
    return float(np.mean([score(c) for c in cs])) if cs else None


def run_null(design: Design, seed: int, margin: float) -> Metrics:
    """All measures identical; pairs and a ranking task as well, so every data source is analysed."""
    sim = scenarios.base(design, seed, measure_means=scenarios.placed(scenarios.NULL_EXPECTED), pairs_per_respondent=6, ranked_measures=scenarios.RANKED, allowed_items=True)
    truth = scenarios.truth(sim)
    result = _run(simulate_answers(sim), **NULL_BOOTSTRAP)
    m = reading.margin_of(result, margin)
    return {
        "false_different": _per_cell(result, lambda c: false_claims(c, truth, m)[0]),
        "coverage": coverage(result, truth),
        "several_tiers": _per_cell(result, lambda c: len(reading.tiers(c)) > 1),
    }


def run_margin(design: Design, seed: int, margin: float) -> Metrics:
    """Six tied pairs, neighbouring pairs exactly one margin apart."""
    sim = scenarios.base(design, seed, measure_means=scenarios.placed(scenarios.margin_expected(margin)))
    truth = scenarios.truth(sim)
    result = _run(simulate_answers(sim))
    m = reading.margin_of(result, margin)
    scored = [false_claims(c, truth, m) for c in reading.cells(result)]
    if not scored:
        return {"false_different": None, "false_equivalent": None, "false_shared_tier": None}
    return {
        "false_different": float(np.mean([s[0] for s in scored])),
        "false_equivalent": float(np.mean([s[1] for s in scored])),
        "false_shared_tier": float(np.mean([s[2] for s in scored])),
    }


def _pair_verdict(c: Any, a: str, b: str) -> str | None:
    """The verdict for a relative to b."""
    flip = {"less": "more", "more": "less"}
    for p in getattr(c, "pairwise", None) or []:
        if (p.measure_a, p.measure_b) == (a, b):
            return str(p.verdict)
        if (p.measure_a, p.measure_b) == (b, a):
            return flip.get(p.verdict, str(p.verdict))
    return None


def run_ceiling(design: Design, seed: int, margin: float) -> Metrics:
    """A 5-point latent gap at the ceiling, the same gap mid-scale, and a 10-point gap mid-scale."""
    sim = scenarios.base(design, seed, measure_means=scenarios.ceiling_latent())
    df = simulate_answers(sim)
    result = _run(df)
    cs = reading.cells(result)
    verdicts = {name: [_pair_verdict(c, *pair) for c in cs] for name, pair in (("top", scenarios.CEILING_TOP), ("control", scenarios.CEILING_CONTROL), ("ten", scenarios.POWER_PAIR_10))}
    ratings = df[(df["kind"] == "rating") & (df["measure"] == scenarios.CEILING_TOP[1])]["value"].dropna()
    mdd = [d for d in (reading.detectable_difference(c) for c in cs) if d is not None]

    def rate(name: str, wanted: tuple[str, ...]) -> float | None:
        v = verdicts[name]
        return float(np.mean([x in wanted for x in v])) if v else None

    return {
        "top_equivalent": rate("top", ("equivalent",)),
        "control_equivalent": rate("control", ("equivalent",)),
        "share_100_top": float((ratings == 100).mean()) if len(ratings) else None,
        "power_5": rate("control", ("less",)),
        "power_10": rate("ten", ("less",)),
        "detectable_difference": float(np.mean(mdd)) if mdd else None,
    }


def run_realistic(design: Design, seed: int, margin: float) -> Metrics:
    """The realistic layout (floors, ceilings, near-ties): coverage, and the same
    ratings analysed on the reversed scale and with renamed codes."""
    sim = scenarios.base(design, seed, measure_means=scenarios.placed(scenarios.REALISTIC_EXPECTED))
    truth = scenarios.truth(sim)
    df = scenarios.exact_tie(simulate_answers(sim), *scenarios.EXACT_TIE, seed=seed)
    original = _run(df)
    flipped = _run(mirrored(df))
    other = _run(renamed(df, scenarios.RENAMED))
    same: dict[str, list[bool]] = {"tiers_mirrored": [], "claims_mirrored": [], "tiers_renamed": [], "claims_renamed": []}
    for c in reading.cells(original):
        f = reading.cell(flipped, c.group, c.setting)
        r = reading.cell(other, c.group, c.setting)
        same["tiers_mirrored"].append(f is not None and reading.tier_layout(f, mirror=True) == reading.tier_layout(c))
        same["claims_mirrored"].append(f is not None and reading.claims(f, mirror=True) == reading.claims(c))
        same["tiers_renamed"].append(r is not None and reading.tier_layout(r, rename=scenarios.RENAMED) == reading.tier_layout(c))
        same["claims_renamed"].append(r is not None and reading.claims(r, rename=scenarios.RENAMED) == reading.claims(c))
    shares = scenarios.bound_shares(sim)
    at_bound = {m for m, (low, high) in shares.items() if max(low, high) >= 0.3}
    out: Metrics = {k: float(all(v)) if v else None for k, v in same.items()}
    out["coverage"] = coverage(original, truth)
    out["pair_coverage"] = _per_cell(original, lambda c: simultaneous_coverage(c, truth))
    out["coverage_bound"] = coverage(original, truth, only=at_bound)
    return out


def run_confound(design: Design, seed: int, margin: float) -> Metrics:
    """Groups recruited at different sites, no true group or gender difference: the models' group contrasts and gender effect."""
    sim = scenarios.base(design, seed, measure_means=scenarios.placed(scenarios.REALISTIC_EXPECTED), group_sites=scenarios.CONFOUNDED_SITES, female_effect=0.0)
    # The ordinal model costs several times the mixed model at 600 per group; it is
    # scored at the realistic sizes only, where its clustering matters most.
    ordinal = design.name == "realistic"
    result = analyse(simulate_answers(sim), study_settings(mixed_model=True, ordinal_model=ordinal, bootstrap=False, bradley_terry=False))
    alpha = reading.alpha_of(result)
    gender = {kind: reading.covariate_p(result, kind, "gender[") for kind in ("mixed", "ordinal")}
    out: Metrics = {f"gender_{kind}": None if not ps else float(min(ps) < alpha) for kind, ps in gender.items()}
    contrasts = [c for c in reading.group_contrasts(result) if c.p is not None]
    if not contrasts:
        return out | {"any_contrast": None, "contrast_rate": None}
    raw = np.array([c.p for c in contrasts], dtype=float)
    given = [reading.adjusted_p(c) for c in contrasts]
    adjusted = np.array(given, dtype=float) if all(p is not None for p in given) else multipletests(raw, alpha=alpha, method="holm")[1]
    return out | {"any_contrast": float((adjusted < alpha).any()), "contrast_rate": float((raw < alpha).mean())}


def run_mnar(design: Design, seed: int, margin: float) -> Metrics:
    """40% "don't know" on one measure, from those who would rate it highest."""
    sim = scenarios.base(design, seed, measure_means=scenarios.placed(scenarios.MNAR_EXPECTED), informative_dont_know={scenarios.MNAR_MEASURE: scenarios.MNAR_SHARE})
    truth = scenarios.truth(sim)
    result = _run(simulate_answers(sim))
    cs = reading.cells(result)
    if not cs:
        return {k: None for k in ("flagged", "wrong_verdict", "correct_less", "bias", "false_flags")}
    flags = [reading.dont_know_flag(c, scenarios.MNAR_MEASURE) for c in cs]
    others = [reading.dont_know_flag(c, m) for c in cs for m in scenarios.MEASURES if m != scenarios.MNAR_MEASURE]
    verdicts = [_pair_verdict(c, scenarios.MNAR_NEIGHBOUR, scenarios.MNAR_MEASURE) for c in cs]
    bias = [reading.measure_means(c).get(scenarios.MNAR_MEASURE, np.nan) - truth[(c.group, scenarios.MNAR_MEASURE)] for c in cs]
    return {
        "flagged": None if any(f is None for f in flags) else float(np.mean([bool(f) for f in flags])),
        "wrong_verdict": float(np.mean([v in ("equivalent", "more") for v in verdicts])),
        "correct_less": float(np.mean([v == "less" for v in verdicts])),
        "bias": float(np.nanmean(bias)) if np.isfinite(bias).any() else None,
        "false_flags": None if any(f is None for f in others) else float(np.mean([bool(f) for f in others])),
    }


def run_small(design: Design, seed: int, margin: float) -> Metrics:
    """A forensic staff cell of 19, a measure rated by 4 between two tied measures, and a cell from 2 sites."""
    expected = dict(scenarios.REALISTIC_EXPECTED) | {"m05": 45.0, "m06": 45.0, "m07": 45.0}
    main = scenarios.base(design, seed, measure_means=scenarios.placed(expected), measure_respondents={scenarios.SMALL_MEASURE: scenarios.SMALL_MEASURE_RESPONDENTS})
    forensic = msgspec.structs.replace(
        main, groups=("staff",), group_sizes={"staff": scenarios.FORENSIC_STAFF}, setting="forensic", measure_respondents={}, id_prefix="f", seed=seed + 1
    )
    two_sites = msgspec.structs.replace(
        main, groups=("patient",), group_sizes={"patient": 60}, setting="child_adolescent", sites=2, measure_respondents={}, id_prefix="c", seed=seed + 2
    )
    df = pd.concat([simulate_answers(main), simulate_answers(forensic), simulate_answers(two_sites)], ignore_index=True)
    result = _run(df)
    without = _run(df[df["measure"].fillna("") != scenarios.SMALL_MEASURE].reset_index(drop=True))
    small = reading.cell(result, "staff", "forensic")
    general = [c for c in reading.cells(result) if c.setting == "general_adult"]
    unchanged = []
    for c in general:
        w = reading.cell(without, c.group, c.setting)
        kept = [[m for m in t if m != scenarios.SMALL_MEASURE] for t in reading.tiers(c)]
        unchanged.append(w is not None and [t for t in kept if t] == reading.tiers(w))
    few = reading.cell(result, "patient", "child_adolescent")
    notes = getattr(few, "notes", None) if few is not None else None
    return {
        "few_sites_said": None if notes is None else float(any("site" in n for n in notes)),
        "no_tiers_n19": None if small is None else float(not reading.tiers(small) and bool(reading.measure_means(small))),
        "small_measure_out": float(all(scenarios.SMALL_MEASURE not in reading.tiered_measures(c) for c in general)) if general else None,
        "tiers_unchanged": float(all(unchanged)) if unchanged else None,
    }


#: Share of the study's runs a scenario gets: the confound scenario fits a
#: mixed model per run (the slowest step), and the small-cell checks are
#: properties that hold in every run or fail early.
RUN_SHARE: Final = {"confound": 0.5, "small": 0.25}

#: Scenario name -> its run function.
RUNS: Final[dict[str, Callable[[Design, int, float], Metrics]]] = {
    "realistic": run_realistic,
    "null": run_null,
    "margin": run_margin,
    "ceiling": run_ceiling,
    "confound": run_confound,
    "mnar": run_mnar,
    "small": run_small,
}
