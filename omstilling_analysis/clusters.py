"""Types of municipality: clustering the six theme scores per wave.

Per wave the municipalities are clustered on their six *standardised* theme scores
(z-scores across the wave's clustered municipalities, sample standard deviation). Three
methods are compared: k-means (Lloyd's algorithm with k-means++ starts, Arthur & Vassilvitskii
2007), Ward's hierarchical clustering (Ward 1963) and a Gaussian mixture with one covariance
matrix shared by all components ("tied", fitted by EM from k-means starts; Fraley & Raftery
2002). The number of clusters is chosen from the data by three criteria, reported for every
method and k = 2 … 8 (:func:`select_k`):

- the mean silhouette width (Rousseeuw 1987), higher is better;
- the gap statistic with its standard error (Tibshirani, Walther & Hastie 2001), reference data
  uniform in the box aligned with the data's principal components (their variant b);
- the BIC of the Gaussian mixture (Schwarz 1978), lower is better.

The rule that turns the table into a method and a k is :func:`choose_solution`: k is the larger
of the gap statistic's k (Tibshirani's one-standard-error rule, k-means) and the BIC's k, and the
method is the Gaussian mixture (the reasons are in its docstring). An analyst can fix either or
both through ``Settings.n_clusters`` and ``Settings.cluster_method``.

Which municipalities are clustered
    Those with at least ``Settings.min_respondents_published`` (3) respondents and all six theme
    scores. The others stay in ``klynger.csv`` with no cluster and the reason in ``aarsag``
    (``"færre end 3 besvarelser"``, ``"mangler temascore (TEK)"``): the published typology, its
    profiles and figures never rest on fewer than three respondents, and nothing is dropped
    silently.

Stability (:func:`bootstrap_stability`)
    As ``fpc::clusterboot`` (Hennig 2007): the municipalities are resampled with replacement
    (and, when respondent scores are given, the respondents within each municipality, so the
    municipality means carry their sampling error), the resample is clustered by the same method
    with the same k, and every original cluster gets the largest Jaccard similarity to a
    bootstrap cluster, computed on the municipalities present in the resample. The mean over
    resamples is ``jaccard``; Hennig's reading: below 0.6 a cluster is not to be trusted
    (``stabil`` is ``jaccard >= 0.6``), 0.5 or below it has "dissolved". ``ari_bootstrap`` is the
    mean adjusted Rand index (Hubert & Arabie 1985) between the bootstrap and the original
    partition on the common municipalities. A resample is standardised with the original wave's
    means and standard deviations, so that only the data, not the yardstick, varies.

Certainty (``sikkerhed``)
    The share of bootstrap resamples containing the municipality in which it lands in the
    bootstrap cluster that best matches (largest Jaccard) its own original cluster. 1 means it
    was always put with its type, about 0.5 or less that it sits on a border. The same
    definition serves every method (a mixture's posterior would exist for one method only and is
    overconfident when the model is wrong).

Numbering and names
    In the first wave clusters are numbered by descending mean theme score (1 = most mature).
    Each later wave's cluster centroids (raw theme means) are matched to the latest centroid of
    every type number seen so far by the Hungarian algorithm on squared Euclidean distance
    (:func:`align_clusters`); with an unchanged number of clusters, a general rise of all scores
    between waves does not change that matching. Unmatched new clusters get new numbers. Names (:func:`name_clusters`) are Danish and
    describe the profile relative to the wave's mean, e.g. ``"Stærk styring, svagt fundament"``.

References
----------
Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. SODA 2007.
Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis, and density
estimation. JASA 97, 611-631.
Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational Statistics &
Data Analysis 52, 258-271.
Hubert, L. & Arabie, P. (1985). Comparing partitions. Journal of Classification 2, 193-218.
Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation of
cluster analysis. Journal of Computational and Applied Mathematics 20, 53-65.
Schwarz, G. (1978). Estimating the dimension of a model. Annals of Statistics 6, 461-464.
Tibshirani, R., Walther, G. & Hastie, T. (2001). Estimating the number of clusters in a data set
via the gap statistic. Journal of the Royal Statistical Society B 63, 411-423.
Ward, J. H. (1963). Hierarchical grouping to optimize an objective function. JASA 58, 236-244.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import linkage
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.metrics.pairwise import euclidean_distances

from omstilling_analysis.reference import theme_codes, themes
from omstilling_analysis.settings import Settings

#: The clustering methods compared.
METHODS: tuple[str, ...] = ("kmeans", "ward", "gmm")
#: Danish display names of the methods.
METHOD_NAMES: dict[str, str] = {
    "kmeans": "k-means",
    "ward": "Ward",
    "gmm": "Gaussisk blandingsmodel",
}
#: The numbers of clusters compared by default.
DEFAULT_K_RANGE = range(2, 9)
#: Reference data sets of the gap statistic.
N_REFERENCE = 50
#: Random starts of k-means (and of the mixture's EM, started from k-means solutions).
N_INIT = 10
#: Random starts per bootstrap resample (the resample starts near the original solution anyway).
N_INIT_BOOTSTRAP = 4
#: Hennig's (2007) reading of the mean Jaccard similarity.
JACCARD_STABLE = 0.6
JACCARD_DISSOLVED = 0.5
#: Ridge added to the mixture's shared covariance (the data are z-scores).
GMM_REG = 1e-4

_METHOD_KEY = {method: number for number, method in enumerate(METHODS, start=1)}


@dataclass(frozen=True)
class ClusterResult:
    """The typology of all waves.

    Attributes
    ----------
    assignments:
        ``klynger.csv``, one row per municipality x wave of the input: ``boelge, kommunekode,
        klynge`` (Int64, the aligned type number; missing when not clustered), ``klyngenavn``,
        ``sikkerhed`` (bootstrap share, see the module docstring) and ``aarsag`` (why a
        municipality has no cluster; missing when it has one).
    profiles:
        ``klyngeprofiler.csv``, one row per cluster x wave: ``boelge, klynge, klyngenavn,
        antal_kommuner``, the mean raw theme scores (``BOR`` … ``DAT``, scale 1-5),
        ``modenhedsindeks`` (their weighted mean, ``Settings.theme_weights``), the mean
        standardised scores (``BOR_z`` … ``DAT_z``), ``jaccard``, ``andel_oploest`` (share of
        resamples with Jaccard <= 0.5), ``stabil`` (``jaccard >= 0.6``) and ``ari_bootstrap``
        (the whole wave's solution, repeated on each of its rows).
    selection:
        The k-selection table of all waves: ``boelge, metode, k, silhuet, gap, gap_se, bic``
        (``bic`` for the mixture only).
    chosen:
        One row per wave: ``boelge, metode, k, n_kommuner, k_silhuet, k_gap, k_bic,
        ari_bootstrap``, ``ari_kmeans, ari_ward, ari_gmm`` (agreement, as adjusted Rand index,
        of each method's partition with the same k with the chosen one) and ``begrundelse``
        (Danish text: why this method and k).
    """

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    selection: pd.DataFrame
    chosen: pd.DataFrame


# =========================================================================== low-level fitting
#
# Every fitting routine works on a batch of data sets at once: ``X`` of shape (R, n, d) and
# non-negative weights (R, n). A bootstrap resample is the original rows with multinomial
# weights (the number of times each row was drawn), which is exactly the same as clustering
# the duplicated rows for k-means and the mixture, and lets 200 resamples run as one array.


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *(int(key) for key in keys)])


def _batch(X: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    if X.ndim == 2:
        X = X[None]
    w = np.ones(X.shape[:2]) if weights is None else np.asarray(weights, dtype=float)
    if w.ndim == 1:
        w = w[None]
    size = max(X.shape[0], w.shape[0])
    return (
        np.broadcast_to(X, (size, *X.shape[1:])),
        np.broadcast_to(w, (size, X.shape[1])),
    )


def _draw(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``probabilities`` (R, n), rows summing to 1."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = (1.0 - rng.random((len(probabilities), 1))) * cumulative[:, -1:]
    return np.minimum((cumulative < u).sum(axis=1), probabilities.shape[1] - 1)


def _kmeans_plusplus(X: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    size, n, d = X.shape
    rows = np.arange(size)
    centres = np.empty((size, k, d))
    base = w / w.sum(axis=1, keepdims=True)
    centres[:, 0] = X[rows, _draw(base, rng)]
    nearest = ((X - centres[:, :1]) ** 2).sum(axis=-1)
    for j in range(1, k):
        mass = w * nearest
        total = mass.sum(axis=1, keepdims=True)
        p = np.where(total > 0, mass / np.where(total > 0, total, 1.0), base)
        centres[:, j] = X[rows, _draw(p, rng)]
        nearest = np.minimum(nearest, ((X - centres[:, j : j + 1]) ** 2).sum(axis=-1))
    return centres


def _squared_distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    cross = X @ centres.transpose(0, 2, 1)
    d2 = (X**2).sum(axis=-1)[..., None] - 2.0 * cross + (centres**2).sum(axis=-1)[:, None, :]
    return np.maximum(d2, 0.0)


def _kmeans(
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
    max_iter: int = 100,
    keep_all: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means of a batch: labels (R, n) and weighted inertia (R,) of the best start.

    With ``keep_all`` every start is returned: shapes (R * n_init, n) and (R * n_init,).
    """
    X, w = _batch(X, weights)
    size, n, _ = X.shape
    Xr = np.repeat(X, n_init, axis=0)
    wr = np.repeat(w, n_init, axis=0)
    centres = _kmeans_plusplus(Xr, wr, k, rng)
    labels = _squared_distances(Xr, centres).argmin(axis=-1)
    clusters = np.arange(k)
    active = np.arange(len(Xr))
    for _ in range(max_iter):
        if active.size == 0:
            break
        Xa, wa, old = Xr[active], wr[active], centres[active]
        onehot = (labels[active][..., None] == clusters) * wa[..., None]
        mass = onehot.sum(axis=1)[..., None]
        sums = onehot.transpose(0, 2, 1) @ Xa
        centres[active] = np.where(mass > 0, sums / np.where(mass > 0, mass, 1.0), old)
        new = _squared_distances(Xa, centres[active]).argmin(axis=-1)
        changed = (new != labels[active]).any(axis=1)
        labels[active] = new
        active = active[changed]
    d2 = _squared_distances(Xr, centres)
    inertia = (np.take_along_axis(d2, labels[..., None], axis=-1)[..., 0] * wr).sum(axis=1)
    if keep_all:
        return labels, inertia
    best = inertia.reshape(size, n_init).argmin(axis=1) + np.arange(size) * n_init
    return labels[best], inertia[best]


def _gmm_em(
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    start: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-5,
    reg: float = GMM_REG,
) -> tuple[np.ndarray, np.ndarray]:
    """EM for a Gaussian mixture with a shared ("tied") covariance, started from hard labels.

    Returns posteriors (R, n, k) and the weighted log-likelihood (R,). Stops when no data set's
    mean log-likelihood per observation changes by more than ``tol``.
    """
    X, w = _batch(X, weights)
    size, _, d = X.shape
    resp = (start[..., None] == np.arange(k)).astype(float)
    total = w.sum(axis=1)
    scatter = (X * w[..., None]).transpose(0, 2, 1) @ X
    eye = np.eye(d)
    loglik = np.full(size, -np.inf)
    active = np.arange(size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        Xa, wa, ta = X[active], w[active], total[active]
        rw = resp[active] * wa[..., None]
        nk = rw.sum(axis=1) + 1e-12
        means = (rw.transpose(0, 2, 1) @ Xa) / nk[..., None]
        between = (means * nk[..., None]).transpose(0, 2, 1) @ means
        cov = (scatter[active] - between) / ta[:, None, None] + reg * eye
        chol = np.linalg.cholesky(cov)
        whiten = np.linalg.inv(chol).transpose(0, 2, 1)
        log_det = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        mahal = _squared_distances(Xa @ whiten, means @ whiten)
        log_joint = np.log(nk / ta[:, None])[:, None, :] - 0.5 * (
            d * np.log(2 * np.pi) + log_det[:, None, None] + mahal
        )
        top = log_joint.max(axis=2, keepdims=True)
        joint = np.exp(log_joint - top)
        norm = joint.sum(axis=2, keepdims=True)
        resp[active] = joint / norm
        current = (wa * (np.log(norm) + top)[..., 0]).sum(axis=1)
        moving = np.abs(current - loglik[active]) > tol * ta
        loglik[active] = current
        active = active[moving]
    return resp, loglik


def _gmm_parameters(k: int, d: int) -> int:
    return k * d + d * (d + 1) // 2 + (k - 1)


def _gmm(
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best of ``n_init`` EM runs started from k-means solutions: labels, posteriors, loglik."""
    X, w = _batch(X, weights)
    size = len(X)
    starts, _ = _kmeans(X, w, k, rng, n_init=n_init, keep_all=True)
    Xr = np.repeat(X, n_init, axis=0)
    wr = np.repeat(w, n_init, axis=0)
    resp, loglik = _gmm_em(Xr, wr, k, starts)
    best = loglik.reshape(size, n_init).argmax(axis=1) + np.arange(size) * n_init
    return resp[best].argmax(axis=-1), resp[best], loglik[best]


def _cut(tree: np.ndarray, n: int, k: int) -> np.ndarray:
    """Labels of the n leaves after the first ``n - k`` merges of a linkage matrix (k clusters)."""
    absorbed = np.full(2 * n - 1, n, dtype=int)
    absorbed[tree[:, 0].astype(int)] = np.arange(n - 1)
    absorbed[tree[:, 1].astype(int)] = np.arange(n - 1)
    node = np.arange(n)
    while True:
        climb = absorbed[node] < n - k
        if not climb.any():
            break
        node[climb] = n + absorbed[node[climb]]
    return np.unique(node, return_inverse=True)[1]


def _ward(X: np.ndarray, weights: np.ndarray | None, ks: Iterable[int]) -> np.ndarray:
    """Ward's clustering cut at each k: labels (R, len(ks), n); -1 for rows of weight 0.

    Weights must be whole numbers (the rows are duplicated, as a bootstrap resample would be).
    """
    X, w = _batch(X, weights)
    ks = list(ks)
    size, n, _ = X.shape
    counts = np.rint(w).astype(int)
    out = np.full((size, len(ks), n), -1, dtype=int)
    for r in range(size):
        rows = np.repeat(np.arange(n), counts[r])
        present, first = np.unique(rows, return_index=True)
        tree = linkage(X[r, rows], method="ward")
        for j, k in enumerate(ks):
            out[r, j, present] = _cut(tree, len(rows), min(k, len(present)))[first]
    return out


def _fit(
    method: str,
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
) -> np.ndarray:
    """Labels (R, n) of ``method`` with ``k`` clusters for a batch."""
    if method == "kmeans":
        return _kmeans(X, weights, k, rng, n_init=n_init)[0]
    if method == "ward":
        return _ward(X, weights, [k])[:, 0]
    if method == "gmm":
        return _gmm(X, weights, k, rng, n_init=n_init)[0]
    raise ValueError(f"ukendt klyngemetode {method!r}; vælg mellem {', '.join(METHODS)}")


def _log_wss(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """log of the pooled within-cluster sum of squares W_k of each labelled data set (R,)."""
    onehot = (labels[..., None] == np.arange(k)).astype(float)
    mass = onehot.sum(axis=1)
    sums = np.einsum("rnk,rnd->rkd", onehot, X)
    between = ((sums**2).sum(axis=-1) / np.maximum(mass, 1.0)).sum(axis=1)
    wss = (X**2).sum(axis=(1, 2)) - between
    return np.log(np.maximum(wss, 1e-12))


# =========================================================================== choosing k


def _reference_sets(X: np.ndarray, n_reference: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform reference data in the box aligned with X's principal components (Tibshirani b)."""
    centre = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - centre, full_matrices=False)
    rotated = (X - centre) @ vt.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    uniform = rng.random((n_reference, *rotated.shape))
    return (low + uniform * (high - low)) @ vt + centre


def select_k(
    scores_matrix: np.ndarray | pd.DataFrame,
    k_range: Iterable[int] = DEFAULT_K_RANGE,
    seed: int | None = None,
    *,
    methods: Iterable[str] = METHODS,
    n_reference: int = N_REFERENCE,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Silhouette, gap statistic and BIC for every method and number of clusters.

    Parameters
    ----------
    scores_matrix:
        The data to cluster, one row per municipality, already standardised (no missing values).
    k_range:
        The numbers of clusters to compare; values outside ``2 … n - 1`` are skipped.
    seed:
        Seed of the random starts and the gap statistic's reference data (default
        ``settings.seed``). A method's solution at k depends only on (seed, method, k), so
        :func:`cluster_municipalities` refits exactly the solution this table scored.
    methods:
        Any of ``"kmeans"``, ``"ward"``, ``"gmm"``.
    n_reference:
        Reference data sets B of the gap statistic.

    Returns
    -------
    pandas.DataFrame
        ``metode, k, silhuet, gap, gap_se, bic``. ``silhuet`` is the mean silhouette width
        (Rousseeuw 1987) on Euclidean distance. ``gap`` is ``mean_b log W*_kb - log W_k`` and
        ``gap_se`` is ``sd_k * sqrt(1 + 1/B)`` (Tibshirani et al. 2001), where W_k is the pooled
        within-cluster sum of squares of the method's partition and the B reference sets are
        uniform in the principal-component box of the data, clustered by the same method.
        ``bic`` is ``-2 log L + p log n`` of the Gaussian mixture with a shared covariance
        (``p = k d + d(d+1)/2 + k - 1``); missing for k-means and Ward, and when ``p >= n``
        (more parameters than municipalities: the likelihood then grows without bound).
    """
    settings = settings or Settings()
    seed = settings.seed if seed is None else int(seed)
    X = np.asarray(scores_matrix, dtype=float)
    if X.ndim != 2 or np.isnan(X).any():
        raise ValueError("select_k: scores_matrix skal være en matrix uden manglende værdier")
    n, d = X.shape
    ks = sorted({int(k) for k in k_range if 2 <= int(k) <= n - 1})
    methods = list(methods)
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"ukendt klyngemetode {method!r}; vælg mellem {', '.join(METHODS)}")
    columns = ["metode", "k", "silhuet", "gap", "gap_se", "bic"]
    if not ks:
        return pd.DataFrame(columns=columns)
    references = _reference_sets(X, n_reference, _rng(seed, 0))
    distances = euclidean_distances(X)
    ward_data = _ward(X, None, ks)[0] if "ward" in methods else None
    ward_refs = _ward(references, None, ks) if "ward" in methods else None
    rows = []
    for method in methods:
        for j, k in enumerate(ks):
            key = _rng(seed, _METHOD_KEY[method], k)
            ref_key = _rng(seed, _METHOD_KEY[method], k, 1)
            bic = np.nan
            if method == "ward":
                labels = ward_data[j][None]
                ref_labels = ward_refs[:, j]
            elif method == "kmeans":
                labels = _kmeans(X, None, k, key)[0]
                ref_labels = _kmeans(references, None, k, ref_key, n_init=4)[0]
            else:
                labels, _, loglik = _gmm(X, None, k, key)
                ref_labels = _gmm(references, None, k, ref_key, n_init=1)[0]
                if _gmm_parameters(k, d) < n:
                    bic = float(-2.0 * loglik[0] + _gmm_parameters(k, d) * np.log(n))
            log_w = _log_wss(X[None], labels, k)[0]
            log_w_ref = _log_wss(references, ref_labels, k)
            found = len(np.unique(labels[0]))
            silhouette = (
                float(silhouette_score(distances, labels[0], metric="precomputed"))
                if 2 <= found <= n - 1
                else np.nan
            )
            rows.append(
                {
                    "metode": method,
                    "k": k,
                    "silhuet": silhouette,
                    "gap": float(log_w_ref.mean() - log_w),
                    "gap_se": float(log_w_ref.std() * np.sqrt(1.0 + 1.0 / n_reference)),
                    "bic": bic,
                }
            )
    table = pd.DataFrame(rows, columns=columns)
    return table.astype({"k": "int64"})


def _gap_rule(table: pd.DataFrame) -> int:
    """Tibshirani's rule: the smallest k with gap(k) >= gap(k+1) - s(k+1), else the largest k."""
    table = table.sort_values("k")
    gap, se, ks = table["gap"].to_numpy(), table["gap_se"].to_numpy(), table["k"].to_numpy()
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - se[i + 1]:
            return int(ks[i])
    return int(ks[-1])


def choose_solution(selection: pd.DataFrame, settings: Settings | None = None) -> dict[str, object]:
    """The method and number of clusters, by a fixed rule on :func:`select_k`'s table.

    The rule:

    1. Each criterion proposes a k. ``k_gap``: Tibshirani's rule, the smallest k with
       gap(k) >= gap(k+1) - s(k+1) (the largest k compared when none qualifies), on the
       k-means rows (the method the gap statistic was made for; the analyst's method when
       fixed). ``k_bic``: the k of the smallest BIC of the Gaussian mixture. ``k_silhuet``: the
       k of the largest silhouette of the same rows as the gap; reported, not used.
    2. k = max(k_gap, k_bic) (k_gap alone when the BIC is missing: fewer municipalities than
       the mixture has parameters).
    3. The method is the Gaussian mixture, or k-means when the mixture has no BIC at that k
       (too few municipalities, see :func:`select_k`).

    ``settings.n_clusters`` / ``settings.cluster_method`` replace step 2 / step 3 when set.

    Why. Each criterion errs in a known direction, and mostly towards too few clusters, while
    merging two types costs more than splitting one (a merged type is lost; a split one shows
    up as two neighbouring, less stable clusters, see ``jaccard``). The gap statistic's
    one-standard-error rule stops at the top level when types come in pairs that differ in
    only two themes, or when one type is small; the BIC's penalty merges types when the
    municipality means are noisy (few respondents); the silhouette prefers the coarsest
    partition whenever types form pairs (it chose k = 2 in every such simulation, so it
    does not vote). Taking the larger of gap and BIC recovers a planted typology in
    simulations where either alone fails. The mixture, with one covariance matrix shared by
    the clusters, is the only one of the three methods that models the spread within a type:
    a municipality's general level lifts all six themes together, which k-means and Ward can
    mistake for cluster structure. With uncorrelated spread the three methods agree (the
    ``chosen`` table reports k-means' and Ward's agreement with the chosen solution).

    Returns
    -------
    dict
        ``metode, k, k_silhuet, k_gap, k_bic, begrundelse`` (the reason, in Danish).
    """
    settings = settings or Settings()
    if selection.empty:
        raise ValueError("choose_solution: tom udvælgelsestabel")
    method_fixed = settings.cluster_method
    reference = method_fixed or "kmeans"
    own = selection[selection["metode"] == reference].sort_values("k")
    if own.empty:
        raise ValueError(f"choose_solution: ingen rækker for metoden {reference!r}")
    silhouettes = own.set_index("k")["silhuet"]
    k_sil = int(silhouettes.idxmax()) if silhouettes.notna().any() else None
    k_gap = _gap_rule(own)
    mixture = selection[selection["metode"] == "gmm"].dropna(subset=["bic"])
    k_bic = int(mixture.loc[mixture["bic"].idxmin(), "k"]) if not mixture.empty else None

    if settings.n_clusters is not None:
        k = int(settings.n_clusters)
        reason = f"k = {k} fastsat af analytikeren"
    else:
        k = max(value for value in (k_gap, k_bic) if value is not None)
        bic_text = "ingen BIC" if k_bic is None else f"BIC's k ({k_bic})"
        reason = (
            f"k = {k}, det største af gap-statistikkens k ({k_gap}) og {bic_text}; "
            f"silhuetten peger på {k_sil}"
        )
    if method_fixed is not None:
        method = method_fixed
        reason += f"; metoden {METHOD_NAMES[method]} fastsat af analytikeren"
    elif not mixture.empty and not (
        selection.loc[(selection["metode"] == "gmm") & (selection["k"] == k), "bic"].isna().any()
    ):
        method = "gmm"
        reason += f"; metoden er {METHOD_NAMES[method]} (fælles kovariansmatrix)"
    else:
        method = "kmeans"
        reason += "; k-means, da blandingsmodellen har flere parametre end der er kommuner"
    return {
        "metode": method,
        "k": k,
        "k_silhuet": k_sil,
        "k_gap": k_gap,
        "k_bic": k_bic,
        "begrundelse": reason,
    }


# =========================================================================== stability


def _contingency(original: np.ndarray, boot: np.ndarray, present: np.ndarray, k: int, kb: int):
    """Counts (R, k, kb) of original cluster x bootstrap cluster on the present rows."""
    size = boot.shape[0]
    index = (np.arange(size)[:, None] * k + original[None, :]) * kb + np.maximum(boot, 0)
    counts = np.bincount(index[present], minlength=size * k * kb)
    return counts.reshape(size, k, kb).astype(float)


def _adjusted_rand(table: np.ndarray) -> np.ndarray:
    """Adjusted Rand index (Hubert & Arabie 1985) of each contingency table (R, k, kb)."""

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


def _respondent_resampler(
    codes: np.ndarray, respondent_scores: pd.DataFrame | None, wave: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Respondent theme scores of the clustered municipalities, grouped: values, starts, sizes."""
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


def _resample_means(
    raw: np.ndarray,
    grouped: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_boot: int,
    rng: np.random.Generator,
    budget: int = 8_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality means (R, n, d) from respondents resampled within municipalities.

    Each municipality's respondents are drawn with replacement as many times as it has
    respondents; a municipality without respondent rows keeps its score. Also returns whether
    every theme mean exists (R, n).

    The replicates are drawn a chunk at a time (about ``budget`` draws; the same random numbers
    as one ``rng.random((n_boot, total))``), and a municipality's sums are the product of its
    resample counts with its (values, present) block, so memory stays near
    ``2 * budget * 8`` bytes however many respondents there are.
    """
    values, starts, sizes = grouped
    total = len(values)
    group = np.repeat(np.arange(len(sizes)), sizes)
    offset, size_of = starts[group], sizes[group]
    seen = ~np.isnan(values)
    d = values.shape[1]
    design = np.hstack([np.where(seen, values, 0.0), seen.astype(float)])
    has = sizes > 0
    sums = np.zeros((n_boot, len(sizes), 2 * d))
    chunk = max(1, min(n_boot, budget // max(total, 1)))
    for first in range(0, n_boot, chunk):
        b = min(chunk, n_boot - first)
        uniform = rng.random((b, total))
        np.multiply(uniform, size_of, out=uniform)
        draws = uniform.astype(np.int64)  # truncation is floor: the values are >= 0
        del uniform
        draws += offset
        draws += (np.arange(b, dtype=np.int64) * total)[:, None]
        weights = np.bincount(draws.ravel(), minlength=b * total).reshape(b, total)
        weights = weights.astype(np.float64)
        del draws
        for g in np.flatnonzero(has):
            s, e = starts[g], starts[g] + sizes[g]
            sums[first : first + b, g] = weights[:, s:e] @ design[s:e]
    means = np.broadcast_to(raw, (n_boot, *raw.shape)).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        means[:, has] = sums[:, has, :d] / sums[:, has, d:]
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
) -> dict[str, np.ndarray | float]:
    """Cluster-wise bootstrap stability as ``fpc::clusterboot`` (Hennig 2007).

    Parameters
    ----------
    raw:
        Raw theme scores (n, d) of the clustered municipalities.
    labels:
        The original partition, ``0 … k-1``.
    method:
        The clustering method re-applied to each resample, with the same k.
    centre, scale:
        The standardisation of the original fit (default: ``raw``'s mean and sd).
    respondents:
        Respondent theme scores grouped by municipality (values, starts, sizes) to resample
        within municipalities as well; ``None`` resamples municipalities only.
    settings, seed:
        ``settings.n_bootstrap`` resamples; seed default ``settings.seed``.

    Returns
    -------
    dict
        ``jaccard`` (k,) mean over resamples of the largest Jaccard similarity of the original
        cluster (restricted to the resampled municipalities) to any bootstrap cluster;
        ``dissolved`` (k,) share of resamples with that Jaccard <= 0.5; ``ari`` mean adjusted
        Rand index of the resample's partition to the original on common municipalities;
        ``certainty`` (n,) share of the resamples containing the municipality in which it lies
        in the bootstrap cluster best matching its original cluster. All NaN when
        ``n_bootstrap`` is 0.
    """
    settings = settings or Settings()
    seed = settings.seed if seed is None else int(seed)
    raw = np.asarray(raw, dtype=float)
    labels = np.asarray(labels, dtype=int)
    n, _ = raw.shape
    k = int(labels.max()) + 1
    n_boot = int(settings.n_bootstrap)
    if n_boot <= 0:
        return {
            "jaccard": np.full(k, np.nan),
            "dissolved": np.full(k, np.nan),
            "ari": np.nan,
            "certainty": np.full(n, np.nan),
        }
    centre = raw.mean(axis=0) if centre is None else centre
    scale = raw.std(axis=0, ddof=1) if scale is None else scale
    rng = _rng(seed, 7)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    if respondents is not None:
        means, valid = _resample_means(raw, respondents, n_boot, rng)
        counts = counts * valid
    else:
        means = raw[None]
    Z = (means - centre) / scale
    boot = _fit(method, Z, counts, k, _rng(seed, 8), n_init=N_INIT_BOOTSTRAP)
    present = counts > 0
    table = _contingency(labels, boot, present, k, k)
    size_c = table.sum(axis=2)
    size_d = table.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = table / (size_c[:, :, None] + size_d[:, None, :] - table)
    jaccard = np.where(size_c[:, :, None] > 0, np.nan_to_num(jaccard), np.nan)
    best = np.nanmax(np.where(np.isnan(jaccard), -1.0, jaccard), axis=2)
    best = np.where(size_c > 0, best, np.nan)
    matched = np.argmax(np.nan_to_num(jaccard, nan=-1.0), axis=2)
    kept = boot == np.take_along_axis(matched, np.broadcast_to(labels, boot.shape), axis=1)
    with np.errstate(invalid="ignore"):
        dissolved = np.nanmean(np.where(np.isnan(best), np.nan, best <= JACCARD_DISSOLVED), axis=0)
        certainty = (kept & present).sum(axis=0) / present.sum(axis=0)
    return {
        "jaccard": np.nanmean(best, axis=0),
        "dissolved": dissolved,
        "ari": float(np.mean(_adjusted_rand(table))),
        "certainty": certainty,
    }


# =========================================================================== alignment


def align_clusters(
    centroids: np.ndarray, previous: Mapping[int, np.ndarray] | None = None
) -> np.ndarray:
    """Type numbers for clusters with these centroids (k, d), raw theme means.

    Without ``previous`` (the first wave) the clusters are numbered 1, 2, … by descending mean
    of their centroid. Otherwise the centroids are matched one-to-one to ``previous`` (type
    number → latest centroid of that type) by the Hungarian algorithm
    (``scipy.optimize.linear_sum_assignment``) on squared Euclidean distance; when the number
    of clusters is unchanged, adding the same shift to all new centroids (a general rise) does
    not change that matching. Clusters left unmatched get new numbers after the largest known
    one, by descending mean.
    """
    centroids = np.asarray(centroids, dtype=float)
    k = len(centroids)
    numbers = np.zeros(k, dtype=int)
    unmatched = np.arange(k)
    next_number = 1
    if previous:
        known = np.array(sorted(previous))
        reference = np.stack([np.asarray(previous[number], dtype=float) for number in known])
        cost = ((centroids[:, None, :] - reference[None, :, :]) ** 2).sum(axis=-1)
        rows, cols = linear_sum_assignment(cost)
        numbers[rows] = known[cols]
        unmatched = np.setdiff1d(np.arange(k), rows)
        next_number = int(known.max()) + 1
    order = unmatched[np.argsort(-centroids[unmatched].mean(axis=1), kind="stable")]
    numbers[order] = np.arange(next_number, next_number + len(order))
    return numbers


# =========================================================================== names

#: Theme words of the cluster names: (noun phrase, neuter?).
THEME_WORDS: dict[str, tuple[str, bool]] = {
    "BOR": ("borgerfokus", True),
    "STR": ("strategi", False),
    "FOR": ("forankring", False),
    "STY": ("styring", False),
    "TEK": ("fundament", True),
    "DAT": ("datasikkerhed og etik", False),
}
#: A profile whose standardised means span less than this is "flat".
FLAT_SPREAD = 0.5
#: Level (mean z) above/below which a cluster is high/low.
LEVEL_MARGIN = 0.5
#: Margin (z) within which a theme counts as near the wave's mean.
NEAR_MEAN = 0.25


def _adjective(stem: str, neuter: bool) -> str:
    return stem + "t" if neuter else stem


def _phrase(stem: str, codes: list[str], prefix: str = "") -> str:
    """``"stærk styring og strategi"``, ``"stærk styring og stærkt fundament"``."""
    words = [THEME_WORDS[code] for code in codes]
    if len({neuter for _, neuter in words}) == 1:
        nouns = [noun for noun, _ in words]
        head = ", ".join(nouns[:-1]) + " og " + nouns[-1] if len(nouns) > 1 else nouns[0]
        return f"{prefix}{_adjective(stem, words[0][1])} {head}"
    parts = [f"{prefix}{_adjective(stem, neuter)} {noun}" for noun, neuter in words]
    return ", ".join(parts[:-1]) + " og " + parts[-1]


def _describe(z: pd.Series, detail: int) -> str:
    """Danish name of one standardised profile; ``detail`` ≥ 1 adds themes."""
    order = z.sort_values(ascending=False, kind="stable").index.tolist()
    level, spread = float(z.mean()), float(z.max() - z.min())
    if z.min() >= LEVEL_MARGIN or (spread < FLAT_SPREAD and level > LEVEL_MARGIN):
        name = "Høj modenhed på alle temaer"
        if detail > 1:
            name += ", " + _phrase("svag", list(reversed(order))[: detail - 1], "relativt ")
        return name
    if z.max() <= -LEVEL_MARGIN or (spread < FLAT_SPREAD and level < -LEVEL_MARGIN):
        name = "Lav modenhed på alle temaer"
        if detail > 1:
            name += ", " + _phrase("stærk", order[: detail - 1], "relativt ")
        return name
    if spread < FLAT_SPREAD:
        name = "Gennemsnitlig"
        if detail > 1:
            name += ", " + _phrase("stærk", order[: detail - 1], "relativt ")
        return name
    if z.min() > -NEAR_MEAN and level > NEAR_MEAN:
        lagging = list(reversed(order))[:detail]
        return "Høj modenhed, " + _phrase("svag", lagging, "relativt ")
    if z.max() < NEAR_MEAN and level < -NEAR_MEAN:
        leading = order[:detail]
        return "Lav modenhed, " + _phrase("stærk", leading, "relativt ")
    strong = [code for code in order if z[code] > 0][: (detail + 2) // 2] or order[:1]
    weak = [code for code in reversed(order) if z[code] < 0][: (detail + 1) // 2]
    weak = weak or list(reversed(order))[:1]
    text = _phrase("stærk", strong) + ", " + _phrase("svag", weak)
    return text[0].upper() + text[1:]


def name_clusters(profiles_z: pd.DataFrame) -> pd.Series:
    """Distinct Danish names of a wave's clusters from their standardised profiles.

    ``profiles_z`` has one row per cluster (index: the cluster number) and the six theme codes
    as columns, holding the cluster's mean z-score, i.e. its distance from the wave's mean in
    standard deviations. The name says what stands out:

    - every theme at least 0.5 above the mean, or a flat profile (span < 0.5) whose mean is:
      above 0.5: ``"Høj modenhed på alle temaer"``; the mirror image: ``"Lav modenhed på alle
      temaer"``; a flat profile near the mean: ``"Gennemsnitlig"``;
    - all themes above the mean (none below -0.25): ``"Høj modenhed, relativt svag styring"``
      (the weakest); all below: ``"Lav modenhed, relativt stærkt fundament"`` (the strongest);
    - otherwise the strongest and the weakest: ``"Stærk styring, svagt fundament"``.

    Adjectives agree with the noun's gender (``stærk styring``, ``stærkt fundament``). Names that
    coincide within the wave are lengthened together, deterministically, by the next theme
    (``"Stærk styring og strategi, svagt fundament"``); clusters whose themes come in the same
    order, so that no theme tells them apart, get their number added (``"... (type 3)"``).
    """
    codes = theme_codes()
    most = 2 * len(codes)
    profiles_z = profiles_z[codes]
    full = {c: _describe(profiles_z.loc[c], most) for c in profiles_z.index}
    detail = dict.fromkeys(profiles_z.index, 1)
    names = {c: _describe(profiles_z.loc[c], 1) for c in profiles_z.index}
    for _ in range(most):
        counts = pd.Series(names).value_counts()
        clashes = [c for c in profiles_z.index if counts[names[c]] > 1]
        if not clashes:
            break
        current = dict(names)
        for c in clashes:
            twins = [
                o for o in clashes if o != c and current[o] == current[c] and full[o] == full[c]
            ]
            if twins:  # the same theme order: no theme tells them apart
                names[c] = f"{current[c]} (type {c})"
            else:
                detail[c] += 1
                names[c] = _describe(profiles_z.loc[c], detail[c])
    return pd.Series(names, name="klyngenavn")


# =========================================================================== the typology

_ASSIGNMENT_COLUMNS = ["boelge", "kommunekode", "klynge", "klyngenavn", "sikkerhed", "aarsag"]


def _reasons(rows: pd.DataFrame, settings: Settings) -> pd.Series:
    """Why each municipality is not clustered (missing: it is)."""
    minimum = settings.min_respondents_published
    reasons = pd.Series(pd.NA, index=rows.index, dtype="object")
    missing = rows[theme_codes()].isna()
    for index, row in missing.iterrows():
        if row.any():
            reasons[index] = f"mangler temascore ({', '.join(row.index[row.to_numpy()])})"
    few = rows["n_respondenter"].fillna(0) < minimum
    reasons[few] = f"færre end {minimum} besvarelser"
    return reasons


def _wave_seed(seed: int, wave: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(wave)]).generate_state(1)[0])


def _validate(settings: Settings) -> None:
    if settings.cluster_method is not None and settings.cluster_method not in METHODS:
        raise ValueError(
            f"ukendt klyngemetode {settings.cluster_method!r}; vælg mellem {', '.join(METHODS)}"
        )
    if settings.n_clusters is not None and int(settings.n_clusters) < 2:
        raise ValueError("klynge_k skal være mindst 2")


def cluster_municipalities(
    municipality_scores: pd.DataFrame,
    respondent_scores: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> ClusterResult:
    """Cluster the municipalities of every wave into aligned, named, bootstrapped types.

    Parameters
    ----------
    municipality_scores:
        The ``municipality_scores`` frame (``docs/interfaces.md``); used columns: ``boelge,
        kommunekode, n_respondenter`` and the six theme codes.
    respondent_scores:
        Optional ``respondent_scores``; when given, the bootstrap also resamples respondents
        within municipalities.
    settings:
        ``n_clusters`` / ``cluster_method`` fix k / the method (else :func:`choose_solution`),
        ``n_bootstrap`` resamples, ``seed``, ``min_respondents_published``, ``theme_weights``
        (only for the profile's ``modenhedsindeks``).

    Returns
    -------
    ClusterResult
        See its docstring. The result depends only on the data and the settings, not on the
        row order of the input.
    """
    settings = settings or Settings()
    _validate(settings)
    codes = theme_codes()
    needed = {"boelge", "kommunekode", "n_respondenter", *codes}
    missing_columns = needed - set(municipality_scores.columns)
    if missing_columns:
        raise KeyError(f"municipality_scores mangler kolonnerne {sorted(missing_columns)}")
    if municipality_scores.duplicated(["boelge", "kommunekode"]).any():
        raise ValueError("municipality_scores har mere end én række per kommune og bølge")
    frame = municipality_scores.sort_values(["boelge", "kommunekode"], kind="stable")
    weights = np.array([settings.theme_weights[code] for code in codes], dtype=float)

    assignments, profiles, selections, chosen = [], [], [], []
    known: dict[int, np.ndarray] = {}
    for wave in sorted(frame["boelge"].unique()):
        rows = frame[frame["boelge"] == wave]
        reasons = _reasons(rows, settings)
        eligible = rows[reasons.isna()]
        out = pd.DataFrame(
            {
                "boelge": rows["boelge"].astype("int64").to_numpy(),
                "kommunekode": rows["kommunekode"].astype("int64").to_numpy(),
                "klynge": pd.array([pd.NA] * len(rows), dtype="Int64"),
                "klyngenavn": pd.Series([pd.NA] * len(rows), dtype="object").to_numpy(),
                "sikkerhed": np.nan,
                "aarsag": reasons.to_numpy(),
            }
        )
        minimum_n = max(3, (settings.n_clusters or 2) + 1)
        if len(eligible) < minimum_n:
            out.loc[out["aarsag"].isna(), "aarsag"] = "for få kommuner i bølgen til klyngeanalyse"
            assignments.append(out)
            continue
        raw = eligible[codes].to_numpy(dtype=float)
        centre, scale = raw.mean(axis=0), raw.std(axis=0, ddof=1)
        scale = np.where(scale > 0, scale, 1.0)
        Z = (raw - centre) / scale
        seed = _wave_seed(settings.seed, int(wave))
        table = select_k(Z, seed=seed, settings=settings)
        choice = choose_solution(table, settings)
        method, k = str(choice["metode"]), int(choice["k"])
        labels = _fit(method, Z, None, k, _rng(seed, _METHOD_KEY[method], k))[0]
        used, labels = np.unique(labels, return_inverse=True)
        k_found = len(used)
        centroids = np.stack([raw[labels == c].mean(axis=0) for c in range(k_found)])
        numbers = align_clusters(centroids, known)
        known.update({int(number): centroids[c] for c, number in enumerate(numbers)})

        agreement = {
            f"ari_{other}": float(
                adjusted_rand_score(
                    labels, _fit(other, Z, None, k, _rng(seed, _METHOD_KEY[other], k))[0]
                )
            )
            for other in METHODS
        }
        grouped = _respondent_resampler(
            eligible["kommunekode"].to_numpy(), respondent_scores, int(wave)
        )
        stability = bootstrap_stability(
            raw,
            labels,
            method,
            centre=centre,
            scale=scale,
            respondents=grouped,
            settings=settings,
            seed=seed,
        )
        z_profiles = pd.DataFrame(
            [Z[labels == c].mean(axis=0) for c in range(k_found)], index=numbers, columns=codes
        )
        names = name_clusters(z_profiles)

        position = np.flatnonzero(reasons.isna().to_numpy())
        out.loc[position, "klynge"] = numbers[labels]
        out.loc[position, "klyngenavn"] = names.loc[numbers[labels]].to_numpy()
        out.loc[position, "sikkerhed"] = stability["certainty"]
        assignments.append(out)

        profile = pd.DataFrame(
            {
                "boelge": int(wave),
                "klynge": numbers,
                "klyngenavn": names.loc[numbers].to_numpy(),
                "antal_kommuner": np.bincount(labels, minlength=k_found),
            }
        )
        for j, code in enumerate(codes):
            profile[code] = centroids[:, j]
        profile["modenhedsindeks"] = centroids @ weights / weights.sum()
        for code in codes:
            profile[f"{code}_z"] = z_profiles[code].to_numpy()
        profile["jaccard"] = stability["jaccard"]
        profile["andel_oploest"] = stability["dissolved"]
        profile["stabil"] = pd.array(
            np.where(np.isnan(stability["jaccard"]), None, stability["jaccard"] >= JACCARD_STABLE),
            dtype="boolean",
        )
        profile["ari_bootstrap"] = stability["ari"]
        profiles.append(profile.sort_values("klynge"))

        selections.append(table.assign(boelge=int(wave)))
        chosen.append(
            {
                "boelge": int(wave),
                "metode": method,
                "k": k_found,
                "n_kommuner": len(eligible),
                "k_silhuet": choice["k_silhuet"],
                "k_gap": choice["k_gap"],
                "k_bic": choice["k_bic"],
                "ari_bootstrap": stability["ari"],
                **agreement,
                "begrundelse": choice["begrundelse"]
                + ("" if k_found == k else f"; kun {k_found} klynger blev ikke tomme"),
            }
        )

    assignment_frame = (
        pd.concat(assignments, ignore_index=True)
        if assignments
        else pd.DataFrame(columns=_ASSIGNMENT_COLUMNS)
    )
    assignment_frame = assignment_frame.astype(
        {"klynge": "Int64", "sikkerhed": "float64", "klyngenavn": "object", "aarsag": "object"}
    )
    profile_columns = [
        "boelge",
        "klynge",
        "klyngenavn",
        "antal_kommuner",
        *codes,
        "modenhedsindeks",
        *(f"{code}_z" for code in codes),
        "jaccard",
        "andel_oploest",
        "stabil",
        "ari_bootstrap",
    ]
    profile_frame = (
        pd.concat(profiles, ignore_index=True)
        if profiles
        else pd.DataFrame(columns=profile_columns)
    )
    profile_frame = profile_frame.astype({"klynge": "Int64", "antal_kommuner": "int64"})
    selection_frame = (
        pd.concat(selections, ignore_index=True)[
            ["boelge", "metode", "k", "silhuet", "gap", "gap_se", "bic"]
        ]
        if selections
        else pd.DataFrame(columns=["boelge", "metode", "k", "silhuet", "gap", "gap_se", "bic"])
    )
    chosen_frame = pd.DataFrame(
        chosen,
        columns=[
            "boelge",
            "metode",
            "k",
            "n_kommuner",
            "k_silhuet",
            "k_gap",
            "k_bic",
            "ari_bootstrap",
            *(f"ari_{other}" for other in METHODS),
            "begrundelse",
        ],
    ).astype({"k_silhuet": "Int64", "k_gap": "Int64", "k_bic": "Int64"})
    return ClusterResult(
        assignments=assignment_frame[_ASSIGNMENT_COLUMNS],
        profiles=profile_frame[profile_columns],
        selection=selection_frame,
        chosen=chosen_frame,
    )


# =========================================================================== figures


def _decimal(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _theme_labels() -> list[str]:
    names = themes().set_index("tema")["navn"]
    return [names[code] for code in theme_codes()]


def plot_profile_heatmap(profiles: pd.DataFrame, boelge: int) -> Figure:
    """Heatmap of one wave's cluster profiles.

    Colour: the cluster's mean z-score per theme (its distance from the wave's mean in standard
    deviations); text: the mean on the raw 1-5 scale. Rows are labelled with number, name and
    size; a cluster whose Jaccard stability is below 0.6 is marked "(ustabil)". Every cell is a
    mean over municipalities with at least ``min_respondents_published`` respondents.
    """
    import seaborn as sns  # only the figures need it; clustering stays light

    codes = theme_codes()
    wave = profiles[profiles["boelge"] == boelge].sort_values("klynge")
    if wave.empty:
        raise ValueError(f"ingen klyngeprofiler for bølge {boelge}")
    z = wave[[f"{code}_z" for code in codes]].to_numpy(dtype=float)
    raw = wave[codes].to_numpy(dtype=float)
    rows = [
        f"{int(row.klynge)}. {row.klyngenavn} (n = {int(row.antal_kommuner)})"
        + ("" if pd.isna(row.jaccard) or row.jaccard >= JACCARD_STABLE else " (ustabil)")
        for row in wave.itertuples(index=False)
    ]
    limit = max(1.0, float(np.nanmax(np.abs(z))))
    figure = Figure(figsize=(10, 1.2 + 0.6 * len(rows)), layout="constrained")
    with sns.axes_style("white"), warnings.catch_warnings():
        # seaborn 0.13 calls Colormap.set_bad, which matplotlib 3.11 announces it will drop
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        axes = figure.subplots()
        sns.heatmap(
            pd.DataFrame(z, index=rows, columns=_theme_labels()),
            ax=axes,
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            center=0.0,
            annot=np.vectorize(_decimal)(raw),
            fmt="",
            linewidths=0.5,
            cbar_kws={"label": "Afvigelse fra bølgens gennemsnit\n(standardafvigelser)"},
        )
    axes.set_title(f"Klyngeprofiler {boelge}: gennemsnitlig temascore (1-5)")
    axes.set_xlabel("")
    axes.set_ylabel("")
    axes.tick_params(axis="x", labelrotation=30)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("right")
    return figure


def plot_pca_map(
    municipality_scores: pd.DataFrame,
    assignments: pd.DataFrame,
    boelge: int,
    settings: Settings | None = None,
) -> Figure:
    """The wave's municipalities on their first two principal components, coloured by cluster.

    The PCA (``sklearn.decomposition.PCA``) is of the standardised theme scores of the
    municipalities shown, i.e. those with a cluster and at least
    ``settings.min_respondents_published`` respondents; no municipality with fewer is drawn.
    Axis labels give the share of variance explained.
    """
    import seaborn as sns  # only the figures need it; clustering stays light

    settings = settings or Settings()
    codes = theme_codes()
    scores = municipality_scores[municipality_scores["boelge"] == boelge]
    scores = scores[scores["n_respondenter"] >= settings.min_respondents_published]
    shown = scores.merge(
        assignments.loc[
            (assignments["boelge"] == boelge) & assignments["klynge"].notna(),
            ["kommunekode", "klynge", "klyngenavn"],
        ],
        on="kommunekode",
    ).dropna(subset=codes)
    if len(shown) < 3:
        raise ValueError(f"for få klyngede kommuner i bølge {boelge} til et PCA-kort")
    shown = shown.sort_values(["klynge", "kommunekode"])
    raw = shown[codes].to_numpy(dtype=float)
    scale = raw.std(axis=0, ddof=1)
    Z = (raw - raw.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    pca = PCA(n_components=2)
    points = pca.fit_transform(Z)
    explained = pca.explained_variance_ratio_ * 100
    legend = [
        f"{int(c)}. {name}" for c, name in zip(shown["klynge"], shown["klyngenavn"], strict=True)
    ]
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    with sns.axes_style("whitegrid"):
        axes = figure.subplots()
        sns.scatterplot(
            x=points[:, 0],
            y=points[:, 1],
            hue=legend,
            hue_order=list(dict.fromkeys(legend)),
            palette="colorblind",
            s=55,
            ax=axes,
        )
    axes.set_xlabel(f"1. hovedkomponent ({_decimal(explained[0])} % af variansen)")
    axes.set_ylabel(f"2. hovedkomponent ({_decimal(explained[1])} % af variansen)")
    axes.set_title(f"Kommunernes klynger {boelge} (n = {len(shown)} kommuner)")
    axes.legend(title="Klynge", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return figure


def plot_k_selection(
    selection: pd.DataFrame, boelge: int, chosen: pd.DataFrame | None = None
) -> Figure:
    """The k-selection curves of one wave: silhouette, gap statistic (± its SE) and BIC.

    With ``chosen`` (``ClusterResult.chosen``) the chosen k is marked by a dashed line.
    """
    import seaborn as sns  # only the figures need it; clustering stays light

    wave = selection[selection["boelge"] == boelge]
    if wave.empty:
        raise ValueError(f"ingen k-udvælgelse for bølge {boelge}")
    figure = Figure(figsize=(13, 4.2), layout="constrained")
    with sns.axes_style("whitegrid"):
        axes = figure.subplots(1, 3, sharex=True)
    panels = [
        ("silhuet", "Gennemsnitlig silhuetbredde (højere er bedre)"),
        ("gap", "Gap-statistik ± standardfejl"),
        ("bic", "BIC for Gaussisk blandingsmodel (lavere er bedre)"),
    ]
    colours = dict(zip(METHODS, sns.color_palette("colorblind", len(METHODS)), strict=True))
    for ax, (column, title) in zip(axes, panels, strict=True):
        for method in METHODS:
            rows = wave[wave["metode"] == method].sort_values("k")
            if rows.empty or rows[column].isna().all():
                continue
            if column == "gap":
                ax.errorbar(
                    rows["k"],
                    rows["gap"],
                    yerr=rows["gap_se"],
                    marker="o",
                    capsize=3,
                    color=colours[method],
                    label=METHOD_NAMES[method],
                )
            else:
                ax.plot(
                    rows["k"],
                    rows[column],
                    marker="o",
                    color=colours[method],
                    label=METHOD_NAMES[method],
                )
        if chosen is not None:
            pick = chosen[chosen["boelge"] == boelge]
            if not pick.empty:
                ax.axvline(int(pick["k"].iloc[0]), color="grey", linestyle="--", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("Antal klynger k")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            # E.g. BIC with more model parameters than municipalities: say so, not a blank panel.
            ax.text(
                0.5,
                0.5,
                "ikke beregnet for denne bølge",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    figure.suptitle(f"Valg af antal klynger {boelge}")
    return figure
