"""Writing the export's data files: CSV and Parquet batch by batch, Stata and SPSS with labels.

CSV and Parquet are appended one batch at a time, so memory stays flat. pyreadstat writes
a whole frame at once, so Stata and SPSS are written from the finished Parquet file with
every text column turned into labelled integer codes (compact: a few bytes per cell).
"""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyreadstat

#: The export's columns in order: the tidy columns plus study and coarsened week.
EXPORT_COLUMNS = [
    "study", "respondent", "week", "group", "setting", "site", "instrument_version", "gender", "age_band",
    "item", "kind", "measure", "measure_b", "value", "choice", "missing", "experience",
]

#: Variable labels (English; the codebook has per-instrument labels in every language).
COLUMN_LABELS = {
    "study": "Study code",
    "respondent": "Respondent (random id issued for this export only)",
    "week": "ISO week the questionnaire was submitted",
    "group": "Respondent group",
    "setting": "Psychiatric setting",
    "site": "Site (ward) code",
    "instrument_version": "Questionnaire version (content hash)",
    "gender": "Gender (empty: not given or generalised)",
    "age_band": "Age band (empty: not given or generalised)",
    "item": "Item code",
    "kind": "Item kind",
    "measure": "Measure code",
    "measure_b": "Second measure of a paired comparison",
    "value": "Rating 0-100, or rank position",
    "choice": "Chosen option or measure",
    "missing": "Missing code (dont_know, prefer_not_to_answer)",
    "experience": "Respondent's experience of the measure",
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
            self._csv.write_table(table)
        if self._parquet is not None:
            self._parquet.write_table(table)

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()


def _labelled(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    out = frame.copy()
    labels: dict[str, dict[int, str]] = {}
    for column in LABELLED_COLUMNS:
        categories = sorted(out[column].dropna().unique().tolist())
        codes = pd.Categorical(out[column], categories=categories).codes.astype("float64")
        codes[codes < 0] = float("nan")
        out[column] = codes + 1  # 1-based codes; empty stays system-missing
        labels[column] = {i + 1: str(c) for i, c in enumerate(categories)}
    for column in EXPORT_COLUMNS:
        if column not in LABELLED_COLUMNS and column != "value":
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    return out, labels


def write_stats_files(parquet_path: Path, directory: Path) -> list[Path]:
    """data.dta (Stata) and data.sav (SPSS) with variable and value labels."""
    frame = pq.read_table(parquet_path).to_pandas()
    coded, value_labels = _labelled(frame)
    column_labels = [COLUMN_LABELS[c] for c in EXPORT_COLUMNS]
    dta, sav = directory / "data.dta", directory / "data.sav"
    pyreadstat.write_dta(coded, str(dta), column_labels=column_labels, variable_value_labels=value_labels, version=15)
    pyreadstat.write_sav(coded, str(sav), column_labels=column_labels, variable_value_labels=value_labels, compress=True)
    return [dta, sav]
