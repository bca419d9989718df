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
    #: Measures rated by fewer respondents than this in a cell are shown as
    #: descriptives only and left out of the pairwise verdicts and the tiers,
    #: before tiering (a measure rated by a handful of people cannot split or
    #: join a tier). Ten is a planned convention: at n = 10 a measure's 95%
    #: interval already spans about 36 points for a typical SD of 25 (80 at n = 4).
    min_measure_n: int = 10
    #: A cell with fewer respondents than this gets no tiers at all, only
    #: descriptives and a note. With 30 respondents and 14 measures (91 pairs,
    #: Bonferroni-adjusted) the smallest difference detectable with 80% power
    #: is about 13 points for a within-person SD of 15, more than a tier gap of a
    #: typical gradation, and equivalence at a 5-point margin needs about 200.
    #: A partition of fewer respondents would mostly display noise.
    min_cell_for_tiers: int = 30
    #: Intervals and tests are cluster-robust by site (CR2 with Bell-McCaffrey
    #: degrees of freedom) when a cell's ratings come from at least this many
    #: sites. With fewer, the sites cannot stand for a population of sites:
    #: inference is then conditional on the sites at hand (respondent-level
    #: intervals), and the result says so per cell.
    min_sites: int = 5
    #: Estimand of a mean when sites contribute unequally: "respondent" (every
    #: respondent counts equally) or "site" (every site counts equally).
    mean_weighting: str = "respondent"
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
        if self.min_measure_n < 2:
            raise ValueError("min_measure_n must be at least 2")
        if self.min_cell_for_tiers < 2:
            raise ValueError("min_cell_for_tiers must be at least 2")
        if self.min_sites < 2:
            raise ValueError("min_sites must be at least 2")
        if self.mean_weighting not in ("respondent", "site"):
            raise ValueError("mean_weighting must be 'respondent' or 'site'")
        if self.ordinal_categories < 2:
            raise ValueError("ordinal_categories must be at least 2")
        if self.model_max_respondents < 10:
            raise ValueError("model_max_respondents must be at least 10")
