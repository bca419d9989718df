"""k-anonymity on everything an export row tells about its respondent.

Quasi-identifiers are what someone who knows a respondent (a fellow patient, a relative, a
member of staff) could know and look up: where and when they answered, who they are, and
which coercive measures they met. An export carries, per respondent:

- study, site, setting, respondent group and questionnaire version;
- gender and age band;
- the period of submission (calendar quarter by default, ISO week when asked; see
  `server.workspace.export.period`);
- the experience pattern: the respondent's experience (none / witnessed / experienced) of
  each measure, repeated on that measure's rows. Over a dozen measures this pattern alone
  makes most respondents unique, so it is a quasi-identifier as a whole.

k is checked on the full combination of all of these (`QUASI_IDENTIFIERS`), and every
respondent must share theirs with at least k - 1 others. Generalisation is local (only the
respondents who need it lose detail), in this order:

1. On the combination without the experience pattern: age band, then gender, become empty
   ("not given") for respondents in a combination rarer than k. Whoever is still rare is
   suppressed (left out). Study, site, setting, group, version and period are never blanked,
   because the analysis is per group and site and the import needs them.
2. Within each remaining combination (now >= k respondents), an experience pattern shared
   by fewer than k respondents is generalised: that respondent's experience becomes empty on
   all their rows. If the respondents with an empty pattern then number 1 to k - 1, the
   smallest patterns are generalised too until they number at least k. Because the
   combination itself has >= k respondents this always succeeds, so the experience pattern
   never costs a respondent their answers; it costs at most the experience covariate.

The report gives counts per field and per reason, never values (listing the rare values
would disclose them), and the smallest group on the full combination after all of this.
"""

from typing import Final

import msgspec
import numpy as np
import pandas as pd

#: The experience pattern's column in the per-respondent frame: one text per respondent,
#: "measure=experience" pairs joined by ";" ("" when no row carries an experience).
EXPERIENCE_PATTERN: Final = "experience_pattern"

#: Respondent columns that are never blanked (only suppressed with the respondent).
FIXED_IDENTIFIERS: Final = ("study", "site", "setting", "group", "instrument_version", "period")
#: Respondent columns that are blanked, in this order, when a combination is rare.
GENERALISE_ORDER: Final = ("age_band", "gender")
#: Everything k is checked on.
QUASI_IDENTIFIERS: Final = (*FIXED_IDENTIFIERS, *GENERALISE_ORDER, EXPERIENCE_PATTERN)

_BASE = [*FIXED_IDENTIFIERS, *GENERALISE_ORDER]

REASON_AGE_BAND: Final = "age band emptied: site, group, period, gender and age band shared by fewer than k"
REASON_GENDER: Final = "gender emptied: still fewer than k with the age band empty"
REASON_SUPPRESSED: Final = "left out: fewer than k even with age band and gender empty"
REASON_RARE_PATTERN: Final = "experience emptied: experience pattern shared by fewer than k in its combination"
REASON_POOL: Final = "experience emptied: so that the respondents with no experience shown number at least k"


class FieldLoss(msgspec.Struct, frozen=True):
    """How many respondents lost a field (or were left out), and why."""

    field: str
    reason: str
    respondents: int


class KAnonymityReport(msgspec.Struct, frozen=True):
    """Exactly what k-anonymity changed, in counts (listing the rare values would disclose them)."""

    k: int
    quasi_identifiers: list[str]
    respondents_before: int
    #: Respondents whose field was emptied, per field (age_band, gender, experience).
    generalised: dict[str, int]
    suppressed_respondents: int
    #: The smallest number of exported respondents sharing one full combination of
    #: `quasi_identifiers` (0 when no one is exported).
    smallest_group_after: int
    losses: list[FieldLoss] = []

    @property
    def changed(self) -> bool:
        return self.suppressed_respondents > 0 or any(self.generalised.values())


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


def _pool_rare_patterns(frame: pd.DataFrame, k: int) -> tuple[pd.Series, pd.Series]:
    """Which respondents' experience is emptied because their pattern is rare, and which to
    bring the group of empty patterns up to k (see the module docstring, step 2)."""
    pattern = frame[EXPERIENCE_PATTERN]
    rare = (combination_sizes(frame, [*_BASE, EXPERIENCE_PATTERN]) < k) & (pattern != "")
    after = pattern.mask(rare, "")
    empty = after == ""
    base = combination_ids(frame, _BASE)
    empties = empty.groupby(base).transform("sum")
    pooled = pd.Series(False, index=frame.index)
    for combination in base[empty & (empties < k)].unique():
        members = base == combination
        needed = k - int((empty & members).sum())
        # Smallest patterns first (ties by text, so the result does not depend on row order).
        counts = after[members & ~empty].value_counts()
        for value, count in sorted(counts.items(), key=lambda item: (item[1], item[0])):
            if needed <= 0:
                break
            pooled |= members & (after == value)
            needed -= count
    return rare, pooled


def enforce(respondents: pd.DataFrame, k: int) -> tuple[pd.DataFrame, KAnonymityReport]:
    """Generalise and suppress until every full quasi-identifier combination has >= k respondents.

    `respondents` has one row per respondent with `respondent` and `QUASI_IDENTIFIERS`
    (experience pattern "" when none is shown); the result keeps the same columns, minus
    suppressed respondents, with generalised age band and gender empty (NA) and generalised
    experience patterns "".
    """
    frame = respondents.reset_index(drop=True).copy()
    frame[EXPERIENCE_PATTERN] = frame[EXPERIENCE_PATTERN].fillna("").astype(str)
    generalised: dict[str, int] = {}
    losses: list[FieldLoss] = []
    for column, reason in zip(GENERALISE_ORDER, (REASON_AGE_BAND, REASON_GENDER), strict=True):
        rare = (combination_sizes(frame, _BASE) < k) & frame[column].notna()
        generalised[column] = int(rare.sum())
        losses.append(FieldLoss(field=column, reason=reason, respondents=generalised[column]))
        frame.loc[rare, column] = pd.NA
    rare = combination_sizes(frame, _BASE) < k if len(frame) else pd.Series(dtype=bool)
    suppressed = int(rare.sum())
    losses.append(FieldLoss(field="respondent", reason=REASON_SUPPRESSED, respondents=suppressed))
    kept = frame[~rare].reset_index(drop=True) if len(frame) else frame

    if len(kept):
        rare_pattern, pooled = _pool_rare_patterns(kept, k)
        kept.loc[rare_pattern | pooled, EXPERIENCE_PATTERN] = ""
    else:
        rare_pattern = pooled = pd.Series(dtype=bool)
    generalised["experience"] = int(rare_pattern.sum()) + int(pooled.sum())
    losses.append(FieldLoss(field="experience", reason=REASON_RARE_PATTERN, respondents=int(rare_pattern.sum())))
    losses.append(FieldLoss(field="experience", reason=REASON_POOL, respondents=int(pooled.sum())))

    smallest = int(combination_sizes(kept).min()) if len(kept) else 0
    report = KAnonymityReport(
        k=k,
        quasi_identifiers=[c if c != EXPERIENCE_PATTERN else "experience (pattern over all measures)" for c in QUASI_IDENTIFIERS],
        respondents_before=len(frame),
        generalised=generalised,
        suppressed_respondents=suppressed,
        smallest_group_after=smallest,
        losses=losses,
    )
    return kept, report


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
