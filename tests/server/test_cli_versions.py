"""Every result and publication records the numerical library versions its numbers were computed with."""

import datetime as dt
import json
from importlib.metadata import version
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import write_tidy_csv
from analysis.versions import NUMERICAL_LIBRARIES
from server.cli import main
from server.gradation.runner import reference_tiers
from server.publication.report import report_html
from server.publication.store import prepare_publication

QUICK = GradationSettings(bootstrap_resamples=5, mixed_model=False, ordinal_model=False, bradley_terry=False)
INSTALLED = {name: version(name) for name in NUMERICAL_LIBRARIES}


@pytest.fixture(scope="module")
def answers():  # type: ignore[no-untyped-def]
    return simulate_answers(Simulation(respondents_per_group=12, groups=("patient",), pairs_per_respondent=0, seed=8))


def test_analyse_records_the_library_versions_and_stays_byte_identical(tmp_path: Path, answers) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "answers.csv"
    write_tidy_csv(answers, csv)
    runs = [CliRunner().invoke(main, ["analyse", "--csv", str(csv), "--resamples", "5", "--out", str(tmp_path / f"{n}.json")]) for n in (1, 2)]
    assert all(run.exit_code == 0 for run in runs), runs[0].output
    first, second = (tmp_path / "1.json").read_bytes(), (tmp_path / "2.json").read_bytes()
    assert first == second
    document = json.loads(first)
    assert document["library_versions"] == INSTALLED
    assert document["software_version"] == version("leastmeans")


def test_a_publication_and_its_report_carry_the_library_versions(answers) -> None:  # type: ignore[no-untyped-def]
    prepared = prepare_publication(answers, QUICK, reference_tiers())
    assert msgspec.json.decode(prepared.gradation)["library_versions"] == INSTALLED
    html = report_html(prepared.as_stored(1, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)), "en")
    for name, number in INSTALLED.items():
        assert f"{name} {number}" in html
