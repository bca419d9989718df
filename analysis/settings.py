"""Method settings of a gradation analysis, fixed before the data are seen."""

from __future__ import annotations

import msgspec


class GradationSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything that determines the analysis besides the data.

    Stored in every result, so each published figure can be recomputed.
    """

    #: Equivalence margin on the 0-100 scale for the TOST test; stated in
    #: advance, because choosing it after seeing the data would decide ties.
    margin: float = 5.0
    #: Significance level for the difference and equivalence tests and the
    #: level of all confidence and rank intervals (1 - alpha).
    alpha: float = 0.05
    #: Respondent-level bootstrap resamples for rank intervals.
    bootstrap_resamples: int = 1000
    #: Seed of the bootstrap and of model subsampling; same seed, same result.
    seed: int = 20250401
    #: Cells with fewer respondents than this are flagged ``small_cell`` so
    #: outputs meant for others can suppress them.
    min_cell: int = 5
    #: Switches, so a quick run (or a walking skeleton) can skip slow steps.
    bootstrap: bool = True
    mixed_model: bool = True
    ordinal_model: bool = True
    bradley_terry: bool = True
    #: Models are fitted on at most this many respondents per setting (a
    #: seeded random subset when there are more) to keep cost bounded; the
    #: result records when this happened.
    model_max_respondents: int = 3000
    #: Number of equal-width bins of the 0-100 scale for the ordinal model.
    ordinal_categories: int = 5
    #: Decimal places of floats in the JSON output.
    float_digits: int = 6

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 0.5:
            raise ValueError("alpha must lie in (0, 0.5)")
        if self.margin <= 0:
            raise ValueError("margin must be positive")
        if self.bootstrap_resamples < 1:
            raise ValueError("bootstrap_resamples must be at least 1")
        if self.min_cell < 1:
            raise ValueError("min_cell must be at least 1")
        if self.ordinal_categories < 2:
            raise ValueError("ordinal_categories must be at least 2")
        if self.model_max_respondents < 10:
            raise ValueError("model_max_respondents must be at least 10")
