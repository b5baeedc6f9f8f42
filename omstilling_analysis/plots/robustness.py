"""Figure of the index's robustness: every published municipality's rank with its intervals.

The rows come from ``indeksrobusthed.csv``
(:attr:`omstilling_analysis.robustness.RobustnessResult.ranks`), which holds published
municipalities only (at least three respondents).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from omstilling_analysis import reference
from omstilling_analysis.plots.style import PALETTE, dk_axis, empty_figure, style_axes

__all__ = ["plot_rank_intervals"]

#: Labels of the legend: what each mark shows.
LEGEND = (
    "Offentliggjort rang",
    "90 %-interval, alle kilder (stikprøve, temavægte, aggregering, halvdelsregel)",
    "90 %-interval, kun stikprøven",
)


def plot_rank_intervals(ranks: pd.DataFrame, wave: int) -> Figure:
    """Caterpillar plot of the ranks of ``wave``: municipalities sorted by their published rank
    (rank 1 at the top), the published rank as a dot, the combined 5th-95th percentile interval
    (``rang_lav``-``rang_hoej``) as a thin line and the sampling-only interval
    (``rang_lav_stikproeve``-``rang_hoej_stikproeve``) as a thicker line inside it.

    Parameters
    ----------
    ranks : pandas.DataFrame
        ``indeksrobusthed.csv`` (any waves; the rows of ``wave`` are drawn).
    wave : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = ranks[ranks["boelge"] == wave].dropna(subset=["rang"])
    rows = rows.sort_values(["rang", "kommunekode"], kind="stable")
    n = len(rows)
    fig = Figure(figsize=(8, max(4.0, 0.15 * n + 1.8)))
    ax = fig.subplots()
    if n == 0:
        return empty_figure(fig, ax, f"Ingen offentliggjorte rangeringer i bølge {wave}")
    names = reference.municipalities().set_index("kommunekode")["kommune"]
    labels = [
        str(names.get(int(code), int(code))) for code in rows["kommunekode"].to_numpy(dtype=int)
    ]
    y = np.arange(n)

    def column(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=float, na_value=np.nan)

    ax.hlines(y, column("rang_lav"), column("rang_hoej"), color=PALETTE[4], linewidth=1.5)
    ax.hlines(
        y,
        column("rang_lav_stikproeve"),
        column("rang_hoej_stikproeve"),
        color=PALETTE[0],
        linewidth=4,
    )
    ax.plot(column("rang"), y, "o", color=PALETTE[7], markersize=3, zorder=3)
    ax.set_yticks(y, labels, fontsize=6 if n > 40 else 8)
    ax.set_ylim(n - 0.5, -0.5)  # rank 1 at the top
    ax.set_xlim(0, n + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(dk_axis(0))
    ax.set_xlabel("Rang på modenhedsindekset (1 = højeste indeks)")
    ax.set_title(f"Kommunernes rang med usikkerhed, bølge {wave} ({n} kommuner)")
    handles = [
        Line2D([], [], marker="o", linestyle="", color=PALETTE[7], markersize=4),
        Line2D([], [], color=PALETTE[4], linewidth=1.5),
        Line2D([], [], color=PALETTE[0], linewidth=4),
    ]
    # Upper right is empty: the best ranks (at the top) lie to the left.
    ax.legend(handles, LEGEND, loc="upper right", fontsize=7, framealpha=0.9)
    style_axes(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    fig.tight_layout()
    return fig
