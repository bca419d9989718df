"""Simulation checks: the generator delivers what each scenario promises, the
analysis recovers a known gradation, and error rates on pure noise.

The operating characteristics of the analysis under sites, bounds and
informative "don't know" are measured by the simulation study
(``make simulate``, bench/simulation_study); here only its generator is checked
(fast) and the study harness is smoke-tested (slow).
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.gradation import GradationSettings, analyse
from analysis.simulate import (
    TRUE_TIERS,
    Simulation,
    expected_ratings,
    mean_for_share_at_100,
    means_for_expected,
    mirrored,
    null_simulation,
    renamed,
    simulate_answers,
    true_means,
)
from analysis.tidy import validate_tidy

FAST = GradationSettings(bootstrap=False, mixed_model=False, ordinal_model=False, bradley_terry=False)


def _as_sets(tiers: list[list[str]] | tuple[tuple[str, ...], ...]) -> list[frozenset[str]]:
    return [frozenset(t) for t in tiers]


@pytest.mark.slow
def test_recovers_true_tiers_at_realistic_sample_sizes(realistic: pd.DataFrame) -> None:
    result = analyse(realistic, FAST)
    for group in ("patient", "relative"):
        g = result.group(group, "general_adult")
        assert _as_sets([t.measures for t in g.tiers]) == _as_sets(TRUE_TIERS), group
        assert all(t.boundary_above in (None, "separated") for t in g.tiers)
    # Staff rate forced medication 4 points lower (within the margin of 5 of
    # its neighbours), so check the staff tiers against the true staff means:
    # true ties share a tier, true gaps of a full tier step are separated.
    sim = Simulation()
    truth = true_means(sim)
    for m, shift in sim.group_measure_shift["staff"].items():
        truth[m] += shift
    staff = result.group("staff", "general_adult")
    tier = {m.measure: m.tier for m in staff.measures}
    for a in truth:
        for b in truth:
            gap = abs(truth[a] - truth[b])
            if gap == 0:
                assert tier[a] == tier[b], (a, b)
            elif gap >= sim.tier_gap:
                assert tier[a] != tier[b], (a, b)
    assert tier["acute_sedation"] <= tier["holding_short"]


@pytest.mark.slow
def test_group_differences_recovered_from_descriptives(realistic: pd.DataFrame) -> None:
    result = analyse(realistic, FAST)
    means = {(g.group, m.measure): m for g in result.groups for m in g.measures}
    staff_lower = [means[("patient", m)].mean - means[("staff", m)].mean for m in ("belt_long", "seclusion", "time_out")]
    assert all(d > 0 for d in staff_lower)
    # The staff-specific shift on acute sedation widens the patient-staff gap there.
    gap_sedation = means[("patient", "acute_sedation")].mean - means[("staff", "acute_sedation")].mean
    assert gap_sedation > np.mean(staff_lower)


@pytest.mark.slow
def test_no_false_differences_on_pure_noise_more_often_than_alpha() -> None:
    runs, alpha = 150, 0.05
    any_difference = 0
    covered = 0
    for seed in range(runs):
        df = simulate_answers(null_simulation(40, ["a_measure", "b_measure", "c_measure", "d_measure"], seed=1000 + seed))
        g = analyse(df, FAST).groups[0]
        any_difference += any(p.verdict in ("less", "more") for p in g.pairwise)
        m = next(m for m in g.measures if m.measure == "a_measure")
        covered += m.ci_low <= 50.0 <= m.ci_high
    # Holm controls the family-wise error; allow binomial sampling error.
    upper = stats.binom.ppf(0.995, runs, alpha)
    assert any_difference <= upper, any_difference
    assert stats.binom.ppf(0.005, runs, 0.95) <= covered <= stats.binom.ppf(0.995, runs, 0.95), covered


@pytest.mark.slow
def test_mixed_model_false_positive_rate_on_noise() -> None:
    runs, alpha = 40, 0.05
    settings = GradationSettings(bootstrap=False, ordinal_model=False, bradley_terry=False)
    hits = 0
    for seed in range(runs):
        df = simulate_answers(null_simulation(40, ["a_measure", "b_measure", "c_measure"], seed=5000 + seed))
        coef = {c.name: c for c in analyse(df, settings).models[0].mixed.coefficients}
        hits += coef["gender[female]"].p < alpha
    assert hits <= stats.binom.ppf(0.995, runs, alpha), hits


@pytest.mark.parametrize(
    "sim",
    [Simulation(respondents_per_group=30, seed=2), Simulation(respondents_per_group=10, pairs_per_respondent=0, allowed_items=False, seed=3)],
)
def test_simulated_table_is_already_canonical(sim: Simulation) -> None:
    df = simulate_answers(sim)
    pd.testing.assert_frame_equal(validate_tidy(df), df, check_exact=True)
    per_kind = df["kind"].value_counts().to_dict()
    n = sim.respondents_per_group * len(sim.groups)
    assert per_kind.get("rating") == n * 14
    assert per_kind.get("allowed", 0) == (n * 14 if sim.allowed_items else 0)
    assert per_kind.get("paired", 0) == n * sim.pairs_per_respondent


# The generator's promises, one scenario feature at a time (default suite, fast).

TWELVE = {f"m{k:02d}": 20.0 + 5.0 * k for k in range(12)}


def _ratings(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["kind"] == "rating"]


def test_every_scenario_feature_gives_a_canonical_table() -> None:
    sim = Simulation(
        group_sizes={"patient": 150, "relative": 100, "staff": 100},
        measure_means=TWELVE,
        sites=12,
        site_measure_sd=3.0,
        group_sites={"patient": (0, 1, 2, 3), "staff": (8, 9, 10, 11)},
        informative_dont_know={"m05": 0.4},
        measure_respondents={"m03": 4},
        ranked_measures=("m00", "m04", "m08", "m11"),
        seed=4,
    )
    df = simulate_answers(sim)
    pd.testing.assert_frame_equal(validate_tidy(df), df, check_exact=True)
    assert df.groupby("group")["respondent"].nunique().to_dict() == {"patient": 150, "relative": 100, "staff": 100}
    assert df["site"].nunique() == 12
    # Recruitment: patients only at the first four sites, staff only at the last four.
    assert set(df.loc[df["group"] == "patient", "site"]) == {f"site_{k:02d}" for k in (1, 2, 3, 4)}
    assert set(df.loc[df["group"] == "staff", "site"]) == {f"site_{k:02d}" for k in (9, 10, 11, 12)}
    # Small cell: the limited measure is shown to the first 4 respondents of each group only.
    shown = _ratings(df).groupby(["group", "measure"])["respondent"].nunique()
    assert (shown.xs("m03", level="measure") == 4).all()
    assert (shown.drop("m03", level="measure") == df.groupby("group")["respondent"].nunique().reindex(shown.drop("m03", level="measure").index, level="group")).all()


def test_sites_are_a_random_sample_with_their_own_view_of_each_measure() -> None:
    def interaction_sd(site_measure_sd: float) -> float:
        sim = Simulation(respondents_per_group=2000, groups=("patient",), measure_means=TWELVE, sites=15, site_measure_sd=site_measure_sd, pairs_per_respondent=0, allowed_items=False, seed=8)
        cell = _ratings(simulate_answers(sim)).groupby(["site", "measure"])["value"].mean().unstack()
        # Site x measure interaction: what is left after site and measure means.
        resid = cell.sub(cell.mean(axis=1), axis=0).sub(cell.mean(axis=0), axis=1) + cell.to_numpy().mean()
        return float(resid.to_numpy().std())

    assert Simulation(sites=15).sites == 15
    without, with_effects = interaction_sd(0.0), interaction_sd(6.0)
    # About 20 people per site and measure leave ~4 points of sampling noise; 6 more must show.
    assert with_effects > without + 2.0, (without, with_effects)


def test_ceiling_share_and_expected_ratings_match_the_simulated_data() -> None:
    # No site effects here, so the data's means estimate the truth to within sampling error.
    base = Simulation(respondents_per_group=4000, groups=("patient",), site_sd=0.0, pairs_per_respondent=0, allowed_items=False, seed=9)
    top = mean_for_share_at_100(base, 0.5)
    means = {"floor": 3.0, "middle": 50.0, "ceiling": top}
    sim = msgspec.structs.replace(base, measure_means=means)
    truth = expected_ratings(sim).set_index("measure")
    assert truth.at["ceiling", "share_100"] == pytest.approx(0.5, abs=1e-6)
    assert truth.at["floor", "share_0"] > 0.3
    ratings = _ratings(simulate_answers(sim)).dropna(subset=["value"])
    at_100 = ratings.groupby("measure")["value"].apply(lambda v: float((v == 100).mean()))
    at_0 = ratings.groupby("measure")["value"].apply(lambda v: float((v == 0).mean()))
    mean = ratings.groupby("measure")["value"].mean()
    # Binomial / sampling tolerance for ~3900 answers per measure.
    assert at_100["ceiling"] == pytest.approx(0.5, abs=0.03)
    assert at_0["floor"] == pytest.approx(truth.at["floor", "share_0"], abs=0.03)
    for m in means:
        assert mean[m] == pytest.approx(truth.at[m, "mean"], abs=1.0), m
    # Compression: a latent gap of 5 at the ceiling is much less than 5 on the scale.
    gap = expected_ratings(msgspec.structs.replace(sim, measure_means={"a": top - 5, "b": top})).set_index("measure")["mean"]
    assert 1.5 < gap["b"] - gap["a"] < 4.0


def test_means_for_expected_puts_neighbours_exactly_one_margin_apart() -> None:
    sim = Simulation(groups=("patient",), sites=12, site_measure_sd=3.0)
    targets = {"a": 80.0, "b": 85.0, "c": 90.0}
    placed = msgspec.structs.replace(sim, measure_means=means_for_expected(sim, targets))
    truth = expected_ratings(placed).set_index("measure")["mean"]
    assert truth.to_dict() == pytest.approx(targets, abs=1e-6)
    # Near the ceiling the latent means must be further apart than the expected ratings.
    latent = true_means(placed)
    assert latent["c"] - latent["b"] > latent["b"] - latent["a"] > 5.0


def test_informative_dont_know_hides_the_high_ratings() -> None:
    sim = Simulation(respondents_per_group=3000, groups=("patient",), measure_means={"hidden": 60.0, "plain": 60.0}, informative_dont_know={"hidden": 0.4}, site_sd=0.0, pairs_per_respondent=0, allowed_items=False, seed=10)
    ratings = _ratings(simulate_answers(sim))
    dont_know = ratings.groupby("measure")["missing"].apply(lambda s: float((s.fillna("") == "dont_know").mean()))
    # The 40% who would rate it highest, plus "don't know" at random among the rest.
    assert dont_know["hidden"] == pytest.approx(0.4 + 0.6 * sim.dont_know_rate, abs=0.01)
    assert dont_know["plain"] == pytest.approx(sim.dont_know_rate, abs=0.01)
    truth = expected_ratings(sim).set_index("measure")["mean"]
    observed = ratings.groupby("measure")["value"].mean()
    # Missing not at random: the answered ratings of the hidden measure are too low.
    assert truth["hidden"] - observed["hidden"] > 8.0
    assert abs(truth["plain"] - observed["plain"]) < 1.0


def test_rankings_are_permutations_that_follow_the_latent_order() -> None:
    ranked = ("m00", "m03", "m07", "m11")
    sim = Simulation(respondents_per_group=300, groups=("patient",), measure_means=TWELVE, ranked_measures=ranked, pairs_per_respondent=0, allowed_items=False, seed=12)
    rank = simulate_answers(sim).query("kind == 'rank'")
    positions = rank.groupby("respondent")["value"].apply(lambda v: sorted(v.astype(int)))
    assert all(p == [1, 2, 3, 4] for p in positions)
    mean_position = rank.groupby("measure")["value"].mean()
    assert list(mean_position.sort_values().index) == list(ranked)


def test_reversal_and_renaming_change_only_what_they_promise() -> None:
    sim = Simulation(respondents_per_group=40, measure_means=TWELVE, ranked_measures=("m00", "m05", "m09"), seed=13)
    df = simulate_answers(sim)
    back = mirrored(mirrored(df))
    pd.testing.assert_frame_equal(back, df)
    flipped = mirrored(df)
    rating = (df["kind"] == "rating").to_numpy()
    assert np.allclose(flipped["value"].to_numpy()[rating], 100 - df["value"].to_numpy()[rating], equal_nan=True)
    paired = (df["kind"] == "paired").to_numpy()
    assert not (flipped["choice"].to_numpy()[paired] == df["choice"].to_numpy()[paired]).any()
    codes = {m: f"z{11 - k:02d}" for k, m in enumerate(TWELVE)}
    other = renamed(df, codes)
    validate_tidy(other)
    # A rank row's item names its measure, so it follows the renaming.
    rank = other[other["kind"] == "rank"]
    assert (rank["item"] == "ranking." + rank["measure"]).all()
    pd.testing.assert_frame_equal(renamed(other, {v: k for k, v in codes.items()}), df)
    with pytest.raises(ValueError, match="codes"):
        renamed(df, {"m00": "m01"})


@pytest.mark.parametrize(
    ("field", "params"),
    [
        ("informative_dont_know", {"informative_dont_know": {"nope": 0.4}}),
        ("informative_dont_know", {"informative_dont_know": {"time_out": 1.5}}),
        ("group_sites", {"group_sites": {"staff": (7,)}}),
        ("measure_respondents", {"measure_respondents": {"nope": 4}}),
        ("ranked_measures", {"ranked_measures": ("time_out",)}),
    ],
)
def test_impossible_scenarios_are_refused_naming_the_parameter(field: str, params: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=field):
        Simulation(**params)  # type: ignore[arg-type]


# The simulation study's scenarios deliver what they promise (exact truth, no analysis).


def test_study_scenarios_hold_the_truth_they_are_scored_against() -> None:
    from bench.simulation_study import scenarios as study

    def truth_of(means: dict[str, float]) -> dict[str, float]:
        t = study.truth(msgspec.structs.replace(study.BASE, measure_means=means))
        return {m: t[("patient", m)] for m in study.MEASURES}

    # Neighbours exactly one margin apart, in tied pairs, on the observed scale.
    margin = truth_of(study.placed(study.margin_expected(5.0)))
    steps = np.diff([margin[m] for m in study.MEASURES])
    assert np.allclose(steps, [0.0, 5.0] * 5 + [0.0], atol=1e-6)
    # Ceiling: about 40% and 50% at 100 on the top pair, 5 latent points apart.
    ceiling = study.ceiling_latent()
    shares = study.bound_shares(msgspec.structs.replace(study.BASE, measure_means=ceiling))
    low, high = study.CEILING_TOP
    assert shares[high][1] == pytest.approx(0.5, abs=1e-6)
    assert 0.35 < shares[low][1] < 0.45
    assert ceiling[high] - ceiling[low] == pytest.approx(5.0)
    # Realistic: a floor and a ceiling each hold at least 40% of the ratings.
    realistic = study.bound_shares(msgspec.structs.replace(study.BASE, measure_means=study.placed(study.REALISTIC_EXPECTED)))
    assert realistic["m01"][0] > 0.4 and realistic["m12"][1] > 0.4
    # Renaming reverses the order of the codes, so ties broken by code flip.
    assert sorted(study.MEASURES, key=study.RENAMED.__getitem__) == list(reversed(study.MEASURES))


def test_study_data_have_the_sites_groups_and_dont_know_of_their_scenario() -> None:
    from bench.simulation_study import scenarios as study

    design = study.DESIGNS[0]
    sim = study.base(
        design,
        seed=21,
        measure_means=study.placed(study.MNAR_EXPECTED),
        informative_dont_know={study.MNAR_MEASURE: study.MNAR_SHARE},
        group_sites=study.CONFOUNDED_SITES,
    )
    df = simulate_answers(sim)
    assert 10 <= df["site"].nunique() <= 20
    assert df.groupby("group")["respondent"].nunique().to_dict() == design.sizes
    sites_of = df.groupby("group")["site"].apply(lambda s: {int(x[-2:]) - 1 for x in s}).to_dict()
    assert all(sites_of[g] <= set(study.CONFOUNDED_SITES[g]) for g in design.sizes)
    # The exact tie: the same mean in every cell, to the last bit.
    tied = _ratings(study.exact_tie(df, *study.EXACT_TIE, seed=2)).groupby(["group", "measure"])["value"].mean().unstack()
    a, b = study.EXACT_TIE
    assert (tied[a] == tied[b]).all()
    dk = _ratings(df).assign(dk=lambda d: d["missing"].fillna("") == "dont_know").groupby("measure")["dk"].mean()
    assert dk[study.MNAR_MEASURE] == pytest.approx(study.MNAR_SHARE + 0.6 * sim.dont_know_rate, abs=0.03)
    assert dk.drop(study.MNAR_MEASURE).max() < 0.1


@pytest.mark.slow
def test_simulation_study_harness_runs_scores_and_writes_its_table(tmp_path: Path) -> None:
    import json

    from bench.simulation_study.metrics import METRICS
    from bench.simulation_study.study import BEGIN, END, run_study, write_outputs

    report = run_study(2, seed=5, processes=1, quick=True, design_names=["realistic"], progress=False)
    assert report.errors == {}, report.first_errors
    assert {(r.scenario, r.metric) for r in report.rows} == {(m.scenario, m.key) for m in METRICS}
    by_key = {(r.scenario, r.metric): r for r in report.rows}
    # What every version of the result reports is measured in both runs.
    for key in [("realistic", "coverage"), ("null", "false_different"), ("margin", "false_equivalent"), ("realistic", "tiers_mirrored")]:
        assert by_key[key].runs == 2 and by_key[key].estimate is not None, key
    assert 0.0 <= by_key[("realistic", "coverage")].estimate <= 1.0
    methods = tmp_path / "methods.md"
    methods.write_text("# Methods\n\nintro\n", encoding="utf-8")
    for _ in range(2):
        write_outputs(report, tmp_path / "study.json", methods)
    text = methods.read_text(encoding="utf-8")
    # A second write replaces the table instead of adding another.
    assert text.count(BEGIN) == 1 and text.count(END) == 1 and text.startswith("# Methods")
    assert "| realistic | coverage of the measures' 95% CIs | 150/100/100 | 2 |" in text
    data = json.loads((tmp_path / "study.json").read_text())
    assert data["runs"] == 2 and len(data["rows"]) == len(report.rows)


class _Share(msgspec.Struct):
    measure: str
    flagged: bool


class _Precision(msgspec.Struct):
    detectable_difference: float | None


class _Sensitivity(msgspec.Struct):
    dont_know: list[_Share]
    precision: _Precision


class _Cell(msgspec.Struct):
    group: str
    measures: list[_Share]
    sensitivity: _Sensitivity


class _BareCell(msgspec.Struct):
    group: str
    measures: list[_Share]


def test_study_reads_dont_know_flags_and_precision_wherever_a_cell_reports_them() -> None:
    from bench.simulation_study import reading

    cell = _Cell("patient", [], _Sensitivity([_Share("m09", True), _Share("m01", False)], _Precision(7.5)))
    assert reading.dont_know_flag(cell, "m09") is True
    assert reading.dont_know_flag(cell, "m01") is False
    assert reading.detectable_difference(cell) == 7.5
    # A result that does not report them yields "not available", not a wrong answer.
    assert reading.dont_know_flag(_BareCell("patient", []), "m09") is None
    assert reading.detectable_difference(_BareCell("patient", [])) is None
