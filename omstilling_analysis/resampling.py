"""Respondents resampled within their municipality: the bootstrap of the theme means.

One home for the respondent-level bootstrap that the rank intervals
(:func:`omstilling_analysis.score.rank_intervals`), the cluster stability's respondent layer
(:func:`omstilling_analysis.clusters.stability.resample_means`) and the index robustness
(:mod:`omstilling_analysis.robustness`) share. In each resample every municipality's ``n``
respondents are drawn with replacement from its own respondents (Efron & Tibshirani 1993,
ch. 6), the same resample for every theme and rule variant, since a respondent answers them
all; a theme mean is the mean over the resampled respondents having a score,

.. math:: \\bar x^*_t = \\frac{\\sum_i c_i\\, p_{it} x_{it}}{\\sum_i c_i\\, p_{it}},
          \\qquad c \\sim \\mathrm{Multinomial}(n; 1/n, \\dots, 1/n),

with :math:`p_{it} = 1` when respondent i has a score on column t.

**Cost that does not grow with the respondents.** Drawing the counts ``c`` costs ``n`` per
resample, so for a national wave (about 5,000 respondents per municipality, 1,000 resamples)
the exact draw costs seconds. Above :data:`EXACT_MAX_RESPONDENTS` respondents with a score on
every column that has any, a municipality's resampled means are drawn instead from their normal
approximation, computed from sufficient statistics: the bootstrap's own mean (the sample mean)
and the bootstrap covariance of the ratio means, linearised (the delta method; exact for
columns every respondent has, where it is the plug-in covariance over ``n``),

.. math:: \\operatorname{Cov}^*(\\bar x^*_s, \\bar x^*_t) =
          \\frac{\\sum_i z_{is} z_{it}}{C_s C_t}, \\qquad z_{it} = p_{it}(x_{it} - \\bar x_t),
          \\quad C_t = \\sum_i p_{it}.

By the central limit theorem the resampled means of bounded ratings are close to normal at that
size (the skewness of a mean falls as ``1/sqrt(n)``; Hall 1992, ch. 2), so the intervals agree
with the exact bootstrap's within its own Monte Carlo error (tested), and the cost is one pass
over the respondents for the cross-products plus a few multiplications per resample.
Municipalities below the threshold, or with a column few respondents have (whose mean may go
missing in a resample), are resampled exactly.

References
----------
Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
Hall, P. (1992). The Bootstrap and Edgeworth Expansion. Springer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["EXACT_MAX_RESPONDENTS", "resampled_theme_means"]

#: Up to this many respondents (with a score, on the rarest column a municipality has at all)
#: a municipality is resampled exactly; above it, its means come from the normal approximation.
EXACT_MAX_RESPONDENTS = 200

#: Resample counts held in memory at once in the exact draw (resamples × respondents).
_COUNT_BUDGET = 1 << 20


def _distinct_columns(filled: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the distinct (value, present) columns and, per column, its distinct one.

    Rule variants often give the same scores; drawing them once keeps identical columns
    identical in every resample, not merely equal up to rounding."""
    first: list[int] = []
    of = np.empty(filled.shape[1], dtype=int)
    for j in range(filled.shape[1]):
        same = next(
            (
                u
                for u, f in enumerate(first)
                if np.array_equal(filled[:, f], filled[:, j])
                and np.array_equal(present[:, f], present[:, j])
            ),
            None,
        )
        if same is None:
            of[j] = len(first)
            first.append(j)
        else:
            of[j] = same
    return np.asarray(first, dtype=int), of


def _exact(
    filled: np.ndarray, present: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Resampled means (n_resamples, n_columns) by multinomial counts: the sums of every column
    and of its presence come from one matrix product ``counts @ design``."""
    n = len(filled)
    design = np.hstack([filled, present.astype(float)])
    sums = np.empty((n_resamples, design.shape[1]))
    chunk = max(1, min(n_resamples, _COUNT_BUDGET // max(n, 1)))
    offsets = np.arange(chunk, dtype=np.int64)[:, None] * n
    for start in range(0, n_resamples, chunk):
        b = min(chunk, n_resamples - start)
        draws = rng.integers(0, n, size=(b, n))
        draws += offsets[:b]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n)
        # Float counts: the product runs in BLAS.
        sums[start : start + b] = counts.astype(np.float64) @ design
    k = filled.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums[:, k:] > 0, sums[:, :k] / sums[:, k:], np.nan)


def _normal(
    filled: np.ndarray,
    present: np.ndarray,
    means: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Resampled means (n_resamples, n_columns) from the normal approximation with the
    linearised bootstrap covariance (see the module docstring)."""
    counts = present.sum(axis=0).astype(float)
    has = counts > 0
    z = np.where(present, filled - np.where(has, means, 0.0), 0.0)[:, has]
    cross = z.T @ z
    covariance = cross / np.outer(counts[has], counts[has])
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    out = np.full((n_resamples, filled.shape[1]), np.nan)
    out[:, has] = means[has] + rng.standard_normal((n_resamples, int(has.sum()))) @ factor.T
    return out


def resampled_theme_means(
    values: np.ndarray,
    group: np.ndarray,
    n_resamples: int,
    seeds: Sequence[Sequence[int]],
    exact_max: int = EXACT_MAX_RESPONDENTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Theme means of each municipality on the full sample and on bootstrap resamples.

    See the module docstring for the resampling and for when the normal approximation replaces
    the exact draw. Municipality ``m`` draws from ``numpy.random.default_rng(seeds[m])``, so its
    resamples do not depend on the other municipalities.

    Parameters
    ----------
    values : array (n_respondents, n_rules, n_themes) or (n_respondents, n_themes)
        Respondent theme scores, per rule variant when 3-d (NaN: no score).
    group : array of int (n_respondents,)
        Municipality number ``0 .. len(seeds) - 1`` of each respondent.
    n_resamples : int
    seeds : one seed sequence per municipality
    exact_max : int
        Municipalities with at most this many respondents with a score (on the rarest column
        they have) are resampled exactly; 0 never resamples exactly above one respondent.

    Returns
    -------
    full : array (n_rules, n_municipalities, n_themes)
        The full-sample means (NaN for a municipality without respondents or without a score).
    boot : array (n_rules, n_resamples, n_municipalities, n_themes)
        (Without the rule axis when ``values`` is 2-d.)

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0, 5.0])[:, None, None]  # one rule, one theme
    >>> full, boot = resampled_theme_means(x, np.array([0, 0, 1, 1]), 2000, [[1], [2]])
    >>> full[0, :, 0].tolist()
    [1.5, 4.0]
    >>> bool(np.isin(boot[0, :, 1, 0], [3.0, 4.0, 5.0]).all())  # means of 2 draws from {3, 5}
    True
    >>> round(float((boot[0, :, 1, 0] == 4.0).mean()), 1)  # P(one of each) = 1/2
    0.5
    """
    values = np.asarray(values, dtype=float)
    flat = values.ndim == 2
    if flat:
        values = values[:, None, :]
    group = np.asarray(group, dtype=np.int64)
    n_groups = len(seeds)
    n_rules, n_themes = values.shape[1], values.shape[2]
    width = n_rules * n_themes
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    columns = values.reshape(len(values), width)[order]
    full = np.full((n_groups, width), np.nan)
    boot = np.full((n_resamples, n_groups, width), np.nan)
    for m in range(n_groups):
        if sizes[m] == 0:
            continue
        block = columns[starts[m] : starts[m] + sizes[m]]
        present = ~np.isnan(block)
        filled = np.where(present, block, 0.0)
        counts = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            full[m] = np.where(counts > 0, filled.sum(axis=0) / counts, np.nan)
        distinct, of = _distinct_columns(filled, present)
        rng = np.random.default_rng(list(seeds[m]))
        rarest = counts[counts > 0].min() if (counts > 0).any() else 0
        if rarest > exact_max:
            draws = _normal(filled[:, distinct], present[:, distinct], full[m, distinct],
                            n_resamples, rng)  # fmt: skip
        else:
            draws = _exact(filled[:, distinct], present[:, distinct], n_resamples, rng)
        boot[:, m] = draws[:, of]
    full = np.moveaxis(full.reshape(n_groups, n_rules, n_themes), 1, 0)
    boot = np.moveaxis(boot.reshape(n_resamples, n_groups, n_rules, n_themes), 2, 0)
    if flat:
        return full[0], boot[0]
    return full, boot
