"""The installed `leastmeans` command fails loudly: one line on stderr saying what is wrong and what
to run, a non-zero exit, no traceback, and no database file made as a side effect."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli.database import code_migration_ids

LEASTMEANS = Path(sys.executable).parent / "leastmeans"


def leastmeans(*args: str, cwd: Path, database_url: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command as an operator would, in `cwd`, with only PATH (and DATABASE_URL) set."""
    environment = {"PATH": "/usr/bin:/bin", **env}
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    return subprocess.run([str(LEASTMEANS), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """A non-zero exit with a single `Error: ...` line holding every word, and no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture()
def migrated(tmp_path: Path) -> str:
    """The URL of a freshly migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    done = leastmeans("migrate", cwd=tmp_path, database_url=url)
    assert done.returncode == 0, done.stderr
    return url


@pytest.mark.parametrize(
    "command", [["export", "--out", "x.zip"], ["backup", "copy.sqlite3"], ["serve"], ["createuser", "admin", "--password-stdin"]]
)
def test_a_missing_sqlite_file_is_named_with_what_to_run_and_not_created(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "typo.sqlite3"
    result = leastmeans(*command, cwd=tmp_path, database_url=f"sqlite:///{path}")
    assert_one_line_error(result, f"no database at {path}", "leastmeans migrate", "make run")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_missing_folder_is_named_and_never_made(tmp_path: Path) -> None:
    url = "sqlite:////nonexistent-leastmeans/x.sqlite3"
    assert_one_line_error(leastmeans("publications", cwd=tmp_path, database_url=url), "/nonexistent-leastmeans/x.sqlite3", "no folder")
    # Not even migrate makes a folder DATABASE_URL may have mistyped.
    assert_one_line_error(leastmeans("migrate", cwd=tmp_path, database_url=url), "no folder /nonexistent-leastmeans")
    assert not Path("/nonexistent-leastmeans").exists()


def test_run_from_another_folder_without_database_url_says_so(tmp_path: Path) -> None:
    result = leastmeans("token", "list", cwd=tmp_path)
    assert_one_line_error(result, "var/leastmeans.sqlite3", "DATABASE_URL is not set", "leastmeans migrate")
    assert not (tmp_path / "var").exists()


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    assert_one_line_error(leastmeans("publications", cwd=tmp_path, database_url=f"sqlite:///{path}"), "never migrated", "leastmeans migrate")


def test_a_database_behind_the_code_is_refused_until_migrated(tmp_path: Path, migrated: str) -> None:
    path = Path(migrated.removeprefix("sqlite:///"))
    newest = max(code_migration_ids())
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM migration WHERE name = ?", (newest,))
    assert_one_line_error(leastmeans("publications", cwd=tmp_path, database_url=migrated), "lacks 1 migration", "leastmeans migrate")


def test_an_unreachable_postgresql_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://someone:secret-word@127.0.0.1:1/leastmeans"
    result = leastmeans("publications", cwd=tmp_path, database_url=url)
    assert_one_line_error(result, "cannot reach PostgreSQL at 127.0.0.1:1/leastmeans", "DATABASE_URL")
    assert "secret-word" not in result.stderr


def test_a_postgresql_database_that_does_not_exist_is_named_with_what_to_run(tmp_path: Path) -> None:
    url = "postgresql://127.0.0.1:5432/leastmeans_no_such_database"
    result = leastmeans("publications", cwd=tmp_path, database_url=url)
    assert_one_line_error(result, "no database 127.0.0.1:5432/leastmeans_no_such_database", "createdb", "leastmeans migrate")


def test_an_unknown_database_scheme_is_named(tmp_path: Path) -> None:
    assert_one_line_error(leastmeans("publications", cwd=tmp_path, database_url="mysql://x/y"), "unsupported scheme 'mysql'")


def test_a_study_that_does_not_exist_is_an_error(tmp_path: Path, migrated: str) -> None:
    out = tmp_path / "nosuch.zip"
    assert_one_line_error(leastmeans("export", "--study", "nosuch", "--out", str(out), cwd=tmp_path, database_url=migrated), "study 'nosuch' does not exist")
    assert not out.exists()
    assert_one_line_error(leastmeans("enrol-tablet", "nosuch", "ward-a", cwd=tmp_path, database_url=migrated), "study 'nosuch' does not exist")


def test_an_export_into_a_missing_folder_is_refused_before_any_work(tmp_path: Path, migrated: str) -> None:
    result = leastmeans("export", "--out", str(tmp_path / "no" / "x.zip"), cwd=tmp_path, database_url=migrated)
    assert result.returncode == 2 and "there is no folder" in result.stderr and "Traceback" not in result.stderr
    assert_one_line_error(leastmeans("export", cwd=tmp_path, database_url=migrated), "--out")


def test_version_names_leastmeans_and_the_numerical_libraries(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = leastmeans("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"leastmeans {version('leastmeans')} (")
    for name in ("numpy", "pandas", "scipy", "statsmodels", "choix", "pyarrow"):
        assert f"{name} {version(name)}" in result.stdout


def test_progress_becomes_log_lines_when_not_in_a_terminal(tmp_path: Path) -> None:
    from analysis.simulate import Simulation, simulate_answers
    from analysis.tidy import write_tidy_csv

    csv = tmp_path / "answers.csv"
    write_tidy_csv(simulate_answers(Simulation(respondents_per_group=8, groups=("patient",), pairs_per_respondent=0, seed=3)), csv)
    result = leastmeans("analyse", "--csv", str(csv), "--resamples", "5", cwd=tmp_path, LEASTMEANS_PROGRESS_SECONDS="0")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("gradation per group x setting")]
    # A bar redraws in place with carriage returns; a log gets whole lines, the last one complete.
    assert lines and "\r" not in result.stderr and "1/1" in lines[-1]
    assert result.stdout.lstrip().startswith("{")
