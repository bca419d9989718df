"""Informative "don't know": its share per measure and a tipping-point analysis.

The primary analysis compares measures over the respondents who rated them,
which is unbiased only if "don't know" answers are missing at random. People
may say "don't know" precisely about the measures they find hardest to judge,
or most intrusive; then the observed mean is off and a verdict can be wrong.
Two guards:

* **Share flag.** Per measure, the share of its rating rows answered "don't
  know"; a measure above the planned threshold is flagged. Beside it, the
  mean rating that "don't know" respondents gave the *other* measures minus
  that of the measure's raters: a large gap says the two kinds of respondent
  differ, so the answers are unlikely to be missing at random.
* **Tipping point (delta adjustment).** For each claim (less / equivalent /
  more), suppose the withheld answers ("don't know" and "prefer not to
  answer") of one measure of the pair lie ``delta`` points from its raters'
  mean (clipped to 0-100): a pattern-mixture model whose ``delta = 0`` is the
  missing-at-random assumption of the primary analysis. The measure's mean
  over everyone who was asked then moves by ``share withheld x delta``; the
  ratings given are shifted by that amount and the primary verdict rule is
  re-run. The tipping point is the smallest ``|delta|`` on the grid, over both
  measures of the pair and both directions, at which the verdict differs
  from the primary one. A claim that tips within the planned plausible delta
  is reported as ``undetermined`` ("fragile to don't know").

Why a shift rather than imputed rows: at ``delta = 0`` it reproduces the
primary analysis exactly (same respondents, same spread, same sites), so a
flip is due to the assumed departure from missing at random and nothing
else; rows imputed at one value would add respondents without spread and
change borderline verdicts at ``delta = 0`` already. The standard error is
that of the answers given; the uncertainty about the withheld answers is
what ``delta`` stands for. Only the pair verdict rule is re-run, not the
bound rule of :mod:`analysis.bounds`: the bound shares describe the answers
given. Since the difference moves linearly with ``delta`` and its standard
error does not move, the deltas keeping a verdict form an interval around
zero, and bisection finds each flip in about log2(grid) re-runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

import msgspec
import numpy as np
import pandas as pd

from analysis.verdict_rule import CLAIMS, UNDETERMINED, VerdictRule, Verdicts, pair_keys

REASON: Final = "fragile to don't know"
WITHHELD: Final = ("dont_know", "prefer_not_to_answer")


class DontKnowShare(msgspec.Struct, frozen=True):
    """"Don't know" answers of one measure and the signs that they are informative."""

    measure: str
    #: Rating rows of the measure, including every missing code.
    rows: int
    dont_know: int
    share: float
    #: ``share`` above the planned threshold (``GradationSettings.dont_know_flag``).
    flagged: bool
    #: Mean rating of the other measures by respondents who said "don't know"
    #: here, minus the same mean among respondents who rated it (None when
    #: either group is empty). Far from 0: the answers are not missing at random.
    other_ratings_gap: float | None


def dont_know_shares(ratings: pd.DataFrame, wide: pd.DataFrame, threshold: float) -> list[DontKnowShare]:
    """Per measure the "don't know" share of its rating rows and its flag.

    Args:
        ratings: the tidy rating rows of one group x setting (columns
            ``respondent``, ``measure``, ``missing``).
        wide: the respondent x measure matrix of the same cell.
        threshold: a share above this flags the measure.
    """
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold: must lie in [0, 1), got {threshold!r}")
    for column in ("respondent", "measure", "missing"):
        if column not in ratings.columns:
            raise ValueError(f"ratings: column {column!r} is missing")
    measure = ratings["measure"].astype("string")
    dk = (ratings["missing"].astype("string").fillna("") == "dont_know").to_numpy()
    rows = measure.value_counts()
    dk_resp = ratings.loc[dk, ["respondent", "measure"]].astype("string")
    # Each respondent's mean over the measures they rated, and how many, so a
    # measure's own rating can be taken out of it.
    row_sum = wide.sum(axis=1, skipna=True)
    row_n = wide.notna().sum(axis=1)
    out: list[DontKnowShare] = []
    for m in sorted(set(measure.dropna()) | {str(c) for c in wide.columns}):
        n_rows = int(rows.get(m, 0))
        n_dk = int(dk[(measure == m).fillna(False).to_numpy()].sum())
        share = n_dk / n_rows if n_rows else 0.0
        gap = None
        said_dk = pd.Index(dk_resp.loc[dk_resp["measure"] == m, "respondent"].unique()).intersection(wide.index)
        if m in wide.columns:
            own = wide[m]
            rated = own.notna()
            others_sum = row_sum - own.fillna(0.0)
            others_n = row_n - rated.astype(int)
            others = (others_sum / others_n.where(others_n > 0)).astype(float)
            dk_others = others.loc[said_dk].dropna()
            rater_others = others[rated].dropna()
            if len(dk_others) and len(rater_others):
                gap = float(dk_others.mean() - rater_others.mean())
        out.append(DontKnowShare(measure=m, rows=n_rows, dont_know=n_dk, share=share, flagged=share > threshold, other_ratings_gap=gap))
    return out


def withheld_mask(ratings: pd.DataFrame, wide: pd.DataFrame, codes: Sequence[str] = WITHHELD) -> pd.DataFrame:
    """Boolean matrix shaped like ``wide``: True where the answer was withheld.

    A cell is withheld when the respondent has a rating row for the measure
    with one of ``codes`` and no numeric rating of it; measures a respondent
    was never asked stay False (they are not part of what is estimated).
    """
    rows = ratings.loc[ratings["missing"].astype("string").isin(list(codes)).fillna(False).to_numpy(), ["respondent", "measure"]]
    mask = pd.DataFrame(False, index=wide.index, columns=wide.columns)
    if rows.empty:
        return mask
    hits = pd.crosstab(rows["respondent"].astype(str), rows["measure"].astype(str)) > 0
    hits = hits.reindex(index=wide.index, columns=wide.columns, fill_value=False)
    return hits & wide.isna()


class TippingPoint(msgspec.Struct, frozen=True):
    """How far withheld answers must move to change one pair's verdict."""

    measure_a: str
    measure_b: str
    #: The primary verdict for a relative to b.
    verdict: str
    #: Smallest |delta| on the grid that changes the verdict; None when no
    #: delta up to the grid's end does, or the pair makes no claim.
    delta: float | None
    #: The measure whose withheld answers were moved, and the signed delta.
    shifted: str | None
    signed_delta: float | None
    #: The verdict at that delta.
    flipped_to: str | None
    #: ``delta`` within the planned plausible delta: the claim is not kept.
    fragile: bool


def shifted(wide: pd.DataFrame, withheld: pd.DataFrame, measure: str, delta: float) -> pd.DataFrame:
    """``wide`` with the ratings of ``measure`` moved as if its withheld answers lay ``delta`` from its raters' mean.

    The withheld answers' mean is clipped to 0-100, so a shift never assumes
    ratings off the scale; the ratings given move by the share withheld
    times the (clipped) departure, which is what the measure's mean over
    everyone asked moves by.
    """
    rated = wide[measure].notna()
    n_withheld = int(withheld[measure].sum())
    if n_withheld == 0 or not rated.any():
        return wide
    centre = float(wide[measure].mean())
    departure = float(np.clip(centre + delta, 0.0, 100.0)) - centre
    out = wide.copy()
    out[measure] = wide[measure] + n_withheld / (n_withheld + int(rated.sum())) * departure
    return out


def tipping_points(
    rule: VerdictRule,
    wide: pd.DataFrame,
    sites: np.ndarray | None,
    withheld: pd.DataFrame,
    margin: float,
    primary: Verdicts,
    plausible_delta: float,
    max_delta: float = 50.0,
    step: float = 1.0,
    at_zero: Verdicts | None = None,
) -> list[TippingPoint]:
    """The tipping point of every claim among the pairs of ``wide``.

    Args:
        rule: the primary pair verdict rule (see :mod:`analysis.verdict_rule`).
        wide, sites: the respondent x measure matrix and each row's site.
        withheld: :func:`withheld_mask` of ``wide``.
        margin: the equivalence margin the primary verdicts used.
        primary: the verdicts to test (after any other rule, such as the
            bound rule); only claims (less / equivalent / more) are searched.
        plausible_delta: a claim tipping at ``|delta| <=`` this is fragile.
        max_delta, step: the grid ``0, step, ..., max_delta`` of ``|delta|``.
        at_zero: the rule's own verdicts on ``wide`` when already computed
            (saves one re-run per measure). A claim the rule itself does not
            make at ``delta = 0`` tips at 0.

    Returns:
        One :class:`TippingPoint` per pair, ``measure_a < measure_b``.
    """
    if step <= 0 or max_delta < step:
        raise ValueError(f"grid: need 0 < step <= max_delta, got step {step!r}, max_delta {max_delta!r}")
    if plausible_delta < 0:
        raise ValueError(f"plausible_delta: must not be negative, got {plausible_delta!r}")
    if not withheld.index.equals(wide.index) or list(withheld.columns) != list(wide.columns):
        raise ValueError("withheld: must have the rows and columns of the rating matrix")
    top = int(math.floor(max_delta / step + 1e-9))
    pairs = pair_keys([str(c) for c in wide.columns])
    # Best flip found per pair: (|delta| in grid steps, measure, signed delta, new verdict).
    best: dict[tuple[str, str], tuple[int, str, float, str]] = {}
    for m in sorted(str(c) for c in wide.columns):
        n_withheld = int(withheld[m].sum())
        observed = wide[m].dropna()
        claims = [(a, b) for a, b in pairs if m in (a, b) and primary.get((a, b), UNDETERMINED) in CLAIMS]
        if n_withheld == 0 or observed.empty or not claims:
            continue
        # k counts signed grid steps; the cache is shared by both directions
        # and by every pair of the measure.
        cache: dict[int, Verdicts] = {0: at_zero} if at_zero is not None else {}

        def at(k: int, m: str = m, cache: dict[int, Verdicts] = cache) -> Verdicts:
            if k not in cache:
                cache[k] = rule(shifted(wide, withheld, m, k * step), sites, margin)
            return cache[k]

        def changed(k: int, pair: tuple[str, str]) -> bool:
            return at(k).get(pair, UNDETERMINED) != primary.get(pair, UNDETERMINED)

        def record(pair: tuple[str, str], k: int) -> None:
            found = (abs(k), m, k * step, at(k).get(pair, UNDETERMINED))
            if pair not in best or found[0] < best[pair][0]:
                best[pair] = found

        live = []
        for pair in claims:
            if changed(0, pair):
                record(pair, 0)
            else:
                live.append(pair)
        for sign in (1, -1):
            for pair in live:
                # Bisection between a grid point where the verdict holds (lo)
                # and one where it has changed (hi), in grid steps; a pair
                # unchanged at the grid's end does not tip this way. Each
                # pair follows its own midpoints, so the result does not
                # depend on the order of the measures; pairs share re-runs
                # through the cache.
                if not changed(sign * top, pair):
                    continue
                lo, hi = 0, top
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if changed(sign * mid, pair):
                        hi = mid
                    else:
                        lo = mid
                record(pair, sign * hi)
    out: list[TippingPoint] = []
    for pair in pairs:
        verdict = primary.get(pair, UNDETERMINED)
        if pair in best:
            k, m, signed, new = best[pair]
            delta = k * step
            out.append(
                TippingPoint(
                    measure_a=pair[0],
                    measure_b=pair[1],
                    verdict=verdict,
                    delta=delta,
                    shifted=m,
                    signed_delta=signed,
                    flipped_to=new,
                    fragile=delta <= plausible_delta,
                )
            )
        else:
            out.append(
                TippingPoint(measure_a=pair[0], measure_b=pair[1], verdict=verdict, delta=None, shifted=None, signed_delta=None, flipped_to=None, fragile=False)
            )
    return out


def without_fragile(verdicts: Mapping[tuple[str, str], str], points: list[TippingPoint]) -> dict[tuple[str, str], str]:
    """``verdicts`` with every fragile claim set to ``undetermined`` (both directions)."""
    out = dict(verdicts)
    for p in points:
        if p.fragile:
            out[(p.measure_a, p.measure_b)] = UNDETERMINED
            out[(p.measure_b, p.measure_a)] = UNDETERMINED
    return out
