"""Plackett-Luce on the ranking task: recovery, intervals, separation, input checks."""

from __future__ import annotations

import choix
import numpy as np
import pandas as pd
import pytest

from analysis.plackett_luce import _padded, fit_plackett_luce, rankings_from_rows, weighted_newton

TRUTH = {"area_restriction": -1.2, "holding_short": -0.4, "acute_sedation": 0.0, "belt_short": 0.6, "seclusion": 1.0}


def ranking_rows(seed: int, intrusiveness: dict[str, float], n_resp: int, item: str = "ranking.core", sites: int = 0) -> pd.DataFrame:
    """Tidy ``rank`` rows as the server exports them: each respondent orders the
    measures least intrusive first by intrusiveness + Gumbel noise (a
    Plackett-Luce process with worth exp(-intrusiveness))."""
    rng = np.random.default_rng(seed)
    names = list(intrusiveness)
    strength = np.array([intrusiveness[m] for m in names])
    rows = []
    for r in range(n_resp):
        order = np.argsort(-(-strength + rng.gumbel(size=len(names))))
        for position, i in enumerate(order, start=1):
            row = {"respondent": f"r{r}", "item": f"{item}.{names[i]}", "kind": "rank", "measure": names[i], "value": float(position)}
            if sites:
                row["site"] = f"s{r % sites}"
            rows.append(row)
    return pd.DataFrame(rows)


def test_recovers_a_known_order_with_covering_intervals() -> None:
    res = fit_plackett_luce(ranking_rows(0, TRUTH, 400), 0.05, 5, 300, np.random.default_rng(1))
    assert res is not None and res.status == "ok"
    assert res.order == sorted(TRUTH, key=TRUTH.get)
    assert res.rankings == res.respondents == 400 and res.resamples + res.resamples_failed == 300
    centred = {m: v - np.mean(list(TRUTH.values())) for m, v in TRUTH.items()}
    covered = sum(e.ci_low <= centred[e.measure] <= e.ci_high for e in res.estimates)
    assert covered >= 4
    most = next(e for e in res.estimates if e.measure == "seclusion")
    least = next(e for e in res.estimates if e.measure == "area_restriction")
    assert most.mean_position > least.mean_position and least.first > most.first and most.last > least.last
    # The clearest pair is resolved by its interval; the difference is seclusion minus area restriction.
    diff = next(d for d in res.differences if {d.measure_a, d.measure_b} == {"area_restriction", "seclusion"})
    assert diff.measure_a == "area_restriction" and diff.ci_low > 0


def test_point_estimate_matches_the_mm_algorithm_and_resamples_match_choix() -> None:
    rows = ranking_rows(2, TRUTH, 150)
    data = rankings_from_rows(rows)
    res = fit_plackett_luce(rows, 0.05, 5, 0, None)
    # An independent algorithm (Hunter 2004, MM). choix's worths are of being picked
    # first (least intrusive); ours are intrusiveness.
    ref = -np.asarray(choix.mm_rankings(len(data.measures), data.orders, max_iter=100000, tol=1e-10))
    assert [e.estimate for e in res.estimates] == pytest.approx(ref - ref.mean(), abs=1e-5)
    assert res.resamples == 0 and all(e.ci_low is None for e in res.estimates)
    # The batched Newton fit of a weighted resample equals choix on the expanded data.
    weights = np.random.default_rng(3).multinomial(150, np.full(150, 1 / 150), size=2).astype(float)
    theta, converged = weighted_newton(_padded(data.orders), len(data.measures), weights, np.zeros(len(data.measures)))
    assert converged.all()
    for b in range(2):
        expanded = [o for o, w in zip(data.orders, weights[b], strict=True) for _ in range(int(w))]
        direct = choix.ilsr_rankings(len(data.measures), expanded, tol=1e-12, max_iter=1000)
        assert theta[b] == pytest.approx(direct - direct.mean(), abs=1e-7)


def test_same_seed_same_intervals() -> None:
    rows = ranking_rows(4, TRUTH, 80)
    one = fit_plackett_luce(rows, 0.05, 5, 100, np.random.default_rng(9))
    two = fit_plackett_luce(rows, 0.05, 5, 100, np.random.default_rng(9))
    other = fit_plackett_luce(rows, 0.05, 5, 100, np.random.default_rng(10))
    assert one == two
    assert [e.ci_low for e in one.estimates] != [e.ci_low for e in other.estimates]


def test_a_measure_everyone_ranks_last_is_reported_not_estimated() -> None:
    rows = ranking_rows(5, {**TRUTH, "seclusion": 40.0}, 60)
    assert (rows.loc[rows["measure"] == "seclusion", "value"] == 5).all()
    res = fit_plackett_luce(rows, 0.05, 5, 50, np.random.default_rng(0))
    assert res is not None and res.status == "separated"
    assert "seclusion" in res.message and "always judged the more intrusive" in res.message
    assert res.order == [] and all(e.estimate is None for e in res.estimates)
    assert next(e for e in res.estimates if e.measure == "seclusion").last == 60


def test_rankings_of_different_measure_sets_are_linked() -> None:
    first = ranking_rows(6, {m: TRUTH[m] for m in ("area_restriction", "holding_short", "acute_sedation")}, 120, item="ranking.a")
    second = ranking_rows(7, {m: TRUTH[m] for m in ("acute_sedation", "belt_short", "seclusion")}, 120, item="ranking.b")
    res = fit_plackett_luce(pd.concat([first, second], ignore_index=True), 0.05, 5, 0, None)
    assert res.status == "ok" and res.rankings == 240 and res.respondents == 120
    assert res.order == sorted(TRUTH, key=TRUTH.get)
    apart = ranking_rows(8, {"a": 0.0, "b": 1.0}, 30, item="ranking.x")
    other = ranking_rows(9, {"c": 0.0, "d": 1.0}, 30, item="ranking.y")
    split = fit_plackett_luce(pd.concat([apart, other], ignore_index=True), 0.05, 5, 0, None)
    assert split.status == "disconnected" and "a, b | c, d" in split.message


def test_sites_are_the_resampling_unit_when_there_are_enough() -> None:
    rows = ranking_rows(10, TRUTH, 120, sites=12)
    by_site = fit_plackett_luce(rows, 0.05, 5, 50, np.random.default_rng(0), min_sites=10)
    by_respondent = fit_plackett_luce(rows, 0.05, 5, 50, np.random.default_rng(0), min_sites=20)
    assert (by_site.clustering.unit, by_site.clustering.clusters) == ("site", 12)
    assert (by_respondent.clustering.unit, by_respondent.clustering.clusters) == ("respondent", 120)


def test_a_ranking_with_a_repeated_position_is_refused_naming_the_column() -> None:
    rows = ranking_rows(11, TRUTH, 3)
    rows.loc[1, "value"] = 1.0
    with pytest.raises(ValueError, match=r"column 'value': ranking 'ranking.core' of respondent 'r0' must hold positions 1..5 once each"):
        fit_plackett_luce(rows, 0.05, 5, 0, None)


def test_small_cell_is_flagged() -> None:
    res = fit_plackett_luce(ranking_rows(12, TRUTH, 4), 0.05, 5, 0, None)
    assert res is not None and res.small_cell


def test_resamples_without_a_finite_estimate_are_counted_and_left_out() -> None:
    rows = ranking_rows(13, {**TRUTH, "seclusion": 40.0}, 12)
    # One respondent puts seclusion first: the full data are estimable, but a
    # resample without that respondent is not (about exp(-1) of them).
    one = rows["respondent"] == "r0"
    rows.loc[one, "value"] = rows.loc[one, "value"].where(rows.loc[one, "measure"] != "seclusion", 0.0)
    rows.loc[one, "value"] = rows.loc[one, "value"].rank().to_numpy()
    res = fit_plackett_luce(rows, 0.05, 5, 200, np.random.default_rng(0))
    assert res.status == "ok" and res.resamples + res.resamples_failed == 200
    assert 0.2 < res.resamples_failed / 200 < 0.55
    assert all(np.isfinite(e.ci_high) and e.ci_high < 30 for e in res.estimates)
