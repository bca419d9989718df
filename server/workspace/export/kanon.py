"""k-anonymity on everything an export row tells about its respondent, losing as little as it can.

Quasi-identifiers are what someone who knows a respondent (a fellow patient, a relative, a
member of staff) could know and look up: where and when they answered, who they are, and
which coercive measures they met. An export carries, per respondent:

- study, site, setting, respondent group, questionnaire version and the period of submission
  (`FIXED_IDENTIFIERS`, never changed: the analysis is per group and site and the import
  needs them; the period is a calendar quarter or ISO week, see
  `server.workspace.export.period`);
- the questions a skip rule on a background answer hid (`ROUTING`: a youth questionnaire does
  not ask 12-14-year-olds about sedation because of danger, so its "not asked" tells the age
  band that widening or suppressing would hide); never changed, like the fixed identifiers;
- the background answers age band, gender, profession, years of experience and relation to
  the patient (`BACKGROUND`; "prefer not to answer" is a value of its own, since the export
  shows it apart from "not answered"; a questionnaire that does not ask one leaves it empty, and empty
  counts as one value of its own, as does a column absent from the input);
- the experience pattern: the respondent's experience (none / witnessed / experienced) of
  each measure, repeated on that measure's rows. Over a dozen measures this pattern alone
  makes most respondents unique, so it is a quasi-identifier as a whole.

Every exported respondent shares the full combination of all of these (`QUASI_IDENTIFIERS`)
with at least k - 1 others. Only respondents whose combination is rarer than k lose detail
(local recoding), in this order of preference:

1. Generalisation by the hierarchy of `surveys/catalogue/generalisation.yaml` (age 18-29 and
   30-49 -> 18-49, years under_2 and 2-5 -> under_6, ...). Each background answer has three
   levels: exact, wider (its generalised value; an option without one stays as it is, gender
   has none) and suppressed (the constant `SUPPRESSED`, exported as the missing code -7).
   Empty answers stay empty at every level. A level vector gives one level per background
   answer; vectors are tried in order of cells lost: first those that only generalise (fewest
   cells generalised first), then those that suppress (fewest cells suppressed first, then
   fewest generalised). Within one cost, the vector that makes the most rare respondents reach
   k is applied first (ties in a fixed order: age band gives up detail first, gender last), and
   again until no vector of that cost helps any more. A rare respondent takes the first vector
   under which their generalised combination is shared by >= k respondents: the rare ones
   generalised the same way plus whoever is already exported with exactly those values.
2. Respondents still rarer than k are pooled, per block of identical study, site, setting,
   group, version and period, with donors from that block: first the surplus of combinations
   larger than k (the donors that lose the fewest cells; no combination drops below k), and
   only if that is not enough whole combinations (fewest cells lost first). In the pool every
   background answer that anyone in the block gave is suppressed, an empty one included
   (otherwise who skipped which question would split the pool); questions nobody in the
   block was asked stay empty.
3. A respondent is left out only when their block holds fewer than k respondents in all.
4. The experience pattern, as before: within each combination of the above (now >= k
   respondents), a pattern shared by fewer than k is emptied ("" on all the respondent's rows);
   if the respondents with an empty pattern then number 1 to k - 1, the smallest patterns are
   emptied too (ties by text) until they number at least k. It never costs a respondent
   their answers, at most the experience covariate.

Why this is still k-anonymous on the full combination although most respondents keep their
exact values: k-anonymity is a property of the published rows. Every exported respondent is
published with one combination of values (exact, wider, suppressed or empty per field), and
the algorithm only fixes a respondent's published combination when at least k exported
respondents carry exactly that published combination (step 1 counts the ones already fixed
with those values; step 2 fills the pool to k, and a combination that gives donors keeps
>= k or gives all; step 4 splits each group only into parts of >= k). A published value is always a true but possibly
coarser statement about the respondent ("18-49" contains their band), so someone who knows a
respondent's true values and finds a published row consistent with them finds at least k
such rows with identical content. `enforce` recomputes the smallest published group on the
result and refuses to return anything below k. What local recoding does reveal is that a
generalised or suppressed respondent sat in a rare combination; it does not reveal which of
the >= k rows is theirs. The tests check this on random data of every shape (hypothesis).

The report gives counts per field, level and reason, never values (listing the rare values
would disclose them), and the smallest group on the full combination after all of this.

Measured (`python -m bench.kanon_bench`, k = 5, 400 demo-like respondents: patients,
relatives and staff in the demo's proportions, 4 age bands, staff profession and years,
relatives' relation, 4 % of answers missing; mean of 5 draws), against the rule before
(empty the age band, then the gender, of each rare respondent, then leave out whoever is
still rare) on the same quasi-identifiers:

    3 sites, 2 quarters, 4 genders     before: age band emptied 252, gender 175, left out 155
                                       now:    age band wider 77 + suppressed 166, gender
                                               suppressed 161, left out 1.6
    demo's 2 genders, 1 quarter        before: age band emptied 164, gender 150, left out 140
                                       now:    age band wider 66 + suppressed 97, gender
                                               suppressed 70, left out 0
Profession, years and relation were lost only with a left-out respondent before (96, 94 and 50
cells in the first case); now 17 / 21 / 19 are generalised and 80 / 75 / 38 suppressed, while
their respondents stay in with all their answers. The experience pattern (14 measures, unique
for nearly everyone) is emptied for about 300 under both rules. 100,000 respondents
(30 sites, 8 quarters) take 4.5 s on two shared cores.
"""

from functools import cache
from itertools import product
from typing import Final

import msgspec
import numpy as np
import pandas as pd

from surveys import codes as catalogue

#: The experience pattern's column in the per-respondent frame: one text per respondent,
#: "measure=experience" pairs joined by ";" ("" when no row carries an experience).
EXPERIENCE_PATTERN: Final = "experience_pattern"

#: The questions a skip rule on a background answer hid from the respondent, as one text.
ROUTING: Final = "background_routing"
#: Respondent columns that are never changed (a respondent is only ever left out whole).
FIXED_IDENTIFIERS: Final = ("study", "site", "setting", "group", "instrument_version", "period", ROUTING)
#: Background answers that are generalised or suppressed, cell by cell, where a combination is rare.
BACKGROUND: Final = ("age_band", "gender", "profession", "years_experience", "relation")
#: The columns the export copies from each respondent to their rows (same as `BACKGROUND`).
GENERALISE_ORDER: Final = BACKGROUND
#: Everything k is checked on.
QUASI_IDENTIFIERS: Final = (*FIXED_IDENTIFIERS, *BACKGROUND, EXPERIENCE_PATTERN)
#: What a suppressed background cell holds (the export writes it as the missing code -7).
SUPPRESSED: Final = "suppressed"

#: The option set whose hierarchy generalises each background column (gender has none).
HIERARCHY_SETS: Final = {"age_band": "age_band", "profession": "profession", "years_experience": "years", "relation": "relation"}
#: When two level vectors lose the same number of cells and help the same number of
#: respondents, the one that gives up detail earlier in this order wins (age bands are the
#: finest and the wider band still serves most analyses; gender has no wider value).
GIVE_UP_ORDER: Final = ("age_band", "years_experience", "relation", "profession", "gender")

#: Levels of a background cell: as given, its wider value, suppressed (empty stays empty),
#: and suppressed even where empty (only for pooling the last few, see step 2).
EXACT, WIDER, SUPPRESS, POOL = 0, 1, 2, 3
LEVEL_NAMES: Final = ("exact", "wider value of the hierarchy (surveys/catalogue/generalisation.yaml)", "suppressed (-7)")

REASON_GENERALISED: Final = "generalised: the combination was shared by fewer than k; the wider value gave k with the fewest cells lost"
REASON_SUPPRESSED: Final = "suppressed: fewer than k even with wider values; suppressing the fewest cells gave k"
REASON_POOLED: Final = "suppressed: fewer than k with every background answer suppressed; pooled with respondents from larger combinations"
REASON_DONOR: Final = "suppressed: pooled with a few respondents who would otherwise be left out (taken from their own larger combination)"
REASON_LEFT_OUT: Final = "left out: fewer than k respondents share their study, site, setting, group, version and period"
REASON_RARE_PATTERN: Final = "experience emptied: experience pattern shared by fewer than k in its combination"
REASON_POOL: Final = "experience emptied: so that the respondents with no experience shown number at least k"

#: How the report names the experience pattern.
EXPERIENCE_FIELD: Final = "experience"
_QI_NAMES = [c if c != EXPERIENCE_PATTERN else "experience (pattern over all measures)" for c in QUASI_IDENTIFIERS]

# Stages a respondent's background ends in (for the reasons).
_AS_IS, _SEARCHED, _POOLED, _DONOR, _LEFT_OUT = 0, 1, 2, 3, 4


class FieldLoss(msgspec.Struct, frozen=True):
    """How many respondents lost a field (or were left out), and why."""

    field: str
    reason: str
    respondents: int


class VariableReport(msgspec.Struct, frozen=True):
    """What k-anonymity did to one quasi-identifier, over the exported respondents (counts only).

    `exact + generalised + suppressed` is the number of exported respondents; an empty value
    that stayed empty counts as exact."""

    field: str
    exact: int
    #: Respondents whose value is exported as its wider value (`generalised_to` names the level).
    generalised: int
    #: Respondents whose value is exported as suppressed (-7).
    suppressed: int
    generalised_to: str
    reasons: list[FieldLoss]


class KAnonymityReport(msgspec.Struct, frozen=True):
    """Exactly what k-anonymity changed, in counts (listing the rare values would disclose them)."""

    k: int
    quasi_identifiers: list[str]
    respondents_before: int
    #: Respondents whose field lost detail (wider value or suppressed), per background field
    #: and "experience"; `losses` splits each by reason and `variables` by level.
    generalised: dict[str, int]
    #: Respondents left out of the export (last resort).
    suppressed_respondents: int
    #: The smallest number of exported respondents sharing one full combination of
    #: `quasi_identifiers` (0 when no one is exported).
    smallest_group_after: int
    losses: list[FieldLoss] = []
    respondents_after: int = 0
    #: Background cells exported as their wider value / as suppressed, over all fields.
    cells_generalised: int = 0
    cells_suppressed: int = 0
    #: One entry per quasi-identifier, in `quasi_identifiers` order.
    variables: list[VariableReport] = []

    @property
    def changed(self) -> bool:
        return self.suppressed_respondents > 0 or any(self.generalised.values())


@cache
def hierarchy() -> dict[str, dict[str, str]]:
    """Per option set of surveys/catalogue/generalisation.yaml (read by `surveys.codes`), each
    member option's wider value (option -> value)."""
    out: dict[str, dict[str, str]] = {}
    for option_set, values in catalogue.generalisations().items():
        parents: dict[str, str] = {}
        for value, generalised in values.items():
            for member in generalised.members:
                if member in parents:
                    raise ValueError(f"{catalogue.GENERALISATION_FILE}: {option_set}.{value}: {member} is already a member of {parents[member]}")
                parents[member] = value
        out[option_set] = parents
    return out


def combination_ids(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.Series:
    """Per row, a number naming its combination of `columns` (empty values count as one
    value of their own)."""
    return frame.groupby(list(columns), dropna=False, sort=False).ngroup()


def combination_sizes(frame: pd.DataFrame, columns: list[str] | tuple[str, ...] = QUASI_IDENTIFIERS) -> pd.Series:
    """Per row of a per-respondent frame, how many rows share its combination of `columns`."""
    if not len(frame):
        return pd.Series(dtype="int64")
    ids = combination_ids(frame, columns)
    return ids.map(ids.value_counts())


class _Background:
    """Each background column coded as integers at its levels, comparable across levels (a
    wider value has one code whether given as such or as the generalisation of a member)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        parents = hierarchy()
        self.columns = list(BACKGROUND)
        self.vocab: list[np.ndarray] = []
        self.empty_code: list[int] = []
        self.suppressed_code: list[int] = []
        levels = []
        for column in self.columns:
            # Work on the few distinct values, then spread them to the rows by index.
            raw, distinct = pd.factorize(frame[column].astype(object), use_na_sentinel=True)
            exact = [None if pd.isna(v) or v == "" else str(v) for v in distinct] + [None]
            wider_of = parents.get(HIERARCHY_SETS.get(column, ""), {})
            wider = [wider_of.get(v, v) if v is not None else None for v in exact]
            suppressed = [None if v is None else SUPPRESSED for v in exact]
            vocab = list(dict.fromkeys([*exact, *wider, *suppressed, None, SUPPRESSED]))
            code = {v: i for i, v in enumerate(vocab)}
            per_level = np.array(
                [[code[v] for v in exact], [code[v] for v in wider], [code[v] for v in suppressed], [code[SUPPRESSED]] * len(exact)],
                dtype=np.int64,
            )
            levels.append(per_level[:, raw])  # raw == -1 (missing) takes the last entry, None
            self.vocab.append(np.array(vocab, dtype=object))
            self.empty_code.append(code[None])
            self.suppressed_code.append(code[SUPPRESSED])
        #: codes[variable, level, row]
        self.codes = np.stack(levels)
        radix = [len(v) for v in self.vocab]
        self.multiplier = [int(np.prod(radix[i + 1 :], dtype=object)) for i in range(len(radix))]
        self.span = int(np.prod(radix, dtype=object))

    def keys(self, block: np.ndarray, rows: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """One int64 per row naming its published combination: fixed block and each
        background code at the row's level (`levels` has one row of levels per row, or one
        vector for all)."""
        levels = np.broadcast_to(levels, (len(rows), len(self.columns)))
        key = block[rows].astype(np.int64) * self.span
        for v in range(len(self.columns)):
            key = key + self.codes[v, levels[:, v], rows] * self.multiplier[v]
        return key


def _counts_at(keys: np.ndarray, settled_keys: np.ndarray, settled_counts: np.ndarray) -> np.ndarray:
    """Per key, how many rows carry it: among `keys` themselves plus the settled ones
    (`settled_keys` sorted and unique, `settled_counts` their sizes)."""
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    if len(settled_keys):
        position = np.minimum(np.searchsorted(settled_keys, unique), len(settled_keys) - 1)
        counts = counts + np.where(settled_keys[position] == unique, settled_counts[position], 0)
    return counts[inverse]


def _cost(vector: tuple[int, ...]) -> tuple[int, int]:
    """What a level vector loses: cells suppressed, then cells generalised (so every vector
    that only generalises comes before any that suppresses)."""
    return sum(level == SUPPRESS for level in vector), sum(level == WIDER for level in vector)


def _vectors(codes: np.ndarray, rows: np.ndarray) -> list[tuple[int, ...]]:
    """Level vectors worth trying for `rows`, cheapest first (see the module docstring)."""
    choices = []
    for v in range(codes.shape[0]):
        options = [EXACT]
        if (codes[v, WIDER, rows] != codes[v, EXACT, rows]).any():
            options.append(WIDER)
        if (codes[v, SUPPRESS, rows] != codes[v, EXACT, rows]).any():
            options.append(SUPPRESS)
        choices.append(options)
    order = [BACKGROUND.index(c) for c in GIVE_UP_ORDER]

    vectors = [vector for vector in product(*choices) if any(vector)]
    return sorted(vectors, key=lambda vector: (_cost(vector), tuple(-vector[i] for i in order)))


def _settled_table(keys: np.ndarray, settled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.unique(keys[settled], return_counts=True)


def _search(background: _Background, block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-3: each respondent's level per background column and their stage."""
    n = len(block)
    all_rows = np.arange(n)
    variables = len(background.columns)
    levels = np.zeros((n, variables), dtype=np.int64)
    stage = np.zeros(n, dtype=np.int64)
    keys = background.keys(block, all_rows, np.zeros(variables, dtype=np.int64))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    settled = counts[inverse] >= k
    table = _settled_table(keys, settled)

    rows = all_rows[~settled]
    vectors = _vectors(background.codes, rows) if len(rows) else []
    costs: dict[tuple[int, int], list[tuple[int, ...]]] = {}
    for vector in vectors:
        costs.setdefault(_cost(vector), []).append(vector)
    multiplier = np.array(background.multiplier, dtype=np.int64)[:, None, None]
    for group in costs.values():
        while len(rows):
            # The rare rows' key parts at every level, so that a vector's keys are sums.
            parts = background.codes[:, :, rows] * multiplier
            fixed = block[rows].astype(np.int64) * background.span
            best, best_reached, best_keys = None, 0, None
            for vector in group:
                candidate = fixed + sum(parts[v, level] for v, level in enumerate(vector))
                reached = _counts_at(candidate, *table) >= k
                if reached.sum() > best_reached:
                    best, best_reached, best_keys = vector, int(reached.sum()), (candidate, reached)
            if best is None or best_keys is None:
                break
            candidate, reached = best_keys
            chosen = rows[reached]
            levels[chosen] = best
            stage[chosen] = _SEARCHED
            keys[chosen] = candidate[reached]
            settled[chosen] = True
            table = _settled_table(keys, settled)
            rows = rows[~reached]

    if len(rows):
        _pool_or_leave_out(background, block, k, rows, levels, stage, keys, settled)
    return levels, stage


def _pool_or_leave_out(
    background: _Background,
    block: np.ndarray,
    k: int,
    rows: np.ndarray,
    levels: np.ndarray,
    stage: np.ndarray,
    keys: np.ndarray,
    settled: np.ndarray,
) -> None:
    """Steps 2 and 3 for the respondents still rarer than k (`rows`): per fixed block, pool
    them with donors from larger combinations of the block, every background answer the
    block gives suppressed (an empty one too, so that who skipped which question does not
    split the pool), or leave them out if the block has fewer than k respondents. Updates
    `levels`, `stage`, `keys` and `settled` in place."""
    variables = len(background.columns)
    codes = background.codes
    blocks = np.unique(block[rows])
    in_blocks = np.isin(block, blocks)
    # Per block, which background columns anyone in it answered: only those are suppressed
    # in the pool (a question the block was never asked stays empty).
    answered = pd.DataFrame(codes[:, EXACT, :].T != np.array(background.empty_code)).groupby(block).any()
    pool_levels = np.where(answered.loc[blocks].to_numpy(), POOL, EXACT)
    level_of_block = pd.DataFrame(pool_levels, index=blocks)
    target_levels = level_of_block.loc[block[in_blocks]].to_numpy()
    candidates = np.flatnonzero(in_blocks)
    target = background.keys(block, candidates, target_levels)
    target_of = pd.Series(target, index=candidates)

    published, group_size = np.unique(keys[settled], return_counts=True)
    size = pd.Series(group_size, index=published)
    leftover = pd.Series(1, index=rows).groupby(block[rows]).sum()
    already = size.reindex(target_of.loc[rows].groupby(block[rows]).first().to_numpy()).fillna(0).to_numpy()
    needed = pd.Series(k - leftover.to_numpy() - already, index=leftover.index)

    donors_all = candidates[settled[candidates] & (keys[candidates] != target)]
    donor_levels = levels[donors_all]
    lose = np.zeros(len(donors_all), dtype=np.int64)
    exact_cells = np.zeros(len(donors_all), dtype=np.int64)
    for v in range(variables):
        now = codes[v, donor_levels[:, v], donors_all]
        after = codes[v, target_levels[np.searchsorted(candidates, donors_all), v], donors_all]
        lose += now != after
        exact_cells += (donor_levels[:, v] == EXACT) & (now != after)
    table = pd.DataFrame(
        {"block": block[donors_all], "group": keys[donors_all], "lose": lose, "exact": exact_cells, "row": donors_all}
    )
    table["size"] = size.reindex(table["group"].to_numpy()).to_numpy()
    table["needed"] = needed.reindex(table["block"].to_numpy()).to_numpy()
    # First only the surplus of combinations larger than k (each keeps k), the fewest cells
    # lost first; ties by combination and respondent (rows are in respondent order), so the
    # choice does not depend on how the caller ordered the rows.
    table = table.sort_values(["block", "lose", "exact", "group", "row"], kind="stable")
    rank_in_group = table.groupby("group").cumcount()
    surplus = table[rank_in_group.to_numpy() < (table["size"] - k).to_numpy()]
    position = surplus.groupby("block").cumcount()
    by_surplus = surplus[position.to_numpy() < surplus["needed"].to_numpy()]
    enough = by_surplus.groupby("block").size().reindex(needed.index).fillna(0) >= needed
    chosen = [by_surplus.loc[by_surplus["block"].isin(needed.index[enough.to_numpy()]), "row"].to_numpy()]
    # ...then, where that is not enough, whole combinations, the fewest cells lost first,
    # rather than leave anyone out: a combination that gives everyone cannot fall below k.
    short = needed.index[~enough.to_numpy()]
    whole = table[table["block"].isin(short)].groupby(["block", "group"], sort=False).agg(lose=("lose", "sum"), size=("row", "size")).reset_index()
    whole = whole.sort_values(["block", "lose", "group"], kind="stable")
    before = whole.groupby("block")["size"].cumsum() - whole["size"]
    whole = whole[before.to_numpy() < needed.reindex(whole["block"].to_numpy()).to_numpy()]
    got = whole.groupby("block")["size"].sum().reindex(short).fillna(0)
    possible = short[(got >= needed.reindex(short)).to_numpy()]
    taken_groups = whole.loc[whole["block"].isin(possible), "group"].to_numpy()
    chosen.append(table.loc[table["group"].isin(taken_groups), "row"].to_numpy())
    donors = np.concatenate(chosen).astype(np.int64)

    pooled_blocks = np.concatenate([needed.index[enough.to_numpy()].to_numpy(), possible.to_numpy()]) if len(needed) else np.zeros(0, np.int64)
    members = rows[np.isin(block[rows], pooled_blocks)]
    stage[rows[~np.isin(block[rows], pooled_blocks)]] = _LEFT_OUT
    for chosen_rows, name in ((members, _POOLED), (donors, _DONOR)):
        levels[chosen_rows] = level_of_block.loc[block[chosen_rows]].to_numpy()
        stage[chosen_rows] = name
        keys[chosen_rows] = target_of.loc[chosen_rows].to_numpy()
        settled[chosen_rows] = True


def _pool_rare_patterns(base: np.ndarray, pattern: pd.Series, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Which respondents' experience is emptied because their pattern is rare within their
    combination `base`, and which to bring the group of empty patterns up to k (step 4)."""
    frame = pd.DataFrame({"base": base, "pattern": pattern.to_numpy(object)})
    size = frame.groupby(["base", "pattern"], sort=False)["base"].transform("size").to_numpy()
    rare = (size < k) & (frame["pattern"] != "").to_numpy()
    empty = rare | (frame["pattern"] == "").to_numpy()
    empties = pd.Series(empty).groupby(base).transform("sum").to_numpy()
    needed = np.where((empties > 0) & (empties < k), k - empties, 0)
    left = frame[(needed > 0) & ~empty]
    pooled = np.zeros(len(frame), dtype=bool)
    if len(left):
        counts = left.groupby(["base", "pattern"]).size().rename("count").reset_index()
        counts["needed"] = counts["base"].map(pd.Series(needed, index=base).groupby(level=0).first())
        # Smallest patterns first, ties by text, so the result does not depend on row order.
        counts = counts.sort_values(["base", "count", "pattern"], kind="stable")
        before = counts.groupby("base")["count"].cumsum() - counts["count"]
        chosen = counts[before < counts["needed"]]
        pick = pd.MultiIndex.from_frame(chosen[["base", "pattern"]])
        pooled = pd.MultiIndex.from_frame(frame[["base", "pattern"]]).isin(pick) & ~empty
    return rare, pooled


def enforce(respondents: pd.DataFrame, k: int) -> tuple[pd.DataFrame, KAnonymityReport]:
    """Generalise, suppress cells and, as a last resort, leave respondents out until every full
    quasi-identifier combination has >= k respondents (see the module docstring).

    `respondents` has one row per respondent with `respondent` and any of `QUASI_IDENTIFIERS`
    (absent columns count as empty; experience pattern "" when none is shown). The result
    keeps the input's rows in order minus those left out, with every quasi-identifier column
    (absent ones empty): background values exact, wider, `SUPPRESSED` or None (empty), and
    emptied experience patterns "". The outcome does not depend on the order of the rows.
    """
    if k < 1:
        raise ValueError(f"k: must be at least 1 (got {k})")
    frame = respondents.reset_index(drop=True).copy()
    for column in QUASI_IDENTIFIERS:
        if column not in frame.columns:
            frame[column] = "" if column == EXPERIENCE_PATTERN else None
    pattern = frame[EXPERIENCE_PATTERN].astype(object)
    frame[EXPERIENCE_PATTERN] = pattern.where(pattern.notna(), "").astype(str).astype(object)
    n = len(frame)
    if not n:
        for column in BACKGROUND:
            frame[column] = frame[column].astype(object)
        nothing = np.zeros(0, dtype=bool)
        return frame, _report(k, 0, frame, *_losses(None, np.zeros((len(BACKGROUND), 0), np.int64), nothing, nothing, nothing, nothing), 0)

    # Work on the rows in the order of their respondent, so that every numbering and every
    # tie comes out the same however the caller ordered the rows.
    if "respondent" in frame.columns:
        order = np.argsort(frame["respondent"].astype(str).to_numpy(dtype=object), kind="stable")
    else:
        order = np.arange(n)
    work = frame.iloc[order].reset_index(drop=True)
    block = combination_ids(work, FIXED_IDENTIFIERS).to_numpy().astype(np.int64)
    background = _Background(work)
    if (int(block.max()) + 1) * background.span >= 2**62:
        raise ValueError("quasi-identifiers: too many distinct background values to check k (each must be a coded option)")
    levels, stage = _search(background, block, k)
    kept = stage != _LEFT_OUT
    rows = np.arange(n)
    published = np.stack([background.codes[v, levels[:, v], rows] for v in range(len(BACKGROUND))])
    rare = np.zeros(n, dtype=bool)
    pooled = np.zeros(n, dtype=bool)
    if kept.any():
        base = background.keys(block, rows, levels)
        rare[kept], pooled[kept] = _pool_rare_patterns(base[kept], work.loc[kept, EXPERIENCE_PATTERN], k)

    # Back to the caller's order.
    back = np.empty(n, dtype=np.int64)
    back[order] = rows
    published, kept, rare, pooled, stage = published[:, back], kept[back], rare[back], pooled[back], stage[back]
    codes = background.codes[:, :, back]
    out = frame.copy()
    for v, column in enumerate(BACKGROUND):
        out[column] = pd.Series(background.vocab[v][published[v]], index=out.index, dtype=object)
    out.loc[rare | pooled, EXPERIENCE_PATTERN] = ""
    out = out[kept].reset_index(drop=True)
    report = _report(k, n, out, *_losses(background, published, stage, kept, rare, pooled, codes), int((~kept).sum()))
    if report.respondents_after and report.smallest_group_after < k:
        raise RuntimeError(f"k-anonymity: a combination of {report.smallest_group_after} respondents is left (k={k}); nothing exported")
    return out, report


def _losses(
    background: _Background | None,
    published: np.ndarray,
    stage: np.ndarray,
    kept: np.ndarray,
    rare: np.ndarray,
    pooled: np.ndarray,
    codes: np.ndarray | None = None,
) -> tuple[list[FieldLoss], list[VariableReport], dict[str, int]]:
    """Per field and reason, how many exported respondents lost detail; per quasi-identifier,
    how many kept it, had it generalised or suppressed (`codes`: the exact codes in row order)."""
    losses: list[FieldLoss] = []
    by_field: dict[str, VariableReport] = {}
    generalised: dict[str, int] = {}
    after = int(kept.sum())
    for v, column in enumerate(BACKGROUND):
        if background is None or codes is None:
            changed = suppressed = np.zeros(0, dtype=bool)
        else:
            changed = kept & (published[v] != codes[v, EXACT])
            suppressed = changed & (published[v] == background.suppressed_code[v])
        wider = changed & ~suppressed
        reasons = [
            FieldLoss(field=column, reason=REASON_GENERALISED, respondents=int(wider.sum())),
            FieldLoss(field=column, reason=REASON_SUPPRESSED, respondents=int((suppressed & (stage == _SEARCHED)).sum())),
            FieldLoss(field=column, reason=REASON_POOLED, respondents=int((suppressed & (stage == _POOLED)).sum())),
            FieldLoss(field=column, reason=REASON_DONOR, respondents=int((suppressed & (stage == _DONOR)).sum())),
        ]
        losses += reasons
        generalised[column] = int(changed.sum())
        by_field[column] = VariableReport(
            field=column,
            exact=after - generalised[column],
            generalised=int(wider.sum()),
            suppressed=int(suppressed.sum()),
            generalised_to=LEVEL_NAMES[WIDER] if column in HIERARCHY_SETS else "",
            reasons=[r for r in reasons if r.respondents],
        )
    losses.append(FieldLoss(field="respondent", reason=REASON_LEFT_OUT, respondents=int((~kept).sum())))
    pattern_reasons = [
        FieldLoss(field=EXPERIENCE_FIELD, reason=REASON_RARE_PATTERN, respondents=int(rare.sum())),
        FieldLoss(field=EXPERIENCE_FIELD, reason=REASON_POOL, respondents=int(pooled.sum())),
    ]
    losses += pattern_reasons
    generalised[EXPERIENCE_FIELD] = int((rare | pooled).sum())
    by_field[EXPERIENCE_PATTERN] = VariableReport(
        field=EXPERIENCE_FIELD,
        exact=after - generalised[EXPERIENCE_FIELD],
        generalised=generalised[EXPERIENCE_FIELD],
        suppressed=0,
        generalised_to="empty (no experience shown on any row)",
        reasons=[r for r in pattern_reasons if r.respondents],
    )
    variables = [
        by_field.get(column) or VariableReport(field=column, exact=after, generalised=0, suppressed=0, generalised_to="", reasons=[])
        for column in QUASI_IDENTIFIERS
    ]
    return losses, variables, generalised


def _report(
    k: int, before: int, out: pd.DataFrame, losses: list[FieldLoss], variables: list[VariableReport], generalised: dict[str, int], left_out: int
) -> KAnonymityReport:
    """The report on `out`, the exported respondents; the smallest group is recomputed from it."""
    shown = out[list(QUASI_IDENTIFIERS)].astype(object)
    smallest = int(combination_sizes(shown.where(shown.notna(), "").astype(str)).min()) if len(out) else 0
    return KAnonymityReport(
        k=k,
        quasi_identifiers=list(_QI_NAMES),
        respondents_before=before,
        generalised=generalised,
        suppressed_respondents=left_out,
        smallest_group_after=smallest,
        losses=losses,
        respondents_after=len(out),
        cells_generalised=sum(v.generalised for v in variables if v.field in BACKGROUND),
        cells_suppressed=sum(v.suppressed for v in variables),
        variables=variables,
    )


def experience_patterns(tidy: pd.DataFrame) -> pd.Series:
    """Each respondent's experience pattern as the export shows it: the distinct
    "measure=experience" pairs of their rows, sorted and joined by ";" (respondents
    without any are absent: their pattern is "")."""
    shown = tidy.loc[tidy["experience"].notna() & tidy["measure"].notna(), ["respondent", "measure", "experience"]]
    shown = shown.drop_duplicates().sort_values(["respondent", "measure", "experience"])
    people = shown["respondent"].astype(str).to_numpy(dtype=object)
    pairs = (shown["measure"].astype(str) + "=" + shown["experience"].astype(str)).to_numpy(dtype=object).tolist()
    if not len(people):
        return pd.Series(dtype=object)
    # Rows are sorted by respondent, so each one's pairs are one run (pandas' per-group
    # join costs about half a millisecond a respondent; slicing a list costs microseconds).
    starts = np.flatnonzero(np.r_[True, people[1:] != people[:-1]])
    ends = np.r_[starts[1:], len(people)]
    return pd.Series([";".join(pairs[a:b]) for a, b in zip(starts, ends, strict=True)], index=people[starts], dtype=object)
