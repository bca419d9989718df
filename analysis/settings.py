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
    #: Bootstrap resamples for rank intervals: whole sites are resampled when
    #: a cell has at least ``min_sites`` sites, else respondents.
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
    #: Sensitivities of the verdicts (analysis.verdict_sensitivity).
    #: Every verdict is also shown at these margins (the planned margin is added).
    sensitivity_margins: tuple[float, ...] = (3.0, 5.0, 8.0, 10.0)
    #: A measure with at least this share of its ratings at 0 or at 100 is
    #: flagged as compressed (about the share from which the observed gap of
    #: a 5-point latent difference shrinks below 4 points).
    bound_share_flag: float = 0.2
    #: From this share at one bound no equivalence involving the measure is
    #: claimed: its latent location then rests on a minority of the answers.
    #: Below it, a claim must also hold at the margin times the uncensored
    #: share (analysis.bounds), which keeps false ties at about alpha.
    bound_share_refuse: float = 0.5
    #: A measure whose "don't know" share exceeds this is flagged as possibly
    #: informative: if the 15% missing were those who would rate it highest,
    #: its mean would be about 4 points too low (SD 15), near the margin.
    dont_know_flag: float = 0.15
    #: A claim that would change if the withheld answers lay at most this many
    #: points from the raters' mean (analysis.dont_know) is reported undetermined.
    #: Ten points is a tenth of the scale and about two thirds of a measure's
    #: SD across respondents (about 15): a difference between those who answer
    #: and those who do not that is plausible without being extreme.
    plausible_delta: float = 10.0
    #: The tipping-point search covers shifts up to this many points (step 1).
    tipping_max_delta: float = 50.0
    #: Switch for the tipping-point analysis. It re-runs the verdict rule
    #: about 2 times per measure plus 5-6 times per claim that tips (some 100
    #: re-runs for 14 measures); tipping_max_delta = plausible_delta costs
    #: less but only says whether a claim tips within the plausible delta.
    tipping_point: bool = True
    #: Power of the stated detectable difference per cell.
    power: float = 0.8
    #: Tier stability: the verdict rule and the tier rule are re-run on the
    #: first this many of the rank resamples (at most ``bootstrap_resamples``);
    #: 0 switches it off. Each re-run costs one pairwise analysis of the cell
    #: (some 30 ms for 14 measures), so 200 adds a few seconds per cell, and
    #: gives a share with a standard error of at most 3.5 points.
    tier_stability_resamples: int = 200

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
        if not self.sensitivity_margins or any(not m > 0 for m in self.sensitivity_margins):
            raise ValueError("sensitivity_margins must be one or more positive margins")
        if not 0 < self.bound_share_flag <= 1:
            raise ValueError("bound_share_flag must lie in (0, 1]")
        if not 0 < self.bound_share_refuse <= 1:
            raise ValueError("bound_share_refuse must lie in (0, 1]")
        if not 0 <= self.dont_know_flag < 1:
            raise ValueError("dont_know_flag must lie in [0, 1)")
        if self.plausible_delta < 0:
            raise ValueError("plausible_delta must not be negative")
        if not self.tipping_max_delta >= max(self.plausible_delta, 1.0):
            raise ValueError("tipping_max_delta must be at least plausible_delta and at least 1")
        if not 0 < self.power < 1:
            raise ValueError("power must lie in (0, 1)")
        if self.tier_stability_resamples < 0:
            raise ValueError("tier_stability_resamples must be 0 (off) or a positive number of resamples")
