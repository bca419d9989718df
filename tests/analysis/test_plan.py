"""The analysis plan: written with its hash, read back verified, tampering refused, recorded in results."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pandas as pd
import pytest

from analysis.gradation import analyse
from analysis.plan import (
    PlanError,
    build_plan,
    plan_document,
    plan_sha256,
    read_plan,
    write_plan,
)
from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers

FAST = GradationSettings(bootstrap=False, mixed_model=False, ordinal_model=False, bradley_terry=False)


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return simulate_answers(Simulation(respondents_per_group=12, groups=("patient",), pairs_per_respondent=0, allowed_items=False, seed=4))


def test_the_plan_states_what_a_referee_asks_for() -> None:
    plan = build_plan()
    defaults = GradationSettings()
    assert plan.settings == defaults
    assert plan.margin.points == defaults.margin and f"{defaults.margin:g} points" in plan.margin.rationale
    assert plan.margin.sensitivity_points == [3.0, 5.0, 8.0, 10.0]
    assert plan.alpha == defaults.alpha and f"{defaults.alpha:g}" in plan.multiplicity
    assert plan.min_n_tiering == defaults.min_cell_for_tiers
    assert {e.name for e in plan.estimands} >= {"measure_mean", "paired_difference", "tier_partition"}
    assert {s.name for s in plan.sensitivity_analyses} >= {"equivalence_margin", "dont_know_tipping_point"}


@pytest.mark.parametrize("name", ["plan.json", "plan.yaml"])
def test_round_trip_keeps_plan_and_hash(tmp_path: Path, name: str) -> None:
    plan = build_plan(msgspec.structs.replace(GradationSettings(), margin=8.0), "The authority treats 8 points as negligible.")
    stated = write_plan(plan, tmp_path / name)
    back, sha = read_plan(tmp_path / name)
    assert back == plan and sha == stated == plan_sha256(plan)
    assert 8.0 in back.margin.sensitivity_points


def test_the_hash_is_of_the_content_not_of_its_layout(tmp_path: Path) -> None:
    plan = build_plan()
    as_json = json.loads(plan_document(plan, "json"))
    # Another indentation, another key order, YAML instead of JSON: the same plan.
    (tmp_path / "compact.json").write_text(json.dumps(as_json, separators=(",", ":"), sort_keys=False))
    (tmp_path / "plan.yaml").write_bytes(plan_document(plan, "yaml"))
    assert read_plan(tmp_path / "compact.json")[1] == read_plan(tmp_path / "plan.yaml")[1] == plan_sha256(plan)
    assert plan_sha256(build_plan(msgspec.structs.replace(GradationSettings(), seed=1))) != plan_sha256(plan)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["plan"]["settings"].update(margin=8.0) or d["plan"]["margin"].update(points=8.0), "margin.points, settings.margin"),
        (lambda d: d["plan"]["settings"].update(bootstrap_resamples=50), "settings.bootstrap_resamples"),
        (lambda d: d["plan"]["margin"].update(rationale="chosen after a look at the data"), "margin.rationale"),
    ],
)
def test_an_edited_plan_is_refused_naming_the_problem(tmp_path: Path, edit, named: str) -> None:
    document = json.loads(plan_document(build_plan(), "json"))
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PlanError) as info:
        read_plan(path)
    message = str(info.value)
    assert "'sha256'" in message and "changed after it was written" in message and named in message
    assert document["sha256"] in message


def test_a_consistent_hash_does_not_excuse_contradictory_figures(tmp_path: Path) -> None:
    document = json.loads(plan_document(build_plan(), "json"))
    document["plan"]["alpha"] = 0.01
    plan = msgspec.convert(document["plan"], type(build_plan()))
    document["sha256"] = plan_sha256(plan)
    path = tmp_path / "restated.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PlanError, match=r"alpha: 0.01 but the settings say 0.05"):
        read_plan(path)


def test_a_plan_file_with_a_missing_field_names_it(tmp_path: Path) -> None:
    document = json.loads(plan_document(build_plan(), "json"))
    del document["plan"]["multiplicity"]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PlanError, match="multiplicity"):
        read_plan(path)
    (tmp_path / "other.json").write_text('{"margin": 5}')
    with pytest.raises(PlanError, match="'plan' and 'sha256'"):
        read_plan(tmp_path / "other.json")


def test_a_changed_margin_needs_its_rationale() -> None:
    with pytest.raises(PlanError, match="margin: 8 points.*rationale"):
        build_plan(msgspec.structs.replace(GradationSettings(), margin=8.0))


def test_the_result_records_the_plan_hash_and_its_departures(answers: pd.DataFrame) -> None:
    plan = build_plan(FAST)
    held = analyse(answers, plan=plan)
    assert held.settings == FAST
    assert held.plan_sha256 == plan_sha256(plan)
    assert not [d for d in held.departures if d.startswith("settings.")]
    document = json.loads(held.to_json())
    assert document["plan_sha256"] == plan_sha256(plan) and document["departures"] == held.departures
    assert f"plan sha256 {plan_sha256(plan)}" in held.summary()

    changed = analyse(answers, msgspec.structs.replace(FAST, alpha=0.01), plan=plan)
    assert "settings.alpha: 0.01 instead of the planned 0.05" in changed.departures


def test_without_a_plan_the_default_plan_is_recorded(answers: pd.DataFrame) -> None:
    result = analyse(answers, FAST)
    assert result.plan_sha256 == plan_sha256(build_plan())
    # FAST switches off what the default plan runs: each switch is a stated departure.
    for field in ("bootstrap", "mixed_model", "ordinal_model", "bradley_terry"):
        assert f"settings.{field}: False instead of the planned True" in result.departures


def test_small_cells_and_subsampled_models_are_departures_without_small_counts(answers: pd.DataFrame) -> None:
    settings = msgspec.structs.replace(FAST, mixed_model=True, model_max_respondents=10)
    result = analyse(answers, settings, plan=build_plan(settings))
    cell = result.groups[0]
    assert cell.respondents < build_plan().min_n_tiering
    small = [d for d in result.departures if d.startswith("patient / general_adult:")]
    assert small and "fewer respondents than the planned minimum of 30 for tiering" in small[0]
    assert str(cell.respondents) not in small[0]
    assert any("random subset of 10 respondents" in d for d in result.departures)
