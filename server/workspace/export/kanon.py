"""k-anonymity on the exported quasi-identifiers (site, age band, gender, group).

Per respondent, every combination of quasi-identifiers must be shared by at least k
respondents. Rare combinations are first generalised locally (only the respondents in
them lose detail): age band, then gender, become "not given" (empty). Respondents still
in a combination rarer than k are suppressed (left out). Site and group are never
generalised, because the analysis is per group and site; they can only be suppressed.
"""

import msgspec
import pandas as pd

QUASI_IDENTIFIERS = ("site", "age_band", "gender", "group")
GENERALISE_ORDER = ("age_band", "gender")


class KAnonymityReport(msgspec.Struct, frozen=True):
    """Exactly what k-anonymity changed, in counts (listing the rare values would disclose them)."""

    k: int
    quasi_identifiers: list[str]
    respondents_before: int
    generalised: dict[str, int]
    suppressed_respondents: int
    smallest_group_after: int

    @property
    def changed(self) -> bool:
        return self.suppressed_respondents > 0 or any(self.generalised.values())


def _rare(frame: pd.DataFrame, k: int) -> pd.Series:
    sizes = frame.groupby(list(QUASI_IDENTIFIERS), dropna=False)["respondent"].transform("size")
    return sizes < k


def enforce(respondents: pd.DataFrame, k: int) -> tuple[pd.DataFrame, KAnonymityReport]:
    """Generalise and suppress until every quasi-identifier combination has >= k respondents.

    `respondents` has one row per respondent with `respondent` and the quasi-identifiers;
    the result keeps the same columns, minus suppressed respondents.
    """
    frame = respondents.copy()
    generalised: dict[str, int] = {}
    for column in GENERALISE_ORDER:
        rare = _rare(frame, k) & frame[column].notna()
        generalised[column] = int(rare.sum())
        frame.loc[rare, column] = pd.NA
    rare = _rare(frame, k)
    kept = frame[~rare].reset_index(drop=True)
    smallest = int(kept.groupby(list(QUASI_IDENTIFIERS), dropna=False).size().min()) if len(kept) else 0
    report = KAnonymityReport(
        k=k,
        quasi_identifiers=list(QUASI_IDENTIFIERS),
        respondents_before=len(frame),
        generalised=generalised,
        suppressed_respondents=int(rare.sum()),
        smallest_group_after=smallest,
    )
    return kept, report
