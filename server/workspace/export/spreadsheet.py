"""Text that a spreadsheet opens is neutralised against formula injection.

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`),
so free text or an imported study code could run on the researcher's machine. Such a cell
gets a leading apostrophe (the OWASP rule), which spreadsheets show as text. Plain numbers
(`-2`, `+3.5`, `1e-3`) stay as they are, so a negative number is still a number.

A cell that itself starts with an apostrophe gets one more, so `restore` (used by the
import) undoes the rule exactly: it removes one leading apostrophe wherever there is one.
Only the CSV files are neutralised (`data.csv`, `free_text.csv`, `codebook/*.csv`);
Parquet, Stata and SPSS hold the text unchanged, and `data_sha256` is of unchanged text.
"""

import re
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: First characters that make a spreadsheet evaluate a cell (and the escape itself).
_RISKY_START: Final = r"^[=+\-@\t\r']"
_PLAIN_NUMBER: Final = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_RISKY = re.compile(_RISKY_START)
_NUMBER = re.compile(_PLAIN_NUMBER)

#: What the manifest tells an analyst about the rule.
NOTE: Final = (
    "CSV files (data.csv, free_text.csv, codebook/*.csv): a text cell that starts with =, +, -, @, "
    "a tab, a carriage return or an apostrophe has one apostrophe (') put in front, so no spreadsheet runs "
    "it as a formula; plain numbers such as -2 are left as they are. Remove one leading apostrophe to get "
    "the stored text (leastmeans import does). Parquet, Stata and SPSS files hold the text unchanged."
)


def neutralise_text(text: str) -> str:
    """One cell's text as written to CSV (see the module docstring)."""
    if _RISKY.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def restore_text(text: str) -> str:
    """The stored text of a CSV cell written by `neutralise_text`."""
    return text[1:] if text.startswith("'") else text


def neutralise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`neutralise_text` on every cell of an Arrow string column (nulls stay null)."""
    risky = pc.and_(
        pc.match_substring_regex(values, _RISKY_START), pc.invert(pc.match_substring_regex(values, _PLAIN_NUMBER))
    )
    escaped = pc.binary_join_element_wise(pa.scalar("'"), values, pa.scalar(""))
    return pc.if_else(pc.fill_null(risky, False), escaped, values)


def neutralise_table(table: pa.Table) -> pa.Table:
    """Every string column of `table` neutralised; other columns unchanged."""
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            table = table.set_column(index, field, neutralise_array(table.column(index)))
    return table


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell neutralised (for pandas' `to_csv`)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or pd.api.types.is_object_dtype(out[column]):
            out[column] = out[column].map(lambda v: neutralise_text(v) if isinstance(v, str) else v)
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo `neutralise_*` on every text cell of a frame read from CSV."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values):
            escaped = values.map(lambda v: isinstance(v, str) and v.startswith("'")).astype(bool)
            if escaped.any():
                out[column] = values.mask(escaped, values[escaped].str[1:])
    return out
