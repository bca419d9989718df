"""A content hash of the answers table that ignores respondent ids and row order.

Respondent ids are opaque and may be re-issued on export/import, and row order
depends on the database; neither changes what the data say. So the hash is
built per respondent (their rows sorted by item, without the id), and the
per-respondent digests are sorted before the final digest.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from analysis.tidy import COLUMNS, validate_tidy

# Unit and record separators cannot occur in codes, so joined fields are
# unambiguous; NA gets its own marker distinct from any text.
_FIELD = "\x1f"
_RECORD = "\x1e"
_NA = "\x00"
HASH_VERSION = "leastmeans.snapshot/1"


def _canonical_text(column: pd.Series) -> pd.Series:
    if column.dtype == "float64":
        values = column.to_numpy()
        # repr() of a float is the shortest exact round-trip form, so equal
        # floats always give equal text and different floats different text.
        text = pd.Series([repr(float(v)) if np.isfinite(v) else _NA for v in values], index=column.index)
        return text
    return column.astype("string").fillna(_NA).astype(str)


def respondent_digests(tidy: pd.DataFrame) -> pd.Series:
    """Per respondent id, the sha256 of that respondent's rows without the id."""
    tidy = tidy.sort_values(["respondent", "item"], kind="mergesort")
    fields = [c for c in COLUMNS if c != "respondent"]
    line = _canonical_text(tidy[fields[0]])
    for column in fields[1:]:
        line = line + _FIELD + _canonical_text(tidy[column])
    blocks = (line + _RECORD).groupby(tidy["respondent"].to_numpy(), sort=False).sum()
    return pd.Series([hashlib.sha256(b.encode("utf-8")).hexdigest() for b in blocks.to_numpy()], index=blocks.index)


def data_hash(df: pd.DataFrame) -> str:
    """Return the sha256 hex digest of the tidy table's content.

    Independent of respondent ids and of row order; any change to an answer,
    a respondent attribute or the number of respondents changes the digest.
    """
    digests = sorted(respondent_digests(validate_tidy(df)).to_numpy())
    total = hashlib.sha256(HASH_VERSION.encode("utf-8"))
    for digest in digests:
        total.update(digest.encode("ascii"))
    return total.hexdigest()


def canonical_respondents(tidy: pd.DataFrame) -> pd.DataFrame:
    """Replace respondent ids by content-derived ids.

    Every step that orders or samples respondents (bootstrap, model subsets) then
    gives the same result for the same content, whatever ids an export or import
    issued. Respondents with identical content are interchangeable, so numbering
    them in any order is fine.
    """
    digests = respondent_digests(tidy).sort_values(kind="mergesort")
    occurrence = digests.groupby(digests.to_numpy(), sort=False).cumcount()
    canonical = digests + "-" + occurrence.astype(str)
    relabelled = tidy.copy()
    relabelled["respondent"] = tidy["respondent"].map(canonical).astype(tidy["respondent"].dtype)
    return relabelled
