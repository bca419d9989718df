"""What ratings, pairs and rankings each say: agreement and flagged disagreements."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.choice_sources import analyse_choice_sources
from analysis.gradation import analyse
from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.source_agreement import SourceView, compare_sources, resolved_from_intervals
from tests.analysis.test_bradley_terry import _davidson
from tests.analysis.test_plackett_luce import ranking_rows

ORDER = {"a": -1.5, "b": -0.5, "c": 0.5, "d": 1.5}


def _rating_view(strengths: dict[str, float], half_width: float) -> tuple[dict[str, float], dict[tuple[str, str], tuple[float, float]]]:
    means = {m: 50 + 10 * v for m, v in strengths.items()}
    names = sorted(means)
    intervals = {(a, b): (means[b] - means[a] - half_width, means[b] - means[a] + half_width) for i, a in enumerate(names) for b in names[i + 1 :]}
    return means, intervals


def _sources(rating_truth: dict[str, float], pair_truth: dict[str, float], rank_truth: dict[str, float], half_width: float = 3.0):
    means, intervals = _rating_view(rating_truth, half_width)
    return analyse_choice_sources(
        _davidson(0, pair_truth, 0.3, n_resp=300),
        ranking_rows(1, rank_truth, 300),
        means,
        intervals,
        alpha=0.05,
        min_cell=5,
        bradley_terry=True,
        resamples=200,
        seed=1,
        cell=("patient", "general_adult"),
    )


def test_sources_that_agree_show_no_clear_disagreement() -> None:
    out = _sources(ORDER, ORDER, ORDER)
    assert out.agreement is not None and out.agreement.sources == ["ratings", "pairs", "rankings"]
    assert [(c.source_a, c.source_b) for c in out.agreement.comparisons] == [("ratings", "pairs"), ("ratings", "rankings"), ("pairs", "rankings")]
    for c in out.agreement.comparisons:
        assert c.measures == ["a", "b", "c", "d"] and c.pairs == 6
        assert c.kendall_tau == pytest.approx(1.0) and c.opposite == c.clear_opposite == 0


def test_a_planted_disagreement_is_flagged_as_clear() -> None:
    # The rankings put d as the least intrusive and a as the most: the reverse of the others on (a, d).
    swapped = {**ORDER, "a": 1.5, "d": -1.5}
    out = _sources(ORDER, ORDER, swapped)
    by = {(c.source_a, c.source_b): c for c in out.agreement.comparisons}
    assert by[("ratings", "pairs")].clear_opposite == 0
    for key in (("ratings", "rankings"), ("pairs", "rankings")):
        c = by[key]
        clear = {(d.measure_a, d.measure_b) for d in c.disagreements if d.clear}
        assert ("a", "d") in clear
        first = c.disagreements[0]
        assert first.clear and (first.source_a_says, first.source_b_says) in {("less", "more")}
        assert c.kendall_tau < 0.5
    ad = next(d for d in by[("ratings", "rankings")].disagreements if (d.measure_a, d.measure_b) == ("a", "d"))
    assert (ad.source_a_says, ad.source_b_says) == ("less", "more")


def test_opposite_order_within_noise_is_listed_but_not_clear() -> None:
    ratings = SourceView("ratings", {"a": 10.0, "b": 11.0, "c": 60.0}, resolved_from_intervals({("a", "b"): (-4.0, 6.0), ("a", "c"): (40.0, 60.0), ("b", "c"): (39.0, 59.0)}))
    pairs = SourceView("pairs", {"a": 0.1, "b": 0.0, "c": 2.0}, resolved_from_intervals({("a", "b"): (-0.5, 0.3), ("a", "c"): (1.0, 2.8), ("b", "c"): (1.1, 2.9)}))
    out = compare_sources([pairs, ratings])
    assert out is not None and out.sources == ["ratings", "pairs"]
    (c,) = out.comparisons
    assert c.opposite == 1 and c.clear_opposite == 0
    (d,) = c.disagreements
    assert (d.measure_a, d.measure_b, d.clear) == ("a", "b", False)
    assert not d.source_a_resolved and not d.source_b_resolved


def test_a_failed_fit_is_left_out_of_the_comparison() -> None:
    means, intervals = _rating_view(ORDER, 3.0)
    separated = ranking_rows(2, {**ORDER, "d": 50.0}, 40)
    out = analyse_choice_sources(None, separated, means, intervals, alpha=0.05, min_cell=5, bradley_terry=True, resamples=0, seed=1, cell=("staff", "forensic"))
    assert out.plackett_luce is not None and out.plackett_luce.status == "separated"
    assert out.bradley_terry is None and out.agreement is None


@pytest.fixture(scope="module")
def analysed():
    sim = Simulation(
        respondents_per_group=120,
        groups=("patient", "staff"),
        ranked_measures=("area_restriction", "holding_short", "acute_sedation", "belt_short", "seclusion"),
        seed=4,
    )
    data = simulate_answers(sim)
    # Tier stability is not what these tests are about (tests/analysis/test_tier_stability.py).
    settings = GradationSettings(bootstrap_resamples=100, tier_stability_resamples=0, mixed_model=False, ordinal_model=False)
    return data, analyse(data, settings)


def test_rankings_and_the_agreement_reach_the_result_and_its_json(analysed) -> None:
    data, result = analysed
    assert (data["kind"] == "rank").any()
    assert not any("rank" in n for n in result.notes if n.startswith("item kinds not used"))
    group = result.group("patient", "general_adult")
    pl = group.plackett_luce
    assert pl is not None and pl.status == "ok" and pl.respondents == 120 and pl.resamples > 0
    assert pl.order[0] == "area_restriction" and pl.order[-1] == "seclusion"
    bt = group.bradley_terry
    assert bt is not None and bt.status == "ok"
    agreement = group.source_agreement
    assert agreement is not None and agreement.sources == ["ratings", "pairs", "rankings"]
    ratings_rankings = next(c for c in agreement.comparisons if (c.source_a, c.source_b) == ("ratings", "rankings"))
    assert len(ratings_rankings.measures) == 5 and ratings_rankings.kendall_tau > 0.5
    doc = json.loads(result.to_json())
    g = next(g for g in doc["groups"] if g["group"] == "patient")
    assert g["plackett_luce"]["order"] == pl.order
    assert {c["source_b"] for c in g["source_agreement"]["comparisons"]} == {"pairs", "rankings"}
    text = result.summary()
    assert "Plackett-Luce: 120 rankings" in text and "ratings vs rankings" in text


def test_the_ranking_intervals_are_reproducible(analysed) -> None:
    data, result = analysed
    again = analyse(data, result.settings)
    assert again.group("staff", "general_adult").plackett_luce == result.group("staff", "general_adult").plackett_luce
    assert again.to_json() == result.to_json()


def test_ranking_rows_from_the_simulator_are_read_as_rankings(analysed) -> None:
    data, _ = analysed
    ranks = data[(data["kind"] == "rank") & (data["group"] == "patient")]
    assert isinstance(ranks, pd.DataFrame)
    per = ranks.groupby("respondent")["value"].apply(lambda v: sorted(v.tolist()))
    assert all(p == [1.0, 2.0, 3.0, 4.0, 5.0] for p in per)
    assert np.isfinite(ranks["value"]).all()
