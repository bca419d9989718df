"""An import verifies the export it is given: every file against the manifest's size and
sha256, no file missing or slipped in, and data.csv agreeing with data.parquet. A refusal
names the file (and for a disagreement both files, the row and the column) and stores
nothing; a hand-made zip without a manifest is imported unverified and says so."""

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.database import engine_for_url, migrate, use_database
from server.storage.tables import Answer, InstrumentVersion, Response, Site, Study
from server.studies import ensure_study
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.importer import ImportError_, import_export
from surveys import codes

#: The checks are the same on every database, so one (SQLite) is enough.
pytestmark = pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)


def _copy(source: Path, target: Path, replace: dict[str, bytes | None], reseal: bool = False) -> Path:
    """The zip at `source` with members replaced (None drops one, a new name is added);
    `reseal` writes the manifest's sizes and checksums of the replaced members anew, as
    someone would who edits a file and its checksum together."""
    with zipfile.ZipFile(source) as original:
        members = {name: original.read(name) for name in original.namelist()}
    for name, data in replace.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    if reseal:
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["files"]:
            if entry["name"] in members:
                entry["bytes"] = len(members[entry["name"]])
                entry["sha256"] = hashlib.sha256(members[entry["name"]]).hexdigest()
        members["manifest.json"] = json.dumps(manifest, indent=2).encode()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return target


def _ratings_at_100(parquet: bytes) -> bytes:
    """data.parquet with every rating set to 100."""
    table = pq.read_table(io.BytesIO(parquet))
    rating = pc.equal(table["kind"], "rating")
    value = pc.if_else(pc.and_(rating, pc.is_valid(table["value"])), pa.scalar(100.0), table["value"])
    buffer = io.BytesIO()
    pq.write_table(table.set_column(table.schema.get_field_index("value"), "value", value), buffer)
    return buffer.getvalue()


def _csv_bytes(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


async def _export(tmp_path: Path, sites: tuple[str, ...] = ("w",)) -> Path:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 12, seed=41, demographics=False, sites=sites)
    out = tmp_path / "export.zip"
    await build_export(registry, ExportSettings(formats=("csv", "parquet", "sav")), out)
    return out


async def _refusals(engine: Engine, tmp_path: Path, cases: list[tuple[str, Path, str]]) -> None:
    """Import each zip into an empty database: refused with `expected` in the message, nothing stored."""
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'target.sqlite3'}"))
    try:
        await migrate()
        for label, path, expected in cases:
            with pytest.raises(ImportError_) as refused:
                await import_export(path)
            assert expected in str(refused.value), f"{label}: {refused.value}"
            for table in (Study, Site, Response, Answer, InstrumentVersion):
                assert await table.count() == 0, f"{label}: something was stored"
    finally:
        use_database(engine)


async def test_a_tampered_or_incomplete_export_is_refused_naming_the_file(engine: Engine, tmp_path: Path) -> None:
    good = await _export(tmp_path)
    with zipfile.ZipFile(good) as archive:
        parquet = archive.read("data.parquet")
        data_csv = archive.read("data.csv")
        instrument = next(n for n in archive.namelist() if n.startswith("instruments/"))
    tampered = _ratings_at_100(parquet)
    assert tampered != parquet
    with zipfile.ZipFile(good) as archive:
        other_hash = json.dumps({**json.loads(archive.read("manifest.json")), "data_sha256": "0" * 64}).encode()
    # One character changed, same size: only the checksum can tell.
    line = data_csv.index(b"\n") + 1
    flipped = data_csv[:line] + (b"S" if data_csv[line:line + 1] != b"S" else b"T") + data_csv[line + 1 :]
    cases = [
        ("every rating 100 in data.parquet", _copy(good, tmp_path / "ratings.zip", {"data.parquet": tampered}),
         "data.parquet: "),
        ("one character of data.csv", _copy(good, tmp_path / "flip.zip", {"data.csv": flipped}),
         "data.csv: its sha256"),
        ("a listed file left out", _copy(good, tmp_path / "absent.zip", {"codebook/codebook.csv": None}),
         "codebook/codebook.csv: listed in manifest.json but not in the zip"),
        ("a questionnaire left out", _copy(good, tmp_path / "no-instrument.zip", {instrument: None}),
         f"{instrument}: listed in manifest.json but not in the zip"),
        ("a data file slipped in", _copy(good, tmp_path / "extra.zip", {"data2.csv": data_csv}),
         "data2.csv: in the zip but not listed in manifest.json"),
        ("a manifest that is no manifest", _copy(good, tmp_path / "manifest.zip", {"manifest.json": b"[1, 2]"}),
         "manifest.json: not the manifest of an export"),
        ("another data hash in the manifest", _copy(good, tmp_path / "hash.zip", {"manifest.json": other_hash}),
         "manifest.json: data_sha256 (000000000000…) is not the hash of the rows of data.parquet"),
    ]
    await _refusals(engine, tmp_path, cases)


async def test_data_csv_and_data_parquet_must_agree(engine: Engine, tmp_path: Path) -> None:
    # A site code a spreadsheet would take for a formula: data.csv holds it as '-w, so the
    # files agree only once the import undoes that.
    good = await _export(tmp_path, sites=("-w",))
    with zipfile.ZipFile(good) as archive:
        assert b"'-w" in archive.read("data.csv")
        rows = list(csv.reader(io.StringIO(archive.read("data.csv").decode())))
    header = rows[0]
    line = next(n for n, row in enumerate(rows[1:], start=2) if row[header.index("kind")] == "rating" and row[header.index("value")])
    edited = [list(r) for r in rows]
    old = edited[line - 1][header.index("value")]
    edited[line - 1][header.index("value")] = "100" if float(old) != 100 else "99"
    changed, fewer = _csv_bytes(edited), _csv_bytes(rows[:-1])
    expected = f"data.csv and data.parquet disagree: first at row {line} (line of data.csv), column 'value'"
    cases = [
        ("a rating changed in data.csv, checksums rewritten", _copy(good, tmp_path / "resealed.zip", {"data.csv": changed}, reseal=True),
         expected),
        ("a rating changed in data.csv, no manifest", _copy(good, tmp_path / "handmade.zip", {"data.csv": changed, "manifest.json": None}),
         expected),
        ("a row left out of data.csv", _copy(good, tmp_path / "fewer.zip", {"data.csv": fewer, "manifest.json": None}),
         f"data.csv and data.parquet disagree: {len(rows) - 2} rows in data.csv, {len(rows) - 1} in data.parquet"),
    ]
    await _refusals(engine, tmp_path, cases)
    # The untouched export imports: its files agree once '-w is read back as -w.
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'good.sqlite3'}"))
    try:
        await migrate()
        assert (await import_export(good)).respondents == 12
        assert [r["code"] for r in await Site.select(Site.code)] == ["-w"]
    finally:
        use_database(engine)


async def test_a_verified_export_and_a_handmade_zip_both_import_and_say_which(engine: Engine, tmp_path: Path) -> None:
    good = await _export(tmp_path)
    with zipfile.ZipFile(good) as archive:
        listed = len(json.loads(archive.read("manifest.json"))["files"])
        parquet = archive.read("data.parquet")
        wide_and_codebooks = [n for n in archive.namelist() if n.startswith(("wide/", "codebook/"))]
    # A hand-made zip (the long file and the questionnaires) cannot be verified: an edited
    # data.parquet alone is imported as it stands, and the report says nothing was verified.
    handmade = _copy(good, tmp_path / "handmade.zip", {"manifest.json": None, "data.csv": None, "data.sav": None,
                                                        "data.parquet": _ratings_at_100(parquet),
                                                        **{name: None for name in wide_and_codebooks}})
    for path, verified in ((good, listed), (handmade, None)):
        target = tmp_path / f"{path.stem}.sqlite3"
        use_database(engine_for_url(f"sqlite:///{target}"))
        try:
            await migrate()
            report = await import_export(path)
            assert report.respondents == 12
            assert report.verified_files == verified
            stored = await Answer.select(Answer.value).where(Answer.item.like("rating.%"))
            ratings = [json.loads(r["value"]) if isinstance(r["value"], str) else r["value"] for r in stored if r["value"] is not None]
            assert ratings and (set(ratings) == {100}) == (verified is None)
        finally:
            use_database(engine)


def _wide_names(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        stem = next(n for n in archive.namelist() if n.startswith("wide/") and n.endswith(".parquet"))[: -len(".parquet")]
    return f"{stem}.parquet", f"{stem}.csv"


def _wide_edit(path: Path, row: int, column: str, value: int) -> dict[str, bytes]:
    """The zip's wide Parquet and CSV files with one cell (row 0 = first respondent) set to `value`."""
    parquet_name, csv_name = _wide_names(path)
    with zipfile.ZipFile(path) as archive:
        table = pq.read_table(io.BytesIO(archive.read(parquet_name)))
        rows = list(csv.reader(io.StringIO(archive.read(csv_name).decode())))
    cells = table[column].to_pylist()
    cells[row] = value
    buffer = io.BytesIO()
    pq.write_table(table.set_column(table.schema.get_field_index(column), table.schema.field(column), pa.array(cells, table.schema.field(column).type)), buffer)
    rows[row + 1][rows[0].index(column)] = str(value)
    return {parquet_name: buffer.getvalue(), csv_name: _csv_bytes(rows)}


def _wide_cell(path: Path, column: str) -> list[int]:
    parquet_name, _ = _wide_names(path)
    with zipfile.ZipFile(path) as archive:
        return pq.read_table(io.BytesIO(archive.read(parquet_name)))[column].to_pylist()


async def test_wide_files_that_contradict_themselves_or_the_long_file_are_refused(engine: Engine, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 40, seed=43, demographics=True, sites=("w",))
    good = tmp_path / "export.zip"
    await build_export(registry, ExportSettings(formats=("csv", "parquet")), good)
    parquet_name, csv_name = _wide_names(good)
    ratings = _wide_cell(good, "rating_belt_long")
    rated = next(n for n, v in enumerate(ratings) if v >= 0)
    genders = _wide_cell(good, "bg_gender")
    with zipfile.ZipFile(good) as archive:
        ids = pq.read_table(io.BytesIO(archive.read(parquet_name)))["respondent"].to_pylist()
    pairs = [c for c in pq.read_schema(io.BytesIO(zipfile.ZipFile(good).read(parquet_name))).names if c.startswith("pair_")]
    not_asked = next((n, c) for c in pairs for n, v in enumerate(_wide_cell(good, c)) if v == -8)
    csv_only = _wide_edit(good, rated, "rating_belt_long", 100 if ratings[rated] != 100 else 99)
    with zipfile.ZipFile(good) as archive:
        long_at_100 = _ratings_at_100(archive.read("data.parquet"))
        book_name = next(n for n in archive.namelist() if n.startswith("codebook/") and n.endswith(".json"))
        book = json.loads(archive.read(book_name))
    # A codebook that swaps the numbers of two genders decodes every gender wrongly.
    gender = next(v for v in book["variables"] if v["name"] == "bg_gender")
    gender["value_labels"][0]["numeric"], gender["value_labels"][1]["numeric"] = gender["value_labels"][1]["numeric"], gender["value_labels"][0]["numeric"]
    swapped_row = next(n for n, g in enumerate(genders) if g in (gender["value_labels"][0]["numeric"], gender["value_labels"][1]["numeric"]))
    cases = [
        ("every rating 100 in data.parquet, no manifest",
         _copy(good, tmp_path / "long.zip", {"data.parquet": long_at_100, "data.csv": None, "manifest.json": None}),
         f"data.parquet and {parquet_name} disagree: row "),
        ("a rating changed in both wide files, checksums rewritten",
         _copy(good, tmp_path / "rating.zip", csv_only, reseal=True),
         f"data.parquet and {parquet_name} disagree: "),
        ("a rating changed in the wide CSV only, no manifest",
         _copy(good, tmp_path / "wide-csv.zip", {csv_name: csv_only[csv_name], "manifest.json": None}),
         f"{csv_name} and {parquet_name} disagree: first at row {rated + 2} (line of {csv_name}), column 'rating_belt_long'"),
        ("a gender code that has no label",
         _copy(good, tmp_path / "gender.zip", {**_wide_edit(good, 0, "bg_gender", 99), "manifest.json": None}),
         f"{parquet_name}, row 2, column 'bg_gender': code 99 has no value label in the codebook"),
        ("a rating out of range",
         _copy(good, tmp_path / "range.zip", {**_wide_edit(good, rated, "rating_belt_long", 250), "manifest.json": None}),
         f"{parquet_name}, row {rated + 2}, column 'rating_belt_long': 250 is outside 0-100"),
        ("suppressed where no value can be suppressed",
         _copy(good, tmp_path / "suppressed.zip", {**_wide_edit(good, rated, "rating_belt_long", -7), "manifest.json": None}),
         f"{parquet_name}, row {rated + 2}, column 'rating_belt_long': -7 is no missing code of this variable"),
        ("a codebook that swaps two codes",
         _copy(good, tmp_path / "book.zip", {book_name: json.dumps(book).encode(), "manifest.json": None}),
         f"{parquet_name}, row {swapped_row + 2}, column 'bg_gender': "),
        ("straight-lining flagged though the ratings differ",
         _copy(good, tmp_path / "straight.zip", {**_wide_edit(good, rated, "flag_straightline", 1), "manifest.json": None}),
         f"{parquet_name}, row {rated + 2}, column 'flag_straightline': 1, but the row's"),
        ("not answered (-9) where the design never asked the pair (-8)",
         _copy(good, tmp_path / "pair.zip", {**_wide_edit(good, not_asked[0], not_asked[1], -9), "manifest.json": None}),
         f"{parquet_name}, row {not_asked[0] + 2}, column '"),
    ]
    assert genders[0] != 99 and ids[rated]
    await _refusals(engine, tmp_path, cases)


def _value(value: object) -> object:
    """A stored answer value, decoded (drivers give JSON as text or decoded)."""
    return json.loads(value) if isinstance(value, str) else value


def _answer_counts(rows: list[dict]) -> Counter:
    return Counter((r["item"], json.dumps(_value(r["value"])), r["missing"]) for r in rows)


async def test_every_answer_comes_back_from_the_wide_files(engine: Engine, tmp_path: Path) -> None:
    """Answers the long file never carries (ever met coercion, paired choices outside the
    design, don't know) come back; k-anonymity's generalised values are stored as given
    and what it took as suppressed, so no answer is lost or invented."""
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 80, seed=47, demographics=True, sites=("w",))
    path = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",)), path)
    suppressible = {"background.gender", "background.age_band", "coercion_any"}
    before = await Answer.select(Answer.item, Answer.value, Answer.missing)
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'target.sqlite3'}"))
    try:
        await migrate()
        await import_export(path)
        after = await Answer.select(Answer.item, Answer.value, Answer.missing)
    finally:
        use_database(engine)
    experience = lambda item: item.startswith("experience.")  # noqa: E731
    kept = lambda rows: [r for r in rows if r["item"] not in suppressible and not experience(r["item"])]  # noqa: E731
    assert _answer_counts(kept(after)) == _answer_counts(kept(before))
    coercion = _wide_cell(path, "coercion_any")
    restored = [r for r in after if r["item"] == "coercion_any" and r["missing"] is None]
    assert len(restored) == sum(v > 0 for v in coercion) > 0, "ever met coercion not restored"
    for item in suppressible:
        assert sum(r["item"] == item for r in after) == sum(r["item"] == item for r in before), item
    # Experience k-anonymity hid is stored as suppressed; what is shown comes back as it was.
    assert all(count <= _answer_counts(before)[key] for key, count in _answer_counts(
        [r for r in after if experience(r["item"]) and r["missing"] is None]).items())
    bands = Counter(_value(r["value"]) for r in after if r["item"] == "background.age_band" and r["missing"] is None)
    generalised = {band for band in bands if band not in {"18-29", "30-49", "50-64", "65+"}}
    print(f"age bands stored after import: {dict(bands)}; suppressed: {sum(r['item'] == 'background.age_band' and r['missing'] == 'suppressed' for r in after)}")
    assert generalised <= {"18-49", "50+"}
    assert generalised or not manifest.anonymisation.generalised.get("age_band", 0)


async def test_free_text_of_an_admin_export_comes_back_and_is_checked(engine: Engine, tmp_path: Path) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await seed(registry, 12, seed=53, demographics=False, sites=("w",), text=True)
    path = tmp_path / "export.zip"
    manifest = await build_export(registry, ExportSettings(formats=("parquet",), include_free_text=True), path)
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("free_text.csv").decode())))
    assert manifest.free_text_rows == len(rows) - 1 > 0
    foreign = [list(r) for r in rows]
    foreign[1][1] = "rating.belt_long"
    nul = [list(r) for r in rows]
    nul[2][2] = "a\x00b"
    await _refusals(engine, tmp_path, [
        ("a rating in free_text.csv", _copy(path, tmp_path / "foreign.zip", {"free_text.csv": _csv_bytes(foreign), "manifest.json": None}),
         "free_text.csv, row 2, column 'item': 'rating.belt_long' is no free-text item"),
        ("a NUL in a comment", _copy(path, tmp_path / "nul.zip", {"free_text.csv": _csv_bytes(nul), "manifest.json": None}),
         "free_text.csv, row 3, column 'text': control characters"),
    ])
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'good.sqlite3'}"))
    try:
        await migrate()
        await import_export(path)
        comments = [_value(r["value"]) for r in await Answer.select(Answer.value).where(Answer.item == rows[1][1])]
    finally:
        use_database(engine)
    assert sorted(comments) == sorted(r[2] for r in rows[1:] if r[1] == rows[1][1])


def _generalised(path: Path, target: Path, column: str, long_column: str, value: str, wider: str, option_set: str) -> Path:
    """The zip with `value` widened to `wider` in the wide and the long Parquet files, as
    k-anonymity writes it, and without a manifest."""
    parquet_name, _ = _wide_names(path)
    with zipfile.ZipFile(path) as archive:
        wide_table = pq.read_table(io.BytesIO(archive.read(parquet_name)))
        long_table = pq.read_table(io.BytesIO(archive.read("data.parquet")))
    code, wider_code = codes.option_code(option_set, value), codes.option_code(option_set, wider)
    cells = [wider_code if c == code else c for c in wide_table[column].to_pylist()]
    wide_table = wide_table.set_column(wide_table.schema.get_field_index(column), wide_table.schema.field(column), pa.array(cells, wide_table.schema.field(column).type))
    texts = [wider if t == value else t for t in long_table[long_column].to_pylist()]
    long_table = long_table.set_column(long_table.schema.get_field_index(long_column), long_table.schema.field(long_column), pa.array(texts, pa.string()))
    files = {}
    for name, table in ((parquet_name, wide_table), ("data.parquet", long_table)):
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        files[name] = buffer.getvalue()
    return _copy(path, target, {**files, "manifest.json": None})


async def test_routing_on_a_generalised_age_band_is_accepted(engine: Engine, tmp_path: Path) -> None:
    """The youth questionnaire asks about sedation in danger only from age 15. Where
    k-anonymity widens 12-14 to 12-17, the export still marks those items "not asked"
    (decided on the true band, and shared by at least k): the import takes that (-8 and
    -9 both store nothing) instead of refusing the file."""
    registry = InstrumentRegistry()
    await registry.register_current()
    study = await ensure_study("youth", "Youth", [("y", "y", "child_adolescent")])
    site = await Site.select(Site.id).where(Site.code == "y").first()
    assert site is not None
    version_id, _, instrument = registry.current["patient_youth"]
    when = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.timezone.utc)
    for n, band in enumerate(["12-14"] * 6 + ["15-17"] * 6):
        rid = uuid.UUID(int=n + 1, version=4)
        await Response.insert(Response(id=rid, study=study, site=site["id"], instrument_version=version_id, respondent_group="patient",
                                       setting="child_adolescent", language="da", started_at=when, submitted_at=when + dt.timedelta(minutes=9))).run()
        answers = [Answer(response=rid, item="background.age_band", value=json.dumps(band))]
        for item in instrument.items_for("child_adolescent"):
            if item.kind == "rating" and not (band == "12-14" and item.measure == "sedation_danger"):
                answers.append(Answer(response=rid, item=item.code, value=json.dumps(40 + n)))
        await Answer.insert(*answers).run()
    exported = tmp_path / "youth.zip"
    await build_export(registry, ExportSettings(formats=("parquet",)), exported)
    rating, band = _wide_cell(exported, "rating_sedation_danger"), _wide_cell(exported, "bg_age_band")
    twelve = codes.option_code("age_band", "12-14")
    assert [r for r, b in zip(rating, band, strict=True) if b == twelve] == [-8] * 6, "the case is not exercised"
    widened = _generalised(exported, tmp_path / "widened.zip", "bg_age_band", "age_band", "12-14", "12-17", "age_band")
    use_database(engine_for_url(f"sqlite:///{tmp_path / 'target.sqlite3'}"))
    try:
        await migrate()
        report = await import_export(widened)
        bands = Counter(_value(r["value"]) for r in await Answer.select(Answer.value).where(Answer.item == "background.age_band"))
        stored = await Answer.select(Answer.item).where(Answer.item == "rating.sedation_danger")
    finally:
        use_database(engine)
    assert report.respondents == 12
    assert bands == {"12-17": 6, "15-17": 6}
    assert len(stored) == sum(v >= 0 for v in rating) == 6
