"""Which number a stored gradation document gives its least intrusive tier.

Documents in the ``leastmeans.gradation/3`` schema number tiers from 1 (1 = least
intrusive) in ``tiers[].index`` and ``measures[].tier``; publications stored earlier in
``leastmeans.gradation/2`` number them from 0. Every reader of a stored document
(report, figures, diff) normalises with :func:`first_tier` instead of guessing.
"""

from typing import Any, Final

#: Schema -> the number of the least intrusive tier.
FIRST_TIER_BY_SCHEMA: Final = {"leastmeans.gradation/2": 0, "leastmeans.gradation/3": 1}


def first_tier(document: dict[str, Any]) -> int:
    """0 for a schema /2 document, 1 for /3 (and later, which keep numbering from 1)."""
    return FIRST_TIER_BY_SCHEMA.get(str(document.get("schema", "")), 1)


def tier_number(document: dict[str, Any], stored: int | None) -> int | None:
    """A tier as numbered in print (from 1), whatever the document's schema."""
    return None if stored is None else stored - first_tier(document) + 1
