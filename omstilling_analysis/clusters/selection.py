"""Choosing the number of clusters, k = 1 ("no clear types") included.

:func:`select_k` scores every method and k = 1 … 8 by three criteria:

- the mean silhouette width (Rousseeuw 1987), higher is better (undefined for k = 1);
- the gap statistic with its standard error (Tibshirani, Walther & Hastie 2001), reference data
  uniform in the box aligned with the data's principal components (their method b), so that
  correlated themes (a municipality's general level lifts all six) are not mistaken for types;
- the BIC of the Gaussian mixture with a shared covariance (Schwarz 1978), lower is better; with
  one component it is the BIC of a single multivariate normal.

:func:`choose_solution` turns the table into a method and a k by a fixed rule (see its
docstring); its operating characteristics, from structures without types to strong types, are
in ``docs/klyngevalg.md`` and ``benchmarks/simulate_k_selection.py``.

References
----------
Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation of
cluster analysis. Journal of Computational and Applied Mathematics 20, 53-65.
Kass, R. E. & Raftery, A. E. (1995). Bayes factors. JASA 90, 773-795.
Schwarz, G. (1978). Estimating the dimension of a model. Annals of Statistics 6, 461-464.
Tibshirani, R., Walther, G. & Hastie, T. (2001). Estimating the number of clusters in a data set
via the gap statistic. Journal of the Royal Statistical Society B 63, 411-423.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import euclidean_distances

from omstilling_analysis.clusters.engine import (
    METHOD_KEY,
    METHOD_NAMES,
    METHODS,
    gmm,
    gmm_parameters,
    kmeans,
    log_wss,
    rng_for,
    ward,
)
from omstilling_analysis.settings import Settings

__all__ = [
    "BIC_MARGIN", "DEFAULT_K_RANGE", "N_REFERENCE", "SELECTION_COLUMNS", "choose_solution", "gap_rule",
    "reference_sets", "select_k",
]  # fmt: skip

#: The numbers of clusters compared by default; k = 1 is "no clear types".
DEFAULT_K_RANGE = range(1, 9)
#: Reference data sets of the gap statistic.
N_REFERENCE = 50
#: How much lower (better) the best BIC with types must be than one normal's (k = 1).
BIC_MARGIN = 10.0
#: Columns of :func:`select_k`'s table.
SELECTION_COLUMNS = ["metode", "k", "silhuet", "gap", "gap_se", "bic"]


def reference_sets(X: np.ndarray, n_reference: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform reference data in the box aligned with X's principal components.

    Tibshirani et al.'s (2001) method (b): centre X, rotate it to its principal axes
    (:math:`X' = X V` with :math:`X = U D V^\\top`), draw uniformly in the box spanned by the range
    of each column of :math:`X'` and rotate back (:math:`Z = Z' V^\\top` plus the mean).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2)) @ np.array([[3.0, 2.9], [0.0, 0.3]])
    >>> Z = reference_sets(X, 200, rng)
    >>> Z.shape, bool(abs(np.corrcoef(Z.reshape(-1, 2).T)[0, 1]) > 0.9)
    ((200, 50, 2), True)
    """
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
        The numbers of clusters to compare; values outside ``1 … n - 1`` are skipped.
    seed:
        Seed of the random starts and the gap statistic's reference data (default
        ``settings.seed``). A method's solution at k depends only on (seed, method, k), so
        :func:`~omstilling_analysis.clusters.cluster_municipalities` refits exactly the solution
        this table scored.
    methods:
        Any of ``"kmeans"``, ``"ward"``, ``"gmm"``.
    n_reference:
        Reference data sets B of the gap statistic.

    Returns
    -------
    pandas.DataFrame
        ``metode, k, silhuet, gap, gap_se, bic``. ``silhuet`` is the mean silhouette width
        (Rousseeuw 1987) on Euclidean distance (missing for k = 1). ``gap`` is
        :math:`\\bar\\ell^* - \\log W_k` with :math:`\\bar\\ell^* = B^{-1}\\sum_b \\log W^*_{kb}`
        and ``gap_se`` is :math:`s_k = sd_k \\sqrt{1 + 1/B}` (Tibshirani et al. 2001), where
        :math:`W_k` is the pooled within-cluster sum of squares of the method's partition and
        the B reference sets are uniform in the principal-component box of the data
        (:func:`reference_sets`), clustered by the same method. ``bic`` is
        :math:`-2 \\log L + p \\log n` of the Gaussian mixture with a shared covariance,
        :math:`p = k d + d(d+1)/2 + k - 1` (k = 1: one multivariate normal); missing for
        k-means and Ward, and when :math:`p \\ge n` (more parameters than municipalities: the
        likelihood then grows without bound).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(6, 1, (30, 2))])
    >>> table = select_k(X, range(1, 4), seed=1, methods=["kmeans", "gmm"], n_reference=20)
    >>> choose_solution(table)["k"]
    2
    """
    settings = settings or Settings()
    seed = settings.seed if seed is None else int(seed)
    X = np.asarray(scores_matrix, dtype=float)
    if X.ndim != 2 or np.isnan(X).any():
        raise ValueError("select_k: scores_matrix skal være en matrix uden manglende værdier")
    n, d = X.shape
    ks = sorted({int(k) for k in k_range if 1 <= int(k) <= n - 1})
    methods = list(methods)
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"ukendt klyngemetode {method!r}; vælg mellem {', '.join(METHODS)}")
    if not ks:
        return pd.DataFrame(columns=SELECTION_COLUMNS)
    references = reference_sets(X, n_reference, rng_for(seed, 0))
    distances = euclidean_distances(X)
    ward_data = ward(X, None, ks)[0] if "ward" in methods else None
    ward_refs = ward(references, None, ks) if "ward" in methods else None
    rows = []
    for method in methods:
        for j, k in enumerate(ks):
            key = rng_for(seed, METHOD_KEY[method], k)
            ref_key = rng_for(seed, METHOD_KEY[method], k, 1)
            bic = np.nan
            if method == "ward":
                labels = ward_data[j][None]
                ref_labels = ward_refs[:, j]
            elif method == "kmeans":
                labels = kmeans(X, None, k, key)[0]
                ref_labels = kmeans(references, None, k, ref_key, n_init=4)[0]
            else:
                labels, _, loglik = gmm(X, None, k, key)
                ref_labels = gmm(references, None, k, ref_key, n_init=1)[0]
                if gmm_parameters(k, d) < n:
                    bic = float(-2.0 * loglik[0] + gmm_parameters(k, d) * np.log(n))
            log_w = log_wss(X[None], labels, k)[0]
            log_w_ref = log_wss(references, ref_labels, k)
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
    table = pd.DataFrame(rows, columns=SELECTION_COLUMNS)
    return table.astype({"k": "int64"})


def gap_rule(table: pd.DataFrame) -> int:
    """Tibshirani's rule: the smallest k with Gap(k) ≥ Gap(k+1) − s(k+1), else the largest k.

    ``table`` holds ``k, gap, gap_se`` of one method; k = 1 takes part when it is in the table
    (then 1 means "no clear types").

    Examples
    --------
    >>> import pandas as pd
    >>> gap_rule(pd.DataFrame({"k": [1, 2, 3], "gap": [0.1, 0.5, 0.52], "gap_se": [0.1] * 3}))
    2
    """
    table = table.sort_values("k")
    gap, se, ks = table["gap"].to_numpy(), table["gap_se"].to_numpy(), table["k"].to_numpy()
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - se[i + 1]:
            return int(ks[i])
    return int(ks[-1])


def choose_solution(selection: pd.DataFrame, settings: Settings | None = None) -> dict[str, object]:
    """The method and number of clusters, by a fixed rule on :func:`select_k`'s table.

    The rule:

    1. ``k_bic``: the k of the smallest BIC of the Gaussian mixture with a shared covariance
       among k ≥ 2, if it beats one multivariate normal (k = 1) by more than
       :data:`BIC_MARGIN` (10: "very strong" evidence, Kass & Raftery 1995), else 1.
       ``k_gap``: Tibshirani's rule, the smallest k with Gap(k) ≥ Gap(k+1) − s(k+1) (1
       included), on the k-means rows (the analyst's method when fixed). ``k_silhuet``: the
       k ≥ 2 of the largest silhouette. The last two are reported, not used, when there is a
       BIC.
    2. k = ``k_bic``; k = ``k_gap`` when the table has no BIC (fewer municipalities than the
       one-component mixture has parameters). k = 1 means "no clear types".
    3. The method is the Gaussian mixture, or k-means when the mixture has no BIC at that k.

    ``settings.n_clusters`` / ``settings.cluster_method`` replace step 2 / step 3 when set.

    Why. The BIC compares "one multivariate normal" (k = 1) with mixtures of types on the same
    footing, and a general level that lifts all six themes is part of the shared covariance,
    not a type. In simulations of the survey (``docs/klyngevalg.md``) it found no types in a
    world without them and found planted types as soon as they were resolvable; the margin
    keeps "no clear types" the answer unless the types are clearly better. The gap statistic's
    one-standard-error rule with k = 1 included stopped at k = 1 on every structure of three or
    more types in six themes (the uniform reference in the principal-component box is itself
    far from "one type" there), and taking the larger of gap and BIC (the former rule)
    inflated k on weak structure.

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
    k_gap = gap_rule(own)
    mixture = selection[selection["metode"] == "gmm"].dropna(subset=["bic"])
    bic = mixture.set_index("k")["bic"]
    k_bic = None
    if len(bic):
        types = bic[bic.index >= 2]
        k_bic = int(types.idxmin()) if len(types) else 1
        if 1 in bic.index and (not len(types) or bic[1] - types.min() <= BIC_MARGIN):
            k_bic = 1

    if settings.n_clusters is not None:
        k = int(settings.n_clusters)
        reason = f"k = {k} fastsat af analytikeren"
    elif k_bic is not None:
        k = k_bic
        reason = (
            f"k = {k}, blandingsmodellens BIC (typer skal slå én normalfordeling med mere end "
            f"{BIC_MARGIN:g}); gap-statistikken peger på {k_gap}, silhuetten på {k_sil}"
        )
    else:
        k = k_gap
        reason = f"k = {k}, gap-statistikken (Tibshiranis regel, inkl. én gruppe); ingen BIC, "
        reason += "da blandingsmodellen har flere parametre end der er kommuner"
    if k == 1 and settings.n_clusters is None:
        reason += "; data viser ingen tydelige typer"
    if method_fixed is not None:
        method = method_fixed
        reason += f"; metoden {METHOD_NAMES[method]} fastsat af analytikeren"
    elif not mixture.empty and (mixture["k"] == k).any():
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
