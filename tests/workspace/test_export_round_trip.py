"""Export -> import -> export comes back exactly: the import goes into a second, empty
database of the same kind, and the second export holds the same data as the first."""

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from piccolo.engine.base import Engine

from analysis.snapshot import data_hash
from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import import_export


def _long_hash(path: Path) -> tuple[str, int]:
    """The data hash of the zip's long file (`analysis.snapshot.data_hash`), and its rows."""
    with zipfile.ZipFile(path) as archive:
        frame = pd.read_parquet(io.BytesIO(archive.read("data.parquet")))
    return data_hash(frame), len(frame)


def _long_only(source: Path, target: Path) -> Path:
    """The export reduced to what a /2 export carried for import: the long file and the
    questionnaires, no manifest, no wide files, as a hand-made zip."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name in original.namelist():
            if name == "data.parquet" or name.startswith("instruments/"):
                out.writestr(name, original.read(name))
    return target


async def _into(url: str, engine: Engine, path: Path, out: Path) -> None:
    """Import `path` into the empty database at `url` and export it again to `out`."""
    use_database(engine_for_url(url))
    try:
        await migrate()
        registry = InstrumentRegistry()
        await registry.register_current()
        await import_export(path)
        await build_export(registry, ExportSettings(formats=("parquet",)), out)
    finally:
        use_database(engine)


async def test_the_long_file_alone_comes_back_with_the_same_data(engine: Engine, empty_database_url: str, tmp_path: Path) -> None:
    """A never-met-coercion respondent shows experience "none" on every measure row; one
    whose experience k-anonymity emptied shows nothing. The import must keep the two
    apart (taking the empty rows for "never met" made ~310 unknown values "none")."""
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 240, seed=23, demographics=True)
    first = tmp_path / "first.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), first)
    assert manifest.anonymisation.generalised.get("experience", 0) > 0, "no experience was emptied: the case is not exercised"
    with zipfile.ZipFile(first) as archive:
        frame = pd.read_parquet(io.BytesIO(archive.read("data.parquet")))
    measure_rows = frame[frame["measure"].notna() & (frame["kind"] != "paired")]
    per_respondent = measure_rows.groupby("respondent")["experience"]
    assert per_respondent.apply(lambda s: (s == "none").all()).any(), "no never-met respondent shown"
    assert per_respondent.apply(lambda s: s.isna().all()).any(), "no respondent with experience emptied"

    second = tmp_path / "second.zip"
    await _into(empty_database_url, engine, _long_only(first, tmp_path / "long-only.zip"), second)
    before, after = _long_hash(first), _long_hash(second)
    print(f"long file: {before[1]} rows, data hash {before[0][:12]} -> {after[0][:12]}")
    assert after == before
