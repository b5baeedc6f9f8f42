"""Reliability of the themes: Cronbach's alpha, McDonald's omega and item statistics.

Public API (one column per item, one row per respondent):

- :func:`cronbach_alpha` and :func:`standardized_alpha`,
- :func:`mcdonald_omega` (omega total from a one-factor model),
- :func:`feldt_ci` (confidence interval of alpha),
- :func:`one_factor` (minres or ML one-factor fit) and :func:`pairwise_cov_corr`,
- :func:`reliability_table` (``reliabilitet.csv``) and :func:`item_statistics`
  (``itemstatistik.csv``, what R's ``psych::alpha`` prints per item).

Missing answers (blank, Ved ikke, a bad cell) are handled **pairwise** by default: every
covariance or correlation uses the respondents who answered both items, as
``psych::alpha(use = "pairwise")`` and ``pingouin.cronbach_alpha`` do. ``missing="listwise"``
keeps only the respondents who answered every item. In the survey tables reverse-keyed items are
reversed (``6 - answer``) first, and only the items a wave asked count for that wave.

Examples
--------
>>> import pandas as pd
>>> from omstilling_analysis.reliability import cronbach_alpha, mcdonald_omega
>>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
...                       "c": [1, 3, 3, 4, 5, 2]})
>>> round(cronbach_alpha(items), 4)
0.9318
>>> round(mcdonald_omega(items), 4)
0.9356
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from omstilling_analysis import reference
from omstilling_analysis.settings import Settings

__all__ = [
    "ICC_COLUMNS", "ITEM_COLUMNS", "NEVER_TOGETHER", "RELIABILITY_COLUMNS", "cov_to_corr",
    "cronbach_alpha", "feldt_ci", "icc1", "icc2", "item_drop_statistics", "item_statistics",
    "mcdonald_omega", "municipal_mean_reliability", "never_answered_together", "one_factor",
    "one_way_anova", "pairwise_cov_corr", "reliability_table", "standardized_alpha",
]  # fmt: skip

_MISSING = ("pairwise", "listwise")
#: Bounds of a uniqueness in the factor fit (as psych::fa): avoids Heywood cases at 0.
_PSI_BOUNDS = (0.005, 1.0)


def _items_frame(items: pd.DataFrame, missing: str) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a pandas DataFrame: one column per item")
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {_MISSING}, not {missing!r}")
    data = items.astype(float)
    if missing == "listwise":
        data = data.dropna(axis=0, how="any")
    return data


def pairwise_cov_corr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance and correlation matrices of the columns of ``values``.

    Entry ``(i, j)`` uses the rows where both columns are present (``ddof=1``), exactly as
    ``pandas.DataFrame.cov`` and ``.corr`` (the correlation's standard deviations too are taken
    over those rows), computed with matrix products so that 500,000 rows cost milliseconds.
    NaN where fewer than 2 rows (covariance) or a zero variance (correlation).
    """
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    # Each column's mean of its present values (a contiguous copy per column: the same sums).
    kept = [column[~np.isnan(column)] for column in np.ascontiguousarray(values.T)]
    centre = np.array([column.mean() if len(column) else 0.0 for column in kept])
    x = np.where(present, values - centre, 0.0)
    m = present.astype(float)
    n = m.T @ m
    sx = x.T @ m  # sx[i, j]: sum of x_i over rows where i and j are present
    sxx = (x * x).T @ m
    sxy = x.T @ x
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sx.T / n) / (n - 1)
        var_i = (sxx - sx**2 / n) / (n - 1)  # variance of i over the rows shared with j
        corr = cov / np.sqrt(var_i * var_i.T)
    cov[n < 2] = np.nan
    corr[n < 2] = np.nan
    np.fill_diagonal(corr, np.where(np.isnan(np.diag(cov)) | (np.diag(cov) <= 0), np.nan, 1.0))
    return cov, corr


NEVER_TOGETHER = "to spørgsmål er aldrig besvaret sammen"


def never_answered_together(cov: np.ndarray) -> bool:
    """Whether some pair of items has no covariance (fewer than 2 respondents answered both):
    the sum's variance cannot then be estimated, and alpha is missing rather than biased."""
    return bool(np.isnan(cov).any()) and bool(np.isfinite(np.diag(cov)).all())


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Alpha from a covariance matrix; NaN when a variance is missing or two items were never
    answered together (dropping that covariance would bias alpha down)."""
    k = cov.shape[0]
    trace = np.trace(cov)
    if k < 2 or not np.isfinite(trace) or np.isnan(cov).any():
        return float("nan")
    total = np.sum(cov)
    if total == 0:
        # The items cancel out exactly (a sum score without variance): as pingouin, the limit
        # of the formula, -inf, when the items vary; nothing to say when they do not either.
        return float("-inf") if trace > 0 else float("nan")
    return float(k / (k - 1) * (1.0 - trace / total))


def cronbach_alpha(items: pd.DataFrame, *, missing: str = "pairwise") -> float:
    """Cronbach's alpha (raw, from the covariance matrix).

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, one row per respondent; numeric, NaN for a missing answer.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (default): each covariance uses the rows where both items are present
        (``pandas.DataFrame.cov``); ``"listwise"``: only rows with every item present.

    Returns
    -------
    float
        Alpha; NaN with fewer than 2 items, an item with fewer than 2 answers, or two items
        with fewer than 2 respondents in common (:func:`never_answered_together`: leaving
        their covariance out of the sum, as ``pingouin.cronbach_alpha`` does, biases alpha
        down).

    Notes
    -----
    With :math:`k` items, item variances :math:`\\sigma^2_i` and the variance of the sum
    :math:`\\sigma^2_X = \\sum_{i,j} C_{ij}` (sum of all entries of the covariance matrix):

    .. math::

        \\alpha = \\frac{k}{k - 1}\\left(1 - \\frac{\\sum_i \\sigma^2_i}{\\sigma^2_X}\\right)

    Agrees with ``pingouin.cronbach_alpha`` and ``psych::alpha``'s ``raw_alpha`` (for the same
    missing-data rule).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334.

    Examples
    --------
    >>> import pandas as pd
    >>> from omstilling_analysis.reliability import cronbach_alpha
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                       "c": [1, 3, 3, 4, 5, 2]})
    >>> round(cronbach_alpha(items), 6)
    0.931765
    >>> items.loc[0, "a"] = None
    >>> round(cronbach_alpha(items), 4), round(cronbach_alpha(items, missing="listwise"), 4)
    (0.8787, 0.8969)
    """
    data = _items_frame(items, missing)
    return _alpha_from_cov(pairwise_cov_corr(data.to_numpy())[0])


def standardized_alpha(items: pd.DataFrame, *, missing: str = "pairwise") -> float:
    """Standardised alpha: alpha of the standardised items, from the mean inter-item correlation.

    .. math::

        \\alpha_{std} = \\frac{k \\bar r}{1 + (k - 1) \\bar r}, \\qquad
        r_{ij} = \\frac{C_{ij}}{\\sqrt{C_{ii} C_{jj}}}

    where :math:`\\bar r` is the mean of the :math:`k(k-1)/2` inter-item correlations, taken as
    ``psych::alpha``'s ``std.alpha`` takes them: ``cov2cor`` of the pairwise covariance matrix
    :math:`C`, i.e. each item's standard deviation over all its answers (not only the rows it
    shares with the other item). Without missing answers this is the ordinary correlation.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4], "c": [2, 1, 4, 3]})
    >>> round(standardized_alpha(items), 4)
    0.7241
    """
    data = _items_frame(items, missing)
    return _std_alpha_from_corr(cov_to_corr(pairwise_cov_corr(data.to_numpy())[0]))


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """R's ``cov2cor``: ``C_ij / sqrt(C_ii C_jj)`` (NaN where a variance is not positive).

    >>> cov_to_corr(np.array([[4.0, 2.0], [2.0, 9.0]])).round(4).tolist()
    [[1.0, 0.3333], [0.3333, 1.0]]
    """
    d = np.diag(cov).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(d > 0, 1 / np.sqrt(d), np.nan)
    return cov * np.outer(scale, scale)


def _mean_inter_item_r(corr: np.ndarray) -> float:
    k = corr.shape[0]
    if k < 2:
        return float("nan")
    return float(corr[np.triu_indices(k, 1)].mean())


def _std_alpha_from_corr(corr: np.ndarray) -> float:
    k = corr.shape[0]
    r = _mean_inter_item_r(corr)
    if not np.isfinite(r):
        return float("nan")
    return float(k * r / (1 + (k - 1) * r))


def feldt_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval of Cronbach's alpha.

    .. math::

        c_L = 1 - (1 - \\alpha)\\, F_{1-\\gamma/2}(n - 1, (n - 1)(k - 1)),\\qquad
        c_U = 1 - (1 - \\alpha)\\, F_{\\gamma/2}(n - 1, (n - 1)(k - 1))

    where :math:`F_p` is the *p* quantile of the F distribution, :math:`\\gamma = 1 -`
    ``confidence``, :math:`n` respondents and :math:`k` items (as ``pingouin.cronbach_alpha``
    and ``psych::alpha``, unrounded).

    Returns ``(nan, nan)`` when alpha is missing, ``n < 2`` or ``k < 2``.

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. *Psychometrika*, 30(3), 357-370.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. *Applied Psychological Measurement*, 11(1), 93-103.

    Examples
    --------
    >>> lo, hi = feldt_ci(0.8, n=100, k=6)
    >>> round(lo, 4), round(hi, 4)
    (0.7325, 0.8551)
    """
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    gamma = 1.0 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.isf(gamma / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.isf(1 - gamma / 2, df1, df2)
    return float(lower), float(upper)


# --------------------------------------------------------------------------- one-factor model


def _loadings(corr: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Loadings of the best rank-1 fit of ``corr - diag(psi)`` (its leading eigenpair)."""
    reduced = corr - np.diag(psi)
    values, vectors = np.linalg.eigh(reduced)
    loading = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    return loading if loading.sum() >= 0 else -loading


def _ml_loadings(corr: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """ML loadings for given uniquenesses: ``psi^(1/2) v sqrt(g - 1)`` with ``(g, v)`` the
    leading eigenpair of ``psi^(-1/2) corr psi^(-1/2)``."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = np.linalg.eigh(corr * np.outer(scale, scale))
    loading = np.sqrt(psi) * vectors[:, -1] * np.sqrt(max(values[-1] - 1.0, 0.0))
    return loading if loading.sum() >= 0 else -loading


def _minimise_uniquenesses(objective, start: np.ndarray) -> np.ndarray:
    """Minimise a factor-analysis objective over the uniquenesses (bounded L-BFGS-B)."""
    result = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[_PSI_BOUNDS] * len(start),
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    return result.x


def _fit_minres(corr: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Minimum residual (unweighted least squares) uniquenesses, as ``psych::fa(fm="minres")``.

    Minimises the sum of squared residuals of ``corr - diag(psi) - l l'`` over ``psi``, where
    ``l`` is the leading eigenvector solution for the given ``psi``; the gradient is
    ``-2 diag(corr - diag(psi) - l l')``.
    """

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        loading = _loadings(corr, psi)
        residual = corr - np.diag(psi) - np.outer(loading, loading)
        return float((residual**2).sum()), -2.0 * np.diag(residual)

    return _minimise_uniquenesses(objective, start)


def _fit_ml(corr: np.ndarray, start: np.ndarray) -> np.ndarray | None:
    """Maximum-likelihood uniquenesses (Joreskog's concentrated likelihood, as ``factanal``).

    Returns ``None`` when the correlation matrix is not positive definite (possible with
    pairwise-complete correlations).
    """
    if np.linalg.eigvalsh(corr)[0] <= 0:
        return None

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        scale = 1.0 / np.sqrt(psi)
        scaled = corr * np.outer(scale, scale)
        values, vectors = np.linalg.eigh(scaled)
        rest = values[:-1]
        value = -(np.sum(np.log(rest) - rest) - 1 + len(psi))
        loading = np.sqrt(psi) * vectors[:, -1] * np.sqrt(max(values[-1] - 1.0, 0.0))
        gradient = np.diag(np.outer(loading, loading) + np.diag(psi) - corr) / psi**2
        return float(value), gradient

    return _minimise_uniquenesses(objective, start)


def one_factor(corr: np.ndarray, method: str = "minres") -> tuple[np.ndarray, np.ndarray]:
    """Fit a one-factor model to a correlation matrix: ``(loadings, uniquenesses)``.

    ``method="minres"`` (default, as ``psych::fa``) minimises the squared residual
    correlations; ``method="ml"`` maximises the normal likelihood (falls back to minres when
    the matrix is not positive definite). Starting uniquenesses are ``1 - SMC``; uniquenesses are
    bounded to ``[0.005, 1]``. The loadings are signed so that their sum is non-negative and the
    uniquenesses returned are ``1 - loading**2``.

    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6])
    >>> corr = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> loading, psi = one_factor(corr)
    >>> np.round(loading, 6).tolist()
    [0.8, 0.7, 0.6]
    """
    corr = np.asarray(corr, dtype=float)
    if method not in ("minres", "ml"):
        raise ValueError(f"method must be 'minres' or 'ml', not {method!r}")
    try:
        # A near-singular matrix (few respondents) gives infinite diagonals: replaced below.
        with np.errstate(divide="ignore", invalid="ignore"):
            smc = 1.0 - 1.0 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        smc = np.full(len(corr), 0.5)
    start = np.clip(1.0 - smc, *_PSI_BOUNDS)
    start = np.where(np.isfinite(start), start, 0.5)
    psi = _fit_ml(corr, start) if method == "ml" else None
    if psi is not None:
        loading = _ml_loadings(corr, psi)
    else:
        loading = _loadings(corr, _fit_minres(corr, start))
    return loading, 1.0 - loading**2


def _omega_from_corr(corr: np.ndarray, method: str, variance: str, flip: bool) -> float:
    k = corr.shape[0]
    if k < 2 or not np.isfinite(corr).all():
        return float("nan")
    loading, psi = one_factor(corr, method)
    if flip and (loading < 0).any():
        sign = np.where(loading < 0, -1.0, 1.0)
        corr = corr * np.outer(sign, sign)
        loading = np.abs(loading)
    if variance == "observed":
        return float(1.0 - psi.sum() / corr.sum())
    common = loading.sum() ** 2
    return float(common / (common + psi.sum()))


def mcdonald_omega(
    items: pd.DataFrame,
    *,
    missing: str = "pairwise",
    method: str = "minres",
    variance: str = "observed",
    flip: bool = True,
) -> float:
    """McDonald's omega total from a one-factor model.

    A one-factor model is fitted to the items' correlation matrix :math:`R` (pairwise-complete
    by default) by minimum residual (``method="minres"``, the default of ``psych::omega``) or
    maximum likelihood (``method="ml"``), giving loadings :math:`\\lambda_i` and uniquenesses
    :math:`\\psi_i = 1 - \\lambda_i^2`. Omega total is then

    .. math::

        \\omega_t = 1 - \\frac{\\sum_i \\psi_i}{\\sum_{i,j} R_{ij}}
        \\quad (\\text{variance="observed"}),\\qquad
        \\omega = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\psi_i}
        \\quad (\\text{variance="model"}).

    The first divides by the observed variance of the standardised sum score, as
    ``psych::omega(x, nfactors = 1)$omega.tot``; the second by the model-implied variance
    (McDonald 1999, eq. 6.20b). They coincide when the model fits exactly. With ``flip=True``
    (as psych) items loading negatively are reversed first; reverse-key items beforehand to
    avoid relying on that.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, one row per respondent; NaN for a missing answer.
    missing : {"pairwise", "listwise"}
        Pairwise-complete correlations (default) or complete rows only.
    method : {"minres", "ml"}
        Factor extraction.
    variance : {"observed", "model"}
        Denominator, see above.
    flip : bool
        Reverse items with negative loadings.

    Returns
    -------
    float
        Omega total; NaN with fewer than 2 items or an incomputable correlation.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb:
    Comments on Sijtsma. *Psychometrika*, 74(1), 145-154.

    Examples
    --------
    >>> import pandas as pd
    >>> from omstilling_analysis.reliability import mcdonald_omega
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                       "c": [1, 3, 3, 4, 5, 2]})
    >>> round(mcdonald_omega(items), 4)
    0.9356
    >>> round(mcdonald_omega(items, variance="model"), 4)
    0.9355
    """
    if variance not in ("observed", "model"):
        raise ValueError(f"variance must be 'observed' or 'model', not {variance!r}")
    data = _items_frame(items, missing)
    return _omega_from_corr(pairwise_cov_corr(data.to_numpy())[1], method, variance, flip)


# --------------------------------------------------------------------------- survey tables


def _scored_items(responses: pd.DataFrame, wave: int, items: list[str]) -> pd.DataFrame:
    """The wave's rows of ``items``, reverse-keyed items as ``6 - answer``."""
    rows = responses["boelge"].to_numpy() == wave
    data = responses.reindex(columns=items).loc[rows].astype(float)
    reverse = [item for item in items if item in set(reference.reverse_keyed_items())]
    data[reverse] = 6.0 - data[reverse]
    return data.reset_index(drop=True)


RELIABILITY_COLUMNS = [
    "boelge",
    "tema",
    "n",
    "k",
    "alpha",
    "alpha_std",
    "alpha_ci_lav",
    "alpha_ci_hoej",
    "omega",
    "gns_inter_item_r",
    "aarsag",
    "icc1",
    "icc2",
]
ICC_COLUMNS = ("icc1", "icc2")


def one_way_anova(scores: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Mean squares of a one-way ANOVA of ``scores`` by ``groups`` (NaN scores dropped).

    Returns ``msb, msw, n, j`` (observations, groups) and ``k``, the group-size-adjusted mean
    group size ``(N - Σ n_j² / N) / (J - 1)`` of R's ``multilevel::ICC1``.
    """
    codes, _ = pd.factorize(np.asarray(groups))
    return _anova_of_codes(np.asarray(scores, float), codes)


def _anova_of_codes(scores: np.ndarray, codes: np.ndarray) -> dict[str, float]:
    """:func:`one_way_anova` with the groups as integer codes ``0 .. J-1`` (factorised once
    per wave by the caller, not once per theme)."""
    keep = ~np.isnan(scores)
    scores, codes = scores[keep], codes[keep]
    sizes = np.bincount(codes)
    index = codes
    if (sizes == 0).any():  # groups with no score on this theme are not groups here
        used = sizes > 0
        index = (np.cumsum(used) - 1)[codes]
        sizes = sizes[used]
    n, j = len(scores), len(sizes)
    if j < 2 or n <= j:
        return {"msb": np.nan, "msw": np.nan, "n": n, "j": j, "k": np.nan}
    means = np.bincount(index, weights=scores) / sizes
    grand = scores.mean()
    ssb = float((sizes * (means - grand) ** 2).sum())
    ssw = float(((scores - means[index]) ** 2).sum())
    k = (n - (sizes**2).sum() / n) / (j - 1)
    return {"msb": ssb / (j - 1), "msw": ssw / (n - j), "n": n, "j": j, "k": float(k)}


def _icc_from_anova(a: dict[str, float]) -> tuple[float, float]:
    """(ICC(1), ICC(2)) from the mean squares (:func:`icc1`, :func:`icc2`)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        first = (a["msb"] - a["msw"]) / (a["msb"] + (a["k"] - 1) * a["msw"])
        second = (a["msb"] - a["msw"]) / a["msb"]
    return float(first), float(second)


def icc1(scores: np.ndarray, groups: np.ndarray) -> float:
    """ICC(1): the share of the variance of respondents' scores that lies between groups.

    .. math::

        ICC(1) = \\frac{MSB - MSW}{MSB + (k - 1) MSW}, \\qquad
        k = \\frac{N - \\sum_j n_j^2 / N}{J - 1}

    from the one-way ANOVA of the scores by group (:func:`one_way_anova`), as R's
    ``multilevel::ICC1``.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability.
    In K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in
    organizations* (pp. 349-381). Jossey-Bass.

    Examples
    --------
    >>> round(icc1(np.array([1.0, 2, 3, 4, 5, 6]), np.array([1, 1, 1, 2, 2, 2])), 4)
    0.8065
    """
    return _icc_from_anova(one_way_anova(scores, groups))[0]


def icc2(scores: np.ndarray, groups: np.ndarray) -> float:
    """ICC(2): the reliability of the group means, ``(MSB - MSW) / MSB`` (Bliese 2000).

    Below 0.7 the group means separate the groups poorly.

    Examples
    --------
    >>> round(icc2(np.array([1.0, 2, 3, 4, 5, 6]), np.array([1, 1, 1, 2, 2, 2])), 4)
    0.9259
    """
    return _icc_from_anova(one_way_anova(scores, groups))[1]


def municipal_mean_reliability(respondent_scores: pd.DataFrame) -> pd.DataFrame:
    """ICC(1) and ICC(2) of the municipal means per wave and theme (:func:`icc1`,
    :func:`icc2`): ``boelge, tema, icc1, icc2``."""
    rows = []
    for wave, part in respondent_scores.groupby("boelge", sort=True):
        codes, _ = pd.factorize(part["kommunekode"].to_numpy())
        for theme in reference.theme_codes():
            first, second = _icc_from_anova(
                _anova_of_codes(part[theme].to_numpy(dtype=float), codes)
            )
            rows.append({"boelge": int(wave), "tema": theme, "icc1": first, "icc2": second})
    return pd.DataFrame(rows, columns=["boelge", "tema", *ICC_COLUMNS])


def reliability_table(
    responses: pd.DataFrame,
    settings: Settings | None = None,
    *,
    missing: str = "pairwise",
    respondent_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reliability per wave and theme (``reliabilitet.csv``).

    For each wave in ``responses`` and each theme, the theme's items asked in that wave
    (reverse-keyed items reversed) of the wave's counted respondents.

    Parameters
    ----------
    responses : pandas.DataFrame
        The ``responses`` frame (``docs/interfaces.md``).
    settings : Settings, optional
        Not used; accepted for a uniform signature.
    missing : {"pairwise", "listwise"}
        Missing-answer rule (pairwise by default, see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``boelge, tema, n`` (respondents with at least one answer to the theme's items, or with
        all of them under ``"listwise"``: the *n* of Feldt's interval), ``k`` (items),
        ``alpha`` (:func:`cronbach_alpha`), ``alpha_std`` (:func:`standardized_alpha`),
        ``alpha_ci_lav, alpha_ci_hoej`` (95 %, :func:`feldt_ci`), ``omega``
        (:func:`mcdonald_omega`, minres, observed variance), ``gns_inter_item_r`` (mean
        inter-item correlation), ``aarsag`` (why alpha is missing:
        :data:`NEVER_TOGETHER`), and with ``respondent_scores`` the reliability of the
        municipal means, ``icc1, icc2`` (:func:`municipal_mean_reliability`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omstilling_analysis import reference
    >>> rng = np.random.default_rng(1)
    >>> trait = rng.normal(size=(200, 1))
    >>> answers = np.clip(np.round(3 + trait + rng.normal(size=(200, 37))), 1, 5)
    >>> responses = pd.DataFrame(answers, columns=reference.all_items()).assign(boelge=2020)
    >>> table = reliability_table(responses)
    >>> table[["tema", "n", "k"]].head(2)
      tema    n  k
    0  BOR  200  6
    1  STR  200  6
    """
    del settings
    rows = []
    for wave in sorted(pd.unique(responses["boelge"])):
        for theme, items in reference.theme_items(int(wave)).items():
            if not items:
                continue
            data = _items_frame(_scored_items(responses, int(wave), items), missing)
            data = data[data.notna().any(axis=1)]
            cov, corr = pairwise_cov_corr(data.to_numpy())
            alpha = _alpha_from_cov(cov)
            apart = never_answered_together(cov)
            lower, upper = feldt_ci(alpha, len(data), len(items))
            rows.append(
                {
                    "boelge": int(wave),
                    "tema": theme,
                    "n": len(data),
                    "k": len(items),
                    "alpha": alpha,
                    "alpha_std": np.nan if apart else _std_alpha_from_corr(cov_to_corr(cov)),
                    "alpha_ci_lav": lower,
                    "alpha_ci_hoej": upper,
                    "omega": (
                        np.nan if apart else _omega_from_corr(corr, "minres", "observed", True)
                    ),
                    "gns_inter_item_r": _mean_inter_item_r(corr),
                    "aarsag": NEVER_TOGETHER if apart else None,
                }
            )
    table = pd.DataFrame(rows, columns=[c for c in RELIABILITY_COLUMNS if c not in ICC_COLUMNS])
    if respondent_scores is None:
        return table.reindex(columns=RELIABILITY_COLUMNS)
    icc = municipal_mean_reliability(respondent_scores)
    return table.merge(icc, on=["boelge", "tema"], how="left").reindex(columns=RELIABILITY_COLUMNS)


ITEM_COLUMNS = [
    "boelge",
    "item",
    "tema",
    "omvendt",
    "n",
    "gns",
    "sd",
    "andel_ved_ikke",
    "andel_mangler",
    "andel_1",
    "andel_2",
    "andel_3",
    "andel_4",
    "andel_5",
    "item_rest_r",
    "alpha_uden_item",
]


def item_statistics(
    responses: pd.DataFrame,
    settings: Settings | None = None,
    *,
    dont_know: pd.DataFrame | None = None,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """Item statistics per wave and item (``itemstatistik.csv``), as ``psych::alpha`` prints.

    Reverse-keyed items are reversed (``6 - answer``) first, so ``gns``, ``andel_1`` …
    ``andel_5``, ``item_rest_r`` and ``alpha_uden_item`` are on the scored scale (``omvendt``
    flags these items). Only the items the wave asked are listed.

    Parameters
    ----------
    responses : pandas.DataFrame
        The ``responses`` frame (``docs/interfaces.md``).
    settings : Settings, optional
        Not used; accepted for a uniform signature.
    dont_know : pandas.DataFrame, optional
        Boolean mask, ``True`` where the answer was Ved ikke: same rows as ``responses`` (by
        position) and a column per item. ``responses`` carries only the count ``antal_ved_ikke``
        per respondent, not which items, so without this mask ``andel_ved_ikke`` is NaN.
    missing : {"pairwise", "listwise"}
        Missing-answer rule for ``item_rest_r`` and ``alpha_uden_item``.

    Returns
    -------
    pandas.DataFrame
        ``boelge, item, tema, omvendt, n`` (1-5 answers), ``gns``, ``sd`` (``n - 1``),
        ``andel_ved_ikke`` (share of the wave's respondents answering Ved ikke),
        ``andel_mangler`` (share of the wave's respondents without a 1-5 answer: blank, Ved ikke
        or a bad cell), ``andel_1`` … ``andel_5`` (response distribution among the ``n``
        answers), ``item_rest_r`` (correlation of the item with the sum of the theme's other
        items, from the covariance matrix: ``psych::alpha``'s ``r.drop``) and
        ``alpha_uden_item`` (alpha of the theme without the item: ``raw_alpha`` of
        "Reliability if an item is dropped").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omstilling_analysis import reference
    >>> rng = np.random.default_rng(1)
    >>> trait = rng.normal(size=(200, 1))
    >>> answers = np.clip(np.round(3 + trait + rng.normal(size=(200, 37))), 1, 5)
    >>> responses = pd.DataFrame(answers, columns=reference.all_items()).assign(boelge=2024)
    >>> stats_ = item_statistics(responses)
    >>> stats_[["item", "omvendt", "n", "andel_mangler"]].head(4)
         item  omvendt    n  andel_mangler
    0  BOR_01    False  200            0.0
    1  BOR_02    False  200            0.0
    2  BOR_03    False  200            0.0
    3  BOR_04     True  200            0.0
    """
    del settings
    reverse = set(reference.reverse_keyed_items())
    if dont_know is not None and len(dont_know) != len(responses):
        raise ValueError("dont_know must have the same rows as responses")
    waves_all = responses["boelge"].to_numpy()
    frames = []
    for wave in sorted(pd.unique(waves_all)):
        in_wave = waves_all == wave
        n_wave = int(in_wave.sum())
        for theme, items in reference.theme_items(int(wave)).items():
            if not items:
                continue
            scored = _scored_items(responses, int(wave), items)
            values = scored.to_numpy(dtype=float)
            answered = ~np.isnan(values)
            n = answered.sum(axis=0)
            frame = pd.DataFrame(
                {
                    "boelge": int(wave),
                    "item": items,
                    "tema": theme,
                    "omvendt": [item in reverse for item in items],
                    "n": n.astype("int64"),
                    "gns": scored.mean().to_numpy(),
                    "sd": scored.std(ddof=1).to_numpy(),
                }
            )
            if dont_know is not None:
                mask = dont_know.reindex(columns=items).to_numpy()[in_wave]
                mask = np.where(pd.isna(mask), False, mask).astype(bool)
                frame["andel_ved_ikke"] = mask.mean(axis=0) if n_wave else np.nan
            else:
                frame["andel_ved_ikke"] = np.nan
            with np.errstate(invalid="ignore", divide="ignore"):
                frame["andel_mangler"] = 1.0 - n / n_wave if n_wave else np.nan
                for value in range(1, 6):
                    frame[f"andel_{value}"] = (values == value).sum(axis=0) / n
            rest_r, alpha_drop = item_drop_statistics(_items_frame(scored, missing))
            frame["item_rest_r"] = rest_r
            frame["alpha_uden_item"] = alpha_drop
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ITEM_COLUMNS]


def item_drop_statistics(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Item-rest correlation and alpha-if-dropped of every item, from the covariance matrix."""
    cov = pairwise_cov_corr(data.to_numpy())[0]
    k = cov.shape[0]
    rest_r = np.full(k, np.nan)
    alpha_drop = np.full(k, np.nan)
    if k < 2:
        return rest_r, alpha_drop
    for i in range(k):
        others = np.arange(k) != i
        rest_var = cov[np.ix_(others, others)].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            rest_r[i] = cov[i, others].sum() / np.sqrt(cov[i, i] * rest_var)
        alpha_drop[i] = _alpha_from_cov(cov[np.ix_(others, others)])
    return rest_r, alpha_drop
