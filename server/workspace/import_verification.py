"""Checking that an export zip is exactly what its export wrote, before any row is read.

manifest.json lists every file of the export with its size and sha256. The import
verifies all of them: a listed file that is absent, a file whose size or sha256 differs,
a file present twice, or a file present but not listed (a data file slipped in beside
the export) is refused, naming the file. A checksum is no signature (whoever edits a
file can edit the manifest too), so this catches damage and edits made without care,
which is what an analyst opening, "fixing" and re-zipping an export produces.

A zip without manifest.json is still imported: researchers assemble tidy data (data.csv
and instruments/) by hand, and there is nothing to verify it against. Every row is then
checked as always (`server.workspace.importer`), and the import report says that no
checksums were verified.

When the same data are in a CSV and a Parquet file (data.csv and data.parquet, and each
wide file), both are read and must hold the same rows, cell by cell, after undoing the
CSV's spreadsheet neutralisation (`server.workspace.export.spreadsheet.restore_frame`):
otherwise the import is refused, naming both files and the first differing row (the line
of the CSV file) and column. Importing one while the other says something else would
silently pick a side.
"""

import hashlib
import re
import zipfile
from collections import Counter
from typing import Final

import msgspec
import numpy as np
import pandas as pd

# The manifest lists files as the export writes them.
from server.workspace.export.bundle import FileEntry
from server.workspace.i18n import _
from server.workspace.import_archive import ImportError_, ImportLimits, read_member

MANIFEST: Final = "manifest.json"
#: Export formats this import reads (the manifest's `format`).
READABLE_FORMATS: Final = ("leastmeans.export/1", "leastmeans.export/2", "leastmeans.export/3")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


class Seal(msgspec.Struct, frozen=True):
    """The part of manifest.json the import verifies against (other fields are ignored)."""

    format: str
    files: list[FileEntry]
    data_sha256: str | None = None


def _sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    """sha256 and length of a member, streamed (the archive limits bound what is read)."""
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def read_seal(archive: zipfile.ZipFile, limits: ImportLimits) -> Seal | None:
    """manifest.json's file list, or None for a zip without a manifest."""
    if MANIFEST not in archive.namelist():
        return None
    raw = read_member(archive, MANIFEST, limits.max_instrument_bytes)
    try:
        seal = msgspec.json.decode(raw, type=Seal)
    except msgspec.DecodeError as exc:
        raise ImportError_(_("%(file)s: not the manifest of an export (%(detail)s)") % {"file": MANIFEST, "detail": exc}) from None
    if seal.format not in READABLE_FORMATS:
        raise ImportError_(
            _("%(file)s: format '%(format)s' cannot be imported (readable: %(readable)s)")
            % {"file": MANIFEST, "format": seal.format[:40], "readable": ", ".join(READABLE_FORMATS)}
        )
    listed = Counter(entry.name for entry in seal.files)
    for name, count in listed.items():
        if count > 1:
            raise ImportError_(_("%(file)s: %(member)s is listed %(count)s times") % {"file": MANIFEST, "member": name[:80], "count": count})
    for entry in seal.files:
        if not _SHA256.fullmatch(entry.sha256):
            raise ImportError_(
                _("%(file)s: %(member)s: sha256 '%(sha256)s' is not 64 hexadecimal digits") % {"file": MANIFEST, "member": entry.name[:80], "sha256": entry.sha256[:70]}
            )
    return seal


def _changed_size(entry: FileEntry, size: int) -> str:
    return _("%(file)s: %(bytes)s bytes, but %(manifest)s lists %(listed)s: the file was changed after the export") % {
        "file": entry.name,
        "bytes": size,
        "manifest": MANIFEST,
        "listed": entry.bytes,
    }


def verify_archive(archive: zipfile.ZipFile, limits: ImportLimits) -> Seal | None:
    """Verify every file against manifest.json (see the module docstring); the seal, or None without one."""
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    for name, count in Counter(names).items():
        if count > 1:
            # zipfile would read the last copy, so the listed checksum could hold for another one.
            raise ImportError_(_("%(file)s: %(count)s times in the zip; an export holds each file once") % {"file": name, "count": count})
    seal = read_seal(archive, limits)
    if seal is None:
        return None
    listed = {entry.name: entry for entry in seal.files}
    for name in names:
        if name != MANIFEST and name not in listed:
            raise ImportError_(_("%(file)s: in the zip but not listed in %(manifest)s; an export lists every file it writes") % {"file": name, "manifest": MANIFEST})
    for entry in seal.files:
        if entry.name not in names:
            raise ImportError_(_("%(file)s: listed in %(manifest)s but not in the zip") % {"file": entry.name, "manifest": MANIFEST})
        declared = archive.getinfo(entry.name).file_size
        if declared != entry.bytes:
            raise ImportError_(_changed_size(entry, declared))
        digest, size = _sha256(archive, entry.name)
        if size != entry.bytes:
            raise ImportError_(_changed_size(entry, size))
        if digest != entry.sha256:
            raise ImportError_(
                _("%(file)s: its sha256 (%(actual)s…) differs from the one in %(manifest)s (%(listed)s…): the file was changed after the export")
                % {"file": entry.name, "actual": digest[:12], "manifest": MANIFEST, "listed": entry.sha256[:12]}
            )
    return seal


def _cell_text(value: object) -> str:
    """A cell as a refusal shows it: missing is empty, numbers by value."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value):g}"
    return str(value)


def _same_cells(csv: pd.Series, parquet: pd.Series) -> np.ndarray:
    """Per row, whether the CSV text and the Parquet cell hold the same value."""
    text = csv.astype(object).to_numpy()
    text = np.where(pd.isna(text), "", text)
    if pd.api.types.is_numeric_dtype(parquet) and not pd.api.types.is_bool_dtype(parquet):
        # The CSV writes 50 or 50.0 for the same number, so numbers compare by value.
        numbers = pd.to_numeric(pd.Series(text, dtype=object).replace("", None), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        stored = parquet.to_numpy(dtype="float64", na_value=np.nan)
        same = numbers == stored
        if not same.all():
            same |= np.isnan(numbers) & np.isnan(stored) & (text == "")
        return same
    stored_text = parquet.astype(object).to_numpy()
    return text == np.where(pd.isna(stored_text), "", stored_text).astype(str)


def check_agreement(csv: pd.DataFrame, parquet: pd.DataFrame, csv_name: str, parquet_name: str) -> None:
    """Refuse unless the CSV (already restored) and the Parquet file hold the same rows.

    Both frames are indexed by the CSV's line numbers. Numeric Parquet columns are compared
    by value (the CSV writes 50 or 50.0 for the same number); text cells exactly, with a
    missing cell equal to an empty one.
    """
    both = _("%(csv)s and %(parquet)s disagree") % {"csv": csv_name, "parquet": parquet_name}
    if list(csv.columns) != list(parquet.columns):
        only_csv = [c for c in csv.columns if c not in parquet.columns]
        only_parquet = [c for c in parquet.columns if c not in csv.columns]
        if only_csv or only_parquet:
            where = "; ".join(
                part
                for part in (
                    _("only %(file)s has column(s) %(columns)s") % {"file": csv_name, "columns": ", ".join(map(str, only_csv[:5]))} if only_csv else "",
                    _("only %(file)s has column(s) %(columns)s") % {"file": parquet_name, "columns": ", ".join(map(str, only_parquet[:5]))}
                    if only_parquet
                    else "",
                )
                if part
            )
            raise ImportError_(f"{both}: {where}")
        raise ImportError_(_("%(both)s: the columns are in a different order") % {"both": both})
    if len(csv) != len(parquet):
        raise ImportError_(
            _("%(both)s: %(csv_rows)s rows in %(csv)s, %(parquet_rows)s in %(parquet)s")
            % {"both": both, "csv_rows": len(csv), "csv": csv_name, "parquet_rows": len(parquet), "parquet": parquet_name}
        )
    first: tuple[int, str] | None = None
    for column in parquet.columns:
        differs = np.flatnonzero(~_same_cells(csv[column].reset_index(drop=True), parquet[column].reset_index(drop=True)))
        if len(differs) and (first is None or differs[0] < first[0]):
            first = (int(differs[0]), str(column))
    if first is not None:
        row, column = first
        in_csv, in_parquet = _cell_text(csv[column].iloc[row]), _cell_text(parquet[column].iloc[row])
        raise ImportError_(
            _("%(both)s: first at row %(row)s (line of %(csv)s), column '%(column)s': %(in_csv)s in %(csv)s, %(in_parquet)s in %(parquet)s")
            % {
                "both": both,
                "row": csv.index[row],
                "csv": csv_name,
                "column": column,
                "in_csv": repr(in_csv[:40]),
                "in_parquet": repr(in_parquet[:40]),
                "parquet": parquet_name,
            }
        )
