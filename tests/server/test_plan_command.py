"""`leastmeans plan` and `analyse --plan`: the plan's hash is verified, recorded in the result and in publications."""

import datetime as dt
import json
from pathlib import Path

import msgspec
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.plan import build_plan, plan_sha256, read_plan
from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import write_tidy_csv
from server.cli import main
from server.gradation.runner import reference_tiers
from server.publication.report import report_html
from server.publication.store import PublicationError, prepare_publication

QUICK = GradationSettings(bootstrap_resamples=5, mixed_model=False, ordinal_model=False, bradley_terry=False)


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return simulate_answers(Simulation(respondents_per_group=12, groups=("patient",), pairs_per_respondent=0, seed=6))


@pytest.fixture()
def csv(tmp_path: Path, answers: pd.DataFrame) -> Path:
    path = tmp_path / "answers.csv"
    write_tidy_csv(answers, path)
    return path


def _settings(planned: GradationSettings) -> list[str]:
    return [f"--set={name}={json.dumps(value)}" for name, value in msgspec.to_builtins(planned).items()]


@pytest.mark.parametrize("name", ["plan.yaml", "plan.json"])
def test_plan_writes_a_file_that_analyse_verifies_and_records(tmp_path: Path, csv: Path, name: str) -> None:
    runner = CliRunner()
    written = runner.invoke(main, ["plan", "--out", str(tmp_path / name), *_settings(QUICK)])
    assert written.exit_code == 0, written.output
    plan, sha = read_plan(tmp_path / name)
    assert plan.settings == QUICK and sha in written.output
    ran = runner.invoke(main, ["analyse", "--csv", str(csv), "--plan", str(tmp_path / name)])
    assert ran.exit_code == 0, ran.output
    document = json.loads(ran.stdout)
    assert document["plan_sha256"] == sha
    assert not [d for d in document["departures"] if d.startswith("settings.")]


def test_resamples_on_the_command_line_are_a_departure(tmp_path: Path, csv: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["plan", "--out", str(tmp_path / "plan.json"), *_settings(QUICK)])
    ran = runner.invoke(main, ["analyse", "--csv", str(csv), "--plan", str(tmp_path / "plan.json"), "--resamples", "7"])
    assert ran.exit_code == 0, ran.output
    assert "settings.bootstrap_resamples: 7 instead of the planned 5" in json.loads(ran.stdout)["departures"]


def test_an_edited_plan_is_refused(tmp_path: Path, csv: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["plan", "--out", str(tmp_path / "plan.yaml")])
    text = (tmp_path / "plan.yaml").read_text()
    assert "  margin: 5.0\n" in text
    (tmp_path / "plan.yaml").write_text(text.replace("  margin: 5.0\n", "  margin: 8.0\n"))
    ran = runner.invoke(main, ["analyse", "--csv", str(csv), "--plan", str(tmp_path / "plan.yaml")])
    assert ran.exit_code != 0
    assert "'sha256'" in ran.output and "changed after it was written" in ran.output and "settings.margin" in ran.output
    assert '"groups"' not in ran.output


def test_plan_refuses_a_new_margin_without_a_reason_and_unknown_settings() -> None:
    runner = CliRunner()
    no_reason = runner.invoke(main, ["plan", "--set", "margin=8"])
    assert no_reason.exit_code != 0 and "rationale" in no_reason.output
    unknown = runner.invoke(main, ["plan", "--set", "margn=8"])
    assert unknown.exit_code != 0 and "margn" in unknown.output
    reasoned = runner.invoke(main, ["plan", "--set", "margin=8", "--margin-rationale", "The authority's threshold."])
    assert reasoned.exit_code == 0 and json.loads(reasoned.stdout)["plan"]["margin"]["points"] == 8.0


def test_a_publication_records_the_plan_hash_and_shows_it() -> None:
    answers = simulate_answers(Simulation(respondents_per_group=40, groups=("patient",), pairs_per_respondent=0, seed=6))
    plan = build_plan(msgspec.structs.replace(QUICK, bootstrap_resamples=9))
    prepared = prepare_publication(answers, QUICK, reference_tiers(), plan=plan)
    document = msgspec.json.decode(prepared.gradation)
    assert document["plan_sha256"] == plan_sha256(plan)
    departure = "settings.bootstrap_resamples: 5 instead of the planned 9"
    assert departure in document["departures"]
    html = report_html(prepared.as_stored(1, dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)), "en")
    assert f'<code class="plan-sha">{plan_sha256(plan)}</code>' in html
    assert f"<li>{departure}</li>" in html


def test_nothing_to_grade_is_a_refusal_to_publish(answers: pd.DataFrame) -> None:
    with pytest.raises(PublicationError, match="no row has kind 'rating'"):
        prepare_publication(answers[answers["kind"] != "rating"], QUICK, reference_tiers())
