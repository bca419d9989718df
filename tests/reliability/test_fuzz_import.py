"""Malformed import files: `leastmeans import` either imports everything or refuses with a
message that names the row (file line) or column, and a refusal stores nothing."""

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, Response, Study
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import ImportError_, import_export
from tests.reliability.hypothesis_bridge import FUZZ_SETTINGS, LoopBridge, run_in_thread

#: A refusal must point at what is wrong: a row (line of data.csv), a column or a file.
CLEAR = re.compile(r"\brows? \d+|column '|\bweek\b|study|instruments/|not a readable export|neither data")

cells = st.one_of(
    st.sampled_from(["", "NA", "-1", "101", "1e9", "nan", "rating", "paired", "rank", "dont_know", "2026-W99", "xx", "0.5"]),
    st.text(max_size=12),
)


def _edit(rows: list[list[str]], draw: st.DrawFn) -> list[list[str]]:
    """One malformation: a changed cell, a short or long row, a lost column, a stray row."""
    header, body = rows[0], [list(r) for r in rows[1:]]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "short_row", "long_row", "drop_column", "stray_row", "duplicate_row"]))
    line = draw(st.integers(min_value=0, max_value=len(body) - 1))
    if kind == "cell":
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            column = draw(st.integers(min_value=0, max_value=len(header) - 1))
            body[draw(st.integers(min_value=0, max_value=len(body) - 1))][column] = draw(cells)
    elif kind == "short_row":
        body[line] = body[line][: draw(st.integers(min_value=0, max_value=len(header) - 1))]
    elif kind == "long_row":
        body[line] = body[line] + [draw(cells)]
    elif kind == "drop_column":
        column = draw(st.integers(min_value=0, max_value=len(header) - 1))
        header = header[:column] + header[column + 1 :]
        body = [r[:column] + r[column + 1 :] for r in body]
    elif kind == "stray_row":
        body.insert(line, [draw(cells) for _ in header])
    else:
        body.insert(line, list(body[line]))
    return [header, *body]


def _write_zip(source: Path, target: Path, rows: list[list[str]]) -> None:
    """The export with data.csv edited and without manifest.json: a hand-made zip, whose
    rows the import checks one by one (with the manifest, its checksum refuses any edit)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as out:
        for name in original.namelist():
            if name != "manifest.json":
                out.writestr(name, text.getvalue() if name == "data.csv" else original.read(name))


@pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)
async def test_malformed_csv_rows_are_refused_whole_and_by_row(engine: Engine, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 6, seed=11, demographics=False, sites=("w",))
    good = tmp_path / "good.zip"
    await build_export(registry, ExportSettings(formats=("csv",)), good)
    with zipfile.ZipFile(good) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("data.csv").decode())))
    empty = tmp_path / "empty.sqlite3"
    use_database(engine_for_url(f"sqlite:///{empty}"))
    await migrate()
    outcomes: dict[str, int] = {"refused": 0, "imported": 0}

    async def attempt(bad: Path, database: Path) -> tuple[str | None, int, int]:
        use_database(engine_for_url(f"sqlite:///{database}"))
        try:
            await import_export(bad)
            refusal = None
        except ImportError_ as exc:
            refusal = str(exc)
        return refusal, await Response.count(), await Answer.count() + await Study.count()

    def fuzz(loop: LoopBridge) -> None:
        @FUZZ_SETTINGS
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            edited = _edit(rows, data.draw)
            bad, database = tmp_path / "bad.zip", tmp_path / "target.sqlite3"
            _write_zip(good, bad, edited)
            shutil.copyfile(empty, database)
            refusal, responses, others = loop(attempt(bad, database))
            if refusal is None:
                outcomes["imported"] += 1
                return
            outcomes["refused"] += 1
            assert CLEAR.search(refusal), f"unclear refusal: {refusal!r}"
            assert responses == 0 and others == 0, f"half-imported after refusal {refusal!r}"

        run()

    try:
        await run_in_thread(fuzz)
    finally:
        use_database(engine)
    assert outcomes["refused"] > 0
