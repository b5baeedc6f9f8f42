"""Numpy engines of the three clustering methods, batched over many data sets at once.

k-means (Lloyd's algorithm with k-means++ starts, Arthur & Vassilvitskii 2007), Ward's
hierarchical clustering (Ward 1963, via ``scipy.cluster.hierarchy.linkage``) and a Gaussian
mixture with one covariance matrix shared by all components ("tied", fitted by EM from k-means
starts; Fraley & Raftery 2002). Every routine takes ``X`` of shape (R, n, d) (or (n, d)) and
non-negative weights (R, n): a bootstrap resample is the original rows with weights, so that
hundreds of resamples run as one array. A weight of 0 leaves a row out; with 0/1 weights a
resample is exactly its distinct points clustered unweighted (``fpc::clusterboot``'s default).

With k = 1 every routine returns one cluster; the mixture is then a single Gaussian with a
full covariance matrix, whose log-likelihood enters the BIC of "no clear types".

References
----------
Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. SODA 2007.
Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis, and density
estimation. JASA 97, 611-631.
Ward, J. H. (1963). Hierarchical grouping to optimize an objective function. JASA 58, 236-244.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.cluster.hierarchy import linkage

__all__ = [
    "GMM_REG", "METHODS", "METHOD_KEY", "METHOD_NAMES", "N_INIT", "fit", "gmm", "gmm_em",
    "gmm_parameters", "kmeans", "log_wss", "rng_for", "ward",
]  # fmt: skip

#: The clustering methods compared.
METHODS: tuple[str, ...] = ("kmeans", "ward", "gmm")
#: Danish display names of the methods.
METHOD_NAMES: dict[str, str] = {
    "kmeans": "k-means",
    "ward": "Ward",
    "gmm": "Gaussisk blandingsmodel",
}
#: Random starts of k-means (and of the mixture's EM, started from k-means solutions), in the
#: original fit and in every bootstrap resample alike.
N_INIT = 10
#: Ridge added to the mixture's shared covariance (the data are z-scores).
GMM_REG = 1e-4
#: A number per method, one key of its random stream.
METHOD_KEY: dict[str, int] = {method: number for number, method in enumerate(METHODS, start=1)}


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """The random stream of one step: ``numpy.random.default_rng([seed, *keys])``."""
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


def kmeans(
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
    max_iter: int = 100,
    keep_all: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means of a batch: labels (R, n) and weighted inertia (R,) of the best start.

    Minimises the weighted within-cluster sum of squares
    :math:`\\sum_i w_i \\lVert x_i - \\mu_{c(i)} \\rVert^2` by Lloyd's algorithm from ``n_init``
    k-means++ starts (Arthur & Vassilvitskii 2007) and keeps the best. With ``keep_all`` every
    start is returned: shapes (R * n_init, n) and (R * n_init,).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> labels, inertia = kmeans(X, None, 2, rng_for(1))
    >>> bool(labels[0, 0] == labels[0, 1] != labels[0, 2] == labels[0, 3]), float(inertia[0])
    (True, 1.0)
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


def gmm_em(
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


def gmm_parameters(k: int, d: int) -> int:
    return k * d + d * (d + 1) // 2 + (k - 1)


def gmm(
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best of ``n_init`` EM runs started from k-means solutions: labels, posteriors, loglik."""
    X, w = _batch(X, weights)
    size = len(X)
    starts, _ = kmeans(X, w, k, rng, n_init=n_init, keep_all=True)
    Xr = np.repeat(X, n_init, axis=0)
    wr = np.repeat(w, n_init, axis=0)
    resp, loglik = gmm_em(Xr, wr, k, starts)
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


def ward(X: np.ndarray, weights: np.ndarray | None, ks: Iterable[int]) -> np.ndarray:
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


def fit(
    method: str,
    X: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rng: np.random.Generator,
    n_init: int = N_INIT,
) -> np.ndarray:
    """Labels (R, n) of ``method`` with ``k`` clusters for a batch."""
    if method == "kmeans":
        return kmeans(X, weights, k, rng, n_init=n_init)[0]
    if method == "ward":
        return ward(X, weights, [k])[:, 0]
    if method == "gmm":
        return gmm(X, weights, k, rng, n_init=n_init)[0]
    raise ValueError(f"ukendt klyngemetode {method!r}; vælg mellem {', '.join(METHODS)}")


def log_wss(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """log of the pooled within-cluster sum of squares W_k of each labelled data set (R,)."""
    onehot = (labels[..., None] == np.arange(k)).astype(float)
    mass = onehot.sum(axis=1)
    sums = np.einsum("rnk,rnd->rkd", onehot, X)
    between = ((sums**2).sum(axis=-1) / np.maximum(mass, 1.0)).sum(axis=1)
    wss = (X**2).sum(axis=(1, 2)) - between
    return np.log(np.maximum(wss, 1e-12))
