"""A known simulated dataset for publication tests: two full cells and one small cell."""

import pandas as pd
import pytest

from analysis.settings import GradationSettings
from analysis.simulate import Simulation, simulate_answers
from analysis.tidy import STRING_COLUMNS
from server.gradation.runner import reference_tiers

#: Small and fast: few resamples, no models (they are not what these tests check).
QUICK = GradationSettings(bootstrap_resamples=40, mixed_model=False, ordinal_model=False, bradley_terry=False)
#: Faster still, for tests of the release workflow, where the statistics' content does not
#: matter: no rank bootstrap, tier stability or tipping points.
WORKFLOW = GradationSettings(
    bootstrap=False, tier_stability_resamples=0, tipping_point=False, mixed_model=False, ordinal_model=False, bradley_terry=False
)
MEASURES = ("area_restriction", "holding_short", "acute_sedation", "belt_short", "holding_long", "sedation_danger", "belt_long", "net_bed")
TIERS = (("area_restriction",), ("holding_short", "acute_sedation"), ("belt_short", "holding_long"), ("sedation_danger",), ("belt_long", "net_bed"))
SMALL_GROUP = ("relative", "forensic")


def simulated(seed: int = 7, per_group: int = 200) -> pd.DataFrame:
    """Patients and staff in general adult psychiatry, plus 3 forensic relatives (a small cell)."""
    big = simulate_answers(Simulation(respondents_per_group=per_group, groups=("patient", "staff"), tiers=TIERS, tier_gap=15.0, pairs_per_respondent=0, seed=seed))
    small = simulate_answers(Simulation(respondents_per_group=3, groups=("relative",), setting="forensic", tiers=TIERS, pairs_per_respondent=0, seed=seed + 1))
    small["respondent"] = ("s" + small["respondent"].astype(str)).astype("string")
    frame = pd.concat([big, small], ignore_index=True)
    for column in STRING_COLUMNS:
        frame[column] = frame[column].astype("string")
    return frame


@pytest.fixture(scope="session")
def dataset() -> pd.DataFrame:
    """The simulated tidy answers (shared; tests must not change it)."""
    return simulated()


@pytest.fixture(scope="session")
def reference() -> dict[str, list[list[str]]]:
    """The authority's reference gradation from the catalogue."""
    return reference_tiers()
