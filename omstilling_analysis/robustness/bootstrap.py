"""The index built from (resampled) theme means, and ranks of many draws at once (see
:mod:`omstilling_analysis.robustness`; the resampling itself is
:mod:`omstilling_analysis.resampling`)."""

from __future__ import annotations

import numpy as np

__all__ = ["aggregate", "descending_ranks"]


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
