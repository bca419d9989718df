"""Bradley-Terry estimates from the paired-comparison block.

Model: the probability that measure a is judged *more* intrusive than b is
``logistic(theta_a - theta_b)``; a choice "b would feel less intrusive" is a
win in intrusiveness for a. It is fitted as a logistic regression without
intercept on ``e_a - e_b`` (statsmodels GLM), with the first measure by code
fixed at 0 for identification, and reported centred (mean theta = 0) with
respondent-clustered standard errors, because one respondent answers many
pairs.
"""

from __future__ import annotations

import warnings

import msgspec
import numpy as np
import pandas as pd


class BTEstimate(msgspec.Struct, frozen=True):
    """Centred intrusiveness strength of one measure (higher = more intrusive)."""

    measure: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    #: Times judged the more intrusive of a pair, and pairs it appeared in.
    wins: int
    comparisons: int


class BradleyTerryResult(msgspec.Struct, frozen=True):
    """Bradley-Terry fit of one group x setting and its agreement with the ratings."""

    comparisons: int
    respondents: int
    small_cell: bool
    estimates: list[BTEstimate]
    #: Measures ordered least to most intrusive by estimate.
    order: list[str]
    #: Rank agreement with the mean ratings over the measures present in both.
    kendall_tau_with_ratings: float | None
    spearman_with_ratings: float | None
    measures_in_common: int
    error: str | None


def _connected(measures: list[str], pairs: pd.DataFrame) -> bool:
    parent = {m: m for m in measures}

    def find(m: str) -> str:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for a, b in zip(pairs["measure"], pairs["measure_b"]):
        parent[find(a)] = find(b)
    return len({find(m) for m in measures}) == 1


def fit_bradley_terry(paired: pd.DataFrame, rating_means: dict[str, float], alpha: float, min_cell: int) -> BradleyTerryResult | None:
    """Fit Bradley-Terry to the answered paired rows of one group x setting.

    ``rating_means`` (measure -> mean rating) is used only for the agreement
    statistics. Returns None when there are no answered paired rows. When the
    model cannot be identified (disconnected comparison graph, a measure that
    always wins or always loses) the estimates are None and ``error`` says why.
    """
    from scipy import stats  # here, not at the top: the server loads this module's result types
    rows = paired[paired["choice"].notna()]
    if rows.empty:
        return None
    a = rows["measure"].astype(str).to_numpy()
    b = rows["measure_b"].astype(str).to_numpy()
    # Winner in intrusiveness: the measure *not* chosen as less intrusive.
    a_more = (rows["choice"].astype(str).to_numpy() == b).astype(float)
    measures = sorted(set(a) | set(b))
    index = {m: k for k, m in enumerate(measures)}
    ia = np.array([index[m] for m in a])
    ib = np.array([index[m] for m in b])
    k = len(measures)
    wins = np.bincount(ia, weights=a_more, minlength=k) + np.bincount(ib, weights=1 - a_more, minlength=k)
    appearances = np.bincount(ia, minlength=k) + np.bincount(ib, minlength=k)
    respondents = int(rows["respondent"].nunique())

    error: str | None = None
    theta = se = np.full(k, np.nan)
    if k < 2:
        error = "fewer than two measures compared"
    elif not _connected(measures, rows):
        error = "the comparison graph is not connected, so strengths are not comparable"
    elif np.any(wins == 0) or np.any(wins == appearances):
        error = "a measure always or never won its comparisons, so its strength is unbounded"
    else:
        import statsmodels.api as sm

        x = np.zeros((len(rows), k))
        x[np.arange(len(rows)), ia] = 1.0
        x[np.arange(len(rows)), ib] = -1.0
        design = x[:, 1:]
        groups = pd.factorize(rows["respondent"].to_numpy())[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = sm.GLM(a_more, design, family=sm.families.Binomial())
                if respondents >= 2:
                    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
                else:
                    fit = model.fit()
            beta = np.concatenate([[0.0], np.asarray(fit.params)])
            cov_b = np.zeros((k, k))
            cov_b[1:, 1:] = np.asarray(fit.cov_params())
            centre = np.eye(k) - np.full((k, k), 1.0 / k)
            theta = centre @ beta
            se = np.sqrt(np.clip(np.diag(centre @ cov_b @ centre.T), 0, None))
        except (np.linalg.LinAlgError, ValueError) as exc:
            error = f"fit failed: {exc}"
    z = stats.norm.ppf(1 - alpha / 2)
    estimates = [
        BTEstimate(
            measure=m,
            estimate=float(theta[i]),
            se=float(se[i]),
            ci_low=float(theta[i] - z * se[i]),
            ci_high=float(theta[i] + z * se[i]),
            wins=int(wins[i]),
            comparisons=int(appearances[i]),
        )
        for i, m in enumerate(measures)
    ]
    order = sorted(measures, key=lambda m: (theta[index[m]], m)) if error is None else []
    common = [m for m in measures if m in rating_means and np.isfinite(rating_means[m])]
    tau = rho = None
    if error is None and len(common) >= 3:
        bt = [theta[index[m]] for m in common]
        rt = [rating_means[m] for m in common]
        tau = float(stats.kendalltau(bt, rt).statistic)
        rho = float(stats.spearmanr(bt, rt).statistic)
    return BradleyTerryResult(
        comparisons=int(len(rows)),
        respondents=respondents,
        small_cell=respondents < min_cell,
        estimates=estimates,
        order=order,
        kendall_tau_with_ratings=tau,
        spearman_with_ratings=rho,
        measures_in_common=len(common),
        error=error,
    )
