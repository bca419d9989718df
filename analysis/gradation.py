"""``analyse()``: from a tidy answers table to a :class:`GradationResult`.

This module only orchestrates; each statistical step lives in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from analysis.choice_sources import analyse_choice_sources
from analysis.bounds import bound_shares
from analysis.descriptives import allowed_descriptives, rating_descriptives
from analysis.dont_know import dont_know_shares
from analysis.models import SettingModels, fit_mixed, fit_ordinal, model_frame
from analysis.cluster_robust import RESPONDENT, SITE_CR2
from analysis.pairwise import pairwise_verdicts, respondent_matrix, respondent_sites, verdict_lookup
from analysis.ranks import TierStability, cell_rng, rank_bootstrap, tier_stability
from analysis.reference import ReferenceGradation, coerce_reference, compare_with_reference
from analysis.result import (
    SCHEMA,
    AllowedSummary,
    GradationResult,
    GroupGradation,
    MeasureSummary,
    PairVerdict,
    Snapshot,
    Tier,
)
from analysis.settings import GradationSettings
from analysis.plan import AnalysisPlan, build_plan, with_plan
from analysis.snapshot import canonical_snapshot
from analysis.tidy import GROUPS, SETTINGS, check_gradable, validate_tidy
from analysis.tiers import build_tiers, order_measures
from analysis.verdict_rule import pairwise_rule
from analysis.verdict_sensitivity import cell_sensitivity, plan_from_settings
from analysis.versions import NUMERICAL_LIBRARIES, library_versions, software_version

__all__ = [
    "NUMERICAL_LIBRARIES",
    "PROGRESS_BARS",
    "GradationResult",
    "GradationSettings",
    "ReferenceGradation",
    "analyse",
    "library_versions",
    "software_version",
]

T = TypeVar("T")

# Columns read from rating rows (respondent matrix, models) and paired rows
# (Bradley-Terry), besides the cell keys.
_RATING_FIELDS = ("respondent", "group", "setting", "site", "gender", "age_band", "experience", "measure", "value", "missing")
_PAIRED_FIELDS = ("respondent", "group", "setting", "site", "measure", "measure_b", "choice", "missing")
_RANK_FIELDS = ("respondent", "group", "setting", "site", "item", "measure", "value")


#: A caller's progress bar maker (``(desc, total) -> tqdm-like``): when set, the long steps
#: of every ``analyse`` in this context report to it, also where the caller cannot pass
#: ``progress`` (a publication); a command line sets it to log when not in a terminal.
PROGRESS_BARS: ContextVar[Callable[[str, int | None], Any] | None] = ContextVar("PROGRESS_BARS", default=None)


def _progress(items: Iterable[T], enabled: bool, desc: str, total: int | None = None) -> Iterator[T]:
    make_bar = PROGRESS_BARS.get()
    if make_bar is not None:
        bar = make_bar(desc, total)
        try:
            for item in items:
                yield item
                bar.update(1)
        finally:
            bar.close()
        return
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False)


def _opt(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _cell_order(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    # Settings, then groups, in the contract's order (not alphabetical), so
    # reports read patient, relative, staff.
    return sorted(keys, key=lambda k: (SETTINGS.index(k[1]), GROUPS.index(k[0])))


def _rows_by_cell(frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    # Positions rather than frames, so only the current cell's rows are
    # copied; a position array keeps the rows in table order, as the cell's
    # frame from iterating the groupby would.
    return frame.groupby(["group", "setting"], observed=True, sort=True).indices


def tiering_family(
    desc: pd.DataFrame, measures: list[str], means: dict[str, float], rated: int, settings: GradationSettings
) -> tuple[list[str], list[str]]:
    """The measures of one cell that enter the verdicts and tiers, and notes on what was left out.

    Decided before any verdict: a cell rated by fewer than
    ``min_cell_for_tiers`` respondents gets no tiers at all, and a measure
    rated by fewer than ``min_measure_n`` is shown as descriptives only.
    """
    notes: list[str] = []
    if rated < settings.min_cell_for_tiers:
        notes.append(
            f"no tiers: {rated} respondent{'s' if rated != 1 else ''} rated measures here, fewer than the "
            f"planned minimum of {settings.min_cell_for_tiers} for tiering; descriptives only"
        )
        return [], notes
    n_of = {m: int(desc.at[m, "n"]) if m in desc.index else 0 for m in measures}
    family = [m for m in measures if n_of[m] >= settings.min_measure_n and np.isfinite(means[m])]
    few = sorted(m for m in measures if m not in family)
    if few:
        notes.append(
            f"descriptives only (fewer than {settings.min_measure_n} ratings, left out before tiering): "
            + ", ".join(f"{m} (n={n_of[m]})" for m in few)
        )
    return family, notes


def analyse(
    df: pd.DataFrame,
    settings: GradationSettings | None = None,
    reference: ReferenceGradation | dict[str, list[list[str]]] | None = None,
    progress: bool = False,
    plan: AnalysisPlan | None = None,
) -> GradationResult:
    """Run the whole gradation analysis on a tidy answers table.

    Args:
        df: tidy answers (see :mod:`analysis.tidy`); validated here.
        settings: method settings; defaults to :class:`GradationSettings()`.
        reference: the authority's reference tiers per setting, or None.
        progress: show progress bars for the long steps.
        plan: the registered analysis plan (:mod:`analysis.plan`); None for the
            default plan. Its settings are used when ``settings`` is None; the
            result records its hash and every departure from it.

    Returns:
        A :class:`GradationResult`; for the same data and settings its
        ``to_json()`` is byte-identical.
    """
    settings = settings or (plan.settings if plan is not None else GradationSettings())
    plan = plan or build_plan()
    ref = coerce_reference(reference)
    valid = validate_tidy(df)
    # An empty gradation would look like a result; refuse it here instead.
    check_gradable(valid)
    tidy, sha256 = canonical_snapshot(valid)
    del valid
    notes: list[str] = []
    snapshot = Snapshot(respondents=int(tidy["respondent"].nunique()), answers=int(len(tidy)), sha256=sha256)

    descriptives = rating_descriptives(tidy, settings.alpha, settings.min_sites, settings.mean_weighting)
    allowed = allowed_descriptives(tidy)
    # Only the columns later steps read: each filter below copies what it keeps.
    ratings = tidy.loc[tidy["kind"] == "rating", list(_RATING_FIELDS)]
    paired = tidy.loc[tidy["kind"] == "paired", list(_PAIRED_FIELDS)]
    respondents_per_cell = tidy.groupby(["group", "setting"], observed=True)["respondent"].nunique()
    cells = _cell_order(respondents_per_cell.index)
    ratings_rows = _rows_by_cell(ratings)
    paired_rows = _rows_by_cell(paired)
    ranked = tidy.loc[tidy["kind"] == "rank", list(_RANK_FIELDS)]
    ranked_rows = _rows_by_cell(ranked)
    other_kinds = sorted(set(tidy["kind"].dropna()) - {"rating", "allowed", "paired", "rank"})
    if other_kinds:
        notes.append(f"item kinds not used by the gradation: {', '.join(other_kinds)}")
    # Everything below reads the slimmer tables; the relabelled ids are the
    # one column of the full table not shared with the caller's.
    del tidy

    groups: list[GroupGradation] = []
    for group, setting in _progress(cells, progress, "gradation per group x setting", len(cells)):
        n_resp = int(respondents_per_cell[(group, setting)])
        rows = ratings_rows.get((group, setting))
        cell_ratings = ratings.iloc[rows] if rows is not None else ratings.iloc[:0]
        desc = descriptives[(descriptives["group"] == group) & (descriptives["setting"] == setting)].set_index("measure")
        wide = respondent_matrix(cell_ratings)
        # Measures that only got "don't know" still belong in the table.
        measures = sorted(set(desc.index) | set(wide.columns))
        wide = wide.reindex(columns=measures)
        sites = respondent_sites(cell_ratings, wide)
        means = {m: float(desc.at[m, "mean"]) if m in desc.index and pd.notna(desc.at[m, "mean"]) else float("nan") for m in measures}
        family, cell_notes = tiering_family(desc, measures, means, len(wide), settings)
        pairs = pairwise_verdicts(
            wide,
            settings.margin,
            settings.alpha,
            settings.min_measure_n,
            sites=sites,
            min_sites=settings.min_sites,
            weighting=settings.mean_weighting,
            family=family,
        )
        verdicts = verdict_lookup(pairs)
        # The sensitivities re-run the same rule; a claim they refuse (bounds,
        # "don't know") is undetermined before the tiers are built.
        sensitivity_plan = plan_from_settings(settings)
        sensitivity = None
        if family:
            rule = pairwise_rule(settings.alpha, settings.min_measure_n, min_sites=settings.min_sites, weighting=settings.mean_weighting, family=family)
            claimable = int(pairs["p_diff"].notna().sum())
            # Only pairs within the family can make claims, and the rule's
            # family (hence its multiplicity) is the same on these columns.
            sensitivity = cell_sensitivity(
                rule, wide[family], sites, cell_ratings, sensitivity_plan, primary=verdicts, alpha_family=settings.alpha / max(claimable, 1)
            )
            verdicts = {**verdicts, **sensitivity.verdicts()}
        # Per measure for every measure (the sensitivity lists leave small ones out).
        bounds_of = {b.measure: b for b in bound_shares(wide, settings.bound_share_flag)}
        dont_know_of = {d.measure: d for d in dont_know_shares(cell_ratings, wide, settings.dont_know_flag)}
        tiering = build_tiers({m: means[m] for m in family}, verdicts)
        tier_of = tiering.tier_of()
        cell_sites = int(pd.unique(sites).size)
        interval_method = SITE_CR2 if cell_sites >= settings.min_sites else RESPONDENT
        if interval_method == RESPONDENT and len(wide) > 0:
            cell_notes.append(
                f"ratings from {cell_sites} site{'s' if cell_sites != 1 else ''} (fewer than {settings.min_sites}): "
                "intervals and tests are respondent-level, i.e. conditional on these sites"
            )
        # Tiered measures in tier order, then the rest by mean (no tier).
        listed = [m for tier in tiering.tiers for m in tier] + [m for m in order_measures(means) if m not in tier_of]
        stability = TierStability(tiers=[], measures={}, resamples=0)
        rank_resampling = None
        if settings.bootstrap and len(wide) > 0 and measures:
            # The tier rule is re-run on the first resamples of the same bootstrap.
            keep = min(settings.tier_stability_resamples, settings.bootstrap_resamples) if tiering.tiers else 0
            boot = rank_bootstrap(
                wide, settings.bootstrap_resamples, settings.alpha, cell_rng(settings.seed, group, setting), sites=sites, min_sites=settings.min_sites, keep=keep
            )
            ranks, rank_resampling = boot.ranks.set_index("measure"), boot.unit
            if boot.kept:
                # The primary verdict rule, before the sensitivities (they
                # would multiply the cost by the tipping-point re-runs).
                primary_rule = pairwise_rule(settings.alpha, settings.min_measure_n, min_sites=settings.min_sites, weighting=settings.mean_weighting, family=family)
                stability = tier_stability(wide, tiering.tiers, boot.kept, primary_rule, settings.margin, settings.mean_weighting)
        else:
            ranks = None
        order_rank = {m: k + 1 for k, m in enumerate(listed)}
        measure_rows: list[MeasureSummary] = []
        for m in listed:
            d = desc.loc[m] if m in desc.index else None
            n = int(d["n"]) if d is not None else 0
            measure_rows.append(
                MeasureSummary(
                    measure=m,
                    n=n,
                    rows=int(d["rows"]) if d is not None else 0,
                    mean=_opt(d["mean"]) if d is not None else None,
                    ci_low=_opt(d["ci_low"]) if d is not None else None,
                    ci_high=_opt(d["ci_high"]) if d is not None else None,
                    sd=_opt(d["sd"]) if d is not None else None,
                    median=_opt(d["median"]) if d is not None else None,
                    q1=_opt(d["q1"]) if d is not None else None,
                    q3=_opt(d["q3"]) if d is not None else None,
                    share_dont_know=float(d["share_dont_know"]) if d is not None else 0.0,
                    share_prefer_not_to_answer=float(d["share_prefer_not_to_answer"]) if d is not None else 0.0,
                    rank=int(ranks.at[m, "rank"]) if ranks is not None else order_rank[m],
                    rank_low=int(ranks.at[m, "rank_low"]) if ranks is not None else None,
                    rank_high=int(ranks.at[m, "rank_high"]) if ranks is not None else None,
                    tier=tier_of.get(m),
                    small_cell=n < settings.min_cell,
                    sites=int(d["sites"]) if d is not None else 0,
                    ci_method=str(d["ci_method"]) if d is not None and isinstance(d["ci_method"], str) else None,
                    share_floor=bounds_of[m].share_floor if m in bounds_of else None,
                    share_ceiling=bounds_of[m].share_ceiling if m in bounds_of else None,
                    dont_know_flagged=dont_know_of[m].flagged if m in dont_know_of else False,
                    tier_stability=stability.measures.get(m),
                )
            )
        tiers = [
            Tier(
                index=k,
                measures=list(t),
                boundary_above=tiering.boundaries[k] if k < len(tiering.boundaries) else None,
                status=tiering.statuses[k],
                stability=stability.tiers[k] if stability.tiers else None,
            )
            for k, t in enumerate(tiering.tiers)
        ]
        reasons = {(c.measure_a, c.measure_b): c.reason for c in sensitivity.checks} if sensitivity is not None else {}
        pair_rows = [
            PairVerdict(
                measure_a=str(r.measure_a),
                measure_b=str(r.measure_b),
                n=int(r.n),
                diff=_opt(r.diff),
                ci_low=_opt(r.ci_low),
                ci_high=_opt(r.ci_high),
                eq_low=_opt(r.eq_low),
                eq_high=_opt(r.eq_high),
                df=_opt(r.df),
                sites=int(r.sites),
                method=str(r.method) if isinstance(r.method, str) else None,
                p_diff=_opt(r.p_diff),
                p_diff_adj=_opt(r.p_diff_adj),
                p_tost=_opt(r.p_tost),
                p_tost_adj=_opt(r.p_tost_adj),
                verdict=verdicts.get((str(r.measure_a), str(r.measure_b)), str(r.verdict)),
                rule_verdict=str(r.verdict),
                reason=reasons.get((str(r.measure_a), str(r.measure_b))),
            )
            for r in pairs.itertuples(index=False)
        ]
        cell_allowed = allowed[(allowed["group"] == group) & (allowed["setting"] == setting)].sort_values("measure")
        allowed_rows = [
            AllowedSummary(
                measure=str(r.measure),
                n=int(r.n),
                yes=int(r.yes),
                no=int(r.no),
                dont_know=int(r.dont_know),
                prefer_not_to_answer=int(r.prefer_not_to_answer),
                pct_yes=_opt(r.pct_yes),
                pct_no=_opt(r.pct_no),
                pct_dont_know=_opt(r.pct_dont_know),
                small_cell=int(r.n) < settings.min_cell,
            )
            for r in cell_allowed.itertuples(index=False)
        ]
        sources = analyse_choice_sources(
            paired.iloc[paired_rows[(group, setting)]] if (group, setting) in paired_rows else None,
            ranked.iloc[ranked_rows[(group, setting)]] if (group, setting) in ranked_rows else None,
            means,
            {(p.measure_a, p.measure_b): (p.ci_low, p.ci_high) for p in pair_rows},
            alpha=settings.alpha,
            min_cell=settings.min_cell,
            bradley_terry=settings.bradley_terry,
            resamples=settings.bootstrap_resamples if settings.bootstrap else 0,
            seed=settings.seed,
            cell=(group, setting),
            min_sites=settings.min_sites,
        )
        comparison = None
        if ref is not None and setting in ref.settings:
            comparison = compare_with_reference(ref.settings[setting], [m for m in measures if np.isfinite(means[m])], verdicts)
        groups.append(
            GroupGradation(
                group=group,
                setting=setting,
                respondents=n_resp,
                small_cell=n_resp < settings.min_cell,
                sites=cell_sites,
                interval_method=interval_method,
                tiered=bool(tiering.tiers),
                notes=cell_notes,
                measures=measure_rows,
                tiers=tiers,
                pairwise=pair_rows,
                allowed=allowed_rows,
                bradley_terry=sources.bradley_terry,
                reference=comparison,
                plackett_luce=sources.plackett_luce,
                source_agreement=sources.agreement,
                sensitivity=sensitivity,
                rank_resampling=rank_resampling,
                tier_stability_resamples=stability.resamples,
            )
        )

    models: list[SettingModels] = []
    if settings.mixed_model or settings.ordinal_model:
        setting_names = [s for s in SETTINGS if s in set(ratings["setting"].dropna())]
        for setting in _progress(setting_names, progress, "models per setting", len(setting_names)):
            rng = np.random.default_rng([settings.seed, SETTINGS.index(setting)])
            in_setting = ratings["setting"] == setting
            # Usually one setting holds all ratings; then skip the copy.
            frame, subsampled = model_frame(ratings if in_setting.all() else ratings[in_setting], settings.model_max_respondents, rng)
            mixed = fit_mixed(frame, subsampled, settings.alpha, settings.min_sites) if settings.mixed_model else None
            ordinal = fit_ordinal(frame, subsampled, settings.ordinal_categories, settings.alpha, mixed, settings.min_sites) if settings.ordinal_model else None
            models.append(SettingModels(setting=setting, mixed=mixed, ordinal=ordinal))

    result = GradationResult(
        schema=SCHEMA,
        software_version=software_version(),
        library_versions=library_versions(),
        settings=settings,
        snapshot=snapshot,
        groups=groups,
        models=models,
        reference_gradation=ref.settings if ref is not None else None,
        notes=notes,
    )
    return with_plan(result, plan)
