"""Sobol first-order and total indices: Saltelli's design and the Saltelli/Jansen estimators
(see :mod:`omstilling_analysis.robustness`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SobolIndices", "saltelli_design", "sobol_indices"]


def saltelli_design(
    groups: Sequence[str], n_base: int, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Saltelli's sampling design for first-order and total Sobol indices of grouped inputs.

    A scrambled Sobol' sequence of dimension ``2D`` (``D = len(groups)`` uniform variables) gives
    the base matrices ``A`` (first ``D`` columns) and ``B`` (last ``D``); for each group ``g``,
    ``AB_g`` is ``A`` with the columns of ``g`` taken from ``B``. The rows are laid out per base
    point as ``A, AB_1 … AB_G, B`` (``n_base * (G + 2)`` rows): exactly
    ``SALib.sample.sobol.sample(problem, n_base, calc_second_order=False, seed=seed)`` (Saltelli
    2002; Saltelli et al. 2010), so that ``SALib.analyze.sobol`` can read the same outputs.

    >>> X = saltelli_design(["a", "b", "b"], 4, seed=1)
    >>> X.shape
    (16, 3)
    >>> bool((X[1, 1:] == X[0, 1:]).all() and (X[2, 0] == X[0, 0]))  # AB_a, AB_b
    True
    """
    from scipy.stats import qmc

    groups = list(groups)
    d = len(groups)
    names = list(dict.fromkeys(groups))
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n_base)
    a, b = base[:, :d], base[:, d:]
    out = np.empty((n_base, len(names) + 2, d))
    out[:, 0] = a
    for g, name in enumerate(names):
        member = np.array([x == name for x in groups])
        out[:, g + 1] = np.where(member, b, a)
    out[:, -1] = b
    return out.reshape(-1, d)


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol indices per input group, with percentile bootstrap intervals.

    ``first``/``total`` are the estimates clipped to [0, 1] (an estimate outside comes from
    sampling noise only); ``first_raw``/``total_raw`` are the unclipped estimates.
    """

    groups: tuple[str, ...]
    first: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    first_raw: np.ndarray
    total_raw: np.ndarray
    variance: float


def sobol_indices(
    y: np.ndarray,
    groups: Sequence[str],
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> SobolIndices:
    """Sobol first-order and total indices from model outputs on :func:`saltelli_design`.

    With ``f_A``, ``f_B``, ``f_ABg`` the outputs on the rows ``A``, ``B``, ``AB_g`` (standardised
    by the mean and standard deviation of all outputs, as SALib does) and
    ``V = Var([f_A, f_B])``:

    - first order (Saltelli et al. 2010, table 2 (b)): ``S_g = mean(f_B (f_ABg - f_A)) / V``;
    - total (Jansen 1999): ``ST_g = mean((f_A - f_ABg)^2) / (2 V)``.

    These are SALib's ``sobol.analyze`` estimators; the intervals are percentile intervals over
    ``n_boot`` resamples of the base points (SALib reports a normal half-width instead). A
    constant output gives indices 0: nothing moves it.

    Parameters
    ----------
    y : array (n_base * (G + 2),)
        Outputs in the row order of :func:`saltelli_design`.
    groups : the group of each input variable (as given to :func:`saltelli_design`)
    n_boot, confidence : bootstrap resamples and interval level
    seed : seed of the bootstrap

    References
    ----------
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. Computer Physics Communications 181(2),
    259-270. Jansen, M. J. W. (1999). Analysis of variance designs for model output. Computer
    Physics Communications 117, 35-43.

    Examples
    --------
    Additive model ``Y = 2 X1 + X2`` with independent uniforms: ``S1 = 4/5, S2 = 1/5``.

    >>> X = saltelli_design(["x1", "x2"], 4096, seed=3)
    >>> s = sobol_indices(2 * X[:, 0] + X[:, 1], ["x1", "x2"], n_boot=200, seed=4)
    >>> s.first.round(2).tolist(), s.total.round(2).tolist()
    ([0.8, 0.2], [0.8, 0.2])
    """
    names = tuple(dict.fromkeys(groups))
    g = len(names)
    y = np.asarray(y, dtype=float)
    if y.size % (g + 2):
        raise ValueError(f"{y.size} udfald passer ikke til et design med {g} grupper")
    spread = y.std()
    z = (y - y.mean()) / spread if spread > 0 else np.zeros_like(y)
    rows = z.reshape(-1, g + 2)
    n = len(rows)
    f_a, f_ab, f_b = rows[:, 0], rows[:, 1:-1], rows[:, -1]

    def estimate(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, ab, b = f_a[idx], f_ab[idx], f_b[idx]  # idx: (..., n)
        var = np.concatenate([a, b], axis=-1).var(axis=-1)[..., None]
        first = (b[..., None] * (ab - a[..., None])).mean(axis=-2)
        total = 0.5 * ((a[..., None] - ab) ** 2).mean(axis=-2)
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = var > np.finfo(float).eps
            return np.where(ok, first / var, 0.0), np.where(ok, total / var, 0.0)

    first, total = estimate(np.arange(n))
    rng = np.random.default_rng(seed)
    boot_first, boot_total = estimate(rng.integers(0, n, size=(n_boot, n)))
    tail = (1 - confidence) / 2
    low_f, high_f = np.quantile(boot_first, [tail, 1 - tail], axis=0)
    low_t, high_t = np.quantile(boot_total, [tail, 1 - tail], axis=0)

    def clip(x: np.ndarray) -> np.ndarray:
        return np.clip(x, 0.0, 1.0)

    return SobolIndices(
        groups=names,
        first=clip(first),
        first_low=clip(low_f),
        first_high=clip(high_f),
        total=clip(total),
        total_low=clip(low_t),
        total_high=clip(high_t),
        first_raw=first,
        total_raw=total,
        variance=float(spread**2),
    )
