"""Figures of the typology: profile heatmap, PCA map and the k-selection curves per wave.

They take :class:`~omstilling_analysis.clusters.ClusterResult`'s frames. A wave without clear
types (k = 1) has one profile row, one colour on the map, and its k-selection curves show why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from omstilling_analysis.clusters import JACCARD_STABLE, METHOD_NAMES, METHODS, NO_TYPES_NAME
from omstilling_analysis.plots.style import DIVERGING_CMAP, PALETTE, dk_axis, style_axes
from omstilling_analysis.reference import theme_codes
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number, theme_names

__all__ = ["plot_k_selection", "plot_pca_map", "plot_profile_heatmap"]


def plot_profile_heatmap(profiles: pd.DataFrame, boelge: int) -> Figure:
    """Heatmap of one wave's cluster profiles.

    Colour: the cluster's mean z-score per theme (its distance from the wave's mean in standard
    deviations); text: the mean on the raw 1-5 scale. Rows are labelled with number, name and
    size; a cluster whose Jaccard stability is below 0.6 is marked "(ustabil)". Every cell is a
    mean over municipalities with at least ``min_respondents_published`` respondents. A wave
    without clear types has one row, the wave's mean, and the title says so.
    """
    import seaborn as sns  # only the figures need it

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
    names = theme_names()
    limit = max(1.0, float(np.nanmax(np.abs(z))))
    figure = Figure(figsize=(10, 1.2 + 0.6 * len(rows)), layout="constrained")
    with sns.axes_style("white"), warnings.catch_warnings():
        # seaborn 0.13 calls Colormap.set_bad, which matplotlib 3.11 announces it will drop
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        axes = figure.subplots()
        sns.heatmap(
            pd.DataFrame(z, index=rows, columns=[names[code] for code in codes]),
            ax=axes,
            cmap=DIVERGING_CMAP,
            vmin=-limit,
            vmax=limit,
            center=0.0,
            annot=np.vectorize(lambda v: dk_number(v, 1))(raw),
            fmt="",
            linewidths=0.5,
            cbar_kws={
                "label": "Afvigelse fra bølgens gennemsnit (SD)\norange: svagere · blå: stærkere"
            },
        )
    title = f"Klyngeprofiler {boelge}: gennemsnitlig temascore (1-5)"
    if len(wave) == 1 and wave["klyngenavn"].iloc[0] == NO_TYPES_NAME:
        title = f"{boelge}: ingen tydelige typer – alle kommuner i én gruppe (gennemsnit 1-5)"
    axes.set_title(title)
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
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    axes = figure.subplots()
    groups = shown[["klynge", "klyngenavn"]].drop_duplicates().itertuples(index=False)
    for i, (number, name) in enumerate(groups):
        mask = (shown["klynge"] == number).to_numpy()
        axes.scatter(
            points[mask, 0],
            points[mask, 1],
            s=55,
            color=PALETTE[i % len(PALETTE)],
            edgecolor="white",
            linewidth=0.5,
            label=f"{int(number)}. {name}",
        )
    style_axes(axes)
    axes.set_xlabel(f"1. hovedkomponent ({dk_number(explained[0], 1)} % af variansen)")
    axes.set_ylabel(f"2. hovedkomponent ({dk_number(explained[1], 1)} % af variansen)")
    axes.set_title(f"Kommunernes klynger {boelge} (n = {len(shown)} kommuner)")
    axes.legend(title="Klynge", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return figure


def plot_k_selection(
    selection: pd.DataFrame, boelge: int, chosen: pd.DataFrame | None = None
) -> Figure:
    """The k-selection curves of one wave: silhouette, gap statistic (± its SE) and BIC.

    k runs from 1 ("no clear types"; no silhouette there). With ``chosen``
    (``ClusterResult.chosen``) the chosen k is marked by a dashed line.
    """
    wave = selection[selection["boelge"] == boelge]
    if wave.empty:
        raise ValueError(f"ingen k-udvælgelse for bølge {boelge}")
    figure = Figure(figsize=(13, 4.2), layout="constrained")
    axes = figure.subplots(1, 3, sharex=True)
    panels = [
        ("silhuet", "Gennemsnitlig silhuetbredde (højere er bedre)"),
        ("gap", "Gap-statistik ± standardfejl"),
        ("bic", "BIC for Gaussisk blandingsmodel (lavere er bedre)"),
    ]
    colours = dict(zip(METHODS, PALETTE, strict=False))
    for ax, (column, title) in zip(axes, panels, strict=True):
        for method in METHODS:
            rows = wave[wave["metode"] == method].sort_values("k")
            if rows.empty or rows[column].isna().all():
                continue
            style = {"marker": "o", "color": colours[method], "label": METHOD_NAMES[method]}
            if column == "gap":
                ax.errorbar(rows["k"], rows["gap"], yerr=rows["gap_se"], capsize=3, **style)
            else:
                ax.plot(rows["k"], rows[column], **style)
        if chosen is not None:
            pick = chosen[chosen["boelge"] == boelge]
            if not pick.empty:
                ax.axvline(int(pick["k"].iloc[0]), color="grey", linestyle="--", linewidth=1)
        style_axes(ax)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("Antal klynger k (1 = ingen typer)")
        ax.yaxis.set_major_formatter(dk_axis(0 if column == "bic" else 2))
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
