"""Reliability figures: Cronbach's alpha with its interval and McDonald's omega per theme."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from omstilling_analysis import reference
from omstilling_analysis.plots.style import PALETTE
from omstilling_analysis.text import dk_number, short_theme_names

__all__ = ["plot_reliability"]


def plot_reliability(reliability: pd.DataFrame) -> Figure:
    """Cronbach's alpha with its 95 % interval (Feldt) and McDonald's omega per theme and wave.

    The dotted line at 0.7 is the usual lower bound of an acceptable scale.
    """
    import seaborn as sns

    names = short_theme_names()
    themes = reference.theme_codes()
    waves = sorted(int(w) for w in reliability["boelge"].unique())
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
    width = 0.7 / max(len(waves), 1)
    for i, wave in enumerate(waves):
        part = reliability[reliability["boelge"] == wave].set_index("tema").reindex(themes)
        x = np.arange(len(themes)) - 0.35 + width * (i + 0.5)
        colour = PALETTE[i % len(PALETTE)]
        alpha = part["alpha"].to_numpy(float)
        error = np.vstack([alpha - part["alpha_ci_lav"], part["alpha_ci_hoej"] - alpha])
        ax.errorbar(x, alpha, yerr=error, fmt="o", color=colour, capsize=3)
        ax.scatter(x + width * 0.3, part["omega"], marker="x", s=25, color=colour)
    handles = [Patch(color=PALETTE[i], label=str(w)) for i, w in enumerate(waves)]
    handles += [
        Line2D([], [], marker="o", color="black", linestyle="", label="α med 95 %-KI"),
        Line2D([], [], marker="x", color="black", linestyle="", label="ω"),
    ]
    ax.legend(handles=handles, ncols=len(handles), fontsize="small", loc="lower right")
    ax.axhline(0.7, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(np.arange(len(themes)), [names[t] for t in themes], rotation=15, ha="right")
    ax.set_ylim(min(0.5, float(np.nanmin(reliability["alpha_ci_lav"])) - 0.05), 1)
    ax.yaxis.set_major_formatter(lambda y, _pos: dk_number(y, 1))
    ax.set_ylabel("Reliabilitet")
    ax.set_title("Temaernes reliabilitet: Cronbachs α (95 %-KI) og McDonalds ω")
    return fig
