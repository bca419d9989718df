"""Bootstrap rank intervals (respondent and whole-site resampling) against plain loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.ranks import RESPONDENT_RESAMPLING, SITE_RESAMPLING, bootstrap_ranks, cell_rng, rank_bootstrap


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


def _two_views(seed: int, sites: int = 6, per_site: int = 20) -> tuple[pd.DataFrame, np.ndarray]:
    """a and b 3 points apart on average, but sites disagree strongly about b."""
    rng = np.random.default_rng(seed)
    site = np.repeat([f"s{k}" for k in range(sites)], per_site)
    view = np.resize([-10.0, 10.0], sites)[np.arange(sites).repeat(per_site)]
    person = rng.normal(0, 10, site.size)
    wide = pd.DataFrame({"a": 50 + person + rng.normal(0, 2, site.size), "b": 53 + view + person + rng.normal(0, 2, site.size)})
    return wide, site


def test_with_enough_sites_whole_sites_are_resampled() -> None:
    wide, site = _two_views(3)
    boot = rank_bootstrap(wide, 50, 0.05, np.random.default_rng(1), sites=site, min_sites=5, keep=20)
    assert boot.unit == SITE_RESAMPLING and len(boot.kept) == 20
    members = {s: set(np.flatnonzero(site == s)) for s in set(site)}
    for sample in boot.kept:
        # Each cluster of a resample is one whole site; as many clusters as sites.
        clusters = pd.unique(sample.clusters)
        assert len(clusters) == len(members)
        for c in clusters:
            rows = set(sample.rows[sample.clusters == c])
            assert rows in members.values()
        assert len(sample.rows) == len(wide)


def test_site_resampling_matches_a_loop_over_drawn_sites() -> None:
    wide, site = _two_views(4)
    b = 100
    ours = bootstrap_ranks(wide, b, 0.05, np.random.default_rng(9), sites=site, min_sites=5).set_index("measure")
    labels = sorted(set(site))
    draws = np.random.default_rng(9).integers(0, len(labels), size=(b, len(labels)))
    ranks = np.array([stats.rankdata(pd.concat([wide[site == labels[k]] for k in idx]).mean().to_numpy(), method="ordinal") for idx in draws])
    assert np.allclose(ours["rank_mean"].to_numpy(), ranks.mean(axis=0))


def test_site_differences_widen_rank_intervals_only_under_site_resampling() -> None:
    wide, site = _two_views(5)
    by_site = bootstrap_ranks(wide, 400, 0.05, np.random.default_rng(2), sites=site, min_sites=5).set_index("measure")
    by_respondent = bootstrap_ranks(wide, 400, 0.05, np.random.default_rng(2)).set_index("measure")
    # 120 respondents pin the order down; 6 sites that disagree do not.
    assert (by_respondent.loc["a", "rank_low"], by_respondent.loc["a", "rank_high"]) == (1, 1)
    assert (by_site.loc["a", "rank_low"], by_site.loc["a", "rank_high"]) == (1, 2)


def test_with_fewer_sites_respondents_are_resampled_as_before() -> None:
    wide, site = _two_views(6, sites=4, per_site=30)
    boot = rank_bootstrap(wide, 100, 0.05, np.random.default_rng(3), sites=site, min_sites=5)
    assert boot.unit == RESPONDENT_RESAMPLING
    pd.testing.assert_frame_equal(boot.ranks, bootstrap_ranks(wide, 100, 0.05, np.random.default_rng(3)))


def test_same_seed_same_resamples() -> None:
    wide, site = _two_views(7)
    first = rank_bootstrap(wide, 60, 0.05, cell_rng(3, "staff", "forensic"), sites=site, min_sites=5, keep=10)
    again = rank_bootstrap(wide, 60, 0.05, cell_rng(3, "staff", "forensic"), sites=site, min_sites=5, keep=10)
    pd.testing.assert_frame_equal(first.ranks, again.ranks)
    assert all((x.rows == y.rows).all() and (x.clusters == y.clusters).all() for x, y in zip(first.kept, again.kept))
