"""The tier rule: hand-made verdicts, order invariance and null data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.pairwise import pairwise_verdicts, verdict_lookup
from analysis.tiers import Tiering, build_tiers


def _lookup(pairs: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    flip = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    out = dict(pairs)
    out.update({(b, a): flip[v] for (a, b), v in pairs.items()})
    return out


def test_cuts_only_where_everything_below_is_less_than_everything_above() -> None:
    means = {"a": 10.0, "b": 12.0, "c": 30.0, "d": 31.0}
    v = _lookup(
        {
            ("a", "b"): "undetermined",
            ("c", "d"): "equivalent",
            **{(lo, hi): "less" for lo in "ab" for hi in "cd"},
        }
    )
    t = build_tiers(means, v)
    assert t.tiers == [["a", "b"], ["c", "d"]]
    assert t.boundaries == ["separated"]
    assert t.statuses == ["undetermined", "tie"]
    assert t.tier_of() == {"a": 0, "b": 0, "c": 1, "d": 1}


def test_no_cut_without_every_cross_pair_established() -> None:
    # a < b and b < c are established, a vs c is not: neither cut is a finding.
    means = {"a": 10.0, "b": 20.0, "c": 30.0}
    v = _lookup({("a", "b"): "less", ("b", "c"): "less", ("a", "c"): "undetermined"})
    assert build_tiers(means, v).tiers == [["a", "b", "c"]]
    v[("a", "c")], v[("c", "a")] = "less", "more"
    t = build_tiers(means, v)
    assert t.tiers == [["a"], ["b"], ["c"]] and t.statuses == ["single"] * 3


def test_equal_means_are_never_cut_apart() -> None:
    means = {"z": 5.0, "y": 5.0}
    v = _lookup({("y", "z"): "less"})
    assert build_tiers(means, v).tiers == [["y", "z"]]
    with pytest.raises(ValueError, match="finite mean"):
        build_tiers({"x": float("nan"), "y": 1.0}, {})


def test_a_chain_of_equivalences_gives_the_same_tiers_on_a_reversed_scale() -> None:
    # a ~ b, b ~ c, a < c: a walk from the bottom would give [a, b] [c] and,
    # from the top, [a] [b, c]. No cut is established, so one tier either way.
    v = _lookup({("a", "b"): "equivalent", ("b", "c"): "equivalent", ("a", "c"): "less"})
    up = build_tiers({"a": 10.0, "b": 13.0, "c": 16.0}, v)
    flip = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    down = build_tiers({"a": 90.0, "b": 87.0, "c": 84.0}, {k: flip[x] for k, x in v.items()})
    assert up.tiers == [["a", "b", "c"]] and up.statuses == ["undetermined"]
    assert [set(t) for t in down.tiers] == [{"a", "b", "c"}]


def test_renaming_codes_of_measures_with_equal_means_keeps_the_tiers() -> None:
    # x and y have equal means; a tie-break by code must not decide the tiers.
    v = _lookup({("x", "y"): "undetermined", ("x", "w"): "less", ("y", "w"): "equivalent"})
    before = build_tiers({"x": 5.0, "y": 5.0, "w": 9.0}, v)
    rename = {"x": "b", "y": "a", "w": "w"}
    after = build_tiers({rename[m]: m_ for m, m_ in {"x": 5.0, "y": 5.0, "w": 9.0}.items()}, {(rename[a], rename[b]): x for (a, b), x in v.items()})
    assert [{rename[m] for m in t} for t in before.tiers] == [set(t) for t in after.tiers] == [{"a", "b", "w"}]


def _cell(rng: np.random.Generator, means: list[float], n_sites: int = 12, per_site: int = 12) -> tuple[pd.DataFrame, np.ndarray]:
    sites = np.repeat(np.arange(n_sites), per_site)
    n = sites.size
    person = rng.normal(0, 10, n) + rng.normal(0, 4, n_sites)[sites]
    cols = {f"m{k:02d}": mu + person + rng.normal(0, 3, n_sites)[sites] + rng.normal(0, 10, n) for k, mu in enumerate(means)}
    wide = pd.DataFrame(cols, index=[f"r{i}" for i in range(n)]).round().clip(0, 100)
    return wide, np.array([f"s{s:02d}" for s in sites])


def _tiers(wide: pd.DataFrame, sites: np.ndarray) -> Tiering:
    pairs = pairwise_verdicts(wide, 5.0, 0.05, 10, sites=sites)
    return build_tiers({m: float(wide[m].mean()) for m in wide.columns}, verdict_lookup(pairs))


def test_reversed_scale_gives_mirrored_tiers_and_renamed_codes_identical_tiers() -> None:
    rng = np.random.default_rng(3)
    means = [20.0, 21.0, 30.0, 31.0, 31.0, 45.0, 60.0, 62.0, 80.0, 95.0, 97.0]
    for _ in range(15):
        wide, sites = _cell(rng, means)
        t = _tiers(wide, sites)
        rev = _tiers(100 - wide, sites)
        assert [set(x) for x in rev.tiers] == [set(x) for x in reversed(t.tiers)]
        assert rev.statuses == list(reversed(t.statuses))
        # Reverse the alphabetical order of the codes: a code order that
        # disagrees with the means' order everywhere.
        names = {m: f"x{99 - k:02d}" for k, m in enumerate(wide.columns)}
        renamed = _tiers(wide.rename(columns=names), sites)
        assert [{names[m] for m in x} for x in t.tiers] == [set(x) for x in renamed.tiers]
        assert renamed.statuses == t.statuses


def test_identical_measures_give_one_tier_in_at_least_1_minus_alpha_of_cells() -> None:
    rng = np.random.default_rng(5)
    runs = 200
    one = sum(len(_tiers(*_cell(rng, [50.0] * 8, per_site=8)).tiers) == 1 for _ in range(runs))
    # alpha = 0.05; the lower 99.9% binomial limit at 0.95 for 200 runs is about 0.90.
    assert one / runs >= 0.90
