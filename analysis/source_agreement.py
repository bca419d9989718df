"""What the ratings, the paired comparisons and the rankings each say, side by side.

Each source orders the measures by its own strength: the mean rating, the
Bradley-Terry strength and the Plackett-Luce strength (all: higher = more
intrusive). For every two sources this module reports, over the measures
both cover, the rank correlations (Kendall's tau-b, Spearman) and every pair
of measures the two put in opposite order. A disagreement is *clear* when
each source's own interval for that pair's difference excludes zero (each
source's interval at its own level, not adjusted for the number of pairs, so
"clear" is descriptive); otherwise at least one source cannot tell the two
measures apart and the opposite order may be noise.
"""

from __future__ import annotations

from itertools import combinations
from typing import Final

import msgspec
import numpy as np

from analysis.choice_models import StrengthDifference

#: The sources, in the order they are compared.
SOURCES: Final = ("ratings", "pairs", "rankings")


class SourceView(msgspec.Struct, frozen=True):
    """One source's strengths per measure and, where known, its resolved directions.

    ``resolved[(a, b)]`` with ``a < b`` is +1 when the source's interval
    says b is more intrusive than a, -1 when it says less, 0 when the
    interval includes zero; pairs without an interval are absent.
    """

    source: str
    strengths: dict[str, float]
    resolved: dict[tuple[str, str], int]


class DirectionDisagreement(msgspec.Struct, frozen=True):
    """Two sources order ``measure_a`` and ``measure_b`` in opposite directions.

    ``*_says`` is "less" or "more": how intrusive ``measure_a`` is compared
    with ``measure_b`` according to that source.
    """

    measure_a: str
    measure_b: str
    source_a_says: str
    source_b_says: str
    source_a_resolved: bool
    source_b_resolved: bool
    clear: bool


class SourceComparison(msgspec.Struct, frozen=True):
    """Agreement of two sources over the measures both cover."""

    source_a: str
    source_b: str
    measures: list[str]
    kendall_tau: float | None
    spearman: float | None
    #: Pairs of common measures, pairs in opposite order, and those of them that are clear.
    pairs: int
    opposite: int
    clear_opposite: int
    disagreements: list[DirectionDisagreement]


class SourceAgreement(msgspec.Struct, frozen=True):
    """All comparisons of sources available in one group x setting."""

    sources: list[str]
    comparisons: list[SourceComparison]


def resolved_from_intervals(intervals: dict[tuple[str, str], tuple[float | None, float | None]]) -> dict[tuple[str, str], int]:
    """Directions from intervals of (b minus a): +1 above zero, -1 below, 0 across; keys sorted."""
    out: dict[tuple[str, str], int] = {}
    for (a, b), (low, high) in intervals.items():
        if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
            continue
        sign = 1 if low > 0 else -1 if high < 0 else 0
        out[(a, b) if a < b else (b, a)] = sign if a < b else -sign
    return out


def view_of(source: str, strengths: dict[str, float | None], differences: list[StrengthDifference]) -> SourceView:
    """A source's view from its strengths and its pairwise differences (b minus a) with intervals."""
    return SourceView(
        source=source,
        strengths={m: float(v) for m, v in strengths.items() if v is not None and np.isfinite(v)},
        resolved=resolved_from_intervals({(d.measure_a, d.measure_b): (d.ci_low, d.ci_high) for d in differences}),
    )


def compare_two(x: SourceView, y: SourceView) -> SourceComparison:
    """Rank correlation and opposite-order pairs of two sources."""
    from scipy import stats  # here, not at the top: the server loads this module's result types

    common = sorted(m for m in x.strengths if m in y.strengths and np.isfinite(x.strengths[m]) and np.isfinite(y.strengths[m]))
    tau = rho = None
    if len(common) >= 3:
        xs = [x.strengths[m] for m in common]
        ys = [y.strengths[m] for m in common]
        if np.ptp(xs) > 0 and np.ptp(ys) > 0:
            tau = float(stats.kendalltau(xs, ys).statistic)
            rho = float(stats.spearmanr(xs, ys).statistic)
    found: list[DirectionDisagreement] = []
    for a, b in combinations(common, 2):
        dx = np.sign(x.strengths[b] - x.strengths[a])
        dy = np.sign(y.strengths[b] - y.strengths[a])
        if dx * dy >= 0:
            continue
        rx = x.resolved.get((a, b), 0) == dx
        ry = y.resolved.get((a, b), 0) == dy
        found.append(
            DirectionDisagreement(
                measure_a=a,
                measure_b=b,
                source_a_says="less" if dx > 0 else "more",
                source_b_says="less" if dy > 0 else "more",
                source_a_resolved=bool(rx),
                source_b_resolved=bool(ry),
                clear=bool(rx and ry),
            )
        )
    # Clear disagreements first, then by measure codes, so the order is stable.
    found.sort(key=lambda d: (not d.clear, d.measure_a, d.measure_b))
    return SourceComparison(
        source_a=x.source,
        source_b=y.source,
        measures=common,
        kendall_tau=tau,
        spearman=rho,
        pairs=len(common) * (len(common) - 1) // 2,
        opposite=len(found),
        clear_opposite=sum(d.clear for d in found),
        disagreements=found,
    )


def compare_sources(views: list[SourceView]) -> SourceAgreement | None:
    """Every pairwise comparison of the given sources (None with fewer than two)."""
    order = {s: i for i, s in enumerate(SOURCES)}
    usable = sorted((v for v in views if len(v.strengths) >= 2), key=lambda v: order.get(v.source, len(order)))
    if len(usable) < 2:
        return None
    return SourceAgreement(sources=[v.source for v in usable], comparisons=[compare_two(x, y) for x, y in combinations(usable, 2)])
