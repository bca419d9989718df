"""The tidy answers table: its columns, its validation and its CSV form.

One row per respondent x item. The server produces this table from the
database; researchers may also export and re-import it as CSV. Everything
downstream assumes the checks made here, so the checks are strict and every
error names the column and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

GROUPS: Final = ("patient", "relative", "staff")
SETTINGS: Final = ("general_adult", "child_adolescent", "forensic")
GENDERS: Final = ("female", "male", "other", "prefer_not_to_say")
MISSING_CODES: Final = ("dont_know", "prefer_not_to_answer")
EXPERIENCE_CODES: Final = ("none", "witnessed", "experienced")
ALLOWED_CHOICES: Final = ("yes", "no", "dont_know")

#: Text columns in canonical order; all are pandas ``string`` dtype.
STRING_COLUMNS: Final = (
    "respondent",
    "group",
    "setting",
    "site",
    "instrument_version",
    "gender",
    "age_band",
    "item",
    "kind",
    "measure",
    "measure_b",
    "choice",
    "missing",
    "experience",
)
#: The canonical column order of a validated table.
COLUMNS: Final = STRING_COLUMNS[:11] + ("value",) + STRING_COLUMNS[11:]

# Columns that describe the respondent, not the answer: they must not vary
# between one respondent's rows, because clustering and models rely on it.
RESPONDENT_COLUMNS: Final = (
    "group",
    "setting",
    "site",
    "instrument_version",
    "gender",
    "age_band",
)
_REQUIRED_TEXT: Final = (
    "respondent",
    "group",
    "setting",
    "site",
    "instrument_version",
    "item",
    "kind",
)


class TidyDataError(ValueError):
    """The answers table breaks the tidy contract; the message says where."""


def _fail(column: str, problem: str, rows: pd.Index) -> None:
    shown = ", ".join(str(r) for r in list(rows[:5]))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    raise TidyDataError(f"column {column!r}: {problem} (rows {shown}{more})")


def _check_domain(df: pd.DataFrame, column: str, allowed: tuple[str, ...], mask: pd.Series | None = None) -> None:
    col = df[column]
    bad = col.notna() & ~col.isin(allowed)
    if mask is not None:
        bad &= mask
    if bad.any():
        examples = sorted(set(col[bad].astype(str)))[:3]
        _fail(column, f"unexpected value(s) {examples}; expected one of {list(allowed)} or empty", df.index[bad.to_numpy()])


def validate_tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Check a tidy answers table and return it in canonical form.

    The returned copy has the columns of :data:`COLUMNS` in that order (extra
    columns are dropped, because nothing downstream reads them), text columns
    as pandas ``string`` dtype with ``<NA>`` for empty, ``value`` as float64
    and a fresh ``RangeIndex``.

    Raises:
        TidyDataError: naming the first offending column, the problem and
            example row labels.
    """
    if not isinstance(df, pd.DataFrame):
        raise TidyDataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    absent = [c for c in COLUMNS if c not in df.columns]
    if absent:
        raise TidyDataError(f"column {absent[0]!r}: missing (required columns: {list(COLUMNS)})")

    out = pd.DataFrame(index=df.index)
    for column in STRING_COLUMNS:
        col = df[column]
        if not (pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col) or col.isna().all()):
            raise TidyDataError(f"column {column!r}: expected text, got dtype {col.dtype}")
        if not isinstance(col.dtype, pd.StringDtype) and col.notna().any():
            # infer_dtype runs in C; only fall back to a per-value scan to
            # report which rows hold numbers or other objects.
            if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
                nonstring = col.notna() & ~col.map(lambda v: isinstance(v, str), na_action="ignore").fillna(True).astype(bool)
                _fail(column, "expected text values", df.index[nonstring.to_numpy()])
        text = col.astype("string")
        # An empty string is not a code; treat it as missing so CSV round trips
        # (where empty and missing are the same thing) stay exact.
        empty = text == ""
        if empty.any():
            text = text.mask(empty, pd.NA)
        # Otherwise the column is shared with the input (copy-on-write), which
        # halves the memory of a large analysis.
        out[column] = text
    try:
        value = pd.to_numeric(df["value"], errors="raise").astype("float64")
    except (ValueError, TypeError) as exc:
        raise TidyDataError(f"column 'value': expected numbers ({exc})") from None
    out["value"] = value
    out = out[list(COLUMNS)]

    for column in _REQUIRED_TEXT:
        empty = out[column].isna()
        if empty.any():
            _fail(column, "must not be empty", out.index[empty.to_numpy()])
    _check_domain(out, "group", GROUPS)
    _check_domain(out, "setting", SETTINGS)
    _check_domain(out, "gender", GENDERS)
    _check_domain(out, "missing", MISSING_CODES)
    _check_domain(out, "experience", EXPERIENCE_CODES)

    kind = out["kind"]
    missing = out["missing"].notna()
    finite = np.isfinite(out["value"].to_numpy())
    if np.isinf(out["value"].to_numpy()).any():
        _fail("value", "must not be infinite", out.index[np.isinf(out["value"].to_numpy())])

    rating = (kind == "rating").to_numpy()
    no_measure = rating & out["measure"].isna().to_numpy()
    if no_measure.any():
        _fail("measure", "rating rows need a measure code", out.index[no_measure])
    answered = rating & ~missing.to_numpy()
    lacks_value = answered & ~finite
    if lacks_value.any():
        _fail("value", "a rating without a missing code needs a number", out.index[lacks_value])
    out_of_range = answered & finite & ((out["value"].to_numpy() < 0) | (out["value"].to_numpy() > 100))
    if out_of_range.any():
        _fail("value", "ratings must lie on 0-100", out.index[out_of_range])
    # "Don't know" must never become a number: a rating with a missing code
    # that still carries a value is contradictory, not something to guess about.
    both = rating & missing.to_numpy() & finite
    if both.any():
        _fail("value", "a rating with a missing code must have no value", out.index[both])

    allowed = (kind == "allowed").to_numpy()
    no_measure = allowed & out["measure"].isna().to_numpy()
    if no_measure.any():
        _fail("measure", "allowed rows need a measure code", out.index[no_measure])
    _check_domain(out, "choice", ALLOWED_CHOICES, pd.Series(allowed, index=out.index))
    no_choice = allowed & ~missing.to_numpy() & out["choice"].isna().to_numpy()
    if no_choice.any():
        _fail("choice", "an allowed row without a missing code needs a choice", out.index[no_choice])

    paired = (kind == "paired").to_numpy()
    for column in ("measure", "measure_b"):
        lacks = paired & out[column].isna().to_numpy()
        if lacks.any():
            _fail(column, "paired rows need both measures", out.index[lacks])
    same = paired & (out["measure"] == out["measure_b"]).fillna(False).to_numpy()
    if same.any():
        _fail("measure_b", "a pair must compare two different measures", out.index[same])
    choice = out["choice"]
    chosen_ok = (choice == out["measure"]).fillna(False) | (choice == out["measure_b"]).fillna(False)
    bad_pick = paired & choice.notna().to_numpy() & ~chosen_ok.to_numpy()
    if bad_pick.any():
        _fail("choice", "a paired choice must be one of the two measures", out.index[bad_pick])
    no_pick = paired & ~missing.to_numpy() & choice.isna().to_numpy()
    if no_pick.any():
        _fail("choice", "a paired row without a missing code needs a choice", out.index[no_pick])

    duplicated = out.duplicated(["respondent", "item"], keep="first").to_numpy()
    if duplicated.any():
        _fail("item", "each respondent may answer an item only once", out.index[duplicated])

    for column in RESPONDENT_COLUMNS:
        # nunique(dropna=False) counts <NA> as its own value, so a respondent
        # whose gender is sometimes missing is inconsistent as well.
        varies = out.groupby("respondent", sort=False)[column].nunique(dropna=False) > 1
        if varies.any():
            who = set(varies.index[varies.to_numpy()])
            rows = out.index[out["respondent"].isin(who).to_numpy()]
            _fail(column, "must be the same on all rows of a respondent", rows)

    return out.reset_index(drop=True)


def write_tidy_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a tidy table as UTF-8 CSV that :func:`read_tidy_csv` reads back exactly.

    Floats are written with ``repr`` precision (pandas' default), missing
    values as empty fields.
    """
    tidy = validate_tidy(df)
    tidy.to_csv(Path(path), index=False, encoding="utf-8", lineterminator="\n")


def read_tidy_csv(path: str | Path) -> pd.DataFrame:
    """Read a tidy CSV (as written by :func:`write_tidy_csv`) and validate it.

    Only empty fields count as missing: codes such as ``"NA"`` or ``"none"``
    are kept as text, because ``none`` is a legitimate experience code.
    """
    dtypes: dict[str, str] = {c: "string" for c in STRING_COLUMNS}
    dtypes["value"] = "float64"
    try:
        raw = pd.read_csv(
            Path(path),
            dtype=dtypes,
            keep_default_na=False,
            na_values={c: [""] for c in COLUMNS},
            encoding="utf-8",
        )
    except ValueError as exc:
        raise TidyDataError(f"could not read {path}: {exc}") from None
    return validate_tidy(raw)
