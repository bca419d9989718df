"""analyse(): the skeleton path, JSON stability and schema, small cells, reference comparison."""

from __future__ import annotations

import hashlib
import json

import msgspec
import pandas as pd
import pytest

from analysis.gradation import GradationSettings, analyse
from analysis.reference import ReferenceGradation

FAST = GradationSettings(bootstrap=False, mixed_model=False, ordinal_model=False, bradley_terry=False)
REFERENCE = {
    "general_adult": [["area_restriction"], ["holding_short", "acute_sedation"], ["belt_short", "holding_long"], ["sedation_danger"], ["belt_long"]],
    "forensic": [["area_restriction"], ["holding_short", "acute_sedation"], ["belt_short", "holding_long"], ["sedation_danger", "locked_room"], ["belt_long"]],
}


def test_skeleton_ratings_only_without_models(ratings_only: pd.DataFrame) -> None:
    result = analyse(ratings_only, FAST)
    doc = json.loads(result.to_json())
    assert doc["schema"] == "leastmeans.gradation/1"
    assert doc["software_version"]
    assert doc["snapshot"]["respondents"] == ratings_only["respondent"].nunique()
    assert doc["snapshot"]["answers"] == len(ratings_only)
    assert len(doc["snapshot"]["sha256"]) == 64
    assert {g["group"] for g in doc["groups"]} == {"patient", "relative", "staff"}
    for g in doc["groups"]:
        means = [m["mean"] for m in g["measures"]]
        assert means == sorted(means) or any(t["boundary_above"] == "undetermined" for t in g["tiers"])
        tiers = [m["tier"] for m in g["measures"]]
        assert tiers == sorted(tiers)
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
    settings = GradationSettings(bootstrap_resamples=200, model_max_respondents=400)
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
