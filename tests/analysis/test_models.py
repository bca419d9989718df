"""Mixed and ordinal models: the analytic score, and recovery of known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.numdiff import approx_fprime

from analysis.models import fit_mixed, fit_ordinal, model_frame, ordered_model, site_robust_gls
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


def _confounded_frame(rng: np.random.Generator, site_sd: float = 8.0, per_site: int = 10) -> pd.DataFrame:
    """Patients at sites 0-5, staff at sites 6-11, no true group effect, strong site effects."""
    rows = []
    site_effect = rng.normal(0, site_sd, 12)
    measures = {"a": 30.0, "b": 45.0, "c": 60.0}
    for s in range(12):
        group = "patient" if s < 6 else "staff"
        for i in range(per_site):
            person = rng.normal(0, 10)
            gender = "female" if rng.random() < 0.5 else "male"
            for m, mu in measures.items():
                rows.append(
                    {
                        "respondent": f"s{s:02d}r{i:02d}",
                        "site": f"s{s:02d}",
                        "group": group,
                        "gender": gender,
                        "age_band": "30-49",
                        "experience": "none",
                        "measure": m,
                        "value": float(np.clip(mu + site_effect[s] + person + rng.normal(0, 10), 0, 100)),
                    }
                )
    frame, _ = model_frame(pd.DataFrame(rows), 10_000, np.random.default_rng(0))
    return frame


def test_site_robust_gls_matches_mixedlm_and_an_ols_jackknife_by_site() -> None:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = _confounded_frame(np.random.default_rng(1))
    model = smf.mixedlm("value ~ C(measure) + C(group)", frame, groups="respondent")
    fit = model.fit(reml=True)
    x, y = np.asarray(model.exog), np.asarray(model.endog)
    beta, _, method = site_robust_gls(x, y, frame["respondent"].to_numpy(), frame["site"].to_numpy(), float(fit.scale), float(np.asarray(fit.cov_re)[0, 0]))
    assert method == "site_cv3"
    assert np.allclose(beta, np.asarray(fit.fe_params), rtol=1e-4, atol=1e-4)
    # Without a respondent variance GLS is OLS: the jackknife must equal
    # refitting OLS with each site left out.
    beta0, cov0, _ = site_robust_gls(x, y, frame["respondent"].to_numpy(), frame["site"].to_numpy(), 100.0, 0.0)
    sites = frame["site"].to_numpy()
    loo = np.array([sm.OLS(y[sites != s], x[sites != s]).fit().params for s in np.unique(sites)])
    g = loo.shape[0]
    dev = loo - sm.OLS(y, x).fit().params
    assert np.allclose(beta0, sm.OLS(y, x).fit().params)
    assert np.allclose(cov0, (g - 1) / g * dev.T @ dev)


def test_group_contrast_is_judged_against_between_site_variation() -> None:
    frame = _confounded_frame(np.random.default_rng(2))
    robust = fit_mixed(frame, False, 0.05, min_sites=5)
    naive = fit_mixed(frame, False, 0.05, min_sites=13)
    assert robust.se_method == "site_cv3" and robust.df == 11 and naive.se_method == "model"
    r = {c.name: c for c in robust.coefficients}["group[staff]"]
    n = {c.name: c for c in naive.coefficients}["group[staff]"]
    assert r.estimate == pytest.approx(n.estimate, abs=1e-3)
    assert r.se > 1.5 * n.se  # respondents in a site are not independent evidence about groups
    ordinal = fit_ordinal(frame, False, 5, 0.05, robust, min_sites=5)
    assert ordinal.error is None and ordinal.se_method == "site_cr1" and ordinal.clusters == 12 and ordinal.df == 11


def test_ordered_model_observation_scores_sum_to_the_score() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.integers(0, 2, 200).astype(float)})
    y = np.digitize(0.8 * x["x1"] + rng.logistic(size=200), [-1.0, 0.0, 1.2])
    model = ordered_model(y, x)
    params = np.array([0.3, -0.2, -0.8, 0.1, 0.4])
    assert np.allclose(model.score_obs(params).sum(axis=0), model.score(params))


@pytest.mark.slow
def test_null_group_effect_confounded_with_sites_is_rarely_significant() -> None:
    rng = np.random.default_rng(4)
    runs = 200
    robust = naive = 0
    for _ in range(runs):
        frame = _confounded_frame(rng)
        robust += {c.name: c for c in fit_mixed(frame, False, 0.05).coefficients}["group[staff]"].p < 0.05
        naive += {c.name: c for c in fit_mixed(frame, False, 0.05, min_sites=13).coefficients}["group[staff]"].p < 0.05
    assert robust / runs <= 0.08, (robust / runs, naive / runs)
