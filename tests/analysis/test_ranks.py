"""Bootstrap rank intervals against a plain per-resample loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.ranks import bootstrap_ranks, cell_rng


def _wide(seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    means = {"a": 30.0, "b": 31.0, "c": 50.0, "d": 80.0}
    person = rng.normal(0, 10, n)
    wide = pd.DataFrame({m: mu + person + rng.normal(0, 12, n) for m, mu in means.items()})
    wide.iloc[::7, 1] = np.nan  # some respondents skipped b
    return wide


def test_matches_a_loop_over_resamples_with_the_same_draws() -> None:
    wide = _wide(0)
    b = 200
    ours = bootstrap_ranks(wide, b, 0.05, np.random.default_rng(42)).set_index("measure")
    draws = np.random.default_rng(42).integers(0, len(wide), size=(b, len(wide)))
    ranks = np.array([stats.rankdata(wide.iloc[idx].mean().to_numpy(), method="ordinal") for idx in draws])
    assert np.allclose(ours["rank_mean"].to_numpy(), ranks.mean(axis=0))
    assert (ours["rank_low"].to_numpy() == np.quantile(ranks, 0.025, axis=0, method="lower")).all()
    assert (ours["rank_high"].to_numpy() == np.quantile(ranks, 0.975, axis=0, method="higher")).all()
    assert (ours["rank"].to_numpy() == stats.rankdata(wide.mean().to_numpy(), method="ordinal")).all()


def test_chunking_does_not_change_results(monkeypatch) -> None:
    import analysis.ranks as ranks_module

    wide = _wide(1)
    whole = bootstrap_ranks(wide, 100, 0.05, np.random.default_rng(7))
    monkeypatch.setattr(ranks_module, "_CHUNK_CELLS", len(wide) * 3)
    chunked = bootstrap_ranks(wide, 100, 0.05, np.random.default_rng(7))
    pd.testing.assert_frame_equal(whole, chunked)


def test_intervals_reflect_separation_and_ties() -> None:
    out = bootstrap_ranks(_wide(2, n=400), 500, 0.05, cell_rng(1, "patient", "forensic")).set_index("measure")
    assert out.loc["d", "rank_low"] == out.loc["d", "rank_high"] == 4
    assert out.loc["a", "rank_low"] == 1 and out.loc["b", "rank_high"] == 2
    assert out.loc["a", "rank_high"] == 2  # a and b (1 point apart) swap ranks


def test_seed_depends_on_cell_names_only() -> None:
    a = cell_rng(5, "staff", "forensic").integers(0, 1000, 5)
    b = cell_rng(5, "staff", "forensic").integers(0, 1000, 5)
    c = cell_rng(5, "patient", "forensic").integers(0, 1000, 5)
    assert (a == b).all() and not (a == c).all()
