"""Ratings by gender, age band and prior experience, for the report's group comparisons.

The respondent-group comparison (patients, relatives, staff) is in the gradation result
itself; these other splits are computed with the same descriptives function so the
numbers follow the same rules (respondent-clustered CI, "don't know" never averaged).
"""

import msgspec
import pandas as pd


#: Variable -> label used in the report; all are coarse by design.
SPLITS: dict[str, dict[str, str]] = {
    "gender": {"da": "Køn", "en": "Gender"},
    "age_band": {"da": "Aldersgruppe", "en": "Age band"},
    "experience": {"da": "Erfaring med tiltaget", "en": "Experience of the measure"},
}
UNKNOWN = "unknown"


class SubgroupRow(msgspec.Struct, frozen=True):
    """Mean rating of one measure in one level of one variable and setting."""

    variable: str
    level: str
    setting: str
    measure: str
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None


def _opt(value: object) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def subgroup_rows(tidy: pd.DataFrame, alpha: float, min_cell: int) -> list[SubgroupRow]:
    """Per variable x level x setting x measure; cells under `min_cell` are left out."""
    from analysis.descriptives import rating_descriptives  # here, not at the top: it loads scipy, which a serving worker seldom needs

    ratings = tidy[tidy["kind"] == "rating"]
    rows: list[SubgroupRow] = []
    for variable in SPLITS:
        levels = ratings[variable].astype("string").fillna(UNKNOWN)
        if (levels == UNKNOWN).all():
            continue
        table = rating_descriptives(ratings.assign(group=levels), alpha)
        for r in table.itertuples(index=False):
            if int(r.n) < min_cell:
                continue
            rows.append(
                SubgroupRow(
                    variable=variable,
                    level=str(r.group),
                    setting=str(r.setting),
                    measure=str(r.measure),
                    n=int(r.n),
                    mean=_opt(r.mean),
                    ci_low=_opt(r.ci_low),
                    ci_high=_opt(r.ci_high),
                )
            )
    return rows
