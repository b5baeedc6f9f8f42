"""Numbering and Danish names of the clusters.

Numbering (:func:`align_clusters`)
    In the first wave clusters are numbered by descending mean theme score (1 = most mature).
    Each later wave's cluster centroids (raw theme means) are matched to the latest centroid of
    every type number seen so far by the Hungarian algorithm on squared Euclidean distance; with
    an unchanged number of clusters, a general rise of all scores between waves does not change
    that matching. Unmatched new clusters get new numbers.

Names (:func:`name_clusters`)
    Danish, describing the profile relative to the wave's mean, e.g. ``"Stærk styring, svagt
    fundament"``. A wave without clear types (k = 1) has one group, :data:`NO_TYPES_NAME`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from omstilling_analysis.reference import theme_codes

__all__ = [
    "FLAT_SPREAD", "LEVEL_MARGIN", "NEAR_MEAN", "NO_TYPES_NAME", "THEME_WORDS", "align_clusters",
    "name_clusters",
]  # fmt: skip

#: ``klyngenavn`` of the one group of a wave without clear types (k = 1).
NO_TYPES_NAME = "Ingen tydelige typer"


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

    Examples
    --------
    >>> import numpy as np
    >>> first = np.array([[2.0, 2.0], [4.0, 4.0]])
    >>> align_clusters(first).tolist()
    [2, 1]
    >>> align_clusters(first[::-1] + 0.3, {2: first[0], 1: first[1]}).tolist()
    [1, 2]
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

    Examples
    --------
    >>> import pandas as pd
    >>> z = pd.DataFrame([[0.1, 0.2, 0.0, 1.2, -1.1, 0.0]], index=[1],
    ...                  columns=["BOR", "STR", "FOR", "STY", "TEK", "DAT"])
    >>> name_clusters(z)[1]
    'Stærk styring, svagt fundament'
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
