"""Simulation checks: recovery of a known gradation, and error rates on pure noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.gradation import GradationSettings, analyse
from analysis.simulate import TRUE_TIERS, Simulation, null_simulation, simulate_answers, true_means
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
