"""Group and covariate effects: a linear mixed model and an ordinal sensitivity model.

Per setting, the rating is modelled on measure x group, gender, age band and
prior experience of the rated measure:

* MixedLM with a random intercept per respondent (people differ in how harsh
  they rate overall). Its standard errors are cluster-robust by site when the
  setting has at least ``min_sites`` sites: the fixed effects are the GLS
  estimates given the fitted variance components, and their covariance is
  the leave-one-site-out jackknife "CV3" (MacKinnon, Nielsen and Webb 2023),
  computed exactly and in linear time from per-site GLS blocks, with t
  quantiles on G - 1 degrees of freedom. Sites are sampled, so a group effect
  must be judged against the variation between sites, not only between
  respondents: with groups recruited at different sites a model-based SE
  calls a pure site difference a group effect. When leaving out a site makes
  a term inestimable (e.g. a group seen at one site only), the CR1 sandwich
  by site is used instead and ``se_method`` says so. With fewer sites the SEs
  are the model's own (inference conditional on the sites at hand).
  The site variance component is still reported, from a second MixedLM on
  the respondents' mean residuals, as a description only: it does not enter
  any standard error.
* OrderedModel (logit) on the rating cut into equal-width bins, as a check
  that the conclusions do not hinge on treating the 0-100 scale as interval;
  its standard errors are the CR1 sandwich clustered by site (by respondent
  with fewer than ``min_sites`` sites), with t quantiles on G - 1 degrees of
  freedom.

Reference: MacKinnon, J. G., Nielsen, M. O., Webb, M. D. (2023).
Cluster-robust inference: a guide to empirical practice. Journal of
Econometrics 232(2).

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
    #: How the standard errors were computed: ``site_cv3`` (leave-one-site-out
    #: jackknife), ``site_cr1`` (sandwich by site) or ``model`` (too few sites).
    se_method: str
    sites: int
    #: Degrees of freedom of the t quantiles (G - 1); None for normal quantiles.
    df: float | None
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
    #: ``site_cr1`` or ``respondent_cr1``: the clusters of the sandwich covariance (``model`` for one respondent).
    se_method: str
    clusters: int
    df: float | None
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


def _reference(df: float | None) -> Any:
    from scipy import stats  # here, not at the top: the server loads this module's result types

    return stats.norm if df is None else stats.t(df)


def _coefficients(params: pd.Series, cov: pd.DataFrame, alpha: float, df: float | None = None) -> list[Coefficient]:
    dist = _reference(df)
    se = np.sqrt(np.clip(np.diag(cov.loc[params.index, params.index].to_numpy()), 0, None))
    q = dist.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params.to_numpy() / se
    p = 2 * dist.sf(np.abs(z))
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


def site_robust_gls(
    exog: np.ndarray, endog: np.ndarray, respondents: np.ndarray, sites: np.ndarray, scale: float, respondent_var: float
) -> tuple[np.ndarray, np.ndarray, str]:
    """GLS estimates of a respondent random-intercept model and their site-clustered covariance.

    Given the variance components (residual ``scale`` and ``respondent_var``),
    respondent i's inverse covariance is ``(I - c_i J) / scale`` with
    ``c_i = respondent_var / (scale + n_i respondent_var)``, so the GLS blocks
    of each site are sums over its rows. The covariance is the
    leave-one-site-out jackknife CV3, ``(G-1)/G sum_g (b_(-g) - b)(b_(-g) - b)'``
    (each b_(-g) the exact GLS estimate without site g); if leaving out a site
    makes the design singular, the CR1 sandwich ``G/(G-1) B^-1 (sum_g u_g u_g') B^-1``.

    Returns:
        estimates, covariance, and the method name (``site_cv3`` / ``site_cr1``).
    """
    x = np.asarray(exog, dtype=float)
    y = np.asarray(endog, dtype=float)
    resp_codes, _ = pd.factorize(np.asarray(respondents))
    site_codes, _ = pd.factorize(np.asarray(sites))
    n_resp = int(resp_codes.max()) + 1
    g = int(site_codes.max()) + 1
    p = x.shape[1]
    n_i = np.bincount(resp_codes, minlength=n_resp).astype(float)
    c = respondent_var / (scale + n_i * respondent_var)
    # Per-respondent column sums of X and sums of y.
    sx = np.zeros((n_resp, p))
    np.add.at(sx, resp_codes, x)
    sy = np.bincount(resp_codes, weights=y, minlength=n_resp)
    resp_site = np.zeros(n_resp, dtype=int)
    resp_site[resp_codes] = site_codes
    blocks = np.zeros((g, p, p))
    rhs = np.zeros((g, p))
    for k in range(g):
        rows = site_codes == k
        who = resp_site == k
        xs = x[rows]
        blocks[k] = (xs.T @ xs - (sx[who] * c[who, None]).T @ sx[who]) / scale
        rhs[k] = (xs.T @ y[rows] - (sx[who] * c[who, None]).T @ sy[who]) / scale
    total_b = blocks.sum(axis=0)
    total_r = rhs.sum(axis=0)
    beta = np.linalg.solve(total_b, total_r)
    leave_out = []
    for k in range(g):
        rest = total_b - blocks[k]
        if np.linalg.matrix_rank(rest) < p:
            break
        leave_out.append(np.linalg.solve(rest, total_r - rhs[k]))
    if len(leave_out) == g:
        dev = np.asarray(leave_out) - beta
        return beta, (g - 1) / g * dev.T @ dev, "site_cv3"
    # CR1: scores of each site at the full estimate.
    e = y - x @ beta
    se_sum = np.bincount(resp_codes, weights=e, minlength=n_resp)
    scores = np.zeros((g, p))
    np.add.at(scores, site_codes, x * e[:, None])
    np.add.at(scores, resp_site, -(sx * (c * se_sum)[:, None]))
    scores /= scale
    bread = np.linalg.inv(total_b)
    return beta, g / (g - 1) * bread @ (scores.T @ scores) @ bread, "site_cr1"


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

        def score_obs(self, params: np.ndarray) -> np.ndarray:
            """Per-observation scores (rows sum to :meth:`score`), for cluster-robust covariances."""
            params = np.asarray(params, dtype=float)
            k = self.k_vars
            low, upp = self._bounds(params)
            prob = self.prob(low, upp) + 1e-20
            f_low = np.nan_to_num(self.pdf(low))
            f_upp = np.nan_to_num(self.pdf(upp))
            beta = -((f_upp - f_low) / prob)[:, None] * np.asarray(self.exog)
            y = np.asarray(self.endog, dtype=int)
            cuts = self.k_levels - 1
            n = y.size
            g = np.zeros((n, cuts + 1))
            g[np.arange(n), y] += f_upp / prob
            has_low = y >= 1
            g[np.flatnonzero(has_low), y[has_low] - 1] -= (f_low / prob)[has_low]
            g = g[:, :cuts]
            tail = np.cumsum(g[:, ::-1], axis=1)[:, ::-1]
            th = np.empty((n, cuts))
            th[:, 0] = g.sum(axis=1)
            th[:, 1:] = np.exp(params[k + 1 :]) * tail[:, 1:]
            return np.concatenate([beta, th], axis=1)

    return _Ordered(endog, exog, distr="logit")


def fit_mixed(frame: pd.DataFrame, subsampled: bool, alpha: float, min_sites: int = 5) -> MixedModelResult:
    """Fit the linear mixed model to one setting's model frame.

    Standard errors are site-clustered (module docstring) when the frame has
    at least ``min_sites`` sites, model-based otherwise.
    """
    import statsmodels.formula.api as smf

    terms, ref_measure = _terms(frame)
    formula = "value ~ " + " + ".join(terms)
    measures = sorted(frame["measure"].unique())
    sites = frame["site"].nunique()
    respondents = int(frame["respondent"].nunique())
    empty = MixedModelResult(formula, respondents, len(frame), subsampled, sites > 1, False, [], [], "model", sites, None, {}, [], None)
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
            params = fit.fe_params
            names = list(params.index)
            cov = fit.cov_params().loc[names, names]
            se_method, df = "model", None
            if sites >= min_sites:
                beta, robust, se_method = site_robust_gls(
                    np.asarray(model.exog),
                    np.asarray(model.endog),
                    frame["respondent"].to_numpy(),
                    frame["site"].to_numpy(),
                    float(fit.scale),
                    float(np.asarray(fit.cov_re)[0, 0]),
                )
                params = pd.Series(beta, index=names)
                cov = pd.DataFrame(robust, index=names, columns=names)
                df = float(sites - 1)
    except (np.linalg.LinAlgError, ValueError) as exc:
        return msgspec.structs.replace(empty, error=f"fit failed: {exc}")
    coefs = _coefficients(params, cov, alpha, df)
    dist = _reference(df)
    contrasts: list[GroupContrast] = []
    names = list(params.index)
    short = [_short(str(n)) for n in names]
    groups = sorted(frame["group"].unique())
    ref_group = REFERENCE_LEVELS["group"] if REFERENCE_LEVELS["group"] in groups else groups[0]
    v = cov.loc[names, names].to_numpy()
    q = dist.ppf(1 - alpha / 2)
    for g in groups:
        if g == ref_group or len(groups) < 2:
            continue
        for m in measures:
            # group effect at measure m = group main effect + its interaction.
            weights = np.array([1.0 if s == f"group[{g}]" or s == f"measure[{m}]:group[{g}]" else 0.0 for s in short])
            est = float(weights @ params.to_numpy())
            se = float(np.sqrt(max(weights @ v @ weights, 0.0)))
            p = float(2 * dist.sf(abs(est) / se)) if se > 0 else None
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
        se_method=se_method,
        sites=sites,
        df=df,
        variance_components=variance,
        measure_order=sorted(measures, key=lambda m: (effects[m], m)),
        error=None,
    )


def fit_ordinal(
    frame: pd.DataFrame, subsampled: bool, categories: int, alpha: float, mixed: MixedModelResult | None, min_sites: int = 5
) -> OrdinalModelResult:
    """Fit an ordered logit of the binned rating on the same terms as the mixed model.

    Standard errors: CR1 sandwich clustered by site (by respondent with fewer
    than ``min_sites`` sites), t quantiles on G - 1 degrees of freedom.
    """
    from scipy import stats  # here, not at the top: the server loads this module's result types
    import patsy

    terms, ref_measure = _terms(frame)
    formula = "rating_bin ~ " + " + ".join(terms)
    measures = sorted(frame["measure"].unique())
    # Equal-width bins of 0-100; the top edge is closed so 100 falls in the last bin.
    binned = np.minimum((frame["value"].to_numpy() * categories // 100).astype(int), categories - 1)
    n_sites = int(frame["site"].nunique())
    by_site = n_sites >= min_sites
    cluster_labels = frame["site" if by_site else "respondent"].to_numpy()
    se_method = "site_cr1" if by_site else "respondent_cr1"
    n_clusters = int(pd.unique(cluster_labels).size)
    empty = OrdinalModelResult(formula, categories, len(frame), subsampled, False, [], [], se_method, n_clusters, None, None, [], None)
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
        bread = np.asarray(fit.cov_params())
        if n_clusters >= 2:
            scores = model.score_obs(np.asarray(fit.params))
            codes, _ = pd.factorize(cluster_labels)
            per_cluster = np.zeros((n_clusters, scores.shape[1]))
            np.add.at(per_cluster, codes, scores)
            bread = n_clusters / (n_clusters - 1) * bread @ (per_cluster.T @ per_cluster) @ bread
        else:
            # One respondent: nothing to cluster over; the model's own covariance.
            se_method = "model"
        cov = pd.DataFrame(bread[:k, :k], index=design.columns, columns=design.columns)
    except (np.linalg.LinAlgError, ValueError) as exc:
        return msgspec.structs.replace(empty, error=f"fit failed: {exc}")
    df = float(n_clusters - 1) if n_clusters >= 2 else None
    coefs = _coefficients(params, cov, alpha, df)
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
        se_method=se_method,
        clusters=n_clusters,
        df=df,
        kendall_tau_with_mixed=tau,
        sign_disagreements=sorted(disagreements),
        error=None,
    )
