"""Data-quality figures of the notebooks: where the raw rows ended, respondents per
municipality, and the answers to every item."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from omstilling_analysis import clean, reference
from omstilling_analysis.plots.style import PALETTE
from omstilling_analysis.settings import Settings

if TYPE_CHECKING:
    from omstilling_analysis import pipeline

__all__ = ["plot_item_answers", "plot_respondents_per_municipality", "plot_row_fates"]


def plot_row_fates(overview: pd.DataFrame) -> Figure:
    """Where every raw row ended, per source: counted or left out by reason (shares, 100 %).

    ``overview`` is ``notebooks.source_overview(result)``: ``kilde``, ``rækker ind``, ``talt``
    and one column per reason of ``clean.REASONS``.
    """
    import seaborn as sns

    fates = ["talt", *clean.REASONS]
    shares = overview.set_index("kilde")[fates].div(
        overview.set_index("kilde")["rækker ind"], axis=0
    )
    colours = dict(zip(fates, ["#009E73", "#E69F00", "#F0E442", "#56B4E9", "#D55E00"], strict=True))
    fig = Figure(figsize=(9, 0.5 * len(shares) + 1.8), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
    left = np.zeros(len(shares))
    labels = [f"{k} (n = {n})" for k, n in zip(shares.index, overview["rækker ind"], strict=True)]
    for fate in fates:
        values = shares[fate].to_numpy(float)
        ax.barh(labels, values, left=left, color=colours[fate], label=fate)
        left += values
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x * 100:.0f} %")
    ax.set_xlabel("Andel af filens rækker")
    ax.set_title("Hvor endte rækkerne? Talt eller udeladt med én årsag")
    ax.legend(ncols=len(fates), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    return fig


def plot_respondents_per_municipality(
    result: pipeline.RunResult, wave: int, settings: Settings | None = None
) -> Figure:
    """Histogram of counted respondents per municipality in ``wave``; the dashed line is the
    publication minimum (municipalities left of it are suppressed in every published figure)."""
    import seaborn as sns

    minimum = (settings or Settings()).min_respondents_published
    scores = result.tables["kommunescorer.parquet"]
    counts = scores.loc[scores["boelge"] == wave, "n_respondenter"].astype(int)
    missing = len(reference.municipalities()) - len(counts)
    fig = Figure(figsize=(8, 4), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
        # Bins 1-2, 3-4, …: the first bin is exactly the suppressed municipalities (minimum 3).
        top = max(int(counts.max()) if len(counts) else minimum, minimum) + 2
        sns.histplot(
            x=counts,
            binwidth=2,
            binrange=(minimum - 2.5, top + 0.5),
            color=PALETTE[0],
            ax=ax,
        )
    ax.axvline(minimum - 0.5, color=PALETTE[5], linestyle="--", linewidth=1.5)
    below = int((counts < minimum).sum())
    ax.text(
        minimum,
        ax.get_ylim()[1] * 0.92,
        f" under {minimum}: {below} kommuner (skjules)",
        color=PALETTE[5],
    )
    ax.set_xlabel("Talte besvarelser i kommunen")
    ax.set_ylabel("Antal kommuner")
    title = f"Besvarelser pr. kommune, bølge {wave}"
    if missing:
        title += f" ({missing} kommuner uden besvarelser er ikke med)"
    ax.set_title(title)
    return fig


def plot_item_answers(item_statistics: pd.DataFrame, wave: int) -> Figure:
    """The answers to every item of ``wave`` as stacked shares of 1-5 (blank and Ved ikke not
    included), reverse-keyed items marked (answers as given, not reversed)."""
    import seaborn as sns

    rows = item_statistics[item_statistics["boelge"] == wave].reset_index(drop=True)
    shares = rows[[f"andel_{v}" for v in range(1, 6)]].to_numpy(float)
    shares = shares / shares.sum(axis=1, keepdims=True)
    labels = [
        f"{item}{' (omvendt)' if reverse else ''}"
        for item, reverse in zip(rows["item"], rows["omvendt"], strict=True)
    ]
    palette = sns.color_palette("RdBu", 5)
    palette[2] = (0.82, 0.82, 0.82)  # "Hverken eller" in grey, visible on white
    fig = Figure(figsize=(9, 0.22 * len(rows) + 1.6), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(rows))
    scale = ["Helt uenig", "Overvejende uenig", "Hverken eller", "Overvejende enig", "Helt enig"]
    for value in range(5):
        ax.barh(labels, shares[:, value], left=left, color=palette[value], label=scale[value])
        left += shares[:, value]
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x * 100:.0f} %")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("Andel af svarene 1-5")
    ax.set_title(f"Svarfordeling pr. spørgsmål, bølge {wave}")
    ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.06), frameon=False)
    return fig
