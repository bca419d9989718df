"""Anonymised export and import: formats, labels, anonymisation, k-anonymity, round trip."""

import hashlib
import io
import zipfile
from pathlib import Path

import msgspec
import pandas as pd
import pyreadstat
import pytest
from piccolo.engine.base import Engine

from analysis.gradation import analyse
from analysis.settings import GradationSettings
from analysis.snapshot import data_hash
from analysis.tidy import validate_tidy
from bench.export_bench import seed
from server.gradation.runner import reference_tiers
from server.gradation.snapshot import tidy_snapshot
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Response, Study
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import ImportError_, import_export
from surveys.codes import measure_number
from tests.workspace.test_export_privacy import recomputed_group_sizes, rewritten_zip


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _read(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read(name)


def _rounded(value: object) -> object:
    def walk(v: object) -> object:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    return walk(msgspec.to_builtins(value))


def _data(zip_path: Path) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(_read(zip_path, "data.parquet")))


async def test_export_files_open_with_labels_and_hold_nothing_identifying(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 40, seed=3, demographics=True, text=True)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(), out)
    names = zipfile.ZipFile(out).namelist()
    assert {"manifest.json", "data.csv", "data.parquet", "data.dta", "data.sav", "codebook/codebook.csv"} <= set(names)
    assert "free_text.csv" not in names and manifest.free_text_rows == 0
    # Format /3: one wide file per version in every format, every file listed with its checksum.
    assert manifest.format == "leastmeans.export/3" and len(manifest.wide) == 1
    assert {f"{manifest.wide[0].name}.{ext}" for ext in ("csv", "parquet", "sav", "dta")} <= set(names)
    listed = {entry.name: entry for entry in manifest.files}
    assert set(listed) == set(names) - {"manifest.json"}
    for name, entry in listed.items():
        content = _read(out, name)
        assert (len(content), hashlib.sha256(content).hexdigest()) == (entry.bytes, entry.sha256), name

    parquet = _data(out)
    csv = pd.read_csv(io.BytesIO(_read(out, "data.csv")), dtype=str)
    assert len(parquet) == len(csv) == manifest.rows > 0
    for name, reader in (("data.dta", pyreadstat.read_dta), ("data.sav", pyreadstat.read_sav)):
        (tmp_path / name).write_bytes(_read(out, name))
        frame, meta = reader(str(tmp_path / name), apply_value_formats=False)
        assert len(frame) == manifest.rows
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert labels["respondent"].startswith("Respondent") and labels["period"].startswith("Period")
        # Fixed codes with the wording as labels (tests/workspace/test_export_coding.py checks them all).
        assert {int(k) for k in meta.variable_value_labels["measure"]} >= {measure_number(m) for m in parquet["measure"].dropna()}
        assert {int(k): v for k, v in meta.variable_value_labels["group"].items()}[1] == "Patient"

    # No raw respondent id, exact timestamp, IP address or free text anywhere in the zip.
    raw_ids = {str(r["id"]) for r in await Response.select(Response.id)}
    with zipfile.ZipFile(out) as archive:
        blob = b"".join(archive.read(n) for n in archive.namelist() if not n.endswith((".parquet", ".sav", ".dta")))
    text = blob.decode("utf-8", errors="replace") + parquet.to_csv()
    assert not any(rid in text for rid in raw_ids)
    assert "2026-03-04" not in text and "10:12" not in text
    assert set(parquet["period"]) == {"2026-Q1"}
    assert "a free-text comment" not in text
    assert not pd.Series(list(text.split())).str.fullmatch(r"\d{1,3}(\.\d{1,3}){3}").any()
    assert parquet["respondent"].str.fullmatch(r"R\d{7}").all()

    # k-anonymity holds on everything the rows carry, and the manifest says what changed.
    per_respondent = parquet.drop_duplicates("respondent")
    sizes = recomputed_group_sizes(csv.fillna(""))
    assert sizes.min() >= 5 and sizes.min() == manifest.anonymisation.smallest_group_after
    report = manifest.anonymisation
    assert report.respondents_before == 40
    assert manifest.respondents == 40 - report.suppressed_respondents == per_respondent.shape[0]
    assert report.changed and sum(report.generalised.values()) > 0
    assert (manifest.suppressed_rows > 0) == (report.suppressed_respondents > 0)
    stored = msgspec.json.decode(_read(out, "manifest.json"))
    assert stored["anonymisation"]["generalised"] == report.generalised and stored["data_sha256"] == manifest.data_sha256
    assert data_hash(parquet) == manifest.data_sha256


async def test_free_text_only_when_asked(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 6, seed=4, demographics=False, text=True, sites=("w",))
    manifest = await build_export(registry, ExportSettings(include_free_text=True, formats=("csv",)), tmp_path / "t.zip")
    texts = pd.read_csv(io.BytesIO(_read(tmp_path / "t.zip", "free_text.csv")))
    assert manifest.free_text_rows == len(texts) == 6 and texts["respondent"].str.startswith("R").all()


async def test_export_import_analyse_gives_the_same_gradation(registry: InstrumentRegistry, tmp_path: Path, engine: Engine) -> None:
    await seed(registry, 12, seed=5, demographics=False, sites=("w",))
    stored = await tidy_snapshot(registry)
    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(), out)
    # Twelve random experience patterns are each rarer than k, so experience is the only
    # thing k-anonymity takes: the export is the stored data less that covariate.
    report = manifest.anonymisation
    assert report.suppressed_respondents == 0 and report.generalised["experience"] > 0
    original = validate_tidy(_data(out))
    assert manifest.data_sha256 == data_hash(original)
    assert data_hash(stored.assign(experience=pd.NA)) == data_hash(original.assign(experience=pd.NA))

    fresh = engine_for_url(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    use_database(fresh)
    try:
        await migrate()
        report = await import_export(out)
        assert report.respondents == 12 and await Study.count() == 1
        imported = await tidy_snapshot(InstrumentRegistry())
        assert data_hash(imported) == data_hash(original)
        settings = GradationSettings(bootstrap_resamples=20)
        before = analyse(original, settings, reference=reference_tiers())
        after = analyse(imported, settings, reference=reference_tiers())
        for a, b in zip(before.groups, after.groups, strict=True):
            # Row order differs after import, so sums may differ in the last bit of a float.
            assert _rounded(a.measures) == _rounded(b.measures)
            assert _rounded(a.pairwise) == _rounded(b.pairwise)
            assert [p.verdict for p in a.pairwise] == [p.verdict for p in b.pairwise]
            assert a.tiers == b.tiers
        # Importing the same study again is refused and changes nothing.
        count = await Response.count()
        with pytest.raises(ImportError_, match="already exists"):
            await import_export(out)
        assert await Response.count() == count
    finally:
        use_database(engine)


async def test_bad_rows_are_reported_by_row_and_nothing_is_imported(registry: InstrumentRegistry, tmp_path: Path, engine: Engine) -> None:
    await seed(registry, 6, seed=6, demographics=False, sites=("w",))
    good = tmp_path / "good.zip"
    await build_export(registry, ExportSettings(formats=("parquet",)), good)
    frame = _data(good)
    frame.loc[3, "value"] = 250.0
    frame.loc[3, "kind"] = "rating"
    frame.loc[3, "missing"] = None
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    bad = rewritten_zip(good, tmp_path / "bad.zip", {"data.parquet": buffer.getvalue()})
    fresh = engine_for_url(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    use_database(fresh)
    try:
        await migrate()
        with pytest.raises(ImportError_, match=r"rows 5\b.*0-100|0-100.*rows 5\b"):
            await import_export(bad)
        assert await Response.count() == 0 and await Study.count() == 0
    finally:
        use_database(engine)


async def test_workspace_download_is_audited_and_free_text_is_admin_only(
    registry: InstrumentRegistry, as_role, tmp_path: Path
) -> None:
    from server.storage.workspace_tables import AuditEntry
    from server.workspace.roles import Role
    from tests.workspace.conftest import csrf_headers

    await seed(registry, 6, seed=7, demographics=False, sites=("w",))
    researcher = await as_role(Role.RESEARCHER)
    refused = await researcher.post("/workspace/export/", data={"k": "5", "include_free_text": "on"}, headers=csrf_headers(researcher))
    assert refused.status_code == 403
    got = await researcher.post("/workspace/export/", data={"k": "5", "study": "bench"}, headers=csrf_headers(researcher))
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    (tmp_path / "d.zip").write_bytes(got.content)
    assert "data.sav" in zipfile.ZipFile(tmp_path / "d.zip").namelist()
    entry = await AuditEntry.select().where(AuditEntry.action == "export").first()
    assert entry["actor"] == "researcher-user" and entry["target"] == "study:bench"
