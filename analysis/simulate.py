"""Simulated tidy answers from a known true gradation, for tests, benchmarks and the simulation study.

The generator knows the truth the analysis should recover: tiers with ties,
respondent heterogeneity (a random intercept), random site and site x measure
effects, group shifts (overall and for single measures), a gender effect and
an effect of prior experience of the rated measure, plus "don't know"
answers, either at random or informative (those who would rate the measure
highest answer "don't know"). Ratings are a latent normal score rounded to whole
numbers and clipped to 0-100, as a slider gives them, so a measure whose
latent mean sits near 100 has a share of its ratings at the ceiling (and near
0 at the floor). Groups can be recruited at different sites, measures can be
seen by only a few respondents (small cells), and respondents can rank a set
of measures (kind ``rank``, as the server exports a ranking item).

:func:`expected_ratings` gives the exact population truth (expected rating
and shares at 0 and 100, over sites drawn afresh), :func:`means_for_expected`
places measures at chosen expected ratings (e.g. neighbours exactly one
margin apart), and :func:`mirrored` / :func:`renamed` build the reversed-scale
and renamed-code versions of a table for invariance checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec
import numpy as np
import pandas as pd
from scipy import optimize, stats

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
#: Shares of the covariates that shift the latent rating (drawn per respondent
#: and per respondent x measure); :func:`expected_ratings` integrates over them.
FEMALE_SHARE: Final = 0.5
EXPERIENCE_SHARES: Final = {"none": 0.5, "witnessed": 0.3, "experienced": 0.2}
#: Item code of the ranking task; its rows are ``ranking.<measure>``.
RANKING_ITEM: Final = "ranking"


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
    #: Respondents of the groups named here, overriding ``respondents_per_group``
    #: for them (e.g. patients 150, relatives 100, staff 100).
    group_sizes: Mapping[str, int] = msgspec.field(default_factory=dict)
    #: Latent mean of each measure for the reference respondent; when given it
    #: replaces ``tiers``, ``base`` and ``tier_gap`` (see :func:`means_for_expected`).
    measure_means: Mapping[str, float] = msgspec.field(default_factory=dict)
    #: SD of random site x measure effects: each site's own view of a measure.
    site_measure_sd: float = 0.0
    #: Sites (indices 0 .. sites - 1) each named group is recruited at, so
    #: group and site can be confounded; other groups come from every site.
    group_sites: Mapping[str, tuple[int, ...]] = msgspec.field(default_factory=dict)
    #: Informative "don't know": for each named measure, the share of each
    #: group answering "don't know", and they are those who would have rated
    #: it highest (missing not at random, the worst case for its mean: at 0.4
    #: the answered mean is about 10 points too low).
    informative_dont_know: Mapping[str, float] = msgspec.field(default_factory=dict)
    #: Respondents per group who are shown the named measure (its rating and
    #: allowed items); the others have no row for it, giving small cells.
    measure_respondents: Mapping[str, int] = msgspec.field(default_factory=dict)
    #: Measures of the ranking task, ranked least intrusive first by each
    #: respondent's latent ratings plus Gumbel noise (a Plackett-Luce process);
    #: empty for no ranking task.
    ranked_measures: tuple[str, ...] = ()
    ranking_noise: float = 6.0
    #: Prefix of respondent ids, so tables simulated separately can be stacked.
    id_prefix: str = "r"

    def __post_init__(self) -> None:
        means = true_means(self)
        for field, names in (
            ("group_measure_shift", {m for shifts in self.group_measure_shift.values() for m in shifts}),
            ("informative_dont_know", set(self.informative_dont_know)),
            ("measure_respondents", set(self.measure_respondents)),
            ("ranked_measures", set(self.ranked_measures)),
        ):
            unknown = sorted(names - set(means))
            # group_measure_shift has always tolerated measures of other settings.
            if unknown and field != "group_measure_shift":
                raise ValueError(f"{field}: unknown measure(s) {unknown}")
        for group, sites in self.group_sites.items():
            if not sites or any(not 0 <= k < self.sites for k in sites):
                raise ValueError(f"group_sites: {group!r} needs site indices from 0 to {self.sites - 1}")
        for name, p in self.informative_dont_know.items():
            if not 0 <= p <= 1:
                raise ValueError(f"informative_dont_know: {name!r} needs a share from 0 to 1, got {p}")
        if len(self.ranked_measures) == 1:
            raise ValueError("ranked_measures: a ranking needs at least two measures")

    def group_size(self, group: str) -> int:
        """Respondents simulated for ``group``."""
        return int(self.group_sizes.get(group, self.respondents_per_group))


def true_means(sim: Simulation) -> dict[str, float]:
    """True latent mean of each measure for the reference group (patient, male, no experience).

    Away from the bounds this is also the expected rating of such a
    respondent; near 0 or 100 the expected rating is compressed (see
    :func:`expected_ratings`).
    """
    if sim.measure_means:
        return {m: float(v) for m, v in sim.measure_means.items()}
    return {m: sim.base + k * sim.tier_gap for k, tier in enumerate(sim.tiers) for m in tier}


def _latent_sd(sim: Simulation) -> float:
    # Respondent, site, site x measure and answer noise are independent normals.
    return float(np.sqrt(sim.respondent_sd**2 + sim.site_sd**2 + sim.site_measure_sd**2 + sim.noise_sd**2))


def _rating_distribution(centre: float, sd: float) -> np.ndarray:
    """P(rating = k), k = 0..100, of a normal score rounded to whole numbers and clipped to 0-100."""
    edges = stats.norm.cdf((np.arange(0.5, 100.0, 1.0) - centre) / sd) if sd > 0 else (np.arange(0.5, 100.0, 1.0) > centre).astype(float)
    return np.diff(np.concatenate([[0.0], edges, [1.0]]))


def _mixture(sim: Simulation, latent_mean: float) -> np.ndarray:
    """Rating distribution over the population mix of gender and experience."""
    sd = _latent_sd(sim)
    experienced = EXPERIENCE_SHARES["experienced"]
    out = np.zeros(101)
    for female, p_f in ((1.0, FEMALE_SHARE), (0.0, 1 - FEMALE_SHARE)):
        for exp, p_e in ((1.0, experienced), (0.0, 1 - experienced)):
            out += p_f * p_e * _rating_distribution(latent_mean + sim.female_effect * female + sim.experienced_effect * exp, sd)
    return out


def expected_ratings(sim: Simulation) -> pd.DataFrame:
    """The population truth per group x measure: expected rating and shares at 0 and at 100.

    Exact (no simulation): the latent score is normal given gender and
    experience, with site and site x measure effects drawn afresh (sites as a
    sample of sites), so this is what a measure's confidence interval should
    cover. "Don't know", informative or not, is not part of the truth: it is
    the rating the whole population would give.

    Returns:
        Columns ``group``, ``measure``, ``mean``, ``share_0``, ``share_100``.
    """
    means = true_means(sim)
    values = np.arange(101.0)
    rows = []
    for group in sim.groups:
        for m, mu in means.items():
            shift = sim.group_shift.get(group, 0.0) + sim.group_measure_shift.get(group, {}).get(m, 0.0)
            p = _mixture(sim, mu + shift)
            rows.append({"group": group, "measure": m, "mean": float(p @ values), "share_0": float(p[0]), "share_100": float(p[100])})
    return pd.DataFrame(rows, columns=["group", "measure", "mean", "share_0", "share_100"])


def means_for_expected(sim: Simulation, targets: Mapping[str, float]) -> dict[str, float]:
    """Latent means that give the reference group the ``targets`` expected ratings.

    Used to place measures exactly where a scenario needs them on the
    observed (bounded) scale, e.g. neighbours exactly one margin apart.
    """
    values = np.arange(101.0)
    out: dict[str, float] = {}
    for m, target in targets.items():
        if not 0 < target < 100:
            raise ValueError(f"targets: {m!r} must lie strictly between 0 and 100, got {target}")
        out[m] = float(optimize.brentq(lambda mu: float(_mixture(sim, mu) @ values) - target, -200.0, 300.0, xtol=1e-10))
    return out


def mean_for_share_at_100(sim: Simulation, share: float) -> float:
    """Latent mean that puts ``share`` of the reference group's ratings at 100."""
    if not 0 < share < 1:
        raise ValueError(f"share must lie strictly between 0 and 1, got {share}")
    return float(optimize.brentq(lambda mu: float(_mixture(sim, mu)[100]) - share, -200.0, 300.0, xtol=1e-10))


def simulate_answers(sim: Simulation | None = None) -> pd.DataFrame:
    """Generate a tidy answers table (see :mod:`analysis.tidy`) from ``sim``."""
    sim = sim or Simulation()
    rng = np.random.default_rng(sim.seed)
    means = true_means(sim)
    measures = list(means)
    mu = np.array([means[m] for m in measures])
    n_m = len(measures)
    sizes_per_group = [sim.group_size(g) for g in sim.groups]
    n = sum(sizes_per_group)
    group_idx = np.repeat(np.arange(len(sim.groups)), sizes_per_group)
    groups = np.array(sim.groups, dtype=object)[group_idx]
    ids = np.array([f"{sim.id_prefix}{i:07d}" for i in range(n)], dtype=object)
    female = rng.random(n) < FEMALE_SHARE
    gender = np.where(female, "female", "male").astype(object)
    age = np.array(AGE_BANDS, dtype=object)[rng.integers(0, len(AGE_BANDS), n)]
    site_idx = rng.integers(0, sim.sites, n)
    # Every optional feature draws its random numbers only when it is switched
    # on, so a table simulated without it is the same as before it existed.
    for gi, group in enumerate(sim.groups):
        if group in sim.group_sites:
            allowed_sites = np.array(sim.group_sites[group])
            in_group = group_idx == gi
            site_idx[in_group] = allowed_sites[rng.integers(0, allowed_sites.size, int(in_group.sum()))]
    site_effect = rng.normal(0, sim.site_sd, sim.sites)
    sites = np.array([f"site_{k + 1:02d}" for k in range(sim.sites)], dtype=object)[site_idx]
    person = rng.normal(0, sim.respondent_sd, n)
    site_measure = rng.normal(0, sim.site_measure_sd, (sim.sites, n_m)) if sim.site_measure_sd > 0 else np.zeros((sim.sites, n_m))

    shift = np.array([sim.group_shift.get(g, 0.0) for g in sim.groups])[group_idx]
    gm = np.zeros((len(sim.groups), n_m))
    for gi, g in enumerate(sim.groups):
        for m, v in sim.group_measure_shift.get(g, {}).items():
            if m in means:
                gm[gi, measures.index(m)] = v
    experience = rng.choice(np.array(list(EXPERIENCE_SHARES), dtype=object), size=(n, n_m), p=list(EXPERIENCE_SHARES.values()))
    latent = (
        mu[None, :]
        + gm[group_idx]
        + site_measure[site_idx]
        + (shift + person + site_effect[site_idx] + sim.female_effect * female)[:, None]
        + sim.experienced_effect * (experience == "experienced")
    )
    would_rate = latent + rng.normal(0, sim.noise_sd, (n, n_m))
    value = np.clip(np.round(would_rate), 0, 100)
    u = rng.random((n, n_m))
    missing = np.where(u < sim.dont_know_rate, "dont_know", np.where(u < sim.dont_know_rate + sim.prefer_not_rate, "prefer_not_to_answer", None)).astype(object)
    if sim.informative_dont_know:
        for m, share in sim.informative_dont_know.items():
            j = measures.index(m)
            for gi in range(len(sim.groups)):
                in_group = group_idx == gi
                high = would_rate[:, j] > np.quantile(would_rate[in_group, j], 1 - share) if share > 0 else np.zeros(n, dtype=bool)
                missing[in_group & high, j] = "dont_know"
    value = np.where(missing == None, value, np.nan)  # noqa: E711 - elementwise test on an object array
    # Which respondent is shown which measure: the first k of each group for
    # a measure limited by measure_respondents, everyone otherwise.
    within_group = np.arange(n) - np.repeat(np.cumsum([0, *sizes_per_group[:-1]]), sizes_per_group)
    shown = np.ones((n, n_m), dtype=bool)
    for m, k in sim.measure_respondents.items():
        shown[:, measures.index(m)] = within_group < k
    keep = None if shown.all() else shown.ravel()

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
    if keep is not None:
        for block in blocks:
            for column, values in block.items():
                if isinstance(values, np.ndarray):
                    block[column] = values[keep]
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
    if sim.ranked_measures:
        blocks.append(_ranking_block(sim, rng, latent, experience, measures, ids))
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


def _ranking_block(sim: Simulation, rng: np.random.Generator, latent: np.ndarray, experience: np.ndarray, measures: list[str], ids: np.ndarray) -> dict[str, Any]:
    """Rows of the ranking task: one per respondent x ranked measure, value = position (1 = least intrusive).

    Ranking by latent rating plus Gumbel noise is exactly a Plackett-Luce
    process with worth exp(-latent / noise), the model a ranking analysis fits.
    """
    n = latent.shape[0]
    cols = np.array([measures.index(m) for m in sim.ranked_measures])
    k = cols.size
    utility = -latent[:, cols] + rng.gumbel(0.0, sim.ranking_noise, (n, k))
    order = np.argsort(-utility, axis=1, kind="stable")
    position = np.empty((n, k))
    position[np.arange(n)[:, None], order] = np.arange(1.0, k + 1.0)
    names = np.array(sim.ranked_measures, dtype=object)
    return {
        "respondent": np.repeat(ids, k),
        "item": np.tile(np.array([f"{RANKING_ITEM}.{m}" for m in names], dtype=object), n),
        "kind": "rank",
        "measure": np.tile(names, n),
        "measure_b": None,
        "value": position.ravel(),
        "choice": None,
        "missing": None,
        "experience": experience[:, cols].ravel(),
        "_r": np.repeat(np.arange(n), k),
    }


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


def mirrored(df: pd.DataFrame) -> pd.DataFrame:
    """The same answers on a reversed scale: every "less intrusive" becomes "more intrusive".

    Ratings become ``100 - x``, a paired choice becomes the other measure of
    its pair and a rank position ``p`` of ``k`` becomes ``k + 1 - p``;
    "allowed" answers and missing codes are unchanged. An order-invariant
    analysis gives the same tiers in reverse order.
    """
    out = df.copy()
    kind = out["kind"].astype("string")
    rating = (kind == "rating").fillna(False).to_numpy()
    out.loc[rating, "value"] = 100.0 - out.loc[rating, "value"]
    paired = ((kind == "paired") & out["choice"].notna()).fillna(False).to_numpy()
    chose_a = paired & (out["choice"] == out["measure"]).fillna(False).to_numpy()
    chose_b = paired & (out["choice"] == out["measure_b"]).fillna(False).to_numpy()
    out.loc[chose_a, "choice"] = out.loc[chose_a, "measure_b"]
    out.loc[chose_b, "choice"] = out.loc[chose_b, "measure"]
    rank = (kind == "rank").fillna(False).to_numpy()
    if rank.any():
        # One ranking item per prefix of its rows' items ("<code>.<measure>").
        task = out.loc[rank, "item"].astype(str).str.rsplit(".", n=1).str[0]
        size = out.loc[rank, "respondent"].groupby([out.loc[rank, "respondent"], task]).transform("size")
        out.loc[rank, "value"] = size.to_numpy() + 1.0 - out.loc[rank, "value"].to_numpy()
    return out


def renamed(df: pd.DataFrame, codes: Mapping[str, str]) -> pd.DataFrame:
    """The same answers with measure codes renamed by ``codes`` (old -> new, one-to-one).

    The measure codes change in ``measure``, ``measure_b`` and paired
    choices, and in the items of rank rows, which name their measure
    (``<ranking>.<measure>``); other item codes are opaque and kept. An
    analysis that does not break ties by code gives the same tiers under the
    new names.
    """
    if len(set(codes.values())) != len(codes):
        raise ValueError("codes: two measures would get the same new code")
    present = set(df["measure"].dropna()) | set(df["measure_b"].dropna())
    clash = sorted((set(codes.values()) & present) - set(codes))
    if clash:
        raise ValueError(f"codes: new code(s) {clash} already name another measure")
    out = df.copy()
    for column in ("measure", "measure_b"):
        out[column] = out[column].replace(dict(codes))
    paired = (out["kind"] == "paired").fillna(False).to_numpy()
    out.loc[paired, "choice"] = out.loc[paired, "choice"].replace(dict(codes))
    rank = ((out["kind"] == "rank") & out["measure"].notna()).fillna(False).to_numpy()
    if rank.any():
        task = df.loc[rank, "item"].astype(str).str.rsplit(".", n=1).str[0]
        out.loc[rank, "item"] = (task + "." + out.loc[rank, "measure"].astype(str)).to_numpy()
    return out
