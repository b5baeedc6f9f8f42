"""The bootstrap of the theme means and the index built from them (see
:mod:`omstilling_analysis.robustness`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["aggregate", "bootstrap_theme_means", "descending_ranks"]

#: Resample counts held in memory at once per thread (a chunk of resamples × respondents).
_BUDGET = 1 << 17


def aggregate(means: np.ndarray, weights: np.ndarray, geometric: np.ndarray | bool) -> np.ndarray:
    """The maturity index from theme means, arithmetic or geometric, for many draws at once.

    With weights normalised to sum to 1 (``v_t = w_t / sum_u w_u``):

    - arithmetic: ``I = sum_t v_t m_t`` (the contract's index with the settings' weights);
    - geometric: ``I = prod_t m_t ** v_t = exp(sum_t v_t log m_t)`` (OECD/JRC Handbook 2008,
      §6.2: less compensation between themes; equal to the arithmetic mean when all ``m_t``
      are equal, below it otherwise).

    A theme with weight 0 is ignored; the index is NaN when a theme with positive weight is NaN.

    Parameters
    ----------
    means : array (..., n_municipalities, n_themes)
        Theme means (all > 0 for the geometric mean; they lie in [1, 5]).
    weights : array (n_themes,) or (..., n_themes)
        Non-negative weights, one row per draw (broadcast over municipalities).
    geometric : bool or array (...)
        Per draw: geometric (True) or arithmetic (False).

    Returns
    -------
    array (..., n_municipalities)

    Examples
    --------
    >>> m = np.array([[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [1.0, 4.0, 1.0, 4.0, 1.0, 4.0]])
    >>> aggregate(m, np.ones(6), False).tolist()
    [2.0, 2.5]
    >>> aggregate(m, np.ones(6), True).round(6).tolist()  # sqrt(1 * 4) = 2
    [2.0, 2.0]
    """
    means = np.asarray(means, dtype=float)
    w = np.asarray(weights, dtype=float)[..., None, :]  # broadcast over municipalities
    total = w.sum(axis=-1)
    used = w > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(used, np.log(np.where(used, means, 1.0)), 0.0)
    missing = (np.isnan(means) & used).any(axis=-1)
    arith = (np.where(used, means, 0.0) * w).sum(axis=-1) / total
    geo = np.exp((logs * w).sum(axis=-1) / total)
    geometric = np.asarray(geometric, dtype=bool)[..., None]
    return np.where(missing, np.nan, np.where(geometric, geo, arith))


def descending_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest; ties share the best rank; NaN stays unranked.

    ``rank_i = 1 + #{j : x_j > x_i}`` among the non-missing values (pandas'
    ``rank(ascending=False, method="min")``).

    >>> descending_ranks(np.array([[3.0, 5.0, 3.0, np.nan, 1.0]])).tolist()
    [[2.0, 1.0, 2.0, nan, 4.0]]
    """
    values = np.asarray(values, dtype=float)
    flat = values.reshape(-1, values.shape[-1])
    out = np.empty_like(flat)
    step = max(1, 4_000_000 // max(1, flat.shape[1] ** 2))
    for first in range(0, len(flat), step):
        block = flat[first : first + step]
        above = (block[:, None, :] > block[:, :, None]).sum(axis=2)
        out[first : first + step] = np.where(np.isnan(block), np.nan, 1.0 + above)
    return out.reshape(values.shape)


def _municipality_means(
    block: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Full-sample and bootstrap theme means of one municipality, for every rule variant.

    ``block`` is ``(n_respondents, n_rules, n_themes)`` with NaN for a missing theme score.
    Each resample's counts ``c`` give the theme mean ``sum(c * x) / sum(c * present)``; the
    distinct (sum, count) columns of all rule variants form one design matrix, so all of them
    come from one product ``counts @ design``. A count column of a theme every respondent has is
    not stored (its resampled count is ``n``).
    """
    n, n_rules, n_themes = block.shape
    present = ~np.isnan(block)
    filled = np.where(present, block, 0.0)
    columns: list[np.ndarray] = []
    sum_at = np.empty((n_rules, n_themes), dtype=int)
    count_at = np.full((n_rules, n_themes), -1)
    for t in range(n_themes):
        for k in range(n_rules):
            same = next(
                (j for j in range(k) if np.array_equal(filled[:, j, t], filled[:, k, t])), None
            )
            if same is not None and np.array_equal(present[:, same, t], present[:, k, t]):
                sum_at[k, t], count_at[k, t] = sum_at[same, t], count_at[same, t]
                continue
            sum_at[k, t] = len(columns)
            columns.append(filled[:, k, t])
            if not present[:, k, t].all():
                count_at[k, t] = len(columns)
                columns.append(present[:, k, t].astype(float))
    design = np.column_stack(columns)
    sums = np.empty((n_resamples, design.shape[1]))
    chunk = max(1, min(n_resamples, _BUDGET // max(n, 1)))
    offsets = np.arange(chunk, dtype=np.int64)[:, None] * n
    for first in range(0, n_resamples, chunk):
        b = min(chunk, n_resamples - first)
        draws = rng.integers(0, n, size=(b, n))
        draws += offsets[:b]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n)
        # Float counts: the product runs in BLAS.
        sums[first : first + b] = counts.astype(np.float64) @ design
    full = design.sum(axis=0)

    def means(totals: np.ndarray, size: float) -> np.ndarray:
        numerators = totals[..., sum_at]
        denominators = np.where(count_at >= 0, totals[..., np.maximum(count_at, 0)], size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denominators > 0, numerators / denominators, np.nan)

    return means(full, float(n)), means(sums, float(n))


def bootstrap_theme_means(
    values: np.ndarray,
    group: np.ndarray,
    n_resamples: int,
    seeds: Sequence[Sequence[int]],
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Theme means of each municipality on the full sample and on bootstrap resamples.

    In each resample every municipality's ``n`` respondents are drawn with replacement from its
    own respondents (Efron & Tibshirani 1993, ch. 6; the same resample for every rule variant
    and theme, since a respondent answers all themes); a theme mean is the mean over the
    resampled respondents having a score, ``sum_i c_i x_i / sum_i c_i [x_i present]`` with the
    multinomial counts ``c``. Municipality ``m`` draws from ``numpy.random.default_rng(seeds[m])``.

    Parameters
    ----------
    values : array (n_respondents, n_rules, n_themes)
        Respondent theme scores under each rule variant (NaN: no score).
    group : array of int (n_respondents,)
        Municipality number ``0 .. n_municipalities - 1`` of each respondent.
    n_resamples : int
    seeds : one seed sequence per municipality
    workers : int, optional
        Threads (default: the number of CPUs, at most 4).

    Returns
    -------
    full : array (n_rules, n_municipalities, n_themes)
    boot : array (n_rules, n_resamples, n_municipalities, n_themes)

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0, 5.0])[:, None, None]  # one rule, one theme
    >>> full, boot = bootstrap_theme_means(x, np.array([0, 0, 1, 1]), 2000, [[1], [2]])
    >>> full[0, :, 0].tolist()
    [1.5, 4.0]
    >>> bool(np.isin(boot[0, :, 1, 0], [3.0, 4.0, 5.0]).all())  # means of 2 draws from {3, 5}
    True
    >>> round(float((boot[0, :, 1, 0] == 4.0).mean()), 1)  # P(one of each) = 1/2
    0.5
    """
    values = np.asarray(values, dtype=float)
    group = np.asarray(group)
    n_groups = len(seeds)
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=n_groups)
    if (sizes == 0).any():
        raise ValueError("hver kommune skal have mindst én respondent")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ordered = values[order]
    n_rules, n_themes = values.shape[1], values.shape[2]
    full = np.empty((n_rules, n_groups, n_themes))
    boot = np.empty((n_rules, n_resamples, n_groups, n_themes))

    def run(m: int) -> None:
        block = ordered[starts[m] : starts[m] + sizes[m]]
        rng = np.random.default_rng(list(seeds[m]))
        full[:, m], means = _municipality_means(block, n_resamples, rng)
        boot[:, :, m] = np.moveaxis(means, 0, 1)

    threads = workers if workers is not None else min(4, os.cpu_count() or 1)
    # Large municipalities first, so that the threads finish together.
    largest_first = np.argsort(-sizes, kind="stable")
    with _single_threaded_blas():
        if threads <= 1 or n_groups == 1:
            for m in largest_first:
                run(m)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(run, largest_first))
    return full, boot


def _single_threaded_blas():
    """BLAS limited to one thread: the products are small, and the Python threads already share
    the cores (a multi-threaded BLAS in each would oversubscribe them)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency of scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
