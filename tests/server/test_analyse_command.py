"""`leastmeans analyse` gives the same gradation from the database and from a tidy CSV, and refuses input it cannot grade."""

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from piccolo.engine.base import Engine

from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import COLUMNS, validate_tidy, write_tidy_csv
from server.cli import main
from server.demo import generate_demo
from server.gradation.snapshot import tidy_snapshot
from server.instrument_registry import InstrumentRegistry
from server.process import run_cli
from server.workspace.export.formats import BatchWriters
from tests.conftest import database_url


async def test_database_and_csv_give_byte_identical_results(engine: Engine, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=8, seed=5)
    write_tidy_csv(await tidy_snapshot(registry), tmp_path / "tidy.csv")
    url = database_url(engine)
    run_cli(url, "analyse", "--resamples", "20", "--out", str(tmp_path / "from_db.json"))
    run_cli(url, "analyse", "--resamples", "20", "--csv", str(tmp_path / "tidy.csv"), "--out", str(tmp_path / "from_csv.json"))
    assert (tmp_path / "from_db.json").read_bytes() == (tmp_path / "from_csv.json").read_bytes()


def test_a_broken_csv_is_refused_with_the_column_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("respondent,group\nr1,patient\n")
    with pytest.raises(RuntimeError, match="column 'setting': missing"):
        run_cli(f"sqlite:///{tmp_path / 'unused.sqlite3'}", "analyse", "--csv", str(broken))


# Strict input through the real command: each input that once gave an empty or
# meaningless gradation with exit 0 (or a cryptic error) is refused with a
# non-zero exit and a message naming the column and the file line.


def _frame(respondents: int = 12) -> pd.DataFrame:
    return simulate_answers(Simulation(respondents_per_group=respondents, groups=("patient",), pairs_per_respondent=0, seed=2))


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    valid = validate_tidy(frame)
    text = valid.astype(object).where(valid.notna(), "")
    text["value"] = ["" if pd.isna(v) else f"{v:g}" for v in valid["value"]]
    return text


def _rated(text: pd.DataFrame) -> pd.Series:
    return (text["kind"] == "rating") & (text["value"] != "")


def _unit_scale(text: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    rated = _rated(text)
    text.loc[rated, "value"] = [f"{float(v) / 100:g}" for v in text.loc[rated, "value"]]
    first = next(k for k in text.index[rated.to_numpy()] if float(text.at[k, "value"]) not in (0.0, 1.0))
    return text, "value", first + 2


def _outside(text: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    row = int(text.index[_rated(text)][3])
    text.loc[row, "value"] = "250"
    return text, "value", row + 2


def _misspelled_kind(text: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    text.loc[text["kind"] == "rating", "kind"] = "Rating"
    return text, "kind", int(text.index[text["kind"] == "Rating"][0]) + 2


def _textual_nan(written: str):
    def change(text: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
        row = int(text.index[_rated(text)][5])
        text.loc[row, "value"] = written
        return text, "value", row + 2

    return change


@pytest.mark.parametrize(
    "change",
    [_unit_scale, _outside, _misspelled_kind, _textual_nan("nan"), _textual_nan("NaN"), _textual_nan("NA")],
    ids=["0-1 scale", "outside 0-100", "kind Rating", "nan", "NaN", "NA"],
)
def test_silent_acceptance_inputs_are_refused_with_column_and_line(tmp_path: Path, change) -> None:
    text, column, line = change(_text(_frame()))
    path = tmp_path / "answers.csv"
    text.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["analyse", "--resamples", "5", "--csv", str(path)])
    assert result.exit_code != 0
    assert f"column {column!r}" in result.output
    assert re.search(rf"\(lines? {line}\b", result.output), result.output
    assert '"groups"' not in result.output


def test_a_header_only_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(COLUMNS) + "\n")
    result = CliRunner().invoke(main, ["analyse", "--csv", str(path)])
    assert result.exit_code != 0 and "line 1" in result.output and "no data rows" in result.output


def test_a_csv_without_ratings_is_refused(tmp_path: Path) -> None:
    text = _text(_frame())
    path = tmp_path / "allowed_only.csv"
    text[text["kind"] != "rating"].to_csv(path, index=False)
    result = CliRunner().invoke(main, ["analyse", "--csv", str(path)])
    assert result.exit_code != 0 and "no row has kind 'rating'" in result.output


def test_the_refusal_comes_from_the_real_command_line(tmp_path: Path) -> None:
    text, _, line = _textual_nan("nan")(_text(_frame()))
    path = tmp_path / "answers.csv"
    text.to_csv(path, index=False)
    with pytest.raises(RuntimeError, match=rf"column 'value': \['nan'\] is text.*\(line {line}\)"):
        run_cli(f"sqlite:///{tmp_path / 'unused.sqlite3'}", "analyse", "--csv", str(path))


def test_an_export_data_csv_is_analysed(tmp_path: Path) -> None:
    # The export writes data.csv with Arrow: quoted header, study and period columns,
    # empty fields for missing values, whole numbers without ".0".
    frame = validate_tidy(_frame(respondents=8)).assign(study="s1", period="2026-Q4")
    assert (frame["missing"].notna() & frame["value"].isna()).any()
    writers = BatchWriters(tmp_path, csv=True, parquet=False)
    writers.write(pa.Table.from_pandas(frame, preserve_index=False))
    writers.close()
    result = CliRunner().invoke(main, ["analyse", "--resamples", "5", "--csv", str(tmp_path / "data.csv")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["snapshot"]["answers"] == len(frame)
