"""Per-respondent content digests of an export batch, computed on Arrow tables.

The digests are exactly those of `analysis.snapshot.respondent_digests` (so the
manifest's data hash equals `analysis.snapshot.data_hash` of the exported data), but
built without a Python string per cell: the canonical line of every row is joined by
Arrow, rows are sorted by Arrow, and each respondent's block is hashed straight from
the joined text's buffer.
"""

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis.snapshot import _FIELD, _NA, _RECORD
from analysis.tidy import COLUMNS

#: The hashed fields of a row, in order: every tidy column but the respondent id.
HASHED_COLUMNS = [c for c in COLUMNS if c != "respondent"]


def _float_text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """repr() of each finite float, the NA marker otherwise (null, NaN, infinite)."""
    numbers = values.to_numpy(zero_copy_only=False).astype("float64")
    # Unique by bit pattern, not by value: -0.0 and 0.0 are equal but repr differently.
    bits, inverse = np.unique(numbers.view(np.uint64), return_inverse=True)
    texts = [repr(float(v)) if np.isfinite(v) else _NA for v in bits.view(np.float64)]
    return pa.array(texts, type=pa.string()).take(pa.array(inverse.reshape(-1)))


def _canonical_text(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_floating(column.type):
        return _float_text(column)
    return pc.fill_null(column.cast(pa.string()), _NA)


def _block_bounds(respondents: pa.Array) -> np.ndarray:
    """Start of each run of equal ids in a sorted id column, and the end of the last."""
    if len(respondents) == 0:
        return np.zeros(1, dtype=np.int64)
    changes = pc.not_equal(respondents[1:], respondents[:-1]).to_numpy(zero_copy_only=False)
    return np.concatenate([[0], np.flatnonzero(changes) + 1, [len(respondents)]])


def batch_digests(table: pa.Table) -> list[str]:
    """sha256 per respondent of their rows without the id (see the module docstring).

    Every respondent's rows must be in `table` (batches are whole respondents). The
    order of the returned digests is unspecified: the data hash sorts them.
    """
    return list(respondent_digests(table).values())


def respondent_digests(table: pa.Table) -> dict[str, str]:
    """Each respondent's digest by their id: sha256 of their rows without the id, sorted by
    item (see the module docstring). Every respondent's rows must be in `table`."""
    order = pc.sort_indices(table, sort_keys=[("respondent", "ascending"), ("item", "ascending")])
    table = table.take(order)
    fields = [_canonical_text(table[column]) for column in HASHED_COLUMNS]
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*fields, _FIELD), _RECORD, "")
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    data = memoryview(lines.buffers()[2]) if lines.buffers()[2] is not None else memoryview(b"")
    respondents = table["respondent"].combine_chunks()
    bounds = _block_bounds(respondents)
    ids = respondents.take(pa.array(bounds[:-1])).to_pylist() if len(bounds) > 1 else []
    return {
        str(rid): hashlib.sha256(data[offsets[start] : offsets[end]]).hexdigest()
        for rid, start, end in zip(ids, bounds[:-1], bounds[1:], strict=True)
    }
