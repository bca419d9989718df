"""The anonymised export keeps respondents anonymous on everything it carries, and its CSV
files cannot attack the researcher's spreadsheet.

k is recomputed here from the exported data.csv itself (never from the manifest or the
export's own code): per respondent, the combination of study, site, setting, group,
questionnaire version, gender, age band, time column and experience pattern.
"""

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import msgspec
import pandas as pd
import pytest
from click.testing import CliRunner
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.gradation.snapshot import tidy_snapshot
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, Response, Site, Study
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import import_export

#: Cells that a spreadsheet would run as formulas, each as free text and as a code.
PAYLOADS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]
#: Study and site codes a spreadsheet would evaluate that are still codes (letters, digits,
#: - _ . +): the import refuses the other payloads as codes, so these stand in for them.
CODE_PAYLOADS = ["-2+3", "+1+1", "-w.2"]


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _read(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read(name)


def _csv_frame(zip_path: Path, name: str = "data.csv") -> pd.DataFrame:
    """The CSV exactly as Python's csv module reads it: every cell text, empty for missing."""
    rows = list(csv.reader(io.StringIO(_read(zip_path, name).decode("utf-8"))))
    return pd.DataFrame(rows[1:], columns=rows[0])


def recomputed_group_sizes(data: pd.DataFrame) -> pd.Series:
    """Per exported respondent, how many exported respondents share everything the rows
    tell about them (computed from the data file alone)."""
    time = "period" if "period" in data.columns else "week"
    fixed = ["study", "site", "setting", "group", "instrument_version", "gender", "age_band", time]
    data = data.fillna("")
    people = data.drop_duplicates("respondent").set_index("respondent")[fixed]
    shown = data[(data["experience"] != "") & (data["measure"] != "")]
    pairs = pd.DataFrame({"respondent": shown["respondent"], "pair": shown["measure"] + "=" + shown["experience"]})
    pairs = pairs.drop_duplicates().sort_values(["respondent", "pair"])
    pattern = pairs.groupby("respondent")["pair"].agg(";".join)
    people = people.assign(pattern=pattern.reindex(people.index).fillna(""))
    key = people.apply(lambda row: "\x1f".join(row.astype(str)), axis=1)
    return key.map(key.value_counts())


def rewritten_zip(
    source: Path, target: Path, replacements: dict[str, bytes], drop: list[str] = (), manifest_fields: dict[str, object] | None = None  # type: ignore[assignment]
) -> Path:
    """A copy of an export zip with some files replaced or left out and the manifest's list
    updated: a consistent zip whose content is what the test wants (as another
    installation might send), not a tampered one."""
    import hashlib

    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if name not in drop}
    files.update(replacements)
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = [entry for entry in manifest["files"] if entry["name"] not in drop]
    manifest.update(manifest_fields or {})
    for entry in manifest["files"]:
        if entry["name"] in replacements:
            entry["bytes"] = len(files[entry["name"]])
            entry["sha256"] = hashlib.sha256(files[entry["name"]]).hexdigest()
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


async def _spread_over_weeks(weeks: int) -> None:
    """Give the seeded responses submission times over `weeks` consecutive weeks."""
    first = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.timezone.utc)
    ids = sorted(str(r["id"]) for r in await Response.select(Response.id))
    for n, rid in enumerate(ids):
        when = first + dt.timedelta(weeks=n % weeks, hours=n % 7)
        await Response.update({Response.started_at: when, Response.submitted_at: when}).where(Response.id == rid)


async def test_k_holds_on_the_full_combination_over_twenty_weeks(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 180, seed=21, demographics=True)
    await _spread_over_weeks(20)

    out = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("csv", "parquet")), out)
    data = _csv_frame(out)
    sizes = recomputed_group_sizes(data)
    assert len(sizes) == manifest.respondents > 0
    assert sizes.min() >= 5
    assert manifest.anonymisation.smallest_group_after == sizes.min()
    assert set(data["period"]) <= {"2026-Q1", "2026-Q2"} and "week" not in data.columns
    # pandas reads the same file to the same answer.
    with_pandas = pd.read_csv(io.BytesIO(_read(out, "data.csv")), dtype=str, keep_default_na=False)
    assert recomputed_group_sizes(with_pandas).min() == sizes.min()

    # Every loss is counted, per field and reason, and no value is named.
    report = manifest.anonymisation
    for field in ("age_band", "gender", "experience"):
        assert sum(loss.respondents for loss in report.losses if loss.field == field) == report.generalised[field]
    assert sum(loss.respondents for loss in report.losses if loss.field == "respondent") == report.suppressed_respondents
    assert report.generalised["experience"] > 0
    assert manifest.respondents == 180 - report.suppressed_respondents
    stored = msgspec.json.decode(_read(out, "manifest.json"))
    told = json.dumps(stored["anonymisation"])
    for value in {*data["measure"], *data["age_band"], *data["site"]} - {""}:
        assert value not in told
    assert stored["anonymisation"]["smallest_group_after"] == sizes.min()

    # Asking for the ISO week keeps k on the full combination, at the cost of more detail.
    weekly = tmp_path / "weekly.zip"
    by_week = await build_export(registry, ExportSettings(formats=("csv",), period="week"), weekly)
    week_data = _csv_frame(weekly)
    assert week_data["period"].str.fullmatch(r"2026-W\d\d").all()
    week_sizes = recomputed_group_sizes(week_data)
    assert week_sizes.min() >= 5 and by_week.anonymisation.smallest_group_after == week_sizes.min()


async def _payload_zip(registry: InstrumentRegistry, tmp_path: Path) -> Path:
    """An export zip whose study and site codes are formula payloads (as another
    installation might send), made by editing a real export's data.parquet."""
    await seed(registry, 20, seed=22, demographics=False, sites=("w1", "w2"))
    clean = tmp_path / "clean.zip"
    await build_export(registry, ExportSettings(formats=("parquet",)), clean)
    frame = pd.read_parquet(io.BytesIO(_read(clean, "data.parquet")))
    renamed = {"bench": CODE_PAYLOADS[0], "w1": CODE_PAYLOADS[1], "w2": CODE_PAYLOADS[2]}
    frame["study"] = frame["study"].map(renamed)
    frame["site"] = frame["site"].map(renamed)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    replacements = {"data.parquet": buffer.getvalue()}
    # The wide files number study and site; the codebook says which code each number is.
    with zipfile.ZipFile(clean) as archive:
        books = [n for n in archive.namelist() if n.startswith("codebook/") and n.endswith(".json")]
    for name in books:
        book = json.loads(_read(clean, name))
        for variable in book["respondent_variables"]:
            if variable["name"] in ("study", "site"):
                for label in variable["value_labels"]:
                    label["code"] = renamed[label["code"]]
        replacements[name] = json.dumps(book, indent=2).encode()
    from analysis.snapshot import data_hash

    return rewritten_zip(clean, tmp_path / "payload.zip", replacements, manifest_fields={"data_sha256": data_hash(frame)})


async def test_csv_cells_cannot_be_formulas_and_import_gives_the_text_back(
    registry: InstrumentRegistry, tmp_path: Path, engine: Engine
) -> None:
    payload_zip = await _payload_zip(registry, tmp_path)
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'imported.sqlite3'}"))
    try:
        await migrate()
        await import_export(payload_zip)
        fresh = InstrumentRegistry()
        await fresh.register_current()
        # Free text with the payloads, on the imported study's responses.
        text_item = next(i.code for i in fresh.current["patient_adult"][2].items if i.type == "text")
        ids = sorted(str(r["id"]) for r in await Response.select(Response.id))
        for n, payload in enumerate(PAYLOADS):
            await Answer.insert(Answer(response=ids[n], item=text_item, value=json.dumps(payload), missing=None)).run()
        before = await tidy_snapshot(fresh)
        out = tmp_path / "again.zip"
        manifest = await build_export(fresh, ExportSettings(formats=("csv", "parquet"), include_free_text=True), out)

        data = _csv_frame(out)
        with_pandas = pd.read_csv(io.BytesIO(_read(out, "data.csv")), dtype=str, keep_default_na=False)
        texts = _csv_frame(out, "free_text.csv")
        texts_pandas = pd.read_csv(io.BytesIO(_read(out, "free_text.csv")), dtype=str, keep_default_na=False)
        for frame in (data, with_pandas):
            assert set(frame["study"]) == {"'" + CODE_PAYLOADS[0]}
            assert set(frame["site"]) == {"'" + CODE_PAYLOADS[1], "'" + CODE_PAYLOADS[2]}
        for frame in (texts, texts_pandas):
            assert sorted(frame["text"]) == sorted("'" + p for p in PAYLOADS)
        for frame in (data, with_pandas, texts, texts_pandas):
            for column in frame.columns:
                assert not frame[column].str.match(r"[=+\-@\t\r]").any(), column
        # Plain numbers stay numbers; Parquet keeps the text as stored, and so does the hash.
        assert pd.to_numeric(data["value"].replace("", None)).notna().any()
        parquet = pd.read_parquet(io.BytesIO(_read(out, "data.parquet")))
        assert set(parquet["site"]) == {CODE_PAYLOADS[1], CODE_PAYLOADS[2]}
        codebook = _csv_frame(out, "codebook/codebook.csv")
        for column in codebook.columns:
            assert not codebook[column].str.match(r"[=+\-@\t\r]").any(), column
        assert "apostrophe" in msgspec.json.decode(_read(out, "manifest.json"))["spreadsheet_note"]

        # The CSV alone imports back to exactly the text that was exported.
        with zipfile.ZipFile(out) as archive:
            parquet = [name for name in archive.namelist() if name.endswith(".parquet")]
        csv_only = rewritten_zip(out, tmp_path / "csv-only.zip", {}, drop=parquet)
        use_database(engine_for_url(f"sqlite:///{tmp_path / 'round.sqlite3'}"))
        await migrate()
        await import_export(csv_only)
        assert {r["code"] for r in await Study.select(Study.code)} == {CODE_PAYLOADS[0]}
        assert {r["code"] for r in await Site.select(Site.code)} == {CODE_PAYLOADS[1], CODE_PAYLOADS[2]}
        from analysis.snapshot import data_hash

        after = await tidy_snapshot(InstrumentRegistry())
        assert data_hash(after) == manifest.data_sha256 == data_hash(before)
    finally:
        use_database(engine)


async def test_web_form_and_command_line_refuse_k_below_five(registry: InstrumentRegistry, as_role) -> None:
    from server.workspace.roles import Role
    from server.cli.export_import import export_command
    from tests.workspace.conftest import csrf_headers

    await seed(registry, 6, seed=23, demographics=False, sites=("w",))
    researcher = await as_role(Role.RESEARCHER)
    form = await researcher.get("/workspace/export/")
    assert 'min="5"' in form.text
    for k in ("2", "4", "-1", "two"):
        refused = await researcher.post("/workspace/export/", data={"k": k}, headers=csrf_headers(researcher))
        assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
        assert "k: must be" in refused.text and "at least 5" in refused.text
    accepted = await researcher.post("/workspace/export/", data={"k": "5"}, headers=csrf_headers(researcher))
    assert accepted.status_code == 200 and accepted.headers["content-type"] == "application/zip"
    with pytest.raises(ValueError, match="k: must be at least 5"):
        await build_export(registry, ExportSettings(k=2), Path("/nonexistent/never.zip"))

    result = CliRunner().invoke(export_command, ["never.zip", "--k", "2"])
    assert result.exit_code != 0 and "--k" in result.output and "5" in result.output
