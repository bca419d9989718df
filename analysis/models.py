"""Group and covariate effects: a linear mixed model and an ordinal sensitivity model.

Per setting, the rating is modelled on measure x group, gender, age band and
prior experience of the rated measure:

* MixedLM with a random intercept per respondent (people differ in how harsh
  they rate overall). With several sites, the site variance component is
  estimated in a second MixedLM (grouped by site) on the respondents'
  mean residuals from the first fit. The one-step nested model (site groups
  with a respondent variance component) gives the same decomposition but its
  cost grows with the square of respondents per site in statsmodels, which
  breaks the linear-cost goal; the second stage is linear.
* OrderedModel (logit) on the rating cut into equal-width bins, without
  random effects, as a check that the conclusions do not hinge on treating
  the 0-100 scale as interval.

Missing covariates are their own level ("unknown") rather than dropping the
respondent, so the models use the same people as the descriptives.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Final

import msgspec
import numpy as np
import pandas as pd

REFERENCE_LEVELS: Final = {"group": "patient", "gender": "male", "experience": "none"}
_TERM = re.compile(r"C\((\w+)(?:, Treatment\([^)]*\))?\)\[T\.([^\]]+)\]")


class Coefficient(msgspec.Struct, frozen=True):
    """One fixed-effect estimate with its Wald interval."""

    name: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


class GroupContrast(msgspec.Struct, frozen=True):
    """Difference in expected rating of one measure between a group and the reference group."""

    measure: str
    group: str
    reference_group: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


class MixedModelResult(msgspec.Struct, frozen=True):
    """Linear mixed model fit for one setting."""

    formula: str
    respondents: int
    observations: int
    #: True when fitted on a seeded random subset of respondents.
    subsampled: bool
    site_variance_component: bool
    converged: bool
    coefficients: list[Coefficient]
    group_contrasts: list[GroupContrast]
    variance_components: dict[str, float]
    #: Measures by predicted rating for the reference levels, least intrusive first.
    measure_order: list[str]
    error: str | None


class OrdinalModelResult(msgspec.Struct, frozen=True):
    """Ordered logit fit for one setting (sensitivity check)."""

    formula: str
    categories: int
    observations: int
    subsampled: bool
    converged: bool
    coefficients: list[Coefficient]
    measure_order: list[str]
    #: Rank agreement of the measure effects with the mixed model's.
    kendall_tau_with_mixed: float | None
    #: Covariate effects whose sign differs from the mixed model's.
    sign_disagreements: list[str]
    error: str | None


class SettingModels(msgspec.Struct, frozen=True):
    """The models of one setting."""

    setting: str
    mixed: MixedModelResult | None
    ordinal: OrdinalModelResult | None

    def summary_lines(self) -> list[str]:
        """Lines for :meth:`GradationResult.summary`."""
        lines: list[str] = []
        for label, fit in (("mixed", self.mixed), ("ordinal", self.ordinal)):
            if fit is None:
                continue
            if fit.error is not None:
                lines.append(f"{label}: not fitted ({fit.error})")
                continue
            lines.append(f"{label}: {fit.formula}  (n obs {fit.observations}{', subsample' if fit.subsampled else ''}{'' if fit.converged else ', NOT CONVERGED'})")
            for c in fit.coefficients:
                if c.estimate is None or c.name.startswith("measure[") or c.name == "Intercept":
                    continue
                lines.append(f"  {c.name:<40} {c.estimate:8.3f}  [{c.ci_low:8.3f}, {c.ci_high:8.3f}]  p={c.p:.3g}")
        return lines


def _short(name: str) -> str:
    # "C(gender, Treatment(reference='male'))[T.female]" -> "gender[female]"
    return _TERM.sub(lambda m: f"{m.group(1)}[{m.group(2)}]", name)


def model_frame(ratings: pd.DataFrame, max_respondents: int, rng: np.random.Generator) -> tuple[pd.DataFrame, bool]:
    """Numeric ratings of one setting with covariates filled, possibly subsampled."""
    frame = ratings.loc[ratings["value"].notna(), ["respondent", "site", "group", "gender", "age_band", "experience", "measure", "value"]]
    people = np.sort(frame["respondent"].astype(str).unique())
    subsampled = people.size > max_respondents
    if subsampled:
        # Subsample before the conversions below, which copy every column
        # they touch.
        keep = set(rng.choice(people, size=max_respondents, replace=False))
        frame = frame[frame["respondent"].astype(str).isin(keep)]
    for column in ("gender", "age_band", "experience"):
        frame[column] = frame[column].astype("string").fillna("unknown")
    for column in ("respondent", "site", "group", "gender", "age_band", "experience", "measure"):
        frame[column] = frame[column].astype(str)
    frame = frame.sort_values(["respondent", "measure"], kind="mergesort").reset_index(drop=True)
    return frame, subsampled


def _terms(frame: pd.DataFrame) -> tuple[list[str], str]:
    """Right-hand-side terms for the factors that vary, and the reference measure."""
    measures = sorted(frame["measure"].unique())
    ref_measure = measures[0]
    terms: list[str] = []
    measure_term = f"C(measure, Treatment(reference='{ref_measure}'))"
    groups = sorted(frame["group"].unique())
    if len(groups) > 1:
        ref = REFERENCE_LEVELS["group"] if REFERENCE_LEVELS["group"] in groups else groups[0]
        terms.append(f"{measure_term} * C(group, Treatment(reference='{ref}'))")
    else:
        terms.append(measure_term)
    for column in ("gender", "age_band", "experience"):
        levels = sorted(frame[column].unique())
        if len(levels) > 1:
            ref = REFERENCE_LEVELS.get(column)
            ref = ref if ref in levels else levels[0]
            terms.append(f"C({column}, Treatment(reference='{ref}'))")
    return terms, ref_measure


def _coefficients(params: pd.Series, cov: pd.DataFrame, alpha: float, use_t_df: float | None = None) -> list[Coefficient]:
    from scipy import stats  # here, not at the top: the server loads this module's result types
    se = np.sqrt(np.clip(np.diag(cov.loc[params.index, params.index].to_numpy()), 0, None))
    q = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params.to_numpy() / se
    p = 2 * stats.norm.sf(np.abs(z))
    return [
        Coefficient(name=_short(str(n)), estimate=float(e), se=float(s), ci_low=float(e - q * s), ci_high=float(e + q * s), p=float(pp))
        for n, e, s, pp in zip(params.index, params.to_numpy(), se, p)
    ]


def _measure_effects(coefs: list[Coefficient], measures: list[str], ref_measure: str) -> dict[str, float]:
    by_name = {c.name: c.estimate for c in coefs}
    return {m: 0.0 if m == ref_measure else float(by_name.get(f"measure[{m}]") or 0.0) for m in measures}


def _site_variance(frame: pd.DataFrame, fixed: np.ndarray) -> dict[str, float]:
    """Second stage: split respondents' mean residuals into site and respondent variance."""
    import statsmodels.formula.api as smf

    per = pd.DataFrame({"r": frame["value"].to_numpy() - fixed, "respondent": frame["respondent"].to_numpy(), "site": frame["site"].to_numpy()})
    means = per.groupby(["site", "respondent"], sort=True)["r"].mean().reset_index()
    fit = smf.mixedlm("r ~ 1", means, groups="site").fit(reml=True)
    return {"site": float(np.asarray(fit.cov_re)[0, 0]), "respondent_within_site": float(fit.scale)}


def ordered_model(endog: np.ndarray, exog: pd.DataFrame) -> Any:
    """statsmodels OrderedModel (logit) with an analytic score and score-based Hessian.

    The stock model differentiates the log-likelihood numerically, which
    costs one likelihood evaluation per parameter per gradient and made the
    sensitivity model slower than everything else together. The estimates are
    the same maximum-likelihood estimates.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.numdiff import approx_fprime

    class _Ordered(OrderedModel):  # type: ignore[misc]
        def score(self, params: np.ndarray) -> np.ndarray:
            params = np.asarray(params, dtype=float)
            k = self.k_vars
            low, upp = self._bounds(params)
            prob = self.prob(low, upp) + 1e-20
            f_low = np.nan_to_num(self.pdf(low))
            f_upp = np.nan_to_num(self.pdf(upp))
            grad_beta = -((f_upp - f_low) / prob) @ np.asarray(self.exog)
            y = np.asarray(self.endog, dtype=int)
            cuts = self.k_levels - 1
            # d loglike / d threshold_j: +f(upp)/p where y == j, -f(low)/p where y - 1 == j.
            g = np.bincount(y, weights=f_upp / prob, minlength=cuts + 1)[:cuts]
            g -= np.bincount(y, weights=f_low / prob, minlength=cuts + 1)[1 : cuts + 1]
            # threshold_j = p0 + sum_{i<=j, i>=1} exp(p_i)
            tail = np.cumsum(g[::-1])[::-1]
            grad_th = np.empty(cuts)
            grad_th[0] = g.sum()
            grad_th[1:] = np.exp(params[k + 1 :]) * tail[1:]
            return np.concatenate([grad_beta, grad_th])

        def hessian(self, params: np.ndarray) -> np.ndarray:
            h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
            return (h + h.T) / 2

    return _Ordered(endog, exog, distr="logit")


def fit_mixed(frame: pd.DataFrame, subsampled: bool, alpha: float) -> MixedModelResult:
    """Fit the linear mixed model to one setting's model frame."""
    from scipy import stats  # here, not at the top: the server loads this module's result types
    import statsmodels.formula.api as smf

    terms, ref_measure = _terms(frame)
    formula = "value ~ " + " + ".join(terms)
    measures = sorted(frame["measure"].unique())
    sites = frame["site"].nunique()
    respondents = int(frame["respondent"].nunique())
    empty = MixedModelResult(formula, respondents, len(frame), subsampled, sites > 1, False, [], [], {}, [], None)
    if respondents < 3 or len(measures) < 2:
        return msgspec.structs.replace(empty, error="too few respondents or measures")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = smf.mixedlm(formula, frame, groups="respondent")
            fit = model.fit(reml=True)
            variance = {"residual": float(fit.scale), "respondent": float(np.asarray(fit.cov_re)[0, 0])}
            if sites > 1:
                variance.update(_site_variance(frame, np.asarray(model.exog) @ np.asarray(fit.fe_params)))
    except (np.linalg.LinAlgError, ValueError) as exc:
        return msgspec.structs.replace(empty, error=f"fit failed: {exc}")
    params = fit.fe_params
    cov = fit.cov_params()
    coefs = _coefficients(params, cov, alpha)
    contrasts: list[GroupContrast] = []
    names = list(params.index)
    short = [_short(str(n)) for n in names]
    groups = sorted(frame["group"].unique())
    ref_group = REFERENCE_LEVELS["group"] if REFERENCE_LEVELS["group"] in groups else groups[0]
    v = cov.loc[names, names].to_numpy()
    q = stats.norm.ppf(1 - alpha / 2)
    for g in groups:
        if g == ref_group or len(groups) < 2:
            continue
        for m in measures:
            # group effect at measure m = group main effect + its interaction.
            weights = np.array([1.0 if s == f"group[{g}]" or s == f"measure[{m}]:group[{g}]" else 0.0 for s in short])
            est = float(weights @ params.to_numpy())
            se = float(np.sqrt(max(weights @ v @ weights, 0.0)))
            p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else None
            contrasts.append(GroupContrast(m, g, ref_group, est, float(est - q * se), float(est + q * se), p))
    effects = _measure_effects(coefs, measures, ref_measure)
    return MixedModelResult(
        formula=formula,
        respondents=respondents,
        observations=len(frame),
        subsampled=subsampled,
        site_variance_component=sites > 1,
        converged=bool(fit.converged),
        coefficients=coefs,
        group_contrasts=contrasts,
        variance_components=variance,
        measure_order=sorted(measures, key=lambda m: (effects[m], m)),
        error=None,
    )


def fit_ordinal(frame: pd.DataFrame, subsampled: bool, categories: int, alpha: float, mixed: MixedModelResult | None) -> OrdinalModelResult:
    """Fit an ordered logit of the binned rating on the same terms as the mixed model."""
    from scipy import stats  # here, not at the top: the server loads this module's result types
    import patsy

    terms, ref_measure = _terms(frame)
    formula = "rating_bin ~ " + " + ".join(terms)
    measures = sorted(frame["measure"].unique())
    # Equal-width bins of 0-100; the top edge is closed so 100 falls in the last bin.
    binned = np.minimum((frame["value"].to_numpy() * categories // 100).astype(int), categories - 1)
    empty = OrdinalModelResult(formula, categories, len(frame), subsampled, False, [], [], None, [], None)
    if len(np.unique(binned)) < 2 or len(measures) < 2:
        return msgspec.structs.replace(empty, error="too few distinct ratings or measures")
    try:
        design = patsy.dmatrix(" + ".join(terms), frame, return_type="dataframe")
        design = design.drop(columns=["Intercept"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ordered_model(binned, design)
            fit = model.fit(method="bfgs", disp=False, maxiter=1000)
        k = design.shape[1]
        params = pd.Series(np.asarray(fit.params)[:k], index=design.columns)
        # A singular Hessian (e.g. a covariate level seen in one bin only) has no
        # covariance; report that instead of failing the whole gradation.
        cov = pd.DataFrame(np.asarray(fit.cov_params())[:k, :k], index=design.columns, columns=design.columns)
    except (np.linalg.LinAlgError, ValueError) as exc:
        return msgspec.structs.replace(empty, error=f"fit failed: {exc}")
    coefs = _coefficients(params, cov, alpha)
    effects = _measure_effects(coefs, measures, ref_measure)
    tau = None
    disagreements: list[str] = []
    if mixed is not None and mixed.error is None:
        mixed_effects = _measure_effects(mixed.coefficients, measures, ref_measure)
        if len(measures) >= 3:
            tau = float(stats.kendalltau([effects[m] for m in measures], [mixed_effects[m] for m in measures]).statistic)
        mixed_by_name = {c.name: c.estimate for c in mixed.coefficients}
        for c in coefs:
            other = mixed_by_name.get(c.name)
            if c.name.startswith(("gender[", "age_band[", "experience[", "group[")) and other is not None and c.estimate is not None:
                if np.sign(other) != np.sign(c.estimate):
                    disagreements.append(c.name)
    converged = bool(fit.mle_retvals.get("converged", False)) if isinstance(fit.mle_retvals, dict) else False
    return OrdinalModelResult(
        formula=formula,
        categories=categories,
        observations=len(frame),
        subsampled=subsampled,
        converged=converged,
        coefficients=coefs,
        measure_order=sorted(measures, key=lambda m: (effects[m], m)),
        kendall_tau_with_mixed=tau,
        sign_disagreements=sorted(disagreements),
        error=None,
    )
