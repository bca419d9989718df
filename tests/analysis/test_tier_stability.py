"""Tier stability: the tier rule re-run on the site-aware bootstrap resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.gradation import analyse
from analysis.ranks import SITE_RESAMPLING, rank_bootstrap, tier_stability
from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tiers import build_tiers
from analysis.pairwise import pairwise_verdicts, verdict_lookup
from analysis.verdict_rule import pairwise_rule

ALPHA, MARGIN, MIN_N, MIN_SITES = 0.05, 5.0, 10, 5


def _clustered(means: dict[str, float], sites: int, per_site: int, noise: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = sites * per_site
    site = np.repeat([f"s{k:02d}" for k in range(sites)], per_site)
    person = rng.normal(0, 8, n)
    wide = pd.DataFrame({m: mu + person + rng.normal(0, noise, n) for m, mu in means.items()})
    return wide, site


def _stability(wide: pd.DataFrame, site: np.ndarray, resamples: int, seed: int) -> tuple[list[list[str]], object]:
    family = list(wide.columns)
    pairs = pairwise_verdicts(wide, MARGIN, ALPHA, MIN_N, sites=site, min_sites=MIN_SITES, family=family)
    tiers = build_tiers(wide.mean().to_dict(), verdict_lookup(pairs)).tiers
    boot = rank_bootstrap(wide, resamples, ALPHA, np.random.default_rng(seed), sites=site, min_sites=MIN_SITES, keep=resamples)
    assert boot.unit == SITE_RESAMPLING
    rule = pairwise_rule(ALPHA, MIN_N, min_sites=MIN_SITES, family=family)
    return tiers, tier_stability(wide, tiers, boot.kept, rule, MARGIN)


def test_a_clearly_separated_ordering_is_reproduced_in_nearly_every_resample() -> None:
    wide, site = _clustered({"a": 20.0, "b": 50.0, "c": 80.0}, sites=8, per_site=10, noise=6.0, seed=1)
    tiers, stab = _stability(wide, site, 60, seed=2)
    assert tiers == [["a"], ["b"], ["c"]]
    assert stab.resamples == 60
    assert min(stab.tiers) >= 0.95
    assert all(stab.measures[m] >= 0.95 for m in "abc")


def test_identical_measures_form_one_tier_that_is_reproduced() -> None:
    # Four measures each respondent rates alike (within 1 point): one tier.
    wide, site = _clustered({"a": 50.0, "b": 50.0, "c": 50.0, "d": 50.0}, sites=8, per_site=12, noise=1.0, seed=3)
    tiers, stab = _stability(wide, site, 60, seed=4)
    assert len(tiers) == 1 and sorted(tiers[0]) == ["a", "b", "c", "d"]
    assert stab.tiers[0] >= 0.9
    assert {stab.measures[m] for m in "abcd"} == {stab.tiers[0]}


def test_a_shaky_boundary_is_less_stable_than_a_clear_one() -> None:
    # a < b by 4 points with site-specific views of b; c far above both.
    rng = np.random.default_rng(5)
    wide, site = _clustered({"a": 40.0, "b": 44.0, "c": 85.0}, sites=8, per_site=15, noise=6.0, seed=5)
    site_view = dict(zip(sorted(set(site)), rng.normal(0, 4, 8)))
    wide["b"] += np.array([site_view[s] for s in site])
    tiers, stab = _stability(wide, site, 80, seed=6)
    top = [k for k, t in enumerate(tiers) if t == ["c"]]
    assert top and stab.tiers[top[0]] >= 0.95
    assert min(stab.tiers) < stab.tiers[top[0]]


def _small_cell(seed: int) -> pd.DataFrame:
    sim = Simulation(
        respondents_per_group=60,
        groups=("patient",),
        tiers=(("time_out",), ("seclusion",), ("net_bed",)),
        tier_gap=30.0,
        sites=6,
        pairs_per_respondent=0,
        allowed_items=False,
        seed=seed,
    )
    return simulate_answers(sim)


def _settings(stability_resamples: int, seed: int = 20250401) -> GradationSettings:
    return GradationSettings(
        bootstrap_resamples=100,
        tier_stability_resamples=stability_resamples,
        seed=seed,
        mixed_model=False,
        ordinal_model=False,
        bradley_terry=False,
        tipping_point=False,
    )


def test_the_result_reports_stability_per_tier_and_measure_and_is_reproducible() -> None:
    df = _small_cell(7)
    first = analyse(df, _settings(40))
    again = analyse(df, _settings(40))
    cell = first.groups[0]
    assert cell.rank_resampling == "site" and cell.tier_stability_resamples == 40
    assert [t.measures for t in cell.tiers] == [["time_out"], ["seclusion"], ["net_bed"]]
    assert all(t.stability is not None and t.stability >= 0.95 for t in cell.tiers)
    assert all(m.tier_stability == cell.tiers[m.tier].stability for m in cell.measures)
    assert "tier stability (40 site resamples" in first.summary()
    assert f"tier 3 {cell.tiers[2].stability:.2f}" in first.summary()

    def drawn(result):  # everything the bootstrap decides
        g = result.groups[0]
        return [(t.measures, t.stability) for t in g.tiers], [(m.measure, m.rank_low, m.rank_high, m.tier_stability) for m in g.measures]

    assert drawn(first) == drawn(again)


def test_setting_zero_switches_it_off() -> None:
    cell = analyse(_small_cell(7), _settings(0)).groups[0]
    assert cell.tiers and all(t.stability is None for t in cell.tiers)
    assert all(m.tier_stability is None for m in cell.measures)
    assert cell.tier_stability_resamples == 0 and cell.rank_resampling == "site"


def test_a_negative_number_of_resamples_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="tier_stability_resamples"):
        GradationSettings(tier_stability_resamples=-1)
