"""The tidy answers table: its columns, its validation and its CSV form.

One row per respondent x item. The server produces this table from the
database; researchers may also export and re-import it as CSV. Everything
downstream assumes the checks made here, so the checks are strict and every
error names the column and the problem.
"""

from __future__ import annotations

import difflib
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
#: Row kinds of the tidy table: a 0-100 rating, an allowed yes/no, a paired
#: comparison and one ranked measure of a ranking task (value = position).
#: Anything else is refused: a misspelled kind would otherwise drop its rows
#: from the gradation without a word.
KINDS: Final = ("rating", "allowed", "paired", "rank")
#: Text that some tools write for a missing number. A missing rating is an
#: empty field plus a missing code, so these are refused rather than guessed.
_TEXTUAL_MISSING: Final = frozenset({"nan", "na", "n/a", "null", "none", "nil", "missing", "inf", "-inf", "+inf", "infinity", "-infinity"})
#: A version whose numeric ratings all lie within 0-10 looks like a 0-10 scale
#: once it holds this many ratings on this many measures; on the 0-100 scale
#: that would take every respondent calling every measure almost harmless.
_SMALL_SCALE_RATINGS: Final = 30
_SMALL_SCALE_MEASURES: Final = 3

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
    """The answers table breaks the tidy contract; the message says where.

    ``column`` names the offending column (None when the problem is not one
    column's), ``rows`` holds the first offending rows' index labels (file
    line numbers when the table was read by :func:`read_tidy_csv`) and
    ``count`` how many rows offend in all.
    """

    def __init__(
        self, message: str, *, column: str | None = None, problem: str | None = None, rows: tuple[object, ...] = (), count: int = 0
    ) -> None:
        super().__init__(message)
        self.column = column
        self.problem = problem if problem is not None else message
        self.rows = rows
        self.count = count


def _error(column: str, problem: str, rows: tuple[object, ...], count: int, unit: str = "rows") -> TidyDataError:
    # "rows" are index labels of a frame; "line" numbers count a file's header as line 1.
    shown = ", ".join(str(r) for r in rows[:5])
    more = f" and {count - 5} more" if count > 5 else ""
    label = unit if unit == "rows" or count == 1 else unit + "s"
    return TidyDataError(
        f"column {column!r}: {problem} ({label} {shown}{more})", column=column, problem=problem, rows=rows, count=count
    )


def _fail(column: str, problem: str, rows: pd.Index) -> None:
    # Only the first rows are kept: a wholly wrong file may offend on millions.
    raise _error(column, problem, tuple(int(r) if isinstance(r, (int, np.integer)) else r for r in rows[:100]), len(rows))


def _check_domain(df: pd.DataFrame, column: str, allowed: tuple[str, ...], mask: pd.Series | None = None) -> None:
    col = df[column]
    bad = col.notna() & ~col.isin(allowed)
    if mask is not None:
        bad &= mask
    if bad.any():
        examples = sorted(set(col[bad].astype(str)))[:3]
        _fail(column, f"unexpected value(s) {examples}; expected one of {list(allowed)} or empty", df.index[bad.to_numpy()])


def _numbers(col: pd.Series) -> pd.Series:
    """The value column as float64; text that is not a number is refused by row."""
    if pd.api.types.is_bool_dtype(col):
        raise TidyDataError("column 'value': expected numbers, got true/false values", column="value")
    if pd.api.types.is_numeric_dtype(col):
        return col.astype("float64")
    present = col.notna().to_numpy()
    if isinstance(col.dtype, pd.StringDtype):
        is_text = present
    else:
        is_text = present & col.astype(object).map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool).to_numpy()
    obj = col.astype(object)
    # Numbers held in an object column (a frame built by hand) pass as they are.
    numbers = pd.to_numeric(obj.where(present & ~is_text), errors="coerce").astype("float64")
    not_number = present & ~is_text & numbers.isna().to_numpy()
    if not_number.any():
        _fail("value", "expected numbers", col.index[not_number])
    text = obj.where(is_text, "").astype(str)
    written = is_text & (text != "").to_numpy()
    parsed = pd.to_numeric(text.where(written), errors="coerce").astype("float64")
    # Only cells that did not parse to a finite number need a closer look.
    doubtful = written & ~np.isfinite(parsed.to_numpy())
    if doubtful.any():
        shown = text[doubtful].str.strip()
        textual = shown.str.lower().isin(_TEXTUAL_MISSING)
        if textual.any():
            examples = sorted(set(shown[textual]))[:3]
            _fail(
                "value",
                f"{examples} is text, not a number; leave the field empty for a missing rating "
                f"and give its code in 'missing' ({', '.join(MISSING_CODES)})",
                shown.index[textual.to_numpy()],
            )
        _fail("value", f"expected a number, got {sorted(set(shown))[:3]}", shown.index)
    return numbers.where(~is_text, parsed)


def _check_kinds(kind: pd.Series) -> None:
    unknown = (~kind.isin(KINDS)).to_numpy()
    if not unknown.any():
        return
    found = sorted(set(kind[unknown].astype(str)))
    hints = []
    for code in found[:3]:
        close = difflib.get_close_matches(code.strip().lower(), KINDS, n=1, cutoff=0.6)
        if close:
            hints.append(f"{close[0]!r} for {code!r}")
    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
    _fail("kind", f"unknown kind(s) {found[:3]}; expected one of {list(KINDS)}{hint}", kind.index[unknown])


def _check_scale(out: pd.DataFrame, rated: np.ndarray) -> None:
    """Refuse ratings that look like another scale (0-1 or 0-10) per instrument version.

    Values outside 0-100 are refused row by row; these scales fit inside 0-100,
    so only the whole set of a version's ratings gives them away.
    """
    if not rated.any():
        return
    rows = out.loc[rated, ["instrument_version", "measure", "value"]]
    fraction = rows["value"] != np.floor(rows["value"])
    per_version = rows.assign(fraction=fraction).groupby("instrument_version", observed=True, sort=True).agg(
        top=("value", "max"), count=("value", "size"), measures=("measure", "nunique"), fractions=("fraction", "any")
    )
    for code, v in per_version.iterrows():
        mine = (rows["instrument_version"] == code).to_numpy()
        if v["top"] <= 1 and v["fractions"]:
            shown = rows.index[mine & fraction.to_numpy()]
            _fail(
                "value",
                f"every rating of instrument version {code!r} lies within 0-1 and some are fractions "
                f"(e.g. {rows.at[shown[0], 'value']:g}): this looks like a 0-1 scale, but ratings must lie on 0-100 "
                "(multiply by 100)",
                shown,
            )
        if v["top"] <= 10 and v["count"] >= _SMALL_SCALE_RATINGS and v["measures"] >= _SMALL_SCALE_MEASURES:
            _fail(
                "value",
                f"all {v['count']} ratings of instrument version {code!r} on {v['measures']} measures lie within "
                f"0-{v['top']:g}: this looks like a 0-10 scale, but ratings must lie on 0-100",
                rows.index[mine],
            )


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
    out["value"] = _numbers(df["value"])
    out = out[list(COLUMNS)]

    for column in _REQUIRED_TEXT:
        empty = out[column].isna()
        if empty.any():
            _fail(column, "must not be empty", out.index[empty.to_numpy()])
    _check_kinds(out["kind"])
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
    _check_scale(out, answered & finite)
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


def check_gradable(tidy: pd.DataFrame) -> None:
    """Refuse a validated table from which no gradation can be computed.

    A table without rows, without rating rows or whose ratings are all
    missing would give an empty gradation that looks like a result.

    Raises:
        TidyDataError: saying what is absent.
    """
    if len(tidy) == 0:
        raise TidyDataError("no answers: the table has no rows, so there is nothing to grade")
    rating = (tidy["kind"] == "rating").to_numpy()
    if not rating.any():
        present = ", ".join(sorted(set(tidy["kind"].dropna().astype(str))))
        raise TidyDataError(
            f"column 'kind': no row has kind 'rating' (present: {present}); the gradation needs ratings",
            column="kind",
            problem="no rating rows",
        )
    if not np.isfinite(tidy["value"].to_numpy()[rating]).any():
        raise TidyDataError(
            f"column 'value': none of the {int(rating.sum())} rating rows holds a number (all carry a missing code)",
            column="value",
            problem="no rating holds a number",
        )


#: Line 1 of a CSV file is its header, so data row k (0-based) is line k + 2.
FIRST_DATA_LINE: Final = 2


def read_tidy_csv(path: str | Path) -> pd.DataFrame:
    """Read a tidy CSV (as written by :func:`write_tidy_csv` or an export's
    ``data.csv``), validate it and refuse a file with nothing to grade.

    Only empty fields count as missing: codes such as ``"NA"`` or ``"none"``
    are kept as text, because ``none`` is a legitimate experience code, and a
    textual ``nan`` where a number belongs is refused. Errors name the column
    and the file line (the header is line 1).

    Raises:
        TidyDataError: the file cannot be read, breaks the tidy contract
            (:func:`validate_tidy`) or holds no data rows.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(
            path,
            dtype="string",
            keep_default_na=False,
            na_values=[""],
            # A blank line stays a row (and is refused), so row k is line k + 2.
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise TidyDataError(f"line 1: the file is empty; expected a header with the columns {list(COLUMNS)}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TidyDataError(f"could not read the file: {exc}") from None
    if len(raw.columns) == 1 and ";" in str(raw.columns[0]):
        raise TidyDataError("line 1: the header is separated by ';'; the tidy CSV uses ',' between columns")
    raw.index = pd.RangeIndex(FIRST_DATA_LINE, FIRST_DATA_LINE + len(raw))
    try:
        tidy = validate_tidy(raw)
    except TidyDataError as exc:
        if exc.column is None or not exc.rows:
            raise
        raise _error(exc.column, exc.problem, exc.rows, exc.count, unit="line") from None
    if len(tidy) == 0:
        raise TidyDataError("line 1: the file has a header but no data rows, so there is nothing to grade")
    return tidy
