"""The typology of all waves: :func:`cluster_municipalities` and its :class:`ClusterResult`.

Per wave the municipalities are clustered on their six *standardised* theme scores (z-scores
across the wave's clustered municipalities, sample standard deviation), by the method and k of
:func:`~omstilling_analysis.clusters.selection.choose_solution` (or the analyst's
``Settings.n_clusters`` / ``Settings.cluster_method``). k = 1 is a possible answer: the wave then
has no clear types, every clustered municipality is in cluster 1, named
:data:`~omstilling_analysis.clusters.naming.NO_TYPES_NAME`, and there is one profile row.

Which municipalities are clustered
    Those with at least ``Settings.min_respondents_published`` (3) respondents and all six theme
    scores. The others stay in ``klynger.csv`` with no cluster and the reason in ``aarsag``
    (``"færre end 3 besvarelser"``, ``"mangler temascore (TEK)"``): the published typology, its
    profiles and figures never rest on fewer than three respondents, and nothing is dropped
    silently.

Stability
    ``jaccard`` is ``fpc::clusterboot``'s default (municipalities resampled, distinct points
    clustered, :mod:`~omstilling_analysis.clusters.stability`); ``stabil`` and ``stabilitet`` read
    it by Hennig's thresholds. When respondent scores are given, ``jaccard_respondenter`` is the
    further layer that also resamples respondents within municipalities, and ``sikkerhed`` comes
    from it (else from fpc's layer).

Certainty (``sikkerhed``)
    The share of bootstrap resamples containing the municipality in which it lands in the
    bootstrap cluster that best matches (largest Jaccard) its own original cluster. 1 means it
    was always put with its type, about 0.5 or less that it sits on a border.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from omstilling_analysis.clusters.engine import METHOD_KEY, METHODS, fit, rng_for
from omstilling_analysis.clusters.naming import NO_TYPES_NAME, align_clusters, name_clusters
from omstilling_analysis.clusters.selection import SELECTION_COLUMNS, choose_solution, select_k
from omstilling_analysis.clusters.stability import (
    JACCARD_STABLE,
    Stability,
    bootstrap_stability,
    group_respondents,
    stability_reading,
)
from omstilling_analysis.reference import theme_codes
from omstilling_analysis.settings import Settings

__all__ = [
    "ASSIGNMENT_COLUMNS", "CHOSEN_COLUMNS", "NO_STABILITY_ONE_GROUP", "ClusterResult",
    "WaveFit", "cluster_municipalities", "fit_wave", "profile_columns",
]  # fmt: skip

ASSIGNMENT_COLUMNS = ["boelge", "kommunekode", "klynge", "klyngenavn", "sikkerhed", "aarsag"]
CHOSEN_COLUMNS = [
    "boelge", "metode", "k", "ingen_typer", "n_kommuner", "k_silhuet", "k_gap", "k_bic",
    "ari_bootstrap", *(f"ari_{m}" for m in METHODS), "begrundelse",
]  # fmt: skip
#: ``stabilitet`` of the one group of a wave without clear types.
NO_STABILITY_ONE_GROUP = "ikke beregnet: én gruppe (ingen tydelige typer)"


def profile_columns() -> list[str]:
    """The columns of ``klyngeprofiler.csv`` (:attr:`ClusterResult.profiles`)."""
    codes = theme_codes()
    return [
        "boelge", "klynge", "klyngenavn", "antal_kommuner", *codes, "modenhedsindeks",
        *(f"{code}_z" for code in codes), "jaccard", "andel_oploest", "stabil", "stabilitet",
        "jaccard_respondenter", "ari_bootstrap",
    ]  # fmt: skip


@dataclass(frozen=True)
class ClusterResult:
    """The typology of all waves.

    Attributes
    ----------
    assignments:
        ``klynger.csv``, one row per municipality x wave of the input: ``boelge, kommunekode,
        klynge`` (Int64, the aligned type number; 1 for all in a wave without clear types;
        missing when not clustered), ``klyngenavn``, ``sikkerhed`` (bootstrap share, see the
        module docstring; missing for a wave without types) and ``aarsag`` (why a municipality
        has no cluster; missing when it has one).
    profiles:
        ``klyngeprofiler.csv``, one row per cluster x wave (:func:`profile_columns`):
        ``boelge, klynge, klyngenavn, antal_kommuner``, the mean raw theme scores (``BOR`` …
        ``DAT``, scale 1-5), ``modenhedsindeks`` (their weighted mean,
        ``Settings.theme_weights``), the mean standardised scores (``BOR_z`` … ``DAT_z``),
        ``jaccard`` (fpc::clusterboot's mean Jaccard), ``andel_oploest`` (share of resamples
        with Jaccard <= 0.5), ``stabil`` (``jaccard >= 0.6``), ``stabilitet`` (Hennig's reading
        in Danish, or why it is not computed), ``jaccard_respondenter`` (with respondents
        resampled too) and ``ari_bootstrap`` (the whole wave's solution, on each of its rows).
        A wave without clear types has one row and no stability.
    selection:
        The k-selection table of all waves: ``boelge, metode, k, silhuet, gap, gap_se, bic``
        (k = 1 … 8; ``bic`` for the mixture only).
    chosen:
        One row per wave (:data:`CHOSEN_COLUMNS`): ``boelge, metode, k, ingen_typer`` (k = 1),
        ``n_kommuner, k_silhuet, k_gap, k_bic, ari_bootstrap``, ``ari_kmeans, ari_ward,
        ari_gmm`` (agreement, as adjusted Rand index, of each method's partition with the same
        k with the chosen one; missing for k = 1) and ``begrundelse`` (Danish: why this k).
    """

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    selection: pd.DataFrame
    chosen: pd.DataFrame


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
    if settings.n_clusters is not None and int(settings.n_clusters) < 1:
        raise ValueError("klynge_k skal være mindst 1 (1 = ingen typer)")


def _no_stability(k: int, n: int) -> Stability:
    nothing = np.full(k, np.nan)
    return Stability(nothing, nothing, nothing, np.nan, np.full(n, np.nan), 0)


def _standardised(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The wave's centre, scale (1 for a theme without spread) and standardised scores."""
    centre, scale = raw.mean(axis=0), raw.std(axis=0, ddof=1)
    scale = np.where(scale > 0, scale, 1.0)
    return centre, scale, (raw - centre) / scale


@dataclass(frozen=True)
class WaveFit:
    """The costly part of one wave's clustering: the choice of k and method, the partition,
    the agreement with the other methods and the two bootstrap layers. It depends on the
    wave's scores, respondents and the settings only (not on the other waves), so a run may
    keep it for the next (:func:`cluster_municipalities`' ``fit_wave``)."""

    table: pd.DataFrame
    choice: dict
    labels: np.ndarray
    agreement: dict
    stability: Stability | None
    layered: Stability | None


def fit_wave(
    raw: np.ndarray,
    eligible_codes: np.ndarray,
    respondent_scores: pd.DataFrame | None,
    wave: int,
    settings: Settings,
) -> WaveFit:
    """Choose k and the method for one wave's eligible municipalities (``raw``: their six
    theme scores, in the order of ``eligible_codes``), fit the partition and bootstrap it."""
    centre, scale, Z = _standardised(raw)
    seed = _wave_seed(settings.seed, int(wave))
    table = select_k(Z, seed=seed, settings=settings)
    choice = dict(choose_solution(table, settings))
    method, k = str(choice["metode"]), int(choice["k"])
    labels = fit(method, Z, None, k, rng_for(seed, METHOD_KEY[method], k))[0]
    _, labels = np.unique(labels, return_inverse=True)
    if labels.max() == 0:
        return WaveFit(table, choice, labels, {f"ari_{o}": np.nan for o in METHODS}, None, None)
    agreement = {
        f"ari_{other}": float(
            adjusted_rand_score(
                labels, fit(other, Z, None, k, rng_for(seed, METHOD_KEY[other], k))[0]
            )
        )
        for other in METHODS
    }
    stability = bootstrap_stability(
        raw, labels, method, centre=centre, scale=scale, settings=settings, seed=seed
    )
    grouped = group_respondents(eligible_codes, respondent_scores, int(wave))
    layered = (
        None
        if grouped is None
        else bootstrap_stability(
            raw,
            labels,
            method,
            centre=centre,
            scale=scale,
            respondents=grouped,
            settings=settings,
            seed=seed + 1,
        )
    )
    return WaveFit(table, choice, labels, agreement, stability, layered)


def cluster_municipalities(
    municipality_scores: pd.DataFrame,
    respondent_scores: pd.DataFrame | None = None,
    settings: Settings | None = None,
    fit_wave: Callable[..., WaveFit] = fit_wave,
) -> ClusterResult:
    """Cluster the municipalities of every wave into aligned, named, bootstrapped types.

    Parameters
    ----------
    municipality_scores:
        The ``municipality_scores`` frame (``docs/interfaces.md``); used columns: ``boelge,
        kommunekode, n_respondenter`` and the six theme codes.
    respondent_scores:
        Optional ``respondent_scores``; when given, the further bootstrap layer resamples
        respondents within municipalities as well (``jaccard_respondenter``, ``sikkerhed``).
    settings:
        ``n_clusters`` / ``cluster_method`` fix k (1 = no types) / the method (else
        :func:`~omstilling_analysis.clusters.selection.choose_solution`), ``n_bootstrap``
        resamples, ``seed``, ``min_respondents_published``, ``theme_weights`` (only for the
        profile's ``modenhedsindeks``).
    fit_wave:
        The costly part of each wave (:func:`fit_wave`, called with the same arguments); the
        pipeline passes one that keeps its results for the next run.

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
        fitted = fit_wave(
            raw, eligible["kommunekode"].to_numpy(), respondent_scores, int(wave), settings
        )
        table, choice, labels = fitted.table, fitted.choice, fitted.labels
        method, k = str(choice["metode"]), int(choice["k"])
        k_found = int(labels.max()) + 1
        Z = _standardised(raw)[2]
        centroids = np.stack([raw[labels == c].mean(axis=0) for c in range(k_found)])
        z_means = np.stack([Z[labels == c].mean(axis=0) for c in range(k_found)])
        agreement = fitted.agreement
        if k_found == 1:
            # No clear types: one group, numbered 1; the types of other waves keep their numbers.
            numbers = np.array([1])
            names = pd.Series({1: NO_TYPES_NAME}, name="klyngenavn")
            stability = _no_stability(1, len(raw))
            layered = None
        else:
            numbers = align_clusters(centroids, known)
            known.update({int(number): centroids[c] for c, number in enumerate(numbers)})
            names = name_clusters(pd.DataFrame(z_means, index=numbers, columns=codes))
            stability, layered = fitted.stability, fitted.layered

        position = np.flatnonzero(reasons.isna().to_numpy())
        out.loc[position, "klynge"] = numbers[labels]
        out.loc[position, "klyngenavn"] = names.loc[numbers[labels]].to_numpy()
        out.loc[position, "sikkerhed"] = (layered or stability).certainty
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
        for j, code in enumerate(codes):
            profile[f"{code}_z"] = z_means[:, j]
        jaccard = stability.jaccard
        profile["jaccard"] = jaccard
        profile["andel_oploest"] = stability.dissolved
        profile["stabil"] = pd.array(
            np.where(np.isnan(jaccard), None, jaccard >= JACCARD_STABLE), dtype="boolean"
        )
        profile["stabilitet"] = (
            [NO_STABILITY_ONE_GROUP]
            if k_found == 1
            else [stability_reading(v) or "ikke beregnet (bootstrap = 0)" for v in jaccard]
        )
        profile["jaccard_respondenter"] = np.nan if layered is None else layered.jaccard
        profile["ari_bootstrap"] = stability.ari
        profiles.append(profile.sort_values("klynge"))

        selections.append(table.assign(boelge=int(wave)))
        reason = choice["begrundelse"]
        if k == 1 or k_found == 1:
            reason += "; alle kommuner i én gruppe, stabilitet ikke beregnet"
        elif k_found != k:
            reason += f"; kun {k_found} klynger blev ikke tomme"
        chosen.append(
            {
                "boelge": int(wave),
                "metode": method,
                "k": k_found,
                "ingen_typer": k_found == 1,
                "n_kommuner": len(eligible),
                "k_silhuet": choice["k_silhuet"],
                "k_gap": choice["k_gap"],
                "k_bic": choice["k_bic"],
                "ari_bootstrap": stability.ari,
                **agreement,
                "begrundelse": reason,
            }
        )

    assignment_frame = (
        pd.concat(assignments, ignore_index=True)
        if assignments
        else pd.DataFrame(columns=ASSIGNMENT_COLUMNS)
    )
    assignment_frame = assignment_frame.astype(
        {"klynge": "Int64", "sikkerhed": "float64", "klyngenavn": "object", "aarsag": "object"}
    )
    columns = profile_columns()
    profile_frame = (
        pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame(columns=columns)
    )
    profile_frame = profile_frame.astype({"klynge": "Int64", "antal_kommuner": "int64"})
    selection_columns = ["boelge", *SELECTION_COLUMNS]
    selection_frame = (
        pd.concat(selections, ignore_index=True)[selection_columns]
        if selections
        else pd.DataFrame(columns=selection_columns)
    )
    chosen_frame = pd.DataFrame(chosen, columns=CHOSEN_COLUMNS).astype(
        {"k_silhuet": "Int64", "k_gap": "Int64", "k_bic": "Int64", "ingen_typer": "bool"}
    )
    return ClusterResult(
        assignments=assignment_frame[ASSIGNMENT_COLUMNS],
        profiles=profile_frame[columns],
        selection=selection_frame,
        chosen=chosen_frame,
    )
