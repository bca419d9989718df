"""The pair verdict rule as a parameter of the sensitivity analyses.

The bound check, the margin table and the tipping-point analysis re-run the
pair verdicts on changed inputs (another margin, imputed "don't know"
answers). They take the rule as a callable rather than importing one test, so
that they always re-run exactly the rule the tiers rest on, whatever it is:

    rule(wide, sites, margin) -> {(a, b): verdict for a relative to b}

``wide`` is the respondent x measure matrix (NaN = not rated), ``sites`` the
site label of each row (or None when the data carry no sites) and ``margin``
the equivalence margin on the 0-100 scale. The rule holds its own alpha,
minimum n and multiplicity scheme, so a re-run applies the same family-wise
control as the primary analysis.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd

from analysis import pairwise

#: Verdict for a relative to b, keyed (a, b), present in both directions.
Verdicts = Mapping[tuple[str, str], str]

CLAIMS: Final = frozenset({"less", "equivalent", "more"})
UNDETERMINED: Final = "undetermined"


class VerdictRule(Protocol):
    """Pair verdicts of all measures of one respondent x measure matrix."""

    def __call__(self, wide: pd.DataFrame, sites: np.ndarray | None, margin: float) -> Verdicts: ...


def pairwise_rule(alpha: float, min_n: int, **options: Any) -> VerdictRule:
    """The verdict rule of :mod:`analysis.pairwise` with its settings bound.

    ``options`` are further keyword arguments of
    :func:`analysis.pairwise.pairwise_verdicts` (for example ``min_sites``,
    ``weighting``, ``family``); the site labels are passed on when it takes
    them, so the sensitivities follow the primary rule as it evolves.
    """
    accepted = set(inspect.signature(pairwise.pairwise_verdicts).parameters)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"options: pairwise_verdicts takes no {', '.join(unknown)}")
    takes_sites = "sites" in accepted

    def rule(wide: pd.DataFrame, sites: np.ndarray | None, margin: float) -> Verdicts:
        extra = {**options, "sites": sites} if takes_sites else options
        return pairwise.verdict_lookup(pairwise.pairwise_verdicts(wide, margin, alpha, min_n, **extra))

    return rule


def pair_keys(measures: list[str]) -> list[tuple[str, str]]:
    """All pairs (a, b) with a < b by code: the order of every pair table."""
    ordered = sorted(measures)
    return [(a, b) for k, a in enumerate(ordered) for b in ordered[k + 1 :]]
