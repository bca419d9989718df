"""analyse(): the skeleton path, JSON stability and schema, small cells, reference comparison."""

from __future__ import annotations

import hashlib
import json

import msgspec
import numpy as np
import pandas as pd
import pytest

from analysis.gradation import GradationSettings, analyse
from analysis.reference import ReferenceGradation
from analysis.simulate import Simulation, simulate_answers

from .conftest import make_rows

FAST = GradationSettings(bootstrap=False, mixed_model=False, ordinal_model=False, bradley_terry=False)
REFERENCE = {
    "general_adult": [["area_restriction"], ["holding_short", "acute_sedation"], ["belt_short", "holding_long"], ["sedation_danger"], ["belt_long"]],
    "forensic": [["area_restriction"], ["holding_short", "acute_sedation"], ["belt_short", "holding_long"], ["sedation_danger", "locked_room"], ["belt_long"]],
}


def test_skeleton_ratings_only_without_models(ratings_only: pd.DataFrame) -> None:
    result = analyse(ratings_only, FAST)
    doc = json.loads(result.to_json())
    assert doc["schema"] == "leastmeans.gradation/3"
    assert doc["software_version"]
    assert doc["snapshot"]["respondents"] == ratings_only["respondent"].nunique()
    assert doc["snapshot"]["answers"] == len(ratings_only)
    assert len(doc["snapshot"]["sha256"]) == 64
    assert {g["group"] for g in doc["groups"]} == {"patient", "relative", "staff"}
    for g in doc["groups"]:
        # 20 respondents per cell: below the minimum for tiering.
        assert g["tiers"] == [] and not g["tiered"] and any("no tiers" in n for n in g["notes"])
        assert all(m["tier"] is None and m["mean"] is not None for m in g["measures"])
        assert all(p["verdict"] == "undetermined" for p in g["pairwise"])
        assert all(m["rank_low"] is None for m in g["measures"])
    assert doc["models"] == []
    assert "leastmeans gradation" in result.summary()


def test_json_is_byte_identical_for_same_content(ratings_only: pd.DataFrame) -> None:
    settings = msgspec.structs.replace(FAST, bootstrap=True, bootstrap_resamples=50)
    first = analyse(ratings_only, settings).to_json()
    assert analyse(ratings_only, settings).to_json() == first
    ids = {r: hashlib.sha1(r.encode()).hexdigest() for r in ratings_only["respondent"].unique()}
    shuffled = ratings_only.sample(frac=1.0, random_state=1)
    shuffled = shuffled.assign(respondent=shuffled["respondent"].map(ids).astype("string"))
    # Relabelled ids (as after export and import) must not change even the
    # bootstrap's rank intervals: respondents are ordered by content, not id.
    assert analyse(shuffled, settings).to_json() == first
    assert analyse(ratings_only.sample(frac=1.0, random_state=2), settings).to_json() == first
    assert analyse(ratings_only, msgspec.structs.replace(settings, seed=9)).to_json() != first


def test_small_cells_are_flagged(ratings_only: pd.DataFrame) -> None:
    few = ratings_only[ratings_only["respondent"].isin(ratings_only["respondent"].unique()[:3])]
    result = analyse(few, FAST)
    g = result.groups[0]
    assert g.respondents == 3 and g.small_cell
    assert all(m.small_cell for m in g.measures)
    assert all(p.verdict == "undetermined" for p in g.pairwise)
    # No claim of order either: every boundary is undetermined.
    assert all(t.boundary_above in (None, "undetermined") for t in g.tiers)


def test_full_run_with_reference(realistic: pd.DataFrame) -> None:
    settings = GradationSettings(bootstrap_resamples=200, tier_stability_resamples=50, model_max_respondents=400)
    result = analyse(realistic, settings, reference=ReferenceGradation(settings=REFERENCE))
    doc = json.loads(result.to_json())
    g = result.group("patient", "general_adult")
    assert g.reference is not None
    pairs = {(p.measure_a, p.measure_b): p for p in g.reference.pairs}
    # Simulated truth ties holding_short and acute_sedation, as the reference does.
    assert pairs[("acute_sedation", "holding_short")].status == "agree"
    assert "locked_room" in g.reference.not_in_reference
    assert g.reference.agree + g.reference.disagree + g.reference.undetermined == len(g.reference.pairs)
    assert all(m.rank_low is not None and m.rank_low <= m.rank <= m.rank_high for m in g.measures)
    assert g.bradley_terry is not None and g.bradley_terry.kendall_tau_with_ratings > 0.7
    assert {m["setting"] for m in doc["models"]} == {"general_adult"}
    mixed = doc["models"][0]["mixed"]
    assert mixed["subsampled"] is True and mixed["respondents"] == 400
    allowed = {a.measure: a for a in g.allowed}
    assert allowed["belt_long"].pct_no > allowed["personal_observation"].pct_no
    summary = result.summary()
    assert "patient / general_adult" in summary and "models / general_adult" in summary


def test_dict_reference_and_bad_reference(ratings_only: pd.DataFrame) -> None:
    assert analyse(ratings_only, FAST, reference=REFERENCE).groups[0].reference is not None
    with pytest.raises(ValueError, match="appears twice"):
        analyse(ratings_only, FAST, reference={"general_adult": [["time_out"], ["time_out"]]})


def test_unknown_kinds_are_refused_not_ignored(ratings_only: pd.DataFrame) -> None:
    # A misspelled kind would otherwise drop its rows from the gradation without a word.
    extra = ratings_only.iloc[:1].copy()
    extra["kind"] = "likert5"
    extra["item"] = "some_other_scale"
    extra["value"] = 3.0
    both = pd.concat([ratings_only, extra], ignore_index=True)
    with pytest.raises(ValueError, match="'kind'.*'likert5'"):
        analyse(both, FAST)


def _cell_rows(n: int, measures: dict[str, float], rng: np.random.Generator, sd: float = 8.0, **fields: object) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        person = rng.normal(0, 10)
        for m, mu in measures.items():
            rows.append({"respondent": f"{fields.get('group', 'p')}{i}", "measure": m, "value": float(np.clip(round(mu + person + rng.normal(0, sd)), 0, 100)), **fields})
    return rows


def test_forensic_staff_of_19_get_descriptives_and_no_tiers() -> None:
    rng = np.random.default_rng(1)
    measures = {f"m{k:02d}": 10.0 + 6.0 * k for k in range(14)}
    staff = _cell_rows(19, measures, rng, group="staff", setting="forensic")
    patients = _cell_rows(60, measures, rng, group="patient", setting="forensic")
    result = analyse(make_rows(staff + patients), FAST)
    g = result.group("staff", "forensic")
    assert g.respondents == 19 and g.tiers == [] and not g.tiered
    assert len(g.measures) == 14 and all(m.tier is None and m.mean is not None and m.ci_low is not None for m in g.measures)
    assert any("no tiers" in n and "30" in n for n in g.notes)
    assert "tiers: none" in result.summary()
    assert result.group("patient", "forensic").tiered  # 60 respondents are tiered


def test_a_measure_rated_by_4_does_not_split_two_equivalent_measures() -> None:
    rng = np.random.default_rng(2)
    rows = _cell_rows(200, {"a": 40.0, "b": 40.0}, rng, sd=3.0)
    # Four people rate c, between a and b, and very differently from them.
    rows += [{"respondent": f"p{i}", "measure": "c", "value": v} for i, v in enumerate([0.0, 100.0, 5.0, 95.0])]
    g = analyse(make_rows(rows), FAST).groups[0]
    assert [sorted(t.measures) for t in g.tiers] == [["a", "b"]]
    assert g.tiers[0].status == "tie"
    c = next(m for m in g.measures if m.measure == "c")
    assert c.tier is None and c.n == 4
    assert any("c (n=4)" in n for n in g.notes)


def test_reversed_scale_gives_mirrored_tiers_in_the_result() -> None:
    # Two groups (each cell is analysed on its own; a third would repeat the check).
    data = simulate_answers(Simulation(respondents_per_group=80, groups=("patient", "staff"), pairs_per_respondent=0, allowed_items=False, seed=4))
    a, b = analyse(data, FAST), analyse(data.assign(value=100 - data["value"]), FAST)
    for ga, gb in zip(a.groups, b.groups):
        assert ga.tiered and gb.tiered
        assert [set(t.measures) for t in ga.tiers] == [set(t.measures) for t in reversed(gb.tiers)]
        assert [t.status for t in ga.tiers] == [t.status for t in reversed(gb.tiers)]


def test_a_multi_site_result_encodes_as_json_with_site_based_figures() -> None:
    # Realistic fieldwork has many sites; every site-based figure must reach the JSON as a number.
    data = simulate_answers(Simulation(respondents_per_group=60, sites=8, groups=("patient",), seed=5))
    settings = GradationSettings(bootstrap_resamples=40, tier_stability_resamples=20, mixed_model=False, ordinal_model=False)
    result = analyse(data, settings)
    decoded = json.loads(result.to_json())
    cell = decoded["groups"][0]
    assert cell["sensitivity"] is not None and cell["rank_resampling"] == "site"
    assert isinstance(cell["sensitivity"]["precision"]["detectable_difference"], float)
