"""The tier rule on hand-made verdicts."""

from __future__ import annotations

from analysis.tiers import build_tiers


def _lookup(pairs: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    flip = {"less": "more", "more": "less", "equivalent": "equivalent", "undetermined": "undetermined"}
    out = dict(pairs)
    out.update({(b, a): flip[v] for (a, b), v in pairs.items()})
    return out


def test_equivalent_measures_share_a_tier_and_clear_boundaries_are_separated() -> None:
    means = {"a": 10.0, "b": 11.0, "c": 30.0}
    v = _lookup({("a", "b"): "equivalent", ("a", "c"): "less", ("b", "c"): "less"})
    t = build_tiers(means, v)
    assert t.tiers == [["a", "b"], ["c"]]
    assert t.boundaries == ["separated"]
    assert t.tier_of() == {"a": 0, "b": 0, "c": 1}


def test_unclear_evidence_gives_undetermined_boundary_not_a_tie() -> None:
    means = {"a": 10.0, "b": 12.0, "c": 30.0}
    v = _lookup({("a", "b"): "undetermined", ("a", "c"): "less", ("b", "c"): "less"})
    t = build_tiers(means, v)
    assert t.tiers == [["a"], ["b"], ["c"]]
    assert t.boundaries == ["undetermined", "separated"]


def test_joining_needs_equivalence_with_every_member() -> None:
    # a~b and b~c but a<c: c may not join a's tier (no chaining).
    means = {"a": 10.0, "b": 13.0, "c": 16.0}
    v = _lookup({("a", "b"): "equivalent", ("b", "c"): "equivalent", ("a", "c"): "less"})
    t = build_tiers(means, v)
    assert t.tiers == [["a", "b"], ["c"]]
    assert t.boundaries == ["undetermined"]  # b vs c is not "less"


def test_order_is_deterministic_for_equal_means() -> None:
    means = {"z": 5.0, "y": 5.0, "x": float("nan")}
    t = build_tiers(means, {})
    assert t.tiers == [["y"], ["z"], ["x"]]
