"""Writing the export's data files: CSV and Parquet batch by batch, Stata and SPSS with labels.

CSV and Parquet are appended one batch at a time, so memory stays flat. CSV text is
neutralised against spreadsheet formulas (`server.workspace.export.spreadsheet`); Parquet,
Stata and SPSS keep the text as stored. pyreadstat writes
a whole frame at once, so Stata and SPSS are written from the finished Parquet file with
every coded column turned into its fixed numeric code (`surveys.codes`, the same in every
export and in the codebook) and labelled by `server.workspace.export.labelled`.
"""

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from server.workspace.export.labelled import ColumnSpec, LabelledError, write_labelled
from server.workspace.export.spreadsheet import neutralise_table
from surveys import codes
from surveys.codes import MISSING_KINDS
from surveys.loader import load_catalogue
from surveys.model import Text

#: The export's columns in order: the tidy columns plus study and the coarsened period.
EXPORT_COLUMNS = [
    "study", "respondent", "period", "group", "setting", "site", "instrument_version", "gender", "age_band",
    "item", "kind", "measure", "measure_b", "value", "choice", "missing", "experience",
]

#: Variable labels of the long file's columns in every language (the data files carry one,
#: `ExportSettings.language`). In data.sav/data.dta `choice` is two variables, `allowed`
#: and `chosen`, so each has one meaning and one coding.
LONG_LABELS: dict[str, Text] = {
    "study": {"da": "Undersøgelse (nummereret pr. udtrækning)", "en": "Study code (numbered per export)"},
    "respondent": {"da": "Respondent (id udstedt kun til denne udtrækning)", "en": "Respondent (id issued for this export only)"},
    "period": {"da": "Periode for indsendelse: kvartal (2026-Q1) eller ISO-uge (2026-W10)",
               "en": "Period of submission: calendar quarter (2026-Q1) or ISO week (2026-W10)"},
    "group": {"da": "Respondentgruppe", "en": "Respondent group"},
    "setting": {"da": "Psykiatrisk område", "en": "Psychiatric setting"},
    "site": {"da": "Afsnit (nummereret pr. udtrækning)", "en": "Site (ward) code (numbered per export)"},
    "instrument_version": {"da": "Spørgeskemaversion (indholds-hash)", "en": "Questionnaire version (content hash)"},
    "gender": {"da": "Køn (tom: ikke oplyst)", "en": "Gender (empty: not given)"},
    "age_band": {"da": "Aldersgruppe (tom: ikke oplyst)", "en": "Age band (empty: not given)"},
    "item": {"da": "Spørgsmålskode", "en": "Item code"},
    "kind": {"da": "Rækketype", "en": "Row kind"},
    "measure": {"da": "Tiltag", "en": "Measure code"},
    "measure_b": {"da": "Andet tiltag i en parvis sammenligning", "en": "Second measure of a paired comparison"},
    "value": {"da": "Vurdering 0-100 eller rangplads", "en": "Rating 0-100, or rank position"},
    "choice": {"da": "Valgt svar eller tiltag", "en": "Chosen option or measure"},
    "allowed": {"da": "Bør være tilladt (rækker af typen allowed)", "en": "Should be allowed (allowed rows)"},
    "chosen": {"da": "Valgt som mindst indgribende (parvise rækker)", "en": "Chosen as less intrusive (paired rows)"},
    "missing": {"da": "Manglende-kode (ved ikke, vil ikke svare)", "en": "Missing code (dont_know, prefer_not_to_answer)"},
    "experience": {"da": "Erfaring med tiltaget (tom: ikke oplyst)", "en": "Experience of the measure (empty: not given)"},
}

#: Variable labels in English (columns.csv of the export).
COLUMN_LABELS = {column: LONG_LABELS[column]["en"] for column in EXPORT_COLUMNS}

#: The columns of data.sav / data.dta: the long columns with `choice` split in two.
STATS_COLUMNS = [c for column in EXPORT_COLUMNS for c in (("allowed", "chosen") if column == "choice" else (column,))]
#: Long columns kept as text in the stats files (ids and codes without a fixed coding).
TEXT_COLUMNS = ("respondent", "period", "instrument_version", "item")

SCHEMA = pa.schema([(c, pa.float64() if c == "value" else pa.string()) for c in EXPORT_COLUMNS])


class BatchWriters:
    """Append batches to data.csv and/or data.parquet (Parquet also feeds Stata and SPSS)."""

    def __init__(self, directory: Path, csv: bool = True, parquet: bool = True) -> None:
        self.csv_path = directory / "data.csv"
        self.parquet_path = directory / "data.parquet"
        # Arrow's CSV writer is C++ and streams; empty cells are missing values.
        self._csv = (
            pacsv.CSVWriter(str(self.csv_path), SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed"))
            if csv
            else None
        )
        self._parquet = pq.ParquetWriter(self.parquet_path, SCHEMA, compression="zstd") if parquet else None

    def write(self, batch: pa.Table) -> None:
        """Append one batch (at least the EXPORT_COLUMNS, in any order)."""
        table = batch.select(EXPORT_COLUMNS).cast(SCHEMA)
        if self._csv is not None:
            self._csv.write_table(neutralise_table(table))
        if self._parquet is not None:
            self._parquet.write_table(table)

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()


def _encoded(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """The distinct values of a text column and each cell's index into them (-1: missing)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    indices = np.where(encoded.is_valid().to_numpy(zero_copy_only=False), indices, -1).astype(np.int64)
    return encoded.dictionary.to_pylist(), indices


def _shared_objects(column: pa.ChunkedArray) -> np.ndarray:
    """Text as Python strings with empty for missing, one object per distinct value.

    The writers iterate cells as Python objects (quickly only over object columns), but
    a fresh string per cell would cost ~60 bytes each; shared ones cost a pointer.
    """
    values, indices = _encoded(column)
    return np.array([*values, ""], dtype=object)[indices]


def _entries(table: dict[str, codes.Labelled]) -> tuple[dict[str, int], dict[int, Text]]:
    return {code: e.numeric for code, e in table.items()}, {e.numeric: e.label() for e in table.values()}


def _option_coding(option_set: str) -> tuple[dict[str, int], dict[int, Text]]:
    numbers = codes.option_codes(option_set)
    labels = codes.option_labels(option_set)
    return numbers, {numbers[value]: labels.get(value, {"da": value, "en": value}) for value in numbers}


def _missing_labels(*kinds: str) -> dict[int, Text]:
    return {MISSING_KINDS[k].numeric: MISSING_KINDS[k].label for k in kinds}


def long_codings(studies: Collection[str], sites: Collection[str]) -> dict[str, tuple[dict[str, int], dict[int, Text]]]:
    """Per coded long column: text value -> number, and number -> label in every language.

    Fixed codes from `surveys.codes`; study and site numbered 1.. in sorted order of the
    export's codes. A value k-anonymity suppressed ("suppressed") is -7 in every column.
    """
    measure_numbers = codes.measure_numbers()
    measure_labels = {measure_numbers[m.code]: dict(m.label) for m in load_catalogue().measures}
    suppressed = {"suppressed": MISSING_KINDS["suppressed"].numeric}
    study_numbers = codes.per_export_codes(set(studies))
    site_numbers = codes.per_export_codes(set(sites))
    codings: dict[str, tuple[dict[str, int], dict[int, Text]]] = {
        "study": (study_numbers, {n: {"da": c, "en": c} for c, n in study_numbers.items()}),
        "site": (site_numbers, {n: {"da": c, "en": c} for c, n in site_numbers.items()}),
        "group": _entries(codes.group_codes()),
        "setting": _entries(codes.setting_codes()),
        "kind": _entries(codes.row_kind_codes()),
        "measure": (dict(measure_numbers), measure_labels),
        "measure_b": (dict(measure_numbers), measure_labels),
        "chosen": (dict(measure_numbers), {**measure_labels, **_missing_labels("dont_know", "prefer_not_to_answer")}),
        "missing": (codes.missing_kind_codes(), {-k.numeric: k.label for k in MISSING_KINDS.values()}),
    }
    allowed_numbers, allowed_labels = _option_coding("allowed")
    codings["allowed"] = (allowed_numbers, {**allowed_labels, **_missing_labels("prefer_not_to_answer")})
    for column, option_set in (("gender", "gender"), ("age_band", "age_band"), ("experience", "experience")):
        numbers, labels = _option_coding(option_set)
        codings[column] = ({**numbers, **suppressed}, {**labels, **_missing_labels("suppressed")})
    codings["value"] = ({}, _missing_labels("dont_know", "prefer_not_to_answer"))
    return codings


_LEVELS = {"age_band": "ordinal", "value": "scale", "period": "ordinal"}


def long_specs(codings: dict[str, tuple[dict[str, int], dict[int, Text]]]) -> list[ColumnSpec]:
    """The column specs of data.sav / data.dta (STATS_COLUMNS order)."""
    return [
        ColumnSpec(
            name=column,
            label=LONG_LABELS[column],
            measure_level=_LEVELS.get(column, "nominal"),  # type: ignore[arg-type]
            value_labels={} if column in TEXT_COLUMNS else codings[column][1],
            type="string" if column in TEXT_COLUMNS else "numeric",
        )
        for column in STATS_COLUMNS
    ]


def _coded(column: pa.ChunkedArray, numbers: dict[str, int], name: str) -> np.ndarray:
    """Each cell's number (NaN for empty); an uncoded value is refused, naming column and value."""
    values, indices = _encoded(column)
    unknown = [v for v in values if v not in numbers]
    if unknown:
        raise LabelledError(f"data.parquet column '{name}': value '{unknown[0]}' has no fixed code (surveys/catalogue/codes.yaml)")
    lookup = np.append(np.array([numbers[v] for v in values], dtype="float64"), np.nan)
    return lookup[indices]


def _missing_numbers(missing: pa.ChunkedArray) -> np.ndarray:
    """-1 / -2 where the row's missing code is dont_know / prefer_not_to_answer, else NaN."""
    return _coded(missing, {code: kind.numeric for code, kind in MISSING_KINDS.items()}, "missing")


def coded_long_frame(table: pa.Table) -> tuple[pd.DataFrame, list[ColumnSpec]]:
    """The long table as the stats files hold it: fixed numeric codes, `choice` split into
    `allowed` (allowed rows) and `chosen` (paired rows), -1/-2 in `value`, `allowed` and
    `chosen` where the row's answer is dont_know / prefer_not_to_answer; other text as text."""
    codings = long_codings(
        [v for v in table["study"].unique().to_pylist() if v], [v for v in table["site"].unique().to_pylist() if v]
    )
    kind = table["kind"].to_numpy(zero_copy_only=False)
    missing = _missing_numbers(table["missing"])
    has_missing = ~np.isnan(missing)
    columns: dict[str, pd.Series] = {}
    for column in STATS_COLUMNS:
        if column in TEXT_COLUMNS:
            # Explicitly object: pandas would otherwise infer Arrow-backed text, whose
            # cell-by-cell iteration in the writers is several times slower.
            columns[column] = pd.Series(_shared_objects(table[column]), dtype=object)
            continue
        if column == "value":
            numbers = table["value"].to_numpy().astype("float64")
            numbers = np.where(has_missing, missing, numbers)
        elif column in ("allowed", "chosen"):
            row_kind = "allowed" if column == "allowed" else "paired"
            rows = kind == row_kind
            # Only the rows of this kind: the same text means different things in the two.
            choice = pc.if_else(pc.equal(table["kind"], row_kind), table["choice"], pa.scalar(None, pa.string()))
            numbers = _coded(choice, codings[column][0], f"choice ({column})")
            numbers = np.where(rows & has_missing, missing, np.where(rows, numbers, np.nan))
        else:
            numbers = _coded(table[column], codings[column][0], column)
        columns[column] = pd.Series(numbers, dtype="float64")
    return pd.DataFrame(columns), long_specs(codings)


#: The file each statistics format is written to.
STATS_FILES = {"dta": "data.dta", "sav": "data.sav"}


def write_stats_files(
    parquet_path: Path, directory: Path, formats: Collection[str] = tuple(STATS_FILES), language: str = "da"
) -> list[Path]:
    """data.dta (Stata) and/or data.sav (SPSS), as `formats` asks: fixed numeric codes,
    variable and value labels in `language`, missing kinds as user-missing (SPSS) and
    extended missing values (Stata), measurement levels."""
    wanted = [f for f in STATS_FILES if f in formats]
    if not wanted:
        return []
    frame, specs = coded_long_frame(pq.read_table(parquet_path))
    return [write_labelled(frame, specs, directory / STATS_FILES[fmt], fmt, language) for fmt in wanted]  # type: ignore[arg-type]
