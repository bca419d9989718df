"""What the study simulates: sample sizes, measure layouts and their truth.

Every scenario starts from :data:`BASE`: 12 measures ``m01``..``m12``, three
groups with no true group difference, 12 sites with random site (SD 3) and
site x measure (SD 3) effects, respondent SD 10, answer noise SD 12, a gender
effect of 4 and an effect of experiencing the measure of 3 points, 3% "don't
know" and 1% "prefer not to answer" at random. Measures are placed by their
*expected rating* on the observed 0-100 scale (:func:`means_for_expected`),
which is what the analysis estimates, except where a scenario is about the
latent scale (the ceiling scenario places latent means, as the review did).
"""

from __future__ import annotations

from typing import Final

import msgspec
import numpy as np
import pandas as pd

from analysis.simulate import Simulation, expected_ratings, mean_for_share_at_100, means_for_expected

MEASURES: Final = tuple(f"m{k:02d}" for k in range(1, 13))
GROUPS: Final = ("patient", "relative", "staff")
SITES: Final = 12


class Design(msgspec.Struct, frozen=True):
    """A sample size of the study: respondents per group."""

    name: str
    sizes: dict[str, int]

    def label(self) -> str:
        """How the table names the design, e.g. ``150/100/100``."""
        return "/".join(str(self.sizes[g]) for g in GROUPS)


DESIGNS: Final = (
    Design("realistic", {"patient": 150, "relative": 100, "staff": 100}),
    Design("large", {"patient": 600, "relative": 600, "staff": 600}),
)

BASE: Final = Simulation(
    groups=GROUPS,
    setting="general_adult",
    group_shift={},
    group_measure_shift={},
    female_effect=4.0,
    experienced_effect=3.0,
    respondent_sd=10.0,
    noise_sd=12.0,
    sites=SITES,
    site_sd=3.0,
    site_measure_sd=3.0,
    dont_know_rate=0.03,
    prefer_not_rate=0.01,
    pairs_per_respondent=0,
    allowed_items=False,
    measure_means={m: 50.0 for m in MEASURES},
)


def base(design: Design, seed: int, **changes: object) -> Simulation:
    """:data:`BASE` at ``design``'s sample sizes and ``seed``, with ``changes``."""
    return msgspec.structs.replace(BASE, group_sizes=dict(design.sizes), respondents_per_group=max(design.sizes.values()), seed=seed, **changes)


def placed(expected: dict[str, float]) -> dict[str, float]:
    """Latent means giving the reference group these expected ratings under :data:`BASE`."""
    return means_for_expected(BASE, expected)


#: Null: all 12 measures truly identical (expected rating 50).
NULL_EXPECTED: Final = {m: 50.0 for m in MEASURES}


def margin_expected(margin: float) -> dict[str, float]:
    """Six tied pairs, each pair exactly ``margin`` above the one below (mid-scale)."""
    return {m: 50.0 + margin * (k // 2 - 2.5) for k, m in enumerate(MEASURES)}


#: Realistic spread: a floor (44% of ratings at 0), near-ties 3 apart, a tie
#: (made exact in the data by :func:`exact_tie`), steps of 5 and 10, and two
#: measures at the ceiling.
REALISTIC_EXPECTED: Final = {
    "m01": 8.0,
    "m02": 14.0,
    "m03": 25.0,
    "m04": 28.0,
    "m05": 40.0,
    "m06": 45.0,
    "m07": 45.0,
    "m08": 55.0,
    "m09": 62.0,
    "m10": 75.0,
    "m11": 88.0,
    "m12": 92.0,
}

#: The ceiling scenario: the top pair ``m11``/``m12`` is 5 latent points apart
#: with about 40% and 50% of ratings at 100; the control pair ``m04``/``m05``
#: is 5 latent points apart mid-scale; ``m06``/``m07`` is 10 apart mid-scale.
CEILING_TOP: Final = ("m11", "m12")
CEILING_CONTROL: Final = ("m04", "m05")
POWER_PAIR_10: Final = ("m06", "m07")


def ceiling_latent() -> dict[str, float]:
    """Latent means of the ceiling scenario (see :data:`CEILING_TOP`)."""
    top = mean_for_share_at_100(BASE, 0.5)
    return {
        "m01": 15.0,
        "m02": 22.0,
        "m03": 30.0,
        "m04": 45.0,
        "m05": 50.0,
        "m06": 58.0,
        "m07": 68.0,
        "m08": 76.0,
        "m09": 82.0,
        "m10": top - 12.0,
        "m11": top - 5.0,
        "m12": top,
    }


#: Informative "don't know": 40% of each group answer "don't know" on
#: ``m09`` and they are those who would rate it highest; ``m08`` is 12 points
#: below it, so the correct verdict is "m08 less intrusive than m09".
MNAR_MEASURE: Final = "m09"
MNAR_NEIGHBOUR: Final = "m08"
MNAR_SHARE: Final = 0.4
MNAR_EXPECTED: Final = {
    "m01": 15.0,
    "m02": 20.0,
    "m03": 25.0,
    "m04": 30.0,
    "m05": 38.0,
    "m06": 45.0,
    "m07": 52.0,
    "m08": 60.0,
    "m09": 72.0,
    "m10": 80.0,
    "m11": 85.0,
    "m12": 90.0,
}

#: Group x site confounding: patients at sites 1-6, relatives 4-9, staff
#: 7-12 (indices 0-based); no true group difference.
CONFOUNDED_SITES: Final = {"patient": (0, 1, 2, 3, 4, 5), "relative": (3, 4, 5, 6, 7, 8), "staff": (6, 7, 8, 9, 10, 11)}

#: Small cells: in the general-adult cells ``m06`` is rated by 4 respondents
#: per group between two truly tied measures ``m05`` and ``m07``; a forensic
#: staff cell has 19 respondents.
SMALL_MEASURE: Final = "m06"
SMALL_MEASURE_RESPONDENTS: Final = 4
FORENSIC_STAFF: Final = 19

#: Measures of the ranking task where a scenario has one.
RANKED: Final = ("m01", "m03", "m06", "m09", "m12")

#: Renaming that reverses the alphabetical order of the codes, so any tie
#: broken by code is broken the other way.
RENAMED: Final = {m: f"c{13 - k:02d}" for k, m in enumerate(MEASURES, start=1)}


def truth(sim: Simulation) -> dict[tuple[str, str], float]:
    """Expected rating per (group, measure): the population value the analysis estimates."""
    frame = expected_ratings(sim)
    return {(str(g), str(m)): float(v) for g, m, v in zip(frame["group"], frame["measure"], frame["mean"])}


def bound_shares(sim: Simulation) -> dict[str, tuple[float, float]]:
    """Expected shares of ratings at 0 and at 100 per measure (reference group mix)."""
    frame = expected_ratings(sim)
    frame = frame[frame["group"] == sim.groups[0]]
    return {str(m): (float(a), float(b)) for m, a, b in zip(frame["measure"], frame["share_0"], frame["share_100"])}


#: The exact tie of the realistic scenario: ``m07`` answered as ``m06``.
EXACT_TIE: Final = ("m06", "m07")


def exact_tie(df: pd.DataFrame, source: str, target: str, seed: int) -> pd.DataFrame:
    """``target``'s ratings replaced by ``source``'s, shuffled among respondents of the same group and site.

    Ratings are whole numbers, so the two measures then have exactly the same
    mean in every cell, in floating point too: a tie that only the measure
    codes could break. Both must have the same truth (the shuffle keeps the
    distribution and the site structure).
    """
    rng = np.random.default_rng(seed)
    out = df.copy()
    rating = out["kind"] == "rating"
    src = out[rating & (out["measure"] == source)].sort_values("respondent")
    tgt = out[rating & (out["measure"] == target)].sort_values("respondent")
    if not src["respondent"].reset_index(drop=True).equals(tgt["respondent"].reset_index(drop=True)):
        raise ValueError(f"exact_tie: {source!r} and {target!r} must have rating rows for the same respondents")
    for _, rows in src.groupby(["group", "site"], sort=True):
        order = rng.permutation(len(rows))
        receivers = tgt.index[tgt["respondent"].isin(rows["respondent"])]
        # Same respondents in the same (sorted) order on both sides.
        out.loc[receivers, "value"] = rows["value"].to_numpy()[order]
        out.loc[receivers, "missing"] = rows["missing"].to_numpy()[order]
    return out
