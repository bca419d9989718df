"""Cluster-robust intervals for a mean when respondents sit in few sites.

Every interval the tiers rest on is an interval for a mean: a measure's mean
rating, or the mean of the within-respondent differences ``d_i = x_ib - x_ia``
of a pair. Both are intercept-only (weighted) least-squares fits, so the
small-sample cluster-robust variance "CR2" of Bell and McCaffrey (2002) has a
closed form here, and so have its Satterthwaite degrees of freedom.

For cluster ``g`` with ``n_g`` observations and weight ``c_g`` per observation
(weights must be constant within a cluster, as site-level design weights are),
with ``W = sum c_g n_g`` and ``S2 = sum c_g^2 n_g``::

    lambda_g = 1 + n_g * S2 / W^2 - 2 * c_g * n_g / W
    V_CR2    = sum_g (c_g * e_g)^2 / (W^2 * lambda_g)

where ``e_g`` is the sum of the residuals ``y_i - mean`` in cluster ``g``;
``lambda_g`` is the eigenvalue of ``(I - H)_g (I - H)_g'`` on the cluster's
vector of ones, which is all the adjustment matrix ``(I - H)_g^{-1/2}`` acts
on for an intercept-only design. Without weights ``lambda_g = 1 - n_g / N``.
The degrees of freedom are those of Bell and McCaffrey (2002), i.e. of
Pustejovsky and Tipton (2018) with an independence working model:
``nu = (tr M)^2 / ||M||_F^2`` for the G x G matrix ``M`` of the quadratic form
(``G - 1`` for equal cluster sizes, fewer when sizes differ). Imbens and
Kolesar (2016) recommend exactly this combination for few clusters.

With one observation per cluster and no weights, the interval is the
ordinary ``s / sqrt(n)`` t interval on ``n - 1`` degrees of freedom; this is
the respondent-level fallback used when there are too few sites.

References:
    Bell, R. M., McCaffrey, D. F. (2002). Bias reduction in standard errors
    for linear regression with multi-stage samples. Survey Methodology 28(2).
    Imbens, G. W., Kolesar, M. (2016). Robust standard errors in small
    samples: some practical advice. Review of Economics and Statistics 98(4).
    Pustejovsky, J. E., Tipton, E. (2018). Small-sample methods for
    cluster-robust variance estimation and hypothesis testing in fixed effects
    models. Journal of Business & Economic Statistics 36(4).
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import pandas as pd

#: Interval methods, as named in results.
SITE_CR2: Final = "site_cr2"
RESPONDENT: Final = "respondent"
#: Estimands for the mean when sites contribute unequally.
WEIGHTINGS: Final = ("respondent", "site")


class ClusterMean(NamedTuple):
    """A (weighted) mean with its CR2 standard error and Bell-McCaffrey degrees of freedom."""

    mean: float
    se: float
    df: float
    clusters: int


def design_weights(sites: np.ndarray, weighting: str) -> np.ndarray:
    """Per-observation weights of an estimand: ones, or ``1 / n_site`` so every site counts equally."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")
    codes, _ = pd.factorize(np.asarray(sites), sort=False)
    if weighting == "respondent" or codes.size == 0:
        return np.ones(codes.size)
    return (1.0 / np.bincount(codes).astype(float))[codes]


def cr2_mean(values: np.ndarray, clusters: np.ndarray, weights: np.ndarray | None = None) -> ClusterMean:
    """Weighted mean of ``values`` with a CR2 standard error over ``clusters`` (module docstring).

    Args:
        values: one number per observation (no NaN).
        clusters: the cluster label of each value (sites, or respondents for
            the respondent-level interval).
        weights: design weights, constant within each cluster (e.g. from
            :func:`design_weights`); None for equal weights.

    Returns:
        mean, se, df and the number of clusters; se and df are NaN with fewer
        than two clusters.

    Raises:
        ValueError: when the weights vary within a cluster.
    """
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        return ClusterMean(np.nan, np.nan, np.nan, 0)
    codes, _ = pd.factorize(np.asarray(clusters), sort=False)
    return cr2_from_codes(y, codes, weights)


def cr2_from_codes(values: np.ndarray, codes: np.ndarray, weights: np.ndarray | None = None) -> ClusterMean:
    """:func:`cr2_mean` with clusters given as non-negative integer codes (unused codes allowed).

    Lets a caller factorize the site labels once and reuse the codes for
    every subset of respondents (each pair of measures).
    """
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        return ClusterMean(np.nan, np.nan, np.nan, 0)
    counts = np.bincount(codes)
    used = counts > 0
    # Renumber to the clusters present, so an empty one does not count.
    codes = (np.cumsum(used) - 1)[codes]
    g = int(used.sum())
    n_g = counts[used].astype(float)
    if weights is None:
        c = np.ones(g)
    else:
        w_obs = np.asarray(weights, dtype=float)
        c = np.bincount(codes, weights=w_obs, minlength=g) / n_g
        if not np.allclose(w_obs, c[codes], rtol=1e-9, atol=0.0):
            raise ValueError("weights must be constant within each cluster")
    w = c[codes]
    total = float(np.sum(w))
    mean = float(np.sum(w * y) / total)
    if g < 2:
        return ClusterMean(mean, np.nan, np.nan, g)
    s2 = float(np.sum(c**2 * n_g))
    lam = 1.0 + n_g * s2 / total**2 - 2.0 * c * n_g / total
    a = c / (total * np.sqrt(lam))
    e_g = np.bincount(codes, weights=y - mean, minlength=g)
    var = float(np.sum((a * e_g) ** 2))
    # M = D + L with D diagonal and L = U C U' of rank two, so its trace and
    # Frobenius norm cost O(G) even when every respondent is a cluster.
    d = a**2 * n_g
    u1 = a * n_g
    u2 = a * n_g * c / total
    s = s2 / total**2
    l_diag = s * u1**2 - 2.0 * u1 * u2
    u = np.column_stack([u1, u2])
    cl = np.array([[s, -1.0], [-1.0, 0.0]]) @ (u.T @ u)
    trace = float(np.sum(d + l_diag))
    frobenius = float(np.sum(d**2) + 2.0 * np.sum(d * l_diag) + np.trace(cl @ cl))
    df = trace**2 / frobenius if frobenius > 0 else np.nan
    return ClusterMean(mean, float(np.sqrt(var)), float(df), g)
