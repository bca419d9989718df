"""Export -> import -> export comes back exactly: the import goes into a second, empty
database of the same kind, and the second export holds the same data as the first."""

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from piccolo.engine.base import Engine

from analysis.snapshot import data_hash
from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, Response, Site
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import import_export
from surveys import codes


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


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


#: What the manifest of the re-export may say differently: the day it was made, and what
#: k-anonymity did (the first export generalised the stored data; the imported data are
#: generalised already, so the second run finds those cells as they are).
_MAY_DIFFER = ("created_on", "anonymisation", "anonymisation_steps")


async def test_export_import_export_gives_identical_data_files(engine: Engine, empty_database_url: str, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 200, seed=29, demographics=True, text=True)
    # Everyone at one site answered in ten seconds: flag_fast must survive the round trip.
    site = await Site.select(Site.id).where(Site.code == "ward-a").first()
    assert site is not None
    fast_start = dt.datetime(2026, 3, 4, 10, 11, 50, tzinfo=dt.timezone.utc)
    await Response.update({Response.started_at: fast_start}).where(Response.site == site["id"])
    first = tmp_path / "first.zip"
    settings = ExportSettings(include_free_text=True)
    manifest = await build_export(registry, settings, first)
    assert manifest.format == "leastmeans.export/3" and manifest.free_text_rows > 0
    # The case the round trip must survive: k-anonymity generalised and suppressed cells.
    assert sum(manifest.anonymisation.generalised.values()) > 0

    use_database(engine_for_url(empty_database_url))
    try:
        await migrate()
        target_registry = InstrumentRegistry()
        await target_registry.register_current()
        report = await import_export(first)
        bands = await Answer.select(Answer.value, Answer.missing).where(Answer.item == "background.age_band")
        second = tmp_path / "second.zip"
        again = await build_export(target_registry, settings, second)
    finally:
        use_database(engine)

    one, two = _members(first), _members(second)
    # Generalised age bands are stored as given and suppressed ones as suppressed answers.
    wide_file = next(name for name in one if name.startswith("wide/") and name.endswith(".parquet"))
    cells = pd.read_parquet(io.BytesIO(one[wide_file]))["bg_age_band"].tolist()
    wider = {value: code for value, code in codes.option_codes("age_band").items() if value in codes.generalised_values("age_band")}
    stored = [json.loads(r["value"]) if isinstance(r["value"], str) else r["value"] for r in bands]
    print(f"age bands: {sum(c in wider.values() for c in cells)} generalised, {cells.count(-7)} suppressed in the export")
    assert sum(c in wider.values() for c in cells) > 0
    for value, code in wider.items():
        assert stored.count(value) == cells.count(code), value
    assert sum(r["missing"] == "suppressed" for r in bands) == cells.count(-7)
    print(f"{report.respondents} respondents, {report.answers} answers, {len(one)} files, data hash {manifest.data_sha256[:12]} -> {again.data_sha256[:12]}")
    assert report.verified_files == len(one) - 1
    assert again.data_sha256 == manifest.data_sha256
    assert sorted(two) == sorted(one)
    first_manifest, second_manifest = json.loads(one["manifest.json"]), json.loads(two["manifest.json"])
    for key in (*_MAY_DIFFER, "files"):
        first_manifest.pop(key), second_manifest.pop(key)
    assert second_manifest == first_manifest

    # Every wide cell comes back; the quality flags are compared on their own.
    flags = ["flag_fast", "flag_straightline", "flag_nonresponse"]
    counts = []
    for name in (n for n in sorted(one) if n.startswith("wide/") and n.endswith(".parquet")):
        before, after = pd.read_parquet(io.BytesIO(one[name])), pd.read_parquet(io.BytesIO(two[name]))
        cells = [c for c in before.columns if c != "respondent"]
        assert sorted(map(tuple, before[cells].astype(str).to_numpy())) == sorted(map(tuple, after[cells].astype(str).to_numpy())), name
        counts.append((before[flags].sum().to_dict(), after[flags].sum().to_dict()))
    print(f"quality flags (first, second export) per wide file: {counts}")
    assert any(first["flag_fast"] for first, _ in counts)

    differing = [name for name in one if name != "manifest.json" and one[name] != two[name]]
    assert not differing, f"files differ after the round trip: {differing}"
    assert json.loads(two["manifest.json"])["files"] == json.loads(one["manifest.json"])["files"]
