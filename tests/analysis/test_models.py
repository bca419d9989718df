"""Mixed and ordinal models: the analytic score, and recovery of known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.numdiff import approx_fprime

from analysis.models import fit_mixed, fit_ordinal, model_frame, ordered_model
from analysis.simulate import Simulation, simulate_answers


def test_ordered_model_score_matches_numerical_gradient() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"x1": rng.normal(size=300), "x2": rng.integers(0, 2, 300).astype(float)})
    latent = 0.8 * x["x1"] - 0.5 * x["x2"] + rng.logistic(size=300)
    y = np.digitize(latent, [-1.0, 0.0, 1.2])
    model = ordered_model(y, x)
    for params in (np.array([0.3, -0.2, -0.8, 0.1, 0.4]), np.array([1.0, 0.5, -1.5, -0.3, 0.2])):
        numerical = approx_fprime(params, model.loglike, centered=True)
        assert np.allclose(model.score(params), numerical, rtol=1e-4, atol=1e-4)
    fit = model.fit(method="bfgs", disp=False)
    assert fit.params.iloc[0] > 0.5 and fit.params.iloc[1] < 0


@pytest.mark.slow
def test_models_recover_effect_signs_and_group_differences() -> None:
    sim = Simulation(respondents_per_group=250, pairs_per_respondent=0, allowed_items=False, seed=21)
    df = simulate_answers(sim)
    frame, subsampled = model_frame(df[df["kind"] == "rating"], 5000, np.random.default_rng(0))
    assert not subsampled
    mixed = fit_mixed(frame, subsampled, 0.05)
    assert mixed.error is None and mixed.converged
    coef = {c.name: c for c in mixed.coefficients}
    # Signs and significance must be right; magnitudes within 3 standard
    # errors (a 95% CI alone would miss the truth in 1 of 20 seeds).
    female = coef["gender[female]"]
    assert female.estimate > 0 and female.p < 0.05
    assert abs(female.estimate - sim.female_effect) < 3 * female.se
    experienced = coef["experience[experienced]"]
    assert experienced.estimate > 0 and experienced.p < 0.05
    assert abs(experienced.estimate - sim.experienced_effect) < 3 * experienced.se
    witnessed = coef["experience[witnessed]"]
    assert abs(witnessed.estimate) < 3 * witnessed.se  # no true effect
    assert "site" in mixed.variance_components
    contrasts = {(c.group, c.measure): c for c in mixed.group_contrasts}
    staff_sedation = contrasts[("staff", "acute_sedation")]
    true_staff_sedation = sim.group_shift["staff"] + sim.group_measure_shift["staff"]["acute_sedation"]
    staff_belt = contrasts[("staff", "belt_long")]
    relative = contrasts[("relative", "belt_long")]
    for c, truth in ((staff_sedation, true_staff_sedation), (staff_belt, sim.group_shift["staff"]), (relative, sim.group_shift["relative"])):
        half = (c.ci_high - c.ci_low) / 2
        assert abs(c.estimate - truth) < 1.5 * half
    assert staff_sedation.estimate < 0 and staff_sedation.p < 0.05
    assert staff_sedation.estimate < staff_belt.estimate  # staff accept forced medication more
    ordinal = fit_ordinal(frame, subsampled, 5, 0.05, mixed)
    assert ordinal.error is None
    ocoef = {c.name: c for c in ordinal.coefficients}
    assert ocoef["gender[female]"].estimate > 0 and ocoef["experience[experienced]"].estimate > 0
    assert ordinal.kendall_tau_with_mixed is not None and ordinal.kendall_tau_with_mixed > 0.8
