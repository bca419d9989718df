"""Bradley-Terry estimates against Hunter's MM algorithm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.bradley_terry import fit_bradley_terry


def _paired(seed: int, strengths: dict[str, float], n_resp: int = 150, per: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = list(strengths)
    rows = []
    for r in range(n_resp):
        for _ in range(per):
            a, b = rng.choice(len(names), 2, replace=False)
            p_a_more = 1 / (1 + np.exp(-(strengths[names[a]] - strengths[names[b]])))
            a_more = rng.random() < p_a_more
            # The choice is the measure judged *less* intrusive.
            rows.append({"respondent": f"r{r}", "measure": names[a], "measure_b": names[b], "choice": names[b] if a_more else names[a]})
    return pd.DataFrame(rows)


def _mm(df: pd.DataFrame, names: list[str], iterations: int = 5000) -> np.ndarray:
    """Hunter (2004) MM iterations for BT strengths; independent of any GLM."""
    k = len(names)
    idx = {m: i for i, m in enumerate(names)}
    wins = np.zeros((k, k))  # wins[i, j]: i judged more intrusive than j
    for a, b, c in zip(df["measure"], df["measure_b"], df["choice"]):
        winner, loser = (a, b) if c == b else (b, a)
        wins[idx[winner], idx[loser]] += 1
    n = wins + wins.T
    gamma = np.ones(k)
    for _ in range(iterations):
        denom = (n / (gamma[:, None] + gamma[None, :])).sum(axis=1)
        gamma = wins.sum(axis=1) / denom
        gamma /= np.exp(np.log(gamma).mean())
    return np.log(gamma)


def test_estimates_match_mm_algorithm_and_order_ratings() -> None:
    truth = {"area_restriction": -1.5, "time_out": -0.5, "holding_short": 0.0, "belt_short": 0.7, "belt_long": 1.3}
    df = _paired(0, truth)
    means = {m: 50 + 10 * s for m, s in truth.items()}
    res = fit_bradley_terry(df, means, 0.05, 5)
    assert res is not None and res.error is None
    names = sorted(truth)
    ours = np.array([e.estimate for e in res.estimates])
    assert [e.measure for e in res.estimates] == names
    assert np.allclose(ours, _mm(df, names), atol=1e-5)
    assert res.order == sorted(truth, key=truth.get)
    assert res.kendall_tau_with_ratings == pytest.approx(1.0)
    # CIs cover the true centred strengths for most measures.
    centred = {m: s - np.mean(list(truth.values())) for m, s in truth.items()}
    covered = sum(e.ci_low <= centred[e.measure] <= e.ci_high for e in res.estimates)
    assert covered >= 4


def test_disconnected_comparisons_are_reported_not_fitted() -> None:
    df = pd.DataFrame(
        {
            "respondent": ["r1", "r2"],
            "measure": ["a", "c"],
            "measure_b": ["b", "d"],
            "choice": ["a", "c"],
        }
    )
    res = fit_bradley_terry(df, {}, 0.05, 5)
    assert res is not None and res.status == "disconnected" and res.order == []
    assert "a, b | c, d" in res.message and res.error == res.message
    assert all(e.estimate is None and e.se is None for e in res.estimates)
    assert res.small_cell


def _separated(n_resp: int = 60) -> pd.DataFrame:
    """net_bed is judged the more intrusive in every pair it is in; the others are mixed."""
    df = _paired(3, {"a": -1.0, "b": 0.0, "c": 1.0}, n_resp=n_resp, per=2)
    extra = pd.DataFrame(
        {
            "respondent": [f"r{r}" for r in range(n_resp)],
            "measure": ["net_bed"] * n_resp,
            "measure_b": [("a", "b", "c")[r % 3] for r in range(n_resp)],
            "choice": [("a", "b", "c")[r % 3] for r in range(n_resp)],
        }
    )
    return pd.concat([df, extra], ignore_index=True)


def test_a_measure_that_always_wins_is_reported_as_separation_not_a_huge_estimate() -> None:
    res = fit_bradley_terry(_separated(), {}, 0.05, 5)
    assert res is not None and res.status == "separated"
    assert "net_bed" in res.message and "always judged the more intrusive" in res.message
    assert res.order == [] and res.differences == []
    assert all(e.estimate is None and e.ci_low is None for e in res.estimates)
    net_bed = next(e for e in res.estimates if e.measure == "net_bed")
    assert net_bed.wins == net_bed.comparisons == 60


def test_one_dont_know_tie_makes_the_separated_measure_estimable() -> None:
    df = _separated()
    tie = pd.DataFrame({"respondent": ["r0"], "measure": ["net_bed"], "measure_b": ["c"], "choice": [None], "missing": ["dont_know"]})
    res = fit_bradley_terry(pd.concat([df.assign(missing=None), tie], ignore_index=True), {}, 0.05, 5)
    assert res is not None and res.status == "ok" and res.ties == 1
    net_bed = next(e for e in res.estimates if e.measure == "net_bed")
    assert res.order[-1] == "net_bed" and net_bed.ties == 1
    # Large and uncertain, but finite and with an honest standard error.
    assert 1.0 < net_bed.estimate < 12 and net_bed.se > 0.3


def _davidson(seed: int, theta: dict[str, float], nu: float, n_resp: int, per: int = 8, sites: int = 0) -> pd.DataFrame:
    """Answers drawn from Davidson's model; a tie is a "don't know"."""
    rng = np.random.default_rng(seed)
    names = list(theta)
    rows = []
    for r in range(n_resp):
        for _ in range(per):
            i, j = rng.choice(len(names), 2, replace=False)
            a, b = names[i], names[j]
            d = (theta[a] - theta[b]) / 2
            p = np.array([np.exp(d), np.exp(-d), nu])
            outcome = rng.choice(3, p=p / p.sum())
            row = {"respondent": f"r{r}", "measure": a, "measure_b": b, "choice": None, "missing": None}
            if outcome == 2:
                row["missing"] = "dont_know"
            else:
                row["choice"] = b if outcome == 0 else a  # the choice is the *less* intrusive
            if sites:
                row["site"] = f"s{r % sites}"
            rows.append(row)
    return pd.DataFrame(rows)


def _davidson_loglik_direct(df: pd.DataFrame, names: list[str], params: np.ndarray) -> float:
    """Davidson's likelihood in his own parametrisation (pi, nu), written out independently."""
    pi = dict(zip(names, np.exp(np.concatenate([[0.0], params[:-1]])), strict=True))
    nu = np.exp(params[-1])
    ll = 0.0
    for a, b, c, m in zip(df["measure"], df["measure_b"], df["choice"], df["missing"], strict=True):
        denom = pi[a] + pi[b] + nu * np.sqrt(pi[a] * pi[b])
        if m == "dont_know":
            ll += np.log(nu * np.sqrt(pi[a] * pi[b]) / denom)
        elif m == "prefer_not_to_answer":
            continue
        else:
            ll += np.log((pi[a] if c == b else pi[b]) / denom)
    return ll


def test_davidson_fit_is_the_maximum_of_davidsons_own_likelihood() -> None:
    from scipy import optimize

    truth = {"a": -1.0, "b": -0.2, "c": 0.4, "d": 0.8}
    df = _davidson(5, truth, 0.6, n_resp=60, per=5)
    # "Prefer not to answer" says nothing about the pair and must be left out.
    df.loc[df.index[:10], ["choice", "missing"]] = [None, "prefer_not_to_answer"]
    res = fit_bradley_terry(df, {}, 0.05, 5)
    names = sorted(truth)
    direct = optimize.minimize(lambda p: -_davidson_loglik_direct(df, names, p), np.zeros(len(names)), method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 20000})
    theta = np.concatenate([[0.0], direct.x[:-1]])
    assert res is not None and res.status == "ok"
    assert np.allclose([e.estimate for e in res.estimates], theta - theta.mean(), atol=1e-3)
    assert res.tie_parameter == pytest.approx(np.exp(direct.x[-1]), rel=1e-3)
    assert res.comparisons == len(df) - 10


def test_ties_are_used_and_move_the_tie_parameter() -> None:
    truth = {"a": -1.0, "b": -0.3, "c": 0.3, "d": 1.0}
    few = fit_bradley_terry(_davidson(1, truth, 0.2, n_resp=300), {}, 0.05, 5)
    many = fit_bradley_terry(_davidson(1, truth, 1.5, n_resp=300), {}, 0.05, 5)
    assert few is not None and many is not None and few.status == many.status == "ok"
    assert 0 < few.ties < many.ties
    assert few.tie_parameter_ci_low <= 0.2 <= few.tie_parameter_ci_high
    assert many.tie_parameter_ci_low <= 1.5 <= many.tie_parameter_ci_high
    assert few.tie_parameter_ci_high < many.tie_parameter_ci_low
    assert many.order == ["a", "b", "c", "d"]
    # Without "don't know" answers the model is plain Bradley-Terry.
    decisive = _davidson(1, truth, 0.2, n_resp=300)
    plain = fit_bradley_terry(decisive[decisive["missing"].isna()], {}, 0.05, 5)
    assert plain is not None and plain.ties == 0 and plain.tie_parameter == 0.0


def test_intervals_cluster_by_site_when_there_are_enough_sites() -> None:
    truth = {"a": -1.0, "b": -0.3, "c": 0.3, "d": 1.0}
    df = _davidson(2, truth, 0.5, n_resp=240, sites=12)
    # Each site sees one measure differently: answers within a site are correlated.
    rng = np.random.default_rng(0)
    site_view = {f"s{s}": rng.normal(0, 1.5) for s in range(12)}
    flip = rng.random(len(df)) < df["site"].map(site_view).clip(0, None).to_numpy() / 4
    involved = flip & ((df["measure"] == "b") | (df["measure_b"] == "b")).to_numpy() & df["choice"].notna().to_numpy()
    df.loc[involved, "choice"] = np.where(df.loc[involved, "measure"] == "b", df.loc[involved, "measure_b"], df.loc[involved, "measure"])
    by_site = fit_bradley_terry(df, {}, 0.05, 5, min_sites=10)
    by_respondent = fit_bradley_terry(df, {}, 0.05, 5, min_sites=13)
    assert by_site.clustering.unit == "site" and by_site.clustering.clusters == 12 and by_site.clustering.note is None
    assert by_respondent.clustering.unit == "respondent" and "12 sites (fewer than 13)" in by_respondent.clustering.note
    se = {e.measure: e.se for e in by_site.estimates}
    se_r = {e.measure: e.se for e in by_respondent.estimates}
    assert se["b"] > se_r["b"]
    # Same point estimates: only the intervals change.
    assert [e.estimate for e in by_site.estimates] == pytest.approx([e.estimate for e in by_respondent.estimates])


def test_a_group_that_always_wins_is_separation_although_each_member_loses_sometimes() -> None:
    # x and y split their own comparisons, so neither "always wins" on its own, but
    # together they beat a, b and c every time: a per-measure check misses this
    # and a logistic fit runs off to strengths of +-10 or more with SE 0.
    rng = np.random.default_rng(0)
    names, high = ["a", "b", "c", "x", "y"], {"x", "y"}
    rows = []
    for r in range(80):
        for _ in range(4):
            i, j = rng.choice(5, 2, replace=False)
            a, b = names[i], names[j]
            less = (a if a not in high else b) if (a in high) != (b in high) else (a if rng.random() < 0.5 else b)
            rows.append({"respondent": f"r{r}", "measure": a, "measure_b": b, "choice": less})
    res = fit_bradley_terry(pd.DataFrame(rows), {}, 0.05, 5)
    assert res is not None and res.status == "separated"
    assert res.message.endswith("x, y: always judged the more intrusive against every measure outside this group it was compared with")
    assert all(0 < e.wins < e.comparisons for e in res.estimates)
    assert all(e.estimate is None and e.se is None for e in res.estimates)
