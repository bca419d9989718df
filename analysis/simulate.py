"""Simulated tidy answers from a known true gradation, for tests and benchmarks.

The generator knows the truth the analysis should recover: tiers with ties,
respondent heterogeneity (a random intercept), site effects, group shifts
(overall and for single measures), a gender effect and an effect of prior
experience of the rated measure, plus "don't know" answers. Ratings are
rounded to whole numbers and clipped to 0-100, as a slider would give them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec
import numpy as np
import pandas as pd

from analysis.tidy import COLUMNS

#: A true general-adult gradation over 14 measures, least intrusive first.
TRUE_TIERS: Final[tuple[tuple[str, ...], ...]] = (
    ("personal_observation", "area_restriction"),
    ("time_out",),
    ("holding_short", "acute_sedation"),
    ("belt_short", "holding_long", "locked_room"),
    ("sedation_danger", "seclusion", "transport_straps"),
    ("ambulatory_belt",),
    ("belt_long", "net_bed"),
)
AGE_BANDS: Final = ("18-29", "30-49", "50-64", "65+")


class Simulation(msgspec.Struct, frozen=True, kw_only=True):
    """Parameters of the data generator; defaults give realistic, recoverable data."""

    respondents_per_group: int = 300
    groups: tuple[str, ...] = ("patient", "relative", "staff")
    setting: str = "general_adult"
    tiers: tuple[tuple[str, ...], ...] = TRUE_TIERS
    #: Mean of the least intrusive tier and the gap between tiers (0-100 scale).
    base: float = 20.0
    tier_gap: float = 8.0
    #: Overall shift of each group's ratings.
    group_shift: Mapping[str, float] = msgspec.field(default_factory=lambda: {"patient": 0.0, "relative": 2.0, "staff": -6.0})
    #: Extra shift for one group on one measure, e.g. staff accept forced
    #: medication more (rate it less intrusive).
    group_measure_shift: Mapping[str, Mapping[str, float]] = msgspec.field(default_factory=lambda: {"staff": {"acute_sedation": -4.0}})
    #: Women rate measures as more intrusive; so do people who experienced it.
    female_effect: float = 4.0
    experienced_effect: float = 3.0
    respondent_sd: float = 10.0
    noise_sd: float = 12.0
    sites: int = 3
    site_sd: float = 3.0
    dont_know_rate: float = 0.03
    prefer_not_rate: float = 0.01
    #: Paired comparisons per respondent (0 for none) and allowed items (on/off).
    pairs_per_respondent: int = 6
    allowed_items: bool = True
    seed: int = 1


def true_means(sim: Simulation) -> dict[str, float]:
    """True mean rating of each measure for the reference group (patient, male, no experience)."""
    return {m: sim.base + k * sim.tier_gap for k, tier in enumerate(sim.tiers) for m in tier}


def simulate_answers(sim: Simulation | None = None) -> pd.DataFrame:
    """Generate a tidy answers table (see :mod:`analysis.tidy`) from ``sim``."""
    sim = sim or Simulation()
    rng = np.random.default_rng(sim.seed)
    means = true_means(sim)
    measures = list(means)
    mu = np.array([means[m] for m in measures])
    n_m = len(measures)
    n = sim.respondents_per_group * len(sim.groups)
    group_idx = np.repeat(np.arange(len(sim.groups)), sim.respondents_per_group)
    groups = np.array(sim.groups, dtype=object)[group_idx]
    ids = np.array([f"r{i:07d}" for i in range(n)], dtype=object)
    female = rng.random(n) < 0.5
    gender = np.where(female, "female", "male").astype(object)
    age = np.array(AGE_BANDS, dtype=object)[rng.integers(0, len(AGE_BANDS), n)]
    site_idx = rng.integers(0, sim.sites, n)
    site_effect = rng.normal(0, sim.site_sd, sim.sites)
    sites = np.array([f"site_{k + 1:02d}" for k in range(sim.sites)], dtype=object)[site_idx]
    person = rng.normal(0, sim.respondent_sd, n)

    shift = np.array([sim.group_shift.get(g, 0.0) for g in sim.groups])[group_idx]
    gm = np.zeros((len(sim.groups), n_m))
    for gi, g in enumerate(sim.groups):
        for m, v in sim.group_measure_shift.get(g, {}).items():
            if m in means:
                gm[gi, measures.index(m)] = v
    experience = rng.choice(np.array(["none", "witnessed", "experienced"], dtype=object), size=(n, n_m), p=[0.5, 0.3, 0.2])
    latent = (
        mu[None, :]
        + gm[group_idx]
        + (shift + person + site_effect[site_idx] + sim.female_effect * female)[:, None]
        + sim.experienced_effect * (experience == "experienced")
    )
    value = np.clip(np.round(latent + rng.normal(0, sim.noise_sd, (n, n_m))), 0, 100)
    u = rng.random((n, n_m))
    missing = np.where(u < sim.dont_know_rate, "dont_know", np.where(u < sim.dont_know_rate + sim.prefer_not_rate, "prefer_not_to_answer", None)).astype(object)
    value = np.where(missing == None, value, np.nan)  # noqa: E711 - elementwise test on an object array

    # Each block (ratings, allowed, paired) is a dict of columns, with scalars
    # for constant columns and "_r" for the row's respondent; the table is
    # assembled a column at a time, so no block is ever a DataFrame of its own.
    blocks: list[dict[str, Any]] = [
        {
            "respondent": np.repeat(ids, n_m),
            "item": np.tile(np.array([f"vas_{m}" for m in measures], dtype=object), n),
            "kind": "rating",
            "measure": np.tile(np.array(measures, dtype=object), n),
            "measure_b": None,
            "value": value.ravel(),
            "choice": None,
            "missing": missing.ravel(),
            "experience": experience.ravel(),
            "_r": np.repeat(np.arange(n), n_m),
        }
    ]
    if sim.allowed_items:
        p_yes = 1 / (1 + np.exp((latent - 50.0) / 8.0))
        yes = rng.random((n, n_m)) < p_yes
        dk = rng.random((n, n_m)) < 0.08
        # Indexing one array of the three codes shares their string objects
        # instead of making one per answer.
        choice = np.array(["no", "yes", "dont_know"], dtype=object)[np.where(dk, 2, yes.astype(np.int8))]
        blocks.append(
            {
                "respondent": np.repeat(ids, n_m),
                "item": np.tile(np.array([f"allowed_{m}" for m in measures], dtype=object), n),
                "kind": "allowed",
                "measure": np.tile(np.array(measures, dtype=object), n),
                "measure_b": None,
                "value": np.nan,
                "choice": choice.ravel(),
                "missing": None,
                "experience": experience.ravel(),
                "_r": np.repeat(np.arange(n), n_m),
            }
        )
    k = min(sim.pairs_per_respondent, n_m * (n_m - 1) // 2)
    if k > 0:
        # Each respondent sees k distinct random pairs; the choice follows
        # their own latent ratings plus logistic noise (a Thurstone/BT-like
        # response process).
        all_pairs = np.array([(i, j) for i in range(n_m) for j in range(i + 1, n_m)])
        pick = np.argsort(rng.random((n, len(all_pairs))), axis=1)[:, :k]
        pa, pb = all_pairs[pick, 0], all_pairs[pick, 1]
        rows = np.arange(n)[:, None]
        diff = latent[rows, pb] - latent[rows, pa] + rng.logistic(0, 6.0, (n, k))
        chosen = np.where(diff > 0, pa, pb)
        names = np.array(measures, dtype=object)
        blocks.append(
            {
                "respondent": np.repeat(ids, k),
                "item": np.array([f"pair_{names[a]}__{names[b]}" for a, b in all_pairs], dtype=object)[pick.ravel()],
                "kind": "paired",
                "measure": names[pa.ravel()],
                "measure_b": names[pb.ravel()],
                "value": np.nan,
                "choice": names[chosen.ravel()],
                "missing": None,
                "experience": None,
                "_r": np.repeat(np.arange(n), k),
            }
        )
    r = np.concatenate([b["_r"] for b in blocks])
    sizes = [len(b.pop("_r")) for b in blocks]
    per_respondent = {"group": groups, "site": sites, "gender": gender, "age_band": age}
    constant = {"setting": sim.setting, "instrument_version": "sim-1"}
    columns: dict[str, Any] = {}
    for column in COLUMNS:
        if column in per_respondent:
            values = per_respondent[column][r]
        elif column in constant:
            values = np.full(r.size, constant[column], dtype=object)
        else:
            values = _stacked(blocks, sizes, column)
        columns[column] = values.astype("float64") if column == "value" else pd.array(values, dtype="string")
    return pd.DataFrame(columns, copy=False)


def _stacked(blocks: list[dict[str, Any]], sizes: list[int], column: str) -> np.ndarray:
    """One column of all blocks (of ``sizes`` rows), end to end, with scalars repeated over their block."""
    pieces = []
    for block, size in zip(blocks, sizes, strict=True):
        # Popped, so each block's column is freed once it is in the table.
        value = block.pop(column)
        pieces.append(value if isinstance(value, np.ndarray) else np.full(size, value, dtype=float if column == "value" else object))
    return np.concatenate(pieces)


def null_simulation(respondents_per_group: int, measures: Sequence[str], seed: int, groups: tuple[str, ...] = ("patient",)) -> Simulation:
    """Pure noise: all measures in one tier, no group, gender, experience or site effects."""
    return Simulation(
        respondents_per_group=respondents_per_group,
        groups=groups,
        tiers=(tuple(measures),),
        base=50.0,
        group_shift={},
        group_measure_shift={},
        female_effect=0.0,
        experienced_effect=0.0,
        site_sd=0.0,
        pairs_per_respondent=0,
        allowed_items=False,
        seed=seed,
    )
