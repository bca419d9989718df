"""`leastmeans analyse` gives the same gradation from the database and from a tidy CSV."""

from pathlib import Path

import pytest
from piccolo.engine.base import Engine

from analysis.tidy import write_tidy_csv
from server.demo import generate_demo
from server.gradation.snapshot import tidy_snapshot
from server.instrument_registry import InstrumentRegistry
from server.process import run_cli
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
