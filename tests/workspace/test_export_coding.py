"""One coding everywhere: the numeric codes and labels of data.sav / data.dta and the wide
files are the codebook's, identical across formats and across exports of different data,
and every missing kind is a user-missing (SPSS) or extended missing (Stata) value."""

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from piccolo.engine.base import Engine

from bench.export_bench import seed
from server.instrument_registry import InstrumentRegistry
from server.storage.tables import Answer
from server.workspace.export.bundle import ExportSettings, build_export
from server.workspace.export.formats import STATS_COLUMNS, long_codings
from server.workspace.export.labelled import ColumnSpec, LabelledError, write_labelled
from surveys import codes
from surveys.codes import MISSING_KINDS
from surveys.loader import load_catalogue

LETTER = {k.numeric: k.stata for k in MISSING_KINDS.values()}
#: Long columns whose coding is fixed (study and site are numbered per export).
FIXED_LONG_COLUMNS = ("group", "setting", "kind", "measure", "measure_b", "gender", "age_band", "experience", "missing", "allowed", "chosen", "value")


@pytest.fixture
async def registry(engine: Engine) -> InstrumentRegistry:
    registry = InstrumentRegistry()
    await registry.register_current()
    return registry


def _members(zip_path: Path, target: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    """Extract the members with these suffixes to `target`, keyed by member name."""
    target.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if name.endswith(suffixes):
                path = target / name.replace("/", "__")
                path.write_bytes(archive.read(name))
                found[name] = path
    return found


def _codebooks(zip_path: Path) -> dict[str, dict]:
    """The per-version codebook JSON files, keyed by their stem (`<instrument>-<hash12>`)."""
    with zipfile.ZipFile(zip_path) as archive:
        return {
            Path(name).stem: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("codebook/") and name.endswith(".json")
        }


def _stata_labels(meta: pyreadstat.metadata_container) -> dict[str, dict[float, str]]:
    """Stata value labels with the extended missing letters turned back into codes."""
    back = {letter: code for code, letter in LETTER.items()}
    return {
        column: {float(back[k]) if isinstance(k, str) else float(k): v for k, v in labels.items()}
        for column, labels in meta.variable_value_labels.items()
    }


def _stata_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Stata cells with the extended missing letters as their negative codes."""
    back = {letter: float(code) for code, letter in LETTER.items()}
    return frame.apply(lambda column: column if pd.api.types.is_float_dtype(column.dtype) else column.map(lambda v: back.get(v, v)))


async def _answers_with_every_kind() -> None:
    # The seed writes don't know; prefer not to answer on one rating and one allowed
    # item of a few respondents gives the other answer-missing kind.
    rows = await Answer.select(Answer.id).where(Answer.item == "rating.belt_long").limit(3)
    await Answer.update({Answer.value: None, Answer.missing: "prefer_not_to_answer"}).where(Answer.id.is_in([r["id"] for r in rows]))
    rows = await Answer.select(Answer.id).where(Answer.item == "allowed.seclusion").limit(2)
    await Answer.update({Answer.value: None, Answer.missing: "prefer_not_to_answer"}).where(Answer.id.is_in([r["id"] for r in rows]))


def _read_stats(files: dict[str, Path]) -> dict[str, tuple[pd.DataFrame, dict[str, dict[float, str]], pyreadstat.metadata_container]]:
    """Per member: cells (Stata letters as codes), value labels by code, metadata."""
    out = {}
    for name, path in files.items():
        if name.endswith(".sav"):
            frame, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
            labels = {c: {float(k): v for k, v in ls.items()} for c, ls in meta.variable_value_labels.items()}
        else:
            frame, meta = pyreadstat.read_dta(str(path), user_missing=True, apply_value_formats=False)
            frame, labels = _stata_codes(frame), _stata_labels(meta)
        out[name] = (frame, labels, meta)
    return out


def _codebook_labels(variable: dict, language: str) -> dict[float, str]:
    return {float(v["numeric"]): v["label"][language] for v in [*variable["value_labels"], *variable["missing_codes"]]}


async def _export(registry: InstrumentRegistry, out: Path, language: str) -> Path:
    await build_export(registry, ExportSettings(language=language, formats=("csv", "parquet", "sav", "dta")), out)
    return out


async def test_sav_dta_and_wide_files_carry_the_codebook_coding(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 40, seed=3, demographics=True)
    await _answers_with_every_kind()
    first = await _export(registry, tmp_path / "first.zip", "en")
    # Different data: more respondents on other wards, another draw of answers.
    await seed(registry, 30, seed=11, demographics=True, sites=("ward-z", "ward-a"))
    second = await _export(registry, tmp_path / "second.zip", "en")

    seen_kinds: dict[str, set[float]] = {"sav": set(), "dta": set()}
    long_labels: dict[str, dict[str, dict[float, str]]] = {}
    for zip_path in (first, second):
        files = _members(zip_path, tmp_path / zip_path.stem, (".sav", ".dta"))
        read = _read_stats(files)
        parquet = pq.read_table(io.BytesIO(zipfile.ZipFile(zip_path).read("data.parquet"))).to_pandas()
        codings = long_codings(set(parquet["study"]), set(parquet["site"]))

        # Long files: every coded column's code -> label is the fixed coding, in English.
        for name in ("data.sav", "data.dta"):
            frame, labels, meta = read[name]
            assert list(frame.columns) == STATS_COLUMNS
            fmt = name.rsplit(".", 1)[1]
            for column, (numbers, texts) in codings.items():
                expected = {float(n): t["en"] for n, t in texts.items()}
                assert labels.get(column, {}) == expected, f"{name}: {column}"
                # Every coded cell is the fixed code of the text in data.parquet.
                if column in ("study", "site", "group", "setting", "gender", "age_band", "kind", "measure", "measure_b", "experience"):
                    text = parquet[column]
                    want = text.map(lambda v, numbers=numbers: float(numbers[v]) if isinstance(v, str) else np.nan)
                    assert np.array_equal(frame[column].to_numpy(dtype="float64"), want.to_numpy(dtype="float64"), equal_nan=True), f"{name}: {column}"
            allowed_rows = (parquet["kind"] == "allowed").to_numpy()
            chosen = frame["chosen"].to_numpy(dtype="float64")
            assert np.isnan(frame["allowed"].to_numpy(dtype="float64")[~allowed_rows]).all()
            paired = (parquet["kind"] == "paired").to_numpy() & parquet["choice"].notna().to_numpy()
            assert (chosen[paired] == parquet["choice"][paired].map(codes.measure_number).to_numpy()).all()
            for kind, column in (("dont_know", "value"), ("prefer_not_to_answer", "value"), ("dont_know", "allowed"), ("prefer_not_to_answer", "allowed")):
                rows = (parquet["missing"] == kind).to_numpy() if column == "value" else (parquet["missing"] == kind).to_numpy() & allowed_rows
                if column == "allowed" and kind == "dont_know":
                    rows = allowed_rows & (parquet["choice"] == "dont_know").to_numpy()
                assert rows.any(), (kind, column)
                assert (frame[column].to_numpy(dtype="float64")[rows] == MISSING_KINDS[kind].numeric).all(), (name, kind, column)
            seen_kinds[fmt] |= set(frame["value"].to_numpy(dtype="float64")) | set(frame["gender"].to_numpy(dtype="float64"))
            seen_kinds[fmt] |= set(frame["age_band"].to_numpy(dtype="float64"))
            if fmt == "sav":
                assert all(r == [{"lo": -9.0, "hi": -1.0}] for r in meta.missing_ranges.values())
                assert meta.variable_measure["value"] == "scale" and meta.variable_measure["age_band"] == "ordinal"
                assert meta.variable_measure["measure"] == "nominal"
            else:
                assert set(meta.missing_user_values["value"]) >= {"d", "p"}
            long_labels[f"{zip_path.stem}/{name}"] = {c: labels[c] for c in FIXED_LONG_COLUMNS}

        # Wide files: every variable's code -> label is its codebook entry.
        books = _codebooks(zip_path)
        wide = {n: r for n, r in read.items() if n.startswith("wide/")}
        assert wide, "no wide files in the export"
        for name, (frame, labels, meta) in wide.items():
            book = books[Path(name).stem]
            variables = [*book["respondent_variables"], *[v for v in book["variables"] if v["type"] != "text"], *book["flag_variables"]]
            assert list(frame.columns) == [v["name"] for v in variables]
            for variable in variables:
                if variable["type"] == "string":
                    continue
                assert labels.get(variable["name"], {}) == _codebook_labels(variable, "en"), f"{name}: {variable['name']}"
                cells = set(frame[variable["name"]].to_numpy(dtype="float64"))
                allowed_codes = set(_codebook_labels(variable, "en")) if variable["value_labels"] and variable["type"] != "flag" else None
                if allowed_codes is not None and variable["type"] not in ("rank", "vas", "numeric"):
                    assert cells <= allowed_codes, f"{name}: {variable['name']} has uncoded cells {cells - allowed_codes}"
            fmt = name.rsplit(".", 1)[1]
            seen_kinds[fmt] |= set(np.unique(frame.select_dtypes("number").to_numpy(dtype="float64")))
            # The long file's background and experience codes are the codebook's too.
            by_name = {v["name"]: v for v in variables}
            long = long_labels[f"{zip_path.stem}/data.{fmt}"]
            for column, variable in (("gender", "bg_gender"), ("age_band", "bg_age_band"), ("experience", "experience_belt_long")):
                book_labels = _codebook_labels(by_name[variable], "en")
                assert {k: v for k, v in book_labels.items() if k > 0} == {k: v for k, v in long[column].items() if k in book_labels and k > 0}, column

    # Same coding in both exports and in both formats, and the catalogue's numbers.
    reference = long_labels["first/data.sav"]
    assert all(labels == reference for labels in long_labels.values()) and len(long_labels) == 4
    # Numbers are stable forever: belt_long is 11 in every export there will ever be.
    assert reference["measure"][11.0] == load_catalogue().measure("belt_long").label["en"]
    assert reference["age_band"][3.0] == "18–29 years" and reference["age_band"][22.0] == codes.generalised_values("age_band")["18-49"].en
    assert reference["group"][1.0] == "Patient" and reference["allowed"][-1.0] == "Don't know"
    first_wide = _read_stats(_members(first, tmp_path / "again1", (".sav",)))
    second_wide = _read_stats(_members(second, tmp_path / "again2", (".sav",)))
    for name in set(first_wide) & set(second_wide):
        if name.startswith("wide/"):
            # Study and site are numbered per export; everything else is fixed.
            fixed = [{c: ls for c, ls in labels.items() if c not in ("study", "site")} for labels in (first_wide[name][1], second_wide[name][1])]
            assert fixed[0] == fixed[1] and len(fixed[0]) > 100, name
    # Every missing kind is present as its code in both formats.
    for fmt, values in seen_kinds.items():
        assert {k.numeric for k in MISSING_KINDS.values()} - {-7} <= values, fmt
        if -7 not in values:
            pytest.fail(f"{fmt}: k-anonymity suppressed nothing in the seeded data, so -7 went untested")


async def test_the_chosen_language_labels_the_files_and_the_codes_stay(registry: InstrumentRegistry, tmp_path: Path) -> None:
    await seed(registry, 12, seed=5, demographics=False, sites=("w",))
    files = {}
    for language in ("da", "en"):
        out = tmp_path / f"{language}.zip"
        await build_export(registry, ExportSettings(language=language, formats=("parquet", "sav", "dta")), out)
        files[language] = _read_stats(_members(out, tmp_path / language, ("data.sav", "data.dta")))
    for name in ("data.sav", "data.dta"):
        da_frame, da_labels, da_meta = files["da"][name]
        en_frame, en_labels, en_meta = files["en"][name]
        assert da_labels["group"] == {1.0: "Patient", 2.0: "Pårørende", 3.0: "Personale"}
        assert en_labels["group"] == {1.0: "Patient", 2.0: "Relative", 3.0: "Staff"}
        assert set(da_labels["measure"]) == set(en_labels["measure"]) and da_labels["measure"] != en_labels["measure"]
        da_column_labels = dict(zip(da_meta.column_names, da_meta.column_labels, strict=True))
        assert da_column_labels["group"] == "Respondentgruppe"
        # Same rows, same codes; only the words change.
        assert da_frame.equals(en_frame)


def test_labelled_writer_round_trips_codes_labels_and_missing_kinds(tmp_path: Path) -> None:
    columns = [
        ColumnSpec("respondent", {"da": "Respondent", "en": "Respondent"}, type="string"),
        ColumnSpec("age", {"da": "Alder", "en": "Age"}, "ordinal", {3: {"da": "18–29 år", "en": "18-29 years"}, 22: {"da": "18–49 år", "en": "18-49 years"},
                   **{k.numeric: k.label for k in MISSING_KINDS.values()}}),
        ColumnSpec("rating", {"da": "Vurdering", "en": "Rating"}, "scale", {-1: MISSING_KINDS["dont_know"].label}),
    ]
    frame = pd.DataFrame({"respondent": ["R1", "R2", "R3", "R4", "R5", "R6"],
                          "age": [3.0, 22.0, -2.0, -7.0, -8.0, -9.0], "rating": [55.0, -1.0, 0.0, 100.0, np.nan, 12.0]})
    for fmt in ("csv", "parquet", "sav", "dta"):
        write_labelled(frame, columns, tmp_path / f"w.{fmt}", fmt, "da")  # type: ignore[arg-type]
    csv = pd.read_csv(tmp_path / "w.csv")
    assert csv["age"].tolist() == [3, 22, -2, -7, -8, -9] and (tmp_path / "w.csv").read_text().splitlines()[1] == '"R1",3,55'
    field = pq.read_schema(tmp_path / "w.parquet").field("age")
    assert json.loads(field.metadata[b"value_labels"])["22"] == "18–49 år" and field.metadata[b"measure_level"] == b"ordinal"
    sav, meta = pyreadstat.read_sav(str(tmp_path / "w.sav"), user_missing=True)
    assert sav["age"].tolist() == [3, 22, -2, -7, -8, -9]
    assert meta.missing_ranges["age"] == [{"lo": -9.0, "hi": -1.0}] and meta.variable_measure["rating"] == "scale"
    assert meta.variable_value_labels["age"][-7.0] == "Udeladt af hensyn til anonymitet"
    dta, meta = pyreadstat.read_dta(str(tmp_path / "w.dta"), user_missing=True)
    assert dta["age"].tolist() == [3.0, 22.0, "p", "s", "n", "u"] and dta["rating"].tolist()[:2] == [55.0, "d"]
    assert meta.variable_value_labels["age"]["s"] == "Udeladt af hensyn til anonymitet" and meta.variable_value_labels["age"][22] == "18–49 år"
    # A fixed creation time in both headers: the same data give the same bytes.
    assert meta.creation_time == pyreadstat.read_sav(str(tmp_path / "w.sav"))[1].creation_time == dt.datetime(1980, 1, 1)
    with pytest.raises(LabelledError, match="'rating': -3 is negative but no missing kind"):
        write_labelled(frame.assign(rating=-3.0), columns, tmp_path / "bad.dta", "dta")
    long_name = "x" * 32
    with pytest.raises(LabelledError, match=f"column '{long_name}': too long to carry value labels in Stata"):
        write_labelled(frame.rename(columns={"age": long_name}), [columns[0], ColumnSpec(long_name, columns[1].label, value_labels=columns[1].value_labels)],
                       tmp_path / "long.dta", "dta")
