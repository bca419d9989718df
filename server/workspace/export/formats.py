"""Writing the export's data files: CSV and Parquet batch by batch, Stata and SPSS with labels.

CSV and Parquet are appended one batch at a time, so memory stays flat. CSV text is
neutralised against spreadsheet formulas (`server.workspace.export.spreadsheet`); Parquet,
Stata and SPSS keep the text as stored. pyreadstat writes
a whole frame at once, so Stata and SPSS are written from the finished Parquet file with
every text column turned into labelled integer codes (compact: a few bytes per cell).
"""

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyreadstat

from server.workspace.export.spreadsheet import neutralise_table

#: The export's columns in order: the tidy columns plus study and the coarsened period.
EXPORT_COLUMNS = [
    "study", "respondent", "period", "group", "setting", "site", "instrument_version", "gender", "age_band",
    "item", "kind", "measure", "measure_b", "value", "choice", "missing", "experience",
]

#: Variable labels (English; the codebook has per-instrument labels in every language).
COLUMN_LABELS = {
    "study": "Study code",
    "respondent": "Respondent (random id issued for this export only)",
    "period": "Period of submission: calendar quarter (2026-Q1) or ISO week (2026-W10)",
    "group": "Respondent group",
    "setting": "Psychiatric setting",
    "site": "Site (ward) code",
    "instrument_version": "Questionnaire version (content hash)",
    "gender": "Gender (empty: not given, or generalised for k-anonymity)",
    "age_band": "Age band (empty: not given, or generalised for k-anonymity)",
    "item": "Item code",
    "kind": "Item kind",
    "measure": "Measure code",
    "measure_b": "Second measure of a paired comparison",
    "value": "Rating 0-100, or rank position",
    "choice": "Chosen option or measure",
    "missing": "Missing code (dont_know, prefer_not_to_answer)",
    "experience": "Experience of the measure (empty: not given, or generalised for k-anonymity)",
}

#: Text columns stored as labelled integers in Stata/SPSS (codes become value labels).
LABELLED_COLUMNS = [
    "study", "group", "setting", "site", "gender", "age_band", "kind", "measure", "measure_b", "choice", "missing",
    "experience",
]

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


def _label_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, dict[int, str]]:
    """1-based float codes in sorted order of the values, NaN (system-missing) for empty,
    and the value labels."""
    values, indices = _encoded(column)
    categories = sorted(values)
    rank = {value: code for code, value in enumerate(categories, start=1)}
    codes = np.append(np.array([rank[v] for v in values], dtype="float64"), np.nan)
    return codes[indices], {code: str(value) for value, code in rank.items()}


def _shared_objects(column: pa.ChunkedArray) -> np.ndarray:
    """Text as Python strings with empty for missing, one object per distinct value.

    The writers iterate cells as Python objects (quickly only over object columns), but
    a fresh string per cell would cost ~60 bytes each; shared ones cost a pointer.
    """
    values, indices = _encoded(column)
    return np.array([*values, ""], dtype=object)[indices]


def _labelled(table: pa.Table) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """The frame the writers get: labelled columns as codes (value labels returned), other
    text with empty for missing, value as float with NaN for missing."""
    columns: dict[str, pd.Series] = {}
    labels: dict[str, dict[int, str]] = {}
    for column in EXPORT_COLUMNS:
        if column in LABELLED_COLUMNS:
            codes, labels[column] = _label_codes(table[column])
            columns[column] = pd.Series(codes, dtype="float64")
        elif column == "value":
            columns[column] = pd.Series(table[column].to_numpy().astype("float64"), dtype="float64")
        else:
            # Explicitly object: pandas would otherwise infer Arrow-backed text, whose
            # cell-by-cell iteration in the writers is several times slower.
            columns[column] = pd.Series(_shared_objects(table[column]), dtype=object)
    return pd.DataFrame(columns), labels


#: The file each statistics format is written to.
STATS_FILES = {"dta": "data.dta", "sav": "data.sav"}


def write_stats_files(parquet_path: Path, directory: Path, formats: Collection[str] = tuple(STATS_FILES)) -> list[Path]:
    """data.dta (Stata) and/or data.sav (SPSS), as `formats` asks, with variable and value labels."""
    wanted = [f for f in STATS_FILES if f in formats]
    if not wanted:
        return []
    coded, value_labels = _labelled(pq.read_table(parquet_path))
    column_labels = [COLUMN_LABELS[c] for c in EXPORT_COLUMNS]
    paths = []
    for fmt in wanted:
        path = directory / STATS_FILES[fmt]
        if fmt == "dta":
            pyreadstat.write_dta(coded, str(path), column_labels=column_labels, variable_value_labels=value_labels, version=15)
        else:
            pyreadstat.write_sav(coded, str(path), column_labels=column_labels, variable_value_labels=value_labels, compress=True)
        paths.append(path)
    return paths
