"""Bradley-Terry with ties (Davidson 1970) on the paired-comparison block.

Each paired item asks which of two measures would feel *less* intrusive; a
respondent may answer "don't know". Strengths are intrusiveness: higher means
more intrusive. With strengths ``theta`` and ``d = (theta_a - theta_b) / 2``,
Davidson's model gives

    P(a more intrusive) = exp(d) / S,  P(b more intrusive) = exp(-d) / S,
    P(tie) = nu / S,  S = exp(d) + exp(-d) + nu,

which is Davidson's ``nu sqrt(pi_a pi_b) / (pi_a + pi_b + nu sqrt(pi_a pi_b))``
with ``pi = exp(theta)``. A "don't know" is a tie: the respondent could not
tell the two apart, which is information about their closeness, not an answer
to drop. "Prefer not to answer" says nothing about the measures and is left
out. Without any tie the model is plain Bradley-Terry (``nu = 0``).

The log-likelihood is concave in (theta, log nu), so it is maximised with
Newton-type steps (``scipy.optimize``, trust-exact with the analytic
Hessian). Before fitting, the comparison graph is checked
(:func:`analysis.choice_models.comparison_graph_problem`): with separation
or a disconnected graph there is no finite estimate, and the result says so
instead of returning one.

Standard errors are cluster-robust (sandwich, with the G/(G-1) factor) by
site when there are enough sites and by respondent otherwise, with t(G-1)
quantiles; strengths are reported centred (mean 0).

Reference: Davidson, R. R. (1970). On extending the Bradley-Terry model to
accommodate ties in paired comparison experiments. JASA 65(329), 317-328.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd

from analysis.choice_models import (
    MIN_SITE_CLUSTERS,
    Clustering,
    FitStatus,
    StrengthDifference,
    choose_clustering,
    comparison_graph_problem,
    differences_from_covariance,
)


class BTEstimate(msgspec.Struct, frozen=True):
    """Centred intrusiveness strength of one measure (higher = more intrusive)."""

    measure: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    #: Times judged the more intrusive of a pair, and pairs it appeared in
    #: (ties included).
    wins: int
    comparisons: int
    #: Pairs with this measure answered "don't know" (ties).
    ties: int = 0


class BradleyTerryResult(msgspec.Struct, frozen=True):
    """Davidson (Bradley-Terry with ties) fit of one group x setting."""

    #: Answered pairs used: decisive answers plus ties.
    comparisons: int
    respondents: int
    small_cell: bool
    estimates: list[BTEstimate]
    #: Measures ordered least to most intrusive by estimate (empty unless status is "ok").
    order: list[str]
    #: Rank agreement with the mean ratings over the measures present in both.
    kendall_tau_with_ratings: float | None
    spearman_with_ratings: float | None
    measures_in_common: int
    #: The problem when status is not "ok" (same text as ``message``).
    error: str | None
    status: FitStatus = "ok"
    message: str | None = None
    #: "Don't know" answers, used as ties.
    ties: int = 0
    #: Davidson's nu (0 when there were no ties) with its interval.
    tie_parameter: float | None = None
    tie_parameter_ci_low: float | None = None
    tie_parameter_ci_high: float | None = None
    clustering: Clustering | None = None
    #: Every pair's strength difference (b minus a) with its interval.
    differences: list[StrengthDifference] = msgspec.field(default_factory=list)


class _Davidson:
    """Log-likelihood, gradient and Hessian of Davidson's model, and per-cluster scores.

    Parameters are theta of all measures but the first (fixed at 0) and,
    with ties, log nu last. ``y`` codes 0 = a more intrusive, 1 = b more
    intrusive, 2 = tie. Sums go through ``bincount`` over the measure
    indices, so the cost is linear in the answers; the last evaluation is
    kept because the optimiser asks for value, gradient and Hessian at the
    same point.
    """

    def __init__(self, ia: np.ndarray, ib: np.ndarray, y: np.ndarray, k: int, with_ties: bool) -> None:
        self.ia, self.ib, self.k, self.with_ties = ia, ib, k, with_ties
        self.y1, self.y2, self.y3 = (y == 0).astype(float), (y == 1).astype(float), (y == 2).astype(float)
        self._key: bytes | None = None

    def _at(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        key = params.tobytes()
        if key != self._key:
            k = self.k
            theta = np.concatenate([[0.0], params[: k - 1]])
            log_nu = params[k - 1] if self.with_ties else -np.inf
            d = (theta[self.ia] - theta[self.ib]) / 2
            top = np.maximum(np.abs(d), log_nu)
            e1, e2, e3 = np.exp(d - top), np.exp(-d - top), np.exp(log_nu - top)
            total = e1 + e2 + e3
            p1, p2, p3 = e1 / total, e2 / total, e3 / total
            log_s = top + np.log(total)
            loglik = float((self.y1 - self.y2) @ d - log_s.sum() + (self.y3.sum() * log_nu if self.with_ties else 0.0))
            g_d = (self.y1 - self.y2) - (p1 - p2)
            g_nu = self.y3 - p3
            self._key, self._value = key, (loglik, g_d, g_nu, p1 - p2, p3)
        return self._value

    def _on_theta(self, per_answer: np.ndarray) -> np.ndarray:
        # d = (theta_a - theta_b) / 2, so an answer's d-derivative splits +1/2, -1/2.
        return 0.5 * (np.bincount(self.ia, per_answer, self.k) - np.bincount(self.ib, per_answer, self.k))[1:]

    def loglik(self, params: np.ndarray) -> float:
        return self._at(params)[0]

    def gradient(self, params: np.ndarray) -> np.ndarray:
        _, g_d, g_nu, _, _ = self._at(params)
        g = self._on_theta(g_d)
        return np.append(g, g_nu.sum()) if self.with_ties else g

    def hessian(self, params: np.ndarray) -> np.ndarray:
        _, _, _, diff, p3 = self._at(params)
        k = self.k
        # Second derivatives of -log S in (d, log nu): the multinomial covariance of (y1 - y2, y3).
        w_dd = 0.25 * -((1 - p3) - diff**2)
        pair = np.bincount(self.ia * k + self.ib, w_dd, k * k).reshape(k, k)
        h = np.diag(np.bincount(self.ia, w_dd, k) + np.bincount(self.ib, w_dd, k)) - pair - pair.T
        h = h[1:, 1:]
        if not self.with_ties:
            return h
        out = np.empty((k, k))
        out[: k - 1, : k - 1] = h
        out[: k - 1, k - 1] = out[k - 1, : k - 1] = self._on_theta(diff * p3)
        out[k - 1, k - 1] = -(p3 * (1 - p3)).sum()
        return out

    def cluster_scores(self, params: np.ndarray, codes: np.ndarray, clusters: int) -> np.ndarray:
        """Score sums per cluster (clusters x params), the meat of the sandwich."""
        _, g_d, g_nu, _, _ = self._at(params)
        k = self.k
        theta_part = (
            np.bincount(codes * k + self.ia, 0.5 * g_d, clusters * k) - np.bincount(codes * k + self.ib, 0.5 * g_d, clusters * k)
        ).reshape(clusters, k)[:, 1:]
        if not self.with_ties:
            return theta_part
        return np.column_stack([theta_part, np.bincount(codes, g_nu, clusters)])


def fit_bradley_terry(
    paired: pd.DataFrame, rating_means: dict[str, float], alpha: float, min_cell: int, min_sites: int = MIN_SITE_CLUSTERS
) -> BradleyTerryResult | None:
    """Fit Davidson's Bradley-Terry model with ties to the paired rows of one group x setting.

    ``paired`` needs ``respondent``, ``measure``, ``measure_b`` and
    ``choice`` (the measure chosen as less intrusive); ``missing`` (a
    "dont_know" row is a tie) and ``site`` (clustering) are used when
    present (sites cluster the errors when there are at least
    ``min_sites``). ``rating_means`` (measure -> mean rating) feeds only the
    agreement statistics. Returns None when there is no usable paired row.
    When the strengths are not identifiable, ``status`` names the reason,
    ``message`` explains it and no estimate is given.
    """
    from scipy import optimize, stats  # here, not at the top: the server loads this module's result types

    decisive = paired["choice"].notna()
    tie = ~decisive & (paired["missing"] == "dont_know").fillna(False) if "missing" in paired.columns else decisive & False
    rows = paired[(decisive | tie).to_numpy()]
    if rows.empty:
        return None
    is_tie = tie[(decisive | tie).to_numpy()].to_numpy()
    a = rows["measure"].astype(str).to_numpy()
    b = rows["measure_b"].astype(str).to_numpy()
    choice = rows["choice"].astype("string").fillna("").to_numpy(dtype=object)
    # The measure *not* chosen as less intrusive is the more intrusive one.
    y = np.where(is_tie, 2, np.where(choice == b, 0, 1))
    measures = sorted(set(a) | set(b))
    index = {m: k for k, m in enumerate(measures)}
    ia = np.array([index[m] for m in a])
    ib = np.array([index[m] for m in b])
    k = len(measures)
    winner = np.where(y == 0, ia, ib)
    loser = np.where(y == 0, ib, ia)
    decided = y != 2
    wins = np.bincount(winner[decided], minlength=k)
    ties_per = np.bincount(ia[~decided], minlength=k) + np.bincount(ib[~decided], minlength=k)
    appearances = np.bincount(ia, minlength=k) + np.bincount(ib, minlength=k)
    respondents = int(rows["respondent"].nunique())
    n_ties = int((~decided).sum())

    adjacency = np.zeros((k, k))
    np.add.at(adjacency, (winner[decided], loser[decided]), 1.0)
    np.add.at(adjacency, (ia[~decided], ib[~decided]), 1.0)
    np.add.at(adjacency, (ib[~decided], ia[~decided]), 1.0)
    problem = comparison_graph_problem(measures, adjacency)
    if problem is None and not decided.any():
        problem = ("no_decisive_answers", "every answered pair was \"don't know\", so no measure was judged more intrusive than another")

    codes, clustering = choose_clustering(rows, min_sites)
    theta = se = np.full(k, np.nan)
    cov_theta = np.full((k, k), np.nan)
    nu = nu_low = nu_high = None
    differences: list[StrengthDifference] = []
    if problem is None:
        with_ties = n_ties > 0
        model = _Davidson(ia, ib, y, k, with_ties)
        start = np.zeros(k if with_ties else k - 1)
        if with_ties:
            start[-1] = np.log(n_ties / max(int(decided.sum()), 1))
        fit = optimize.minimize(
            lambda p: -model.loglik(p), start, jac=lambda p: -model.gradient(p), hess=lambda p: -model.hessian(p), method="trust-exact"
        )
        if not fit.success or not np.all(np.isfinite(fit.x)):
            problem = ("fit_failed", f"the likelihood maximisation did not converge ({fit.message})")
        else:
            hess = model.hessian(fit.x)
            bread = np.linalg.inv(-hess)
            g = clustering.clusters
            per_cluster = model.cluster_scores(fit.x, codes, g)
            cov = bread @ (per_cluster.T @ per_cluster) @ bread * (g / (g - 1) if g > 1 else 1.0)
            full = np.zeros((k, k))
            full[1:, 1:] = cov[: k - 1, : k - 1]
            centre = np.eye(k) - np.full((k, k), 1.0 / k)
            theta = centre @ np.concatenate([[0.0], fit.x[: k - 1]])
            cov_theta = centre @ full @ centre.T
            se = np.sqrt(np.clip(np.diag(cov_theta), 0, None))
            quantile = float(stats.t.ppf(1 - alpha / 2, max(g - 1, 1)))
            differences = differences_from_covariance(measures, theta, cov_theta, quantile)
            if with_ties:
                log_nu, se_log_nu = fit.x[-1], float(np.sqrt(max(cov[-1, -1], 0.0)))
                nu, nu_low, nu_high = (float(np.exp(v)) for v in (log_nu, log_nu - quantile * se_log_nu, log_nu + quantile * se_log_nu))
            else:
                nu, nu_low, nu_high = 0.0, None, None
    if problem is not None:
        quantile = float("nan")
    ok = problem is None

    def opt(v: float) -> float | None:
        return float(v) if ok and np.isfinite(v) else None

    estimates = [
        BTEstimate(
            measure=m,
            estimate=opt(theta[i]),
            se=opt(se[i]),
            ci_low=opt(theta[i] - quantile * se[i]),
            ci_high=opt(theta[i] + quantile * se[i]),
            wins=int(wins[i]),
            comparisons=int(appearances[i]),
            ties=int(ties_per[i]),
        )
        for i, m in enumerate(measures)
    ]
    order = sorted(measures, key=lambda m: (theta[index[m]], m)) if ok else []
    common = [m for m in measures if m in rating_means and np.isfinite(rating_means[m])]
    tau = rho = None
    if ok and len(common) >= 3:
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
        error=None if ok else problem[1],
        status="ok" if ok else problem[0],
        message=None if ok else problem[1],
        ties=n_ties,
        tie_parameter=nu,
        tie_parameter_ci_low=nu_low,
        tie_parameter_ci_high=nu_high,
        clustering=clustering,
        differences=differences,
    )
