"""Figures of the published scores: levels, theme distributions, regions, national development.

The plotting functions take frames that are already *published* (suppressed): a value
resting on fewer than three respondents is NaN there, and NaN is never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from omstilling_analysis import reference
from omstilling_analysis.plots.style import (
    LEVEL_COLOURS,
    PALETTE,
    dk_axis,
    empty_figure,
    style_axes,
)
from omstilling_analysis.text import level_names, short_theme_names

__all__ = [
    "plot_cluster_profiles", "plot_index_by_region", "plot_level_distribution",
    "plot_municipality_development", "plot_municipality_profile", "plot_national_development",
    "plot_theme_distribution",
]  # fmt: skip


def plot_level_distribution(counts: Mapping[int, int], wave: int, suppressed: int = 0) -> Figure:
    """Bar chart: number of municipalities per maturity level in ``wave``.

    ``counts`` maps level 1-5 to the number of municipalities with a published index;
    ``suppressed`` (municipalities without a published index) is named in the caption.
    """
    names = level_names()
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    levels = list(names)
    values = [int(counts.get(level, 0)) for level in levels]
    bars = ax.bar([f"{lvl} {names[lvl]}" for lvl in levels], values, color=LEVEL_COLOURS)
    ax.bar_label(bars, labels=[str(v) for v in values], padding=2)
    ax.set_ylabel("Antal kommuner")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Modenhedsniveauer, bølge {wave}")
    label = "Modenhedsniveau"
    if suppressed:
        label += f" ({suppressed} kommuner uden offentliggjort indeks indgår ikke)"
    ax.set_xlabel(label)
    style_axes(ax)
    fig.tight_layout()
    return fig


def plot_theme_distribution(published: pd.DataFrame, wave: int) -> Figure:
    """Box plot of the municipalities' published scores per theme and the index in ``wave``.

    ``published`` is a suppressed municipality-score frame of one wave (NaN not drawn).
    """
    labels = short_theme_names() | {"modenhedsindeks": "Modenhedsindeks"}
    measures = [*reference.theme_codes(), "modenhedsindeks"]
    data = [published[m].dropna().to_numpy(float) for m in measures if m in published]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    if not any(len(d) for d in data):
        return empty_figure(fig, ax, f"Ingen offentliggjorte scorer i bølge {wave}")
    keep = [i for i, d in enumerate(data) if len(d)]
    box = ax.boxplot(
        [data[i] for i in keep],
        orientation="horizontal",
        patch_artist=True,
        widths=0.6,
        medianprops={"color": "black"},
    )
    for patch, i in zip(box["boxes"], keep, strict=True):
        patch.set_facecolor(PALETTE[0] if measures[i] != "modenhedsindeks" else PALETTE[1])
        patch.set_alpha(0.6)
    ax.set_yticks(range(1, len(keep) + 1), [labels[measures[i]] for i in keep])
    ax.invert_yaxis()
    ax.set_xlim(1, 5)
    ax.xaxis.set_major_formatter(dk_axis(1))
    ax.set_xlabel("Score (1-5), én værdi pr. kommune")
    n = int(published["modenhedsindeks"].notna().sum()) if "modenhedsindeks" in published else 0
    ax.set_title(f"Temaernes fordeling over kommunerne, bølge {wave} ({n} kommuner)")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_index_by_region(published: pd.DataFrame, wave: int) -> Figure:
    """Each municipality's published maturity index by region (dots), with the region's mean."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    data = published.dropna(subset=["modenhedsindeks"])
    if data.empty:
        return empty_figure(fig, ax, f"Ingen offentliggjorte indeks i bølge {wave}")
    regions = sorted(data["region"].dropna().unique())
    rng = np.random.default_rng(0)
    for i, region in enumerate(regions):
        values = data.loc[data["region"] == region, "modenhedsindeks"].to_numpy(float)
        jitter = rng.uniform(-0.15, 0.15, len(values))
        ax.scatter(np.full(len(values), i) + jitter, values, s=18, color=PALETTE[0], alpha=0.7)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color=PALETTE[5], linewidth=2)
    ax.set_xticks(range(len(regions)), [r.replace("Region ", "") for r in regions])
    ax.set_ylim(1, 5)
    ax.yaxis.set_major_formatter(dk_axis(1))
    ax.set_ylabel("Modenhedsindeks (1-5)")
    ax.set_title(f"Modenhedsindeks pr. kommune og region, bølge {wave} (streg: gennemsnit)")
    style_axes(ax)
    fig.tight_layout()
    return fig


def plot_cluster_profiles(profiles: pd.DataFrame, wave: int) -> Figure:
    """Mean theme score of each cluster of ``wave`` (one line per cluster, suppressed: gaps)."""
    labels = short_theme_names()
    themes = reference.theme_codes()
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    if profiles.empty:
        return empty_figure(fig, ax, f"Ingen klyngeanalyse i bølge {wave}")
    x = np.arange(len(themes))
    for i, row in enumerate(profiles.itertuples(index=False)):
        values = np.array([getattr(row, t) for t in themes], dtype=float)
        label = f"{row.klynge}: {row.klyngenavn} ({row.antal_kommuner} kommuner)"
        ax.plot(x, values, marker="o", color=PALETTE[i % len(PALETTE)], label=label)
    ax.set_xticks(x, [labels[t] for t in themes], rotation=20, ha="right")
    ax.set_ylim(1, 5)
    ax.yaxis.set_major_formatter(dk_axis(1))
    ax.set_ylabel("Gennemsnitlig temascore (1-5)")
    ax.set_title(f"Klyngernes profiler, bølge {wave}")
    ax.legend(fontsize="small", loc="lower left", frameon=False)
    style_axes(ax)
    fig.tight_layout()
    return fig


def plot_national_development(national: pd.DataFrame) -> Figure:
    """National mean of each theme and the index over the waves.

    ``national`` has one row per wave (index: wave) and a column per theme code and
    ``modenhedsindeks`` (means over municipalities with a published value).
    """
    labels = short_theme_names() | {"modenhedsindeks": "Modenhedsindeks"}
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    if national.empty:
        return empty_figure(fig, ax, "Ingen offentliggjorte scorer")
    waves = [int(w) for w in national.index]
    for i, column in enumerate([*reference.theme_codes(), "modenhedsindeks"]):
        if column not in national:
            continue
        index = column == "modenhedsindeks"
        ax.plot(
            waves,
            national[column].to_numpy(float),
            marker="o",
            color="black" if index else PALETTE[i % len(PALETTE)],
            linewidth=2.5 if index else 1.5,
            label=labels[column],
        )
    ax.set_xticks(waves, [str(w) for w in waves])
    values = national.to_numpy(float)
    values = values[~np.isnan(values)]
    if len(values):
        # The axis shows the changes (a band around the values), not the whole 1-5 scale.
        pad = max(0.05, 0.15 * (values.max() - values.min()))
        ax.set_ylim(values.min() - pad, values.max() + pad)
    ax.yaxis.set_major_formatter(dk_axis(2))
    ax.set_ylabel("Landsgennemsnit (skala 1-5; aksen viser kun det brugte udsnit)")
    ax.set_title("Udviklingen på landsplan")
    ax.legend(fontsize="small", ncols=2, frameon=False)
    style_axes(ax)
    fig.tight_layout()
    return fig


def plot_municipality_profile(profile: pd.DataFrame, name: str, wave: int) -> Figure:
    """One municipality's published theme scores (with 95 % intervals) against its cluster,
    its region and the country: the frame of ``report.feedback.municipality_profile``."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    rows = profile.iloc[:-1]  # the six themes; the index is the table's last row
    labels = list(short_theme_names().values())[: len(rows)]
    x = np.arange(len(rows))

    def numbers(column: str) -> np.ndarray:
        return pd.to_numeric(rows[column], errors="coerce").to_numpy(float)

    own = numbers("Kommunen")
    if np.isnan(own).all():
        return empty_figure(fig, ax, f"{name} har ingen offentliggjorte scorer i bølge {wave}")
    low, high = numbers("95 %-KI fra"), numbers("95 %-KI til")
    ax.bar(x, own, color=PALETTE[0], alpha=0.8, label=name, width=0.55)
    ax.errorbar(
        x, own, yerr=[own - low, high - own], fmt="none", ecolor="black", capsize=4,
        label="95 %-konfidensinterval",
    )  # fmt: skip
    for i, (column, marker) in enumerate((("Klyngen", "D"), ("Regionen", "s"), ("Landet", "o"))):
        ax.scatter(x, numbers(column), marker=marker, color=PALETTE[i + 1], zorder=3, label=column)
    ax.set_xticks(x, labels, rotation=20, ha="right")
    ax.set_ylim(1, 5)
    ax.yaxis.set_major_formatter(dk_axis(1))
    ax.set_ylabel("Temascore (1-5)")
    ax.set_title(f"{name}: profil mod klynge, region og land, bølge {wave}")
    ax.legend(fontsize="small", loc="lower left", frameon=False, ncols=2)
    style_axes(ax)
    fig.tight_layout()
    return fig


def plot_municipality_development(development: pd.DataFrame, name: str) -> Figure:
    """One municipality's published index over the waves against the national mean: the frame
    of ``report.feedback.municipality_development``."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    waves = development["Bølge"].astype(int).to_numpy()
    own = pd.to_numeric(development["Modenhedsindeks"], errors="coerce").to_numpy(float)
    land = pd.to_numeric(development["Landsgennemsnit, indeks"], errors="coerce").to_numpy(float)
    ax.plot(waves, own, marker="o", color=PALETTE[0], linewidth=2.5, label=name)
    ax.plot(waves, land, marker="o", color="#7F7F7F", linestyle="--", label="Landsgennemsnit")
    values = np.concatenate([own[~np.isnan(own)], land[~np.isnan(land)]])
    if len(values):
        # The axis shows the changes: a band around the values, not the whole 1-5 scale.
        middle, half = (values.max() + values.min()) / 2, max((values.max() - values.min()), 0.4)
        ax.set_ylim(max(1, middle - half), min(5, middle + half))
    ax.set_xticks(waves, [str(w) for w in waves])
    ax.yaxis.set_major_formatter(dk_axis(2))
    ax.set_ylabel("Modenhedsindeks")
    ax.set_title(f"{name}: modenhedsindekset over bølgerne")
    ax.legend(fontsize="small", frameon=False)
    style_axes(ax)
    fig.tight_layout()
    return fig
