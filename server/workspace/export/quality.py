"""Per-respondent data-quality flags of the wide files: fast, straight-lining, item non-response.

Each flag is 0 or 1 and says only whether a published rule holds, so no timestamp or count
leaves the export. The rules and thresholds are those of `surveys.quality_flags`, which the
codebook prints and the report's data-quality section counts, so a researcher can find and
exclude exactly the respondents the report speaks of. Here they are applied to whole
batches of respondents at once:

- `flag_fast`: under FAST_SECONDS_PER_ANSWER seconds per saved answer from the start of
  the questionnaire to its submission (every stored answer counts, free text included);
- `flag_straightline`: at least STRAIGHT_LINE_MIN_RATINGS numeric 0-100 ratings, all equal;
- `flag_nonresponse`: of the items the respondent was asked (free text aside), more than
  NONRESPONSE_SHARE carry no value: "don't know", "prefer not to answer" or skipped.
"""

from typing import Final

import numpy as np
import pandas as pd

from surveys.quality_flags import FAST_SECONDS_PER_ANSWER, NONRESPONSE_SHARE, STRAIGHT_LINE_MIN_RATINGS

#: The flag columns, in the order they close each wide row.
FLAG_COLUMNS: Final = ("flag_fast", "flag_straightline", "flag_nonresponse")


def fast(seconds: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """flag_fast per respondent from seconds start to submission and stored answers."""
    answers = np.asarray(answers, dtype="float64")
    seconds = np.asarray(seconds, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        # As `surveys.quality_flags.is_fast`: seconds / answers, so the float rounding agrees.
        return ((answers > 0) & (seconds / answers < FAST_SECONDS_PER_ANSWER)).astype("int8")


def straightline(ratings: pd.DataFrame, respondents: list[str]) -> np.ndarray:
    """flag_straightline per respondent (in `respondents` order) from rows with
    `respondent` and numeric `value` (kind rating, not missing)."""
    if not len(ratings):
        return np.zeros(len(respondents), dtype="int8")
    per = ratings.groupby("respondent", sort=False)["value"].agg(["count", "nunique"])
    flagged = (per["count"] >= STRAIGHT_LINE_MIN_RATINGS) & (per["nunique"] == 1)
    return flagged.reindex(respondents, fill_value=False).to_numpy(dtype="int8")


def nonresponse(shown: np.ndarray, without_value: np.ndarray) -> np.ndarray:
    """flag_nonresponse per respondent from items shown and shown items without a value."""
    shown = np.asarray(shown, dtype="float64")
    without = np.asarray(without_value, dtype="float64")
    return ((shown > 0) & (without > NONRESPONSE_SHARE * shown)).astype("int8")
