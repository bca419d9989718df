"""Writing a frame of numeric codes with its labels to CSV, Parquet, SPSS or Stata.

One writer for every labelled data file of an export (the long stats files and the wide
files), so the formats cannot drift apart. The frame holds numbers: fixed codes
(`surveys.codes`), ratings, positions, and the missing kinds as their negative codes
(`surveys.codes.MISSING_KINDS`); NaN is system-missing (not applicable). Text columns
(respondent, period, ...) are written as text.

Per format:
- CSV: the numbers (whole numbers without a decimal point), empty for system-missing;
- Parquet: the numbers, each field with metadata `label`, `measure_level`, `value_labels`
  (JSON `{"code": "label"}`) and `missing` (JSON list of missing codes);
- SPSS (.sav): variable and value labels in the chosen language, the missing range
  -9..-1 on every numeric variable (user-missing), `variable_measure`;
- Stata (.dta): each missing kind as its extended missing value (-1 -> .d, -2 -> .p,
  -7 -> .s, -8 -> .n, -9 -> .u), value labels on the valid codes and on those letters,
  variable labels (cut to Stata's 80 characters).

SPSS and Stata headers get a fixed creation time (1980-01-01), so the same data always
give the same bytes.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyreadstat

from server.workspace.export.spreadsheet import neutralise_table
from surveys.codebook import Variable
from surveys.codes import MISSING_KINDS, MISSING_RANGE
from surveys.model import Text

Format = Literal["csv", "parquet", "sav", "dta"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "sav", "dta")
#: Stata's limit on a variable label, and on a variable or value label set name.
STATA_LABEL_LENGTH = 80
STATA_NAME_LENGTH = 32
#: Stata letter of each missing code, and back.
STATA_LETTERS: dict[int, str] = {kind.numeric: kind.stata for kind in MISSING_KINDS.values()}


class LabelledError(ValueError):
    """A column cannot be written as described (the message names the column and value)."""


class ColumnSpec(msgspec.Struct, frozen=True):
    """How one column is written: name, variable label, measurement level, value labels.

    `value_labels` maps each numeric code (valid values and missing kinds) to its label in
    every language; `type` is "numeric" (codes and numbers) or "string".
    """

    name: str
    label: Text
    measure_level: Literal["nominal", "ordinal", "scale"] = "nominal"
    value_labels: dict[int, Text] = msgspec.field(default_factory=dict)
    type: Literal["numeric", "string"] = "numeric"

    @classmethod
    def from_variable(cls, variable: Variable) -> "ColumnSpec":
        """The spec of a codebook variable (its value labels and missing codes)."""
        string = variable.type == "string"
        labels = {} if string else {v.numeric: v.label for v in [*variable.value_labels, *variable.missing_codes]}
        return cls(
            name=variable.name,
            label=variable.label,
            measure_level=variable.measure_level,  # type: ignore[arg-type]
            value_labels=labels,
            type="string" if string else "numeric",
        )

    def text(self, text: Text, language: str) -> str:
        """A label in `language`, falling back to English, then any language."""
        return text.get(language) or text.get("en") or next(iter(text.values()), "")


def _integral(series: pd.Series) -> bool:
    values = series.to_numpy(dtype="float64")
    finite = values[~np.isnan(values)]
    return bool(np.all(finite == np.round(finite)))


def _numbers(frame: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    try:
        return frame[spec.name].astype("float64")
    except KeyError:
        raise LabelledError(f"column '{spec.name}' is in the column list but not in the frame") from None
    except (TypeError, ValueError) as exc:
        raise LabelledError(f"column '{spec.name}' must hold numbers ({exc})") from None


def _strings(frame: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    return frame[spec.name].astype(object).where(frame[spec.name].notna(), "")


def _arrow(frame: pd.DataFrame, columns: Sequence[ColumnSpec], language: str, metadata: bool) -> pa.Table:
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for spec in columns:
        if spec.type == "string":
            values = frame[spec.name].astype(object).where(frame[spec.name].notna(), None)
            array = pa.array(values.tolist(), type=pa.string())
        else:
            numbers = _numbers(frame, spec)
            array = pa.array(numbers.to_numpy(), mask=numbers.isna().to_numpy(), type=pa.float64())
            if _integral(numbers):
                array = array.cast(pa.int64())
        meta = None
        if metadata:
            meta = {
                "label": spec.text(spec.label, language),
                "measure_level": spec.measure_level,
                "value_labels": json.dumps({str(k): spec.text(v, language) for k, v in sorted(spec.value_labels.items())}, ensure_ascii=False),
                "missing": json.dumps(sorted(k for k in spec.value_labels if k < 0)),
            }
        arrays.append(array)
        fields.append(pa.field(spec.name, array.type, metadata=meta))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _sav(frame: pd.DataFrame, columns: Sequence[ColumnSpec], path: Path, language: str) -> None:
    data: dict[str, pd.Series] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    missing: dict[str, list] = {}
    formats: dict[str, str] = {}
    for spec in columns:
        if spec.type == "string":
            data[spec.name] = _strings(frame, spec)
            continue
        numbers = _numbers(frame, spec)
        data[spec.name] = numbers
        if spec.value_labels:
            value_labels[spec.name] = {float(k): spec.text(v, language) for k, v in sorted(spec.value_labels.items())}
        # No valid value is negative: the whole range is user-missing on every number.
        missing[spec.name] = [{"lo": float(MISSING_RANGE[0]), "hi": float(MISSING_RANGE[1])}]
        if _integral(numbers):
            formats[spec.name] = "F8.0"
    pyreadstat.write_sav(
        pd.DataFrame(data, index=frame.index),
        str(path),
        column_labels={s.name: s.text(s.label, language) for s in columns},
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_measure={s.name: s.measure_level for s in columns},
        variable_format=formats,
        compress=True,
    )


def _stata_column(numbers: pd.Series, spec: ColumnSpec) -> pd.Series:
    """Negative codes as their extended missing letters (an object column), else floats."""
    values = numbers.to_numpy()
    negative = values < 0
    if not negative.any():
        return numbers
    unknown = sorted({float(v) for v in values[negative]} - {float(k) for k in STATA_LETTERS})
    if unknown:
        raise LabelledError(f"column '{spec.name}': {unknown[0]:g} is negative but no missing kind")
    # One shared Python object per distinct value (codes and ratings are few), not a
    # fresh float per cell: an object column of a million rows stays a few MB.
    distinct, inverse = np.unique(values, return_inverse=True)
    objects = np.array([STATA_LETTERS.get(int(v), float(v)) if v < 0 else float(v) for v in distinct], dtype=object)
    return pd.Series(objects[inverse.reshape(-1)], index=numbers.index, dtype=object)


def _dta(frame: pd.DataFrame, columns: Sequence[ColumnSpec], path: Path, language: str) -> None:
    data: dict[str, pd.Series] = {}
    value_labels: dict[str, dict[int | float | str, str]] = {}
    missing: dict[str, list[str]] = {}
    formats: dict[str, str] = {}
    for spec in columns:
        if spec.type == "string":
            data[spec.name] = _strings(frame, spec)
            continue
        numbers = _numbers(frame, spec)
        data[spec.name] = _stata_column(numbers, spec)
        labels: dict[int | float | str, str] = {}
        for code, text in sorted(spec.value_labels.items()):
            labels[STATA_LETTERS[code] if code < 0 else code] = spec.text(text, language)
        if labels:
            # pyreadstat names the value label set `<variable><running number>`, and Stata
            # refuses a name over 32 characters with a message that names nothing.
            if len(spec.name) + len(str(len(value_labels))) > STATA_NAME_LENGTH:
                raise LabelledError(
                    f"column '{spec.name}': too long to carry value labels in Stata "
                    f"(at most {STATA_NAME_LENGTH - len(str(len(value_labels)))} characters here)"
                )
            value_labels[spec.name] = labels
        missing[spec.name] = [kind.stata for kind in MISSING_KINDS.values()]
        if _integral(numbers):
            formats[spec.name] = "%8.0g"
    pyreadstat.write_dta(
        pd.DataFrame(data, index=frame.index),
        str(path),
        column_labels={s.name: s.text(s.label, language)[:STATA_LABEL_LENGTH] for s in columns},
        variable_value_labels=value_labels,  # type: ignore[arg-type]
        missing_user_values=missing,
        variable_format=formats,
        version=15,
    )


#: The creation time written into every SPSS and Stata header, so the same data give the
#: same bytes (export -> import -> export is byte-identical); the zip entries use 1980 too.
SAV_DATE, SAV_TIME = b"01 Jan 80", b"00:00:00"
DTA_TIMESTAMP = b"01 Jan 1980 00:00"
#: Where the SPSS header keeps its creation date and time ("$FL2"/"$FL3" record).
_SAV_DATE_AT, _SAV_TIME_AT = 92, 101


def fix_header_time(path: Path, fmt: str) -> None:
    """Replace the creation time the writer put into a .sav or .dta header with the fixed one."""
    with path.open("r+b") as handle:
        if fmt == "sav":
            head = handle.read(_SAV_TIME_AT + len(SAV_TIME))
            if head[:4] not in (b"$FL2", b"$FL3") or head[_SAV_TIME_AT + 2 : _SAV_TIME_AT + 3] != b":":
                raise LabelledError(f"{path.name}: not an SPSS header this writer knows; cannot fix its creation time")
            handle.seek(_SAV_DATE_AT)
            handle.write(SAV_DATE + SAV_TIME)
        elif fmt == "dta":
            head = handle.read(512)
            at = head.find(b"<timestamp>")
            # Stata 13+ headers: <timestamp>, one length byte, then "dd Mon yyyy hh:mm" (or nothing).
            if at < 0 or head[at + 11] not in (0, len(DTA_TIMESTAMP)):
                raise LabelledError(f"{path.name}: not a Stata header this writer knows; cannot fix its timestamp")
            if head[at + 11] == len(DTA_TIMESTAMP):
                handle.seek(at + 12)
                handle.write(DTA_TIMESTAMP)


def write_labelled(frame: pd.DataFrame, columns: Sequence[ColumnSpec], path: Path, fmt: Format, language: str = "da") -> Path:
    """Write `frame`'s `columns` (in this order) to `path` as `fmt`, labels in `language`."""
    if fmt == "csv":
        table = neutralise_table(_arrow(frame, columns, language, metadata=False))
        pacsv.write_csv(table, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))
    elif fmt == "parquet":
        pq.write_table(_arrow(frame, columns, language, metadata=True), path, compression="zstd")
    elif fmt == "sav":
        _sav(frame, columns, path, language)
        fix_header_time(path, fmt)
    elif fmt == "dta":
        _dta(frame, columns, path, language)
        fix_header_time(path, fmt)
    else:
        raise LabelledError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    return path
