"""The look shared by every figure: colours, resolution, Danish axis numbers, PNG output.

Every figure is a plain :class:`matplotlib.figure.Figure` built without ``pyplot`` (so nothing
accumulates in pyplot's global list of open figures) and saved with :func:`png_bytes` or
:func:`save_png`.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from omstilling_analysis.text import dk_number

__all__ = [
    "DIVERGING_CELL_COLOURS", "DIVERGING_CMAP", "DIVERGING_COLOURS", "DPI", "LEVEL_COLOURS", "PALETTE", "dk_axis", "empty_figure", "png_bytes", "save_png",
    "style_axes",
]  # fmt: skip

#: Colour-blind-safe palette (Okabe & Ito 2008), in the order series are drawn.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
#: One colour per maturity level 1-5 (light to dark blue), also used in the Excel charts.
LEVEL_COLOURS: tuple[str, ...] = ("#C6DBEF", "#9ECAE1", "#6BAED6", "#3182BD", "#08519C")
#: The one diverging palette of the workbench: orange (weaker, or falling) – light grey (the
#: middle, or no change) – blue (stronger, or rising). Its ends are the Okabe & Ito orange and
#: blue of :data:`PALETTE`, so it reads for the colour-blind too, and blue for strong agrees with
#: the darker blue of a higher maturity level. Every figure, map, heatmap and Excel colour scale
#: uses it (Excel takes the lighter :data:`DIVERGING_CELL_COLOURS`, so numbers stay readable).
DIVERGING_COLOURS: tuple[str, ...] = ("#A14300", "#E69F00", "#F2F2F2", "#56B4E9", "#08519C")
DIVERGING_CMAP = LinearSegmentedColormap.from_list("omstilling_divergerende", DIVERGING_COLOURS)
#: Low, middle and high colour of the workbooks' colour scales (weaker – middle – stronger).
DIVERGING_CELL_COLOURS: tuple[str, str, str] = ("#F5B85A", "#F7F7F7", "#6FAEDD")
#: Resolution of saved PNG files.
DPI = 150


def dk_axis(decimals: int = 1) -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: dk_number(x, decimals))


def png_bytes(fig: Figure, clear: bool = True) -> bytes:
    """The figure as PNG bytes (``DPI`` dots per inch); the figure is cleared afterwards."""
    buffer = io.BytesIO()
    # No date or software version in the file: the same figure gives the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    if not clear:  # the caller draws it again (e.g. with another municipality highlighted)
        return buffer.getvalue()
    fig.clear()
    if getattr(fig.canvas, "manager", None) is not None:
        # Drawn with pyplot: release it from pyplot's list of open figures.
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path) -> Path:
    """Save the figure as a PNG file (creating its folder) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png_bytes(fig))
    return target


def empty_figure(fig: Figure, ax, message: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    return fig


def style_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
