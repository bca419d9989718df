"""A content hash of the answers table that ignores respondent ids and row order.

Respondent ids are opaque and may be re-issued on export/import, and row order
depends on the database; neither changes what the data say. So the hash is
built per respondent (their rows sorted by item, without the id), and the
per-respondent digests are sorted before the final digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

from analysis.tidy import COLUMNS, validate_tidy

# Unit and record separators cannot occur in codes, so joined fields are
# unambiguous; NA gets its own marker distinct from any text.
_FIELD = "\x1f"
_RECORD = "\x1e"
_NA = "\x00"
HASH_VERSION = "leastmeans.snapshot/1"
# The joined text of a row is about ten times its stored size, so the text of
# the whole table would dwarf the table itself; it is built for about this
# many rows (whole respondents) at a time.
_CHUNK_ROWS = 200_000


def _canonical_text(column: pd.Series) -> pd.Series:
    if column.dtype == "float64":
        values = column.to_numpy()
        # repr() of a float is the shortest exact round-trip form, so equal
        # floats always give equal text and different floats different text.
        text = pd.Series([repr(float(v)) if np.isfinite(v) else _NA for v in values], index=column.index)
        return text
    return column.astype("string").fillna(_NA).astype(str)


def _block_digests(rows: pd.DataFrame) -> pd.Series:
    """Per respondent id, the digest of ``rows``, which are whole respondents sorted by (respondent, item)."""
    fields = [c for c in COLUMNS if c != "respondent"]
    line = _canonical_text(rows[fields[0]])
    for column in fields[1:]:
        line = line + _FIELD + _canonical_text(rows[column])
    blocks = (line + _RECORD).groupby(rows["respondent"].to_numpy(), sort=False).sum()
    return pd.Series([hashlib.sha256(b.encode("utf-8")).hexdigest() for b in blocks.to_numpy()], index=blocks.index)


def _respondent_chunks(tidy: pd.DataFrame, chunk_rows: int) -> Iterator[np.ndarray]:
    """Row positions sorted by (respondent, item), cut into runs of whole respondents."""
    keys = tidy[["respondent", "item"]].reset_index(drop=True)
    order = keys.sort_values(["respondent", "item"], kind="mergesort").index.to_numpy()
    codes = pd.factorize(keys["respondent"])[0][order]
    # A chunk ends at the first respondent boundary at or after its size.
    starts = np.flatnonzero(np.diff(codes, prepend=-2))
    begin = 0
    while begin < order.size:
        k = int(np.searchsorted(starts, begin + chunk_rows))
        end = int(starts[k]) if k < starts.size else order.size
        yield order[begin:end]
        begin = end


def respondent_digests(tidy: pd.DataFrame) -> pd.Series:
    """Per respondent id (sorted), the sha256 of that respondent's rows without the id."""
    parts = [_block_digests(tidy.iloc[rows]) for rows in _respondent_chunks(tidy, _CHUNK_ROWS)]
    if not parts:
        return _block_digests(tidy)
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def _combined_hash(digests: pd.Series) -> str:
    total = hashlib.sha256(HASH_VERSION.encode("utf-8"))
    for digest in sorted(digests.to_numpy()):
        total.update(digest.encode("ascii"))
    return total.hexdigest()


def _canonical_ids(digests: pd.Series) -> pd.Series:
    """Per respondent id, its content-derived id: digest and occurrence among equal digests."""
    ranked = digests.sort_values(kind="mergesort")
    occurrence = ranked.groupby(ranked.to_numpy(), sort=False).cumcount()
    return ranked + "-" + occurrence.astype(str)


def _compact_ids(canonical: pd.Series) -> pd.Series:
    """Per respondent id, the rank of its content-derived id in string order, zero-padded.

    Equal width makes the ranks sort as text exactly as the content-derived
    ids do, at a few characters instead of 66.
    """
    n = len(canonical)
    ranks = np.empty(n, dtype=np.int64)
    # Python string comparison: the order in which the ids themselves sort.
    ranks[np.argsort(canonical.to_numpy(dtype=object), kind="stable")] = np.arange(n)
    width = len(str(max(n - 1, 0)))
    return pd.Series([f"{r:0{width}d}" for r in ranks], index=canonical.index, dtype=object)


def _relabel(tidy: pd.DataFrame, new_ids: pd.Series) -> pd.DataFrame:
    """``tidy`` with each respondent id replaced by ``new_ids[id]``; other columns are shared."""
    codes, uniques = pd.factorize(tidy["respondent"])
    per_unique = new_ids.reindex(pd.Index(uniques, dtype=object)).to_numpy(dtype=object)
    relabelled = pd.array(per_unique[codes], dtype=tidy["respondent"].dtype)
    # A shallow copy: the other columns are shared (copy-on-write).
    return tidy.assign(respondent=pd.Series(relabelled, index=tidy.index))


def data_hash(df: pd.DataFrame) -> str:
    """Return the sha256 hex digest of the tidy table's content.

    Independent of respondent ids and of row order; any change to an answer,
    a respondent attribute or the number of respondents changes the digest.
    """
    return _combined_hash(respondent_digests(validate_tidy(df)))


def canonical_respondents(tidy: pd.DataFrame) -> pd.DataFrame:
    """Replace respondent ids by content-derived ids.

    Every step that orders or samples respondents (bootstrap, model subsets) then
    gives the same result for the same content, whatever ids an export or import
    issued. Respondents with identical content are interchangeable, so numbering
    them in any order is fine.
    """
    digests = respondent_digests(tidy)
    relabelled = tidy.copy()
    relabelled["respondent"] = tidy["respondent"].map(_canonical_ids(digests)).astype(tidy["respondent"].dtype)
    return relabelled


def canonical_snapshot(tidy: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Relabel respondents by content and hash the table, hashing the rows once.

    ``tidy`` must be validated (no empty respondent ids). The new ids are the
    ranks of :func:`canonical_respondents`' ids, zero-padded to one width, so
    they sort in the same order: everything that orders or samples
    respondents gives the same result, while the id column stays small. The
    digests ignore ids, so the hash is ``data_hash`` of either table.
    """
    digests = respondent_digests(tidy)
    return _relabel(tidy, _compact_ids(_canonical_ids(digests))), _combined_hash(digests)
