"""Imports within limits: a zip bomb or a Parquet file of millions of rows is refused before
it is read in full (the importing process stays small), and bad text (NUL, overlong or
malformed codes) or a file that is no questionnaire is refused naming file, row and column,
with nothing stored."""

import csv
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from piccolo.engine.base import Engine

from analysis.tidy import COLUMNS
from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, InstrumentVersion, Response, Site, Study
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import ImportError_, ImportLimits, import_export

MIB = 1024 * 1024
#: The importing process may use this much at most, whatever the file claims or holds.
MEMORY_BUDGET = 300 * MIB
CLI = str(Path(sys.executable).parent / "leastmeans")


def _peak_memory(url: str, *args: str) -> tuple[int, str, int]:
    """Exit code, stderr and peak resident memory (bytes) of `leastmeans ARGS` in a child process."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(done.returncode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, CLI, *args],
        capture_output=True, text=True, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
    )
    # ru_maxrss is in kilobytes on Linux.
    return done.returncode, done.stderr, int(done.stdout.strip()) * 1024


def _stored(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("study", "site", "response", "answer", "instrument_version"))


@pytest.fixture
def empty_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    assert subprocess.run([CLI, "migrate"], capture_output=True, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}).returncode == 0
    return url


def test_a_zip_bomb_is_refused_from_its_directory_and_memory_stays_small(tmp_path: Path, empty_sqlite: str) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("data.csv", "w", force_zip64=True) as member:
            block = b"0" * MIB
            for _ in range(1024):
                member.write(block)
    assert bomb.stat().st_size < 3 * MIB  # 1 GiB of zeros in about a megabyte
    code, err, peak = _peak_memory(empty_sqlite, "import", str(bomb))
    print(f"zip bomb (1 GiB in {bomb.stat().st_size / MIB:.1f} MiB): refused, peak memory {peak / MIB:.0f} MiB")
    assert code != 0 and "Traceback" not in err
    assert "bomb.zip" in err and "data.csv" in err and "unpacks to" in err
    assert peak < MEMORY_BUDGET
    assert _stored(Path(empty_sqlite.removeprefix("sqlite:///"))) == 0


def test_a_parquet_file_of_millions_of_rows_is_refused_by_its_metadata(tmp_path: Path, empty_sqlite: str) -> None:
    rows = 4_000_000
    zeros = pa.array(np.zeros(rows, dtype=np.int32))
    columns = {
        name: (pa.array(np.full(rows, 50.0)) if name == "value" else pa.DictionaryArray.from_arrays(zeros, pa.array([f"{name}-x"])))
        for name in ("study", "period", *COLUMNS)
    }
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, compression="zstd")
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("data.parquet", buffer.getvalue())
    print(f"Parquet file of {rows} rows: {len(buffer.getvalue()) / 1024:.0f} kB")
    del columns, buffer
    code, err, peak = _peak_memory(empty_sqlite, "import", str(many))
    print(f"Parquet file of {rows} rows: refused, peak memory {peak / MIB:.0f} MiB")
    assert code != 0 and "Traceback" not in err
    assert "data.parquet" in err and f"{rows} rows" in err and "at most 500000" in err
    assert peak < MEMORY_BUDGET
    assert _stored(Path(empty_sqlite.removeprefix("sqlite:///"))) == 0


def _rewrite(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """A copy of the zip at `source` with members replaced (None drops one)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name in original.namelist():
            if name in replace:
                if replace[name] is not None:
                    out.writestr(name, replace[name])  # type: ignore[arg-type]
            else:
                out.writestr(name, original.read(name))
        for name, data in replace.items():
            if name not in original.namelist() and data is not None:
                out.writestr(name, data)
    return target


def _handmade(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """A copy without manifest.json, as a researcher assembles a zip by hand: its rows are
    checked as always, but there are no checksums to refuse the edit first."""
    return _rewrite(source, target, {**replace, "manifest.json": None})


def _csv_with(rows: list[list[str]], line: int, column: str, text: str) -> bytes:
    """data.csv with the cell at file line `line` (header is line 1) and `column` set to `text`."""
    edited = [list(r) for r in rows]
    edited[line - 1][rows[0].index(column)] = text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(edited)
    return out.getvalue().encode()


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
async def test_bad_text_and_foreign_files_are_refused_by_file_row_and_column(engine: Engine, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 6, seed=31, demographics=False, sites=("w",))
    good = tmp_path / "good.zip"
    await build_export(registry, ExportSettings(formats=("csv",)), good)
    with zipfile.ZipFile(good) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("data.csv").decode())))
        instrument = next(n for n in archive.namelist() if n.startswith("instruments/"))
        members = len(archive.namelist())
    frame_rows = len(rows) - 1
    with_parquet = tmp_path / "with-parquet.zip"
    await build_export(registry, ExportSettings(formats=("parquet",)), with_parquet)
    with zipfile.ZipFile(with_parquet) as archive:
        table = pq.read_table(io.BytesIO(archive.read("data.parquet")))
    respondents = table.column("respondent").to_pylist()
    respondents[4] = "R\x00evil"
    buffer = io.BytesIO()
    pq.write_table(table.set_column(table.schema.get_field_index("respondent"), "respondent", pa.array(respondents)), buffer)

    cases: list[tuple[str, Path, ImportLimits, str]] = [
        ("NUL in a code", _handmade(good, tmp_path / "nul.zip", {"data.csv": _csv_with(rows, 3, "site", "w\x00")}), ImportLimits(),
         "data.csv, row 3, column 'site': control characters"),
        ("500-character code", _handmade(good, tmp_path / "long.zip", {"data.csv": _csv_with(rows, 4, "site", "w" * 500)}), ImportLimits(),
         "data.csv, row 4, column 'site': longer than 64 characters"),
        ("formula as a study code", _handmade(good, tmp_path / "formula.zip", {"data.csv": _csv_with(rows, 5, "study", '=HYPERLINK("http://x","y")')}),
         ImportLimits(), "data.csv, row 5, column 'study': a code may hold only letters, digits"),
        ("NUL in Parquet", _handmade(with_parquet, tmp_path / "pnul.zip", {"data.parquet": buffer.getvalue()}), ImportLimits(),
         "data.parquet, row 6, column 'respondent': control characters"),
        ("JSON that is no questionnaire", _handmade(good, tmp_path / "json.zip", {instrument: b'{"hello": [1, 2]}'}), ImportLimits(),
         f"{instrument}: not a questionnaire version"),
        ("JSON list", _handmade(good, tmp_path / "list.zip", {instrument: b"[1, 2, 3]"}), ImportLimits(),
         f"{instrument}: not a questionnaire version"),
        ("stray JSON in instruments/", _handmade(good, tmp_path / "stray.zip", {"instruments/notes.json": b"{}"}), ImportLimits(),
         "instruments/notes.json: not a questionnaire version"),
        ("too many CSV rows", good, ImportLimits(max_rows=frame_rows - 1), f"data.csv: about {frame_rows} rows; at most {frame_rows - 1}"),
        ("too many members", good, ImportLimits(max_members=3), f"good.zip: {members} files in the zip; at most 3"),
        ("member too large", good, ImportLimits(max_member_bytes=50_000), "good.zip: instruments/"),
    ]
    target = tmp_path / "target.sqlite3"
    use_database(engine_for_url(f"sqlite:///{target}"))
    try:
        await migrate()
        for label, path, limits, expected in cases:
            with pytest.raises(ImportError_) as refused:
                await import_export(path, limits)
            assert expected in str(refused.value), f"{label}: {refused.value}"
            for table_ in (Study, Site, Response, Answer, InstrumentVersion):
                assert await table_.count() == 0, f"{label}: something was stored"
        # The untouched export still imports, so the limits refuse only what they should.
        report = await import_export(good)
        assert report.respondents == 6
    finally:
        use_database(engine)
