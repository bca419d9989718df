"""Reading an export zip for import within fixed limits, before anything is loaded in full.

A zip is refused from its central directory alone when it has too many members, a member
or the whole would unpack beyond the limits, or a large member is compressed more than
any export ever is (a zip bomb). Python's zipfile never hands out more bytes than a
member declares, so the declared sizes bound what is read. A Parquet file is judged by
its metadata (rows, columns, uncompressed row-group size) and then read with its text
columns dictionary-encoded, so the text it would unfold to can be bounded before it is
unfolded. A CSV file's lines are counted in a streaming pass before it is parsed.

Every text cell is then checked: no control characters (NUL included), bounded length,
and the columns that hold codes hold only letters, digits and `- _ . +`. Each refusal
names the file, the row (the line of data.csv; Parquet rows use the same numbers) and the
column.
"""

import io
import re
import zipfile
from typing import Final

import msgspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from server.workspace.export.spreadsheet import restore_frame
from server.workspace.i18n import _

MIB: Final = 1024 * 1024


class ImportError_(ValueError):
    """The import was refused; the message names the file, row (file line) or column and the reason."""


class ImportLimits(msgspec.Struct, frozen=True):
    """How much an import may read; the defaults hold any real study with a wide margin."""

    max_members: int = 1000
    max_member_bytes: int = 256 * MIB
    max_total_bytes: int = 1024 * MIB
    #: Exports compress about 10-25 to 1; zeros compress about 1000 to 1.
    max_ratio: float = 200.0
    #: Small members (a JSON of repeated keys) may compress well without harm.
    ratio_applies_from_bytes: int = 1 * MIB
    max_instrument_bytes: int = 8 * MIB
    max_rows: int = 500_000
    max_columns: int = 64
    #: Wide files have a column per codebook variable (about 150 for a patient questionnaire).
    max_wide_columns: int = 2000
    #: Uncompressed data (CSV text, Parquet row groups, Parquet text once unfolded).
    max_data_bytes: int = 256 * MIB
    max_text: int = 200
    max_code: int = 64


#: Columns whose cells are codes (empty allowed; other checks decide where a code is needed).
CODE_COLUMNS: Final = (
    "study", "respondent", "period", "week", "group", "setting", "site", "instrument_version",
    "gender", "age_band", "item", "kind", "measure", "measure_b", "choice", "missing", "experience",
)
#: Item codes join an item and measures (`paired.a.b`), so they may be longer.
LONG_CODES: Final = frozenset({"item"})
_CODE: Final = re.compile(r"[\w.+\-]+")
_CONTROL: Final = r"[\x00-\x1f\x7f-\x9f]"


def check_archive(archive: zipfile.ZipFile, name: str, limits: ImportLimits) -> None:
    """Refuse a zip whose directory promises more than the limits allow."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ImportError_(
            _("%(file)s: %(count)s files in the zip; at most %(limit)s are allowed") % {"file": name, "count": len(members), "limit": limits.max_members}
        )
    total = 0
    for info in members:
        if info.file_size > limits.max_member_bytes:
            raise ImportError_(
                _("%(file)s: %(member)s unpacks to %(bytes)s bytes; at most %(limit)s are allowed")
                % {"file": name, "member": info.filename, "bytes": info.file_size, "limit": limits.max_member_bytes}
            )
        if info.file_size >= limits.ratio_applies_from_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ImportError_(
                _("%(file)s: %(member)s is compressed %(ratio)s to 1; more than %(limit)s to 1 is refused as a zip bomb")
                % {"file": name, "member": info.filename, "ratio": f"{ratio:.0f}", "limit": f"{limits.max_ratio:.0f}"}
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ImportError_(_("%(file)s: the zip unpacks to %(bytes)s bytes; at most %(limit)s are allowed") % {"file": name, "bytes": total, "limit": limits.max_total_bytes})


def read_member(archive: zipfile.ZipFile, member: str, limit: int) -> bytes:
    """A member's bytes, never more than `limit` (refused beyond it)."""
    with archive.open(member) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImportError_(_("%(file)s: larger than %(limit)s bytes") % {"file": member, "limit": limit})
    return data


def _first(rows: pd.Index) -> str:
    shown = ", ".join(str(r) for r in list(rows[:5]))
    return _("row %(rows)s") % {"rows": shown} if len(rows) == 1 else _("rows %(rows)s") % {"rows": shown}


def check_text(frame: pd.DataFrame, file: str, limits: ImportLimits) -> None:
    """Refuse control characters, overlong text and malformed codes, naming file, row and column."""
    for column in frame.columns:
        name = str(column)
        if len(name) > limits.max_code or re.search(_CONTROL, name):
            raise ImportError_(_("%(file)s, header: column name %(name)s… is not a column of an export") % {"file": file, "name": repr(name[:40])})
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values[[isinstance(v, str) for v in values]]
        text = text.dropna().astype(str)
        if text.empty:
            continue
        control = text.str.contains(_CONTROL, regex=True)
        if control.any():
            raise ImportError_(
                _("%(file)s, %(rows)s, column '%(column)s': control characters (such as NUL) are not allowed")
                % {"file": file, "rows": _first(text.index[control.to_numpy()]), "column": column}
            )
        longest = limits.max_code * (2 if column in LONG_CODES else 1) if column in CODE_COLUMNS else limits.max_text
        long = text.str.len() > longest
        if long.any():
            raise ImportError_(
                _("%(file)s, %(rows)s, column '%(column)s': longer than %(longest)s characters")
                % {"file": file, "rows": _first(text.index[long.to_numpy()]), "column": column, "longest": longest}
            )
        if column in CODE_COLUMNS:
            bad = (text != "") & ~text.str.fullmatch(_CODE.pattern)
            if bad.any():
                raise ImportError_(
                    _("%(file)s, %(rows)s, column '%(column)s': a code may hold only letters, digits, - _ . and +")
                    % {"file": file, "rows": _first(text.index[bad.to_numpy()]), "column": column}
                )


def _string_columns(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def parquet_frame(data: bytes, file: str, wanted: frozenset[str] | None, limits: ImportLimits) -> pd.DataFrame:
    """The Parquet file's `wanted` columns (None: all) as a frame, refused by its metadata if too large."""
    try:
        schema = pq.ParquetFile(io.BytesIO(data)).schema_arrow
        strings = [c for c in _string_columns(schema) if wanted is None or c in wanted]
        parquet = pq.ParquetFile(io.BytesIO(data), read_dictionary=strings)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ImportError_(_("%(file)s: not a readable Parquet file (%(detail)s)") % {"file": file, "detail": exc}) from None
    meta = parquet.metadata
    if meta.num_rows > limits.max_rows:
        raise ImportError_(_("%(file)s: %(count)s rows; at most %(limit)s can be imported") % {"file": file, "count": meta.num_rows, "limit": limits.max_rows})
    if meta.num_columns > limits.max_columns:
        raise ImportError_(_("%(file)s: %(count)s columns; at most %(limit)s are allowed") % {"file": file, "count": meta.num_columns, "limit": limits.max_columns})
    uncompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if uncompressed > limits.max_data_bytes:
        raise ImportError_(
            _("%(file)s: %(bytes)s bytes uncompressed; at most %(limit)s are allowed") % {"file": file, "bytes": uncompressed, "limit": limits.max_data_bytes}
        )
    columns = [c for c in schema.names if wanted is None or c in wanted]
    try:
        table = parquet.read(columns=columns, use_pandas_metadata=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ImportError_(_("%(file)s: not a readable Parquet file (%(detail)s)") % {"file": file, "detail": exc}) from None
    # Dictionary-encoded text unfolds to at most rows x its longest value per column.
    unfolded = 0
    for column in strings:
        longest = 0
        for chunk in table.column(column).chunks:
            values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            if len(values):
                longest = max(longest, pc.max(pc.binary_length(values)).as_py() or 0)
        unfolded += longest * table.num_rows
    if unfolded > limits.max_data_bytes:
        raise ImportError_(
            _("%(file)s: its text would unfold to about %(bytes)s bytes; at most %(limit)s are allowed")
            % {"file": file, "bytes": unfolded, "limit": limits.max_data_bytes}
        )
    for column in strings:
        table = table.set_column(table.schema.get_field_index(column), column, pc.cast(table.column(column), pa.string()))
    return table.to_pandas()


def csv_frame(archive: zipfile.ZipFile, member: str, limits: ImportLimits) -> pd.DataFrame:
    """data.csv as text, refused before parsing when it has more rows than allowed."""
    lines = 0
    with archive.open(member) as stream:
        while block := stream.read(MIB):
            lines += block.count(b"\n")
    # Codes hold no line breaks, so a line count above the limit means too many rows.
    if lines > limits.max_rows + 1:
        raise ImportError_(_("%(file)s: about %(count)s rows; at most %(limit)s can be imported") % {"file": member, "count": lines - 1, "limit": limits.max_rows})
    with archive.open(member) as stream:
        header = stream.readline(64 * 1024)
    if header.count(b",") + 1 > limits.max_columns:
        raise ImportError_(
            _("%(file)s, header: %(count)s columns; at most %(limit)s are allowed") % {"file": member, "count": header.count(b",") + 1, "limit": limits.max_columns}
        )
    frame = pd.read_csv(archive.open(member), dtype=str, keep_default_na=False, nrows=limits.max_rows + 1)
    if len(frame) > limits.max_rows:
        raise ImportError_(_("%(file)s: more than %(limit)s rows; at most %(limit)s can be imported") % {"file": member, "limit": limits.max_rows})
    return restore_frame(frame)
