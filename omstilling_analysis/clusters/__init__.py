"""Types of municipality: clustering the six theme scores per wave.

The subpackage, one module per step:

- :mod:`~omstilling_analysis.clusters.engine`: k-means, Ward and the Gaussian mixture (numpy,
  batched over bootstrap resamples);
- :mod:`~omstilling_analysis.clusters.selection`: silhouette, gap statistic and BIC per k
  (k = 1, "no clear types", included) and the rule for k (:func:`choose_solution`);
- :mod:`~omstilling_analysis.clusters.stability`: ``fpc::clusterboot``'s Jaccard stability;
- :mod:`~omstilling_analysis.clusters.naming`: numbering across waves and Danish names;
- :mod:`~omstilling_analysis.clusters.typology`: :func:`cluster_municipalities`, the whole step.

The figures are in :mod:`omstilling_analysis.plots.clusters`.
"""

from omstilling_analysis.clusters.engine import GMM_REG, METHOD_NAMES, METHODS, N_INIT
from omstilling_analysis.clusters.naming import (
    NO_TYPES_NAME,
    THEME_WORDS,
    align_clusters,
    name_clusters,
)
from omstilling_analysis.clusters.selection import (
    BIC_MARGIN,
    DEFAULT_K_RANGE,
    N_REFERENCE,
    choose_solution,
    gap_rule,
    reference_sets,
    select_k,
)
from omstilling_analysis.clusters.stability import (
    JACCARD_DISSOLVED,
    JACCARD_HIGHLY_STABLE,
    JACCARD_STABLE,
    JACCARD_VALID,
    Stability,
    bootstrap_stability,
    stability_reading,
)
from omstilling_analysis.clusters.typology import (
    ASSIGNMENT_COLUMNS,
    CHOSEN_COLUMNS,
    ClusterResult,
    WaveFit,
    cluster_municipalities,
    fit_wave,
    profile_columns,
)

__all__ = [
    "ASSIGNMENT_COLUMNS", "BIC_MARGIN", "CHOSEN_COLUMNS", "DEFAULT_K_RANGE", "GMM_REG", "JACCARD_DISSOLVED",
    "JACCARD_HIGHLY_STABLE", "JACCARD_STABLE", "JACCARD_VALID", "METHODS", "METHOD_NAMES",
    "NO_TYPES_NAME", "N_INIT", "N_REFERENCE", "THEME_WORDS", "ClusterResult", "Stability", "WaveFit",
    "align_clusters", "bootstrap_stability", "choose_solution", "cluster_municipalities",
    "fit_wave", "gap_rule", "name_clusters", "profile_columns", "reference_sets", "select_k",
    "stability_reading",
]  # fmt: skip
