"""Cluster-wise stability by the bootstrap, as ``fpc::clusterboot``'s default (Hennig 2007).

:func:`bootstrap_stability` is ``clusterboot(data, B, bootmethod = "boot", multipleboot =
FALSE)``: each resample draws n municipalities with replacement and keeps its *distinct* points,
which are clustered unweighted by the same method with the same k and as many random starts as
the original fit. An original cluster :math:`C` gets, per resample, the largest Jaccard similarity

.. math:: \\gamma_b(C) = \\max_{D \\in \\mathcal{D}_b}
          \\frac{|C \\cap S_b \\cap D|}{|(C \\cap S_b) \\cup D|}

over the resample's clusters :math:`\\mathcal D_b` (:math:`S_b` the points present; 0 when no
point of C was drawn, fpc's ``zerobyzero = 0``), and ``jaccard`` is its mean over the B
resamples. Hennig's reading: below 0.6 a cluster is not to be trusted, from 0.75 it is valid,
from 0.85 highly stable; at 0.5 or below (``andel_oploest``) it has dissolved.

A further layer (``respondents``): the municipality means are recomputed from respondents drawn
with replacement within each municipality, so the means carry their own sampling error as well.
This is not fpc's procedure and is reported beside it (``jaccard_respondenter``).

References
----------
Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational Statistics &
Data Analysis 52, 258-271.
Hubert, L. & Arabie, P. (1985). Comparing partitions. Journal of Classification 2, 193-218.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from omstilling_analysis.clusters.engine import N_INIT, fit, rng_for
from omstilling_analysis.reference import theme_codes
from omstilling_analysis.resampling import resampled_theme_means
from omstilling_analysis.settings import Settings

__all__ = [
    "JACCARD_DISSOLVED", "JACCARD_HIGHLY_STABLE", "JACCARD_STABLE", "JACCARD_VALID",
    "Stability", "adjusted_rand", "bootstrap_stability", "group_respondents", "resample_means",
    "stability_reading",
]  # fmt: skip

#: Hennig's (2007) reading of the mean Jaccard similarity.
JACCARD_STABLE = 0.6
JACCARD_VALID = 0.75
JACCARD_HIGHLY_STABLE = 0.85
JACCARD_DISSOLVED = 0.5


@dataclass(frozen=True)
class Stability:
    """The bootstrap stability of one partition.

    Attributes
    ----------
    jaccard:
        (k,) mean over resamples of the largest Jaccard similarity of each original cluster
        (restricted to the resampled points) with a resample cluster (fpc's ``bootmean``).
    dissolved:
        (k,) share of resamples with that Jaccard ≤ 0.5 (fpc's ``bootbrd`` / B).
    recovered:
        (k,) share of resamples with that Jaccard > 0.75 (fpc's ``bootrecover`` / B).
    ari:
        Mean adjusted Rand index (Hubert & Arabie 1985) of the resample's partition with the
        original one on the points present.
    certainty:
        (n,) share of the resamples containing the point in which it lies in the resample
        cluster best matching its original cluster.
    n_bootstrap:
        The number of resamples B (0: nothing computed, everything NaN).
    """

    jaccard: np.ndarray
    dissolved: np.ndarray
    recovered: np.ndarray
    ari: float
    certainty: np.ndarray
    n_bootstrap: int


def stability_reading(jaccard: float) -> str:
    """Hennig's reading of a mean Jaccard similarity, in Danish.

    >>> stability_reading(0.9), stability_reading(0.7), stability_reading(0.4)
    ('meget stabil', 'tvivlsom', 'ikke til at stole på')
    """
    if jaccard is None or np.isnan(jaccard):
        return ""
    if jaccard >= JACCARD_HIGHLY_STABLE:
        return "meget stabil"
    if jaccard >= JACCARD_VALID:
        return "gyldig"
    if jaccard >= JACCARD_STABLE:
        return "tvivlsom"
    return "ikke til at stole på"


def _contingency(original: np.ndarray, boot: np.ndarray, present: np.ndarray, k: int, kb: int):
    """Counts (R, k, kb) of original cluster x bootstrap cluster on the present rows."""
    size = boot.shape[0]
    index = (np.arange(size)[:, None] * k + original[None, :]) * kb + np.maximum(boot, 0)
    counts = np.bincount(index[present], minlength=size * k * kb)
    return counts.reshape(size, k, kb).astype(float)


def adjusted_rand(table: np.ndarray) -> np.ndarray:
    """Adjusted Rand index (Hubert & Arabie 1985) of each contingency table (R, k, kb).

    .. math:: ARI = \\frac{\\sum_{ij}\\binom{n_{ij}}{2} - E}{\\tfrac12\\big[\\sum_i\\binom{a_i}{2}
              + \\sum_j\\binom{b_j}{2}\\big] - E},
              \\quad E = \\sum_i\\binom{a_i}{2}\\sum_j\\binom{b_j}{2} \\Big/ \\binom{n}{2}

    (1 when the denominator is 0, e.g. both partitions a single cluster).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(adjusted_rand(np.array([[[2.0, 1.0], [0.0, 2.0]]]))[0]), 4)
    0.1667
    """

    def pairs(x: np.ndarray) -> np.ndarray:
        return x * (x - 1.0) / 2.0

    n = table.sum(axis=(1, 2))
    index = pairs(table).sum(axis=(1, 2))
    rows = pairs(table.sum(axis=2)).sum(axis=1)
    cols = pairs(table.sum(axis=1)).sum(axis=1)
    expected = rows * cols / np.maximum(pairs(n), 1.0)
    maximum = (rows + cols) / 2.0
    denominator = maximum - expected
    with np.errstate(invalid="ignore", divide="ignore"):
        ari = (index - expected) / denominator
    return np.where(np.abs(denominator) < 1e-12, 1.0, ari)


def group_respondents(
    codes: np.ndarray, respondent_scores: pd.DataFrame | None, wave: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Respondent theme scores of the municipalities ``codes`` in ``wave``, grouped in that
    order: (values, starts, sizes); ``None`` without respondent scores."""
    if respondent_scores is None:
        return None
    rows = respondent_scores[respondent_scores["boelge"] == wave]
    position = pd.Series(np.arange(len(codes)), index=codes)
    rows = rows[rows["kommunekode"].isin(codes)]
    if rows.empty:
        return None
    group = position.loc[rows["kommunekode"].to_numpy()].to_numpy()
    order = np.argsort(group, kind="stable")
    values = rows[theme_codes()].to_numpy(dtype=float)[order]
    sizes = np.bincount(group, minlength=len(codes))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return values, starts, sizes


def resample_means(
    raw: np.ndarray,
    grouped: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality means (R, n, d) from respondents resampled within municipalities.

    Each municipality's respondents are drawn with replacement as many times as it has
    respondents (:func:`omstilling_analysis.resampling.resampled_theme_means`, each municipality
    with a seed drawn from ``rng``); a municipality without respondent rows keeps its score.
    Also returns whether every theme mean exists (R, n); a missing mean is returned as 0.
    """
    values, _, sizes = grouped
    group = np.repeat(np.arange(len(sizes)), sizes)
    seeds = [[int(s)] for s in rng.integers(0, 2**63 - 1, size=len(sizes))]
    _, means = resampled_theme_means(values, group, n_boot, seeds)
    has = sizes > 0
    means[:, ~has] = raw[~has]
    valid = ~np.isnan(means).any(axis=-1)
    return np.where(np.isnan(means), 0.0, means), valid


def bootstrap_stability(
    raw: np.ndarray,
    labels: np.ndarray,
    method: str,
    *,
    centre: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    respondents: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    settings: Settings | None = None,
    seed: int | None = None,
    n_init: int = N_INIT,
) -> Stability:
    """Cluster-wise bootstrap stability as ``fpc::clusterboot``'s default (see the module doc).

    Parameters
    ----------
    raw:
        Raw scores (n, d) of the clustered points.
    labels:
        The original partition, ``0 … k-1``.
    method:
        The clustering method re-applied to each resample, with the same k.
    centre, scale:
        The standardisation of the original fit (default: ``raw``'s mean and sd); every
        resample is standardised with it, so that only the data, not the yardstick, varies.
    respondents:
        Respondent scores grouped by municipality (:func:`group_respondents`) to resample within
        municipalities as well (the further layer); ``None``: fpc's procedure exactly.
    settings, seed:
        ``settings.n_bootstrap`` resamples B; seed default ``settings.seed``.
    n_init:
        Random starts per resample (k-means, mixture), as many as the original fit.

    Returns
    -------
    Stability

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(8, 1, (20, 2))])
    >>> result = bootstrap_stability(X, np.repeat([0, 1], 20), "kmeans",
    ...                              settings=Settings(n_bootstrap=50))
    >>> result.jaccard.round(2).tolist(), result.ari
    ([1.0, 1.0], 1.0)
    """
    settings = settings or Settings()
    seed = settings.seed if seed is None else int(seed)
    raw = np.asarray(raw, dtype=float)
    labels = np.asarray(labels, dtype=int)
    n, _ = raw.shape
    k = int(labels.max()) + 1
    n_boot = int(settings.n_bootstrap)
    if n_boot <= 0:
        nothing = np.full(k, np.nan)
        return Stability(nothing, nothing, nothing, np.nan, np.full(n, np.nan), 0)
    centre = raw.mean(axis=0) if centre is None else np.asarray(centre, dtype=float)
    scale = raw.std(axis=0, ddof=1) if scale is None else np.asarray(scale, dtype=float)
    rng = rng_for(seed, 7)
    draws = rng.integers(0, n, size=(n_boot, n))
    present = np.zeros((n_boot, n), dtype=bool)
    present[np.arange(n_boot)[:, None], draws] = True  # the distinct points of each resample
    if respondents is not None:
        means, valid = resample_means(raw, respondents, n_boot, rng)
        present &= valid
    else:
        means = raw[None]
    Z = (means - centre) / scale
    boot = fit(method, Z, present.astype(float), k, rng_for(seed, 8), n_init=n_init)
    table = _contingency(labels, boot, present, k, k)
    size_c = table.sum(axis=2)
    size_d = table.sum(axis=1)
    union = size_c[:, :, None] + size_d[:, None, :] - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, table / np.where(union > 0, union, 1.0), 0.0)
    best = jaccard.max(axis=2)  # 0 when no point of the cluster was drawn (zerobyzero = 0)
    matched = jaccard.argmax(axis=2)
    kept = boot == np.take_along_axis(matched, np.broadcast_to(labels, boot.shape), axis=1)
    with np.errstate(invalid="ignore"):
        certainty = (kept & present).sum(axis=0) / present.sum(axis=0)
    return Stability(
        jaccard=best.mean(axis=0),
        dissolved=(best <= JACCARD_DISSOLVED).mean(axis=0),
        recovered=(best > JACCARD_VALID).mean(axis=0),
        ari=float(np.mean(adjusted_rand(table))),
        certainty=certainty,
        n_bootstrap=n_boot,
    )
