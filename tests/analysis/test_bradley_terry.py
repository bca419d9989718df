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


def test_unidentifiable_data_are_reported_not_fitted() -> None:
    df = pd.DataFrame(
        {
            "respondent": ["r1", "r2"],
            "measure": ["a", "c"],
            "measure_b": ["b", "d"],
            "choice": ["a", "c"],
        }
    )
    res = fit_bradley_terry(df, {}, 0.05, 5)
    assert res is not None and res.error is not None and res.order == []
    assert res.small_cell
