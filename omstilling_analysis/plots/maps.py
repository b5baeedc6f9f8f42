"""Maps of Denmark: one colour per municipality (maturity level, type of municipality, change).

The municipal boundaries (``data/kommuner.geojson``, 98 municipalities, WGS 84 longitude and
latitude) are read once (:func:`map_geometry`, cached) and turned into one
:class:`matplotlib.path.Path` per municipality in a flat Danish frame (kilometres, see
:func:`project`). Each municipality is drawn as one :class:`~matplotlib.patches.PathPatch` whose
``gid`` is its municipality code, so a figure can be inspected (and tested) municipality by
municipality. Bornholm (code 400) is drawn in a box in the upper right (east) corner of the
main map, on the same scale, as Danish maps do, and the capital area (``CAPITAL_WINDOW``,
about 40 × 40 km around København, where some twenty municipalities would be specks) is
drawn again, enlarged about four times, in a box above the legend; its window is marked on the
main map. Suppressed municipalities (fewer than three respondents) are hatched ``////`` in
grey, those without data dotted, and both are counted in the legend.

Why shapely and matplotlib patches rather than geopandas: a map of 98 fixed polygons needs no
spatial database, no coordinate-reference library and no GDAL. shapely (a small, well-kept
wrapper of GEOS, installed from wheels) repairs, projects and simplifies the polygons, and
matplotlib, which draws every other figure, draws them. geopandas would bring pyogrio/fiona,
pyproj and GDAL for nothing this module needs.

Attribution: the boundaries are DAGI's (Styrelsen for Dataforsyning og Infrastruktur); every
map carries :data:`CREDIT` at its foot.

Examples
--------
>>> import pandas as pd
>>> fig = plot_denmark_map(pd.Series({101: 3.1, 751: 2.4, 400: 4.5}), kind="index", wave=2024)
>>> fig.axes[0].get_title()
'Modenhedsindeks pr. kommune, bølge 2024'
>>> len(drawn_codes(fig))
98
"""

from __future__ import annotations

import dataclasses
import json
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from omstilling_analysis.plots.style import DIVERGING_CMAP, LEVEL_COLOURS, PALETTE, dk_axis
from omstilling_analysis.score import INDEX, maturity_level
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number, level_names

__all__ = [
    "BORNHOLM", "CAPITAL_WINDOW", "CREDIT", "MapGeometry", "cluster_colour",
    "drawn_codes", "map_figures", "map_kinds", "map_makers", "move_highlight", "map_geometry", "plot_denmark_map", "project",
]  # fmt: skip

#: Municipality code of Bornholm, drawn in its own box.
BORNHOLM = 400
#: The credit line the boundaries' licence asks for, printed at the foot of every map.
CREDIT = "Kommunegrænser: Styrelsen for Dataforsyning og Infrastruktur (DAGI)"
#: Centre of the flat frame (degrees) and the mean Earth radius (km, IUGG).
LON0, LAT0 = 10.5, 56.0
EARTH_RADIUS_KM = 6371.0088
#: Simplification tolerance (km): well under one pixel of a saved map (about 0.3 km).
SIMPLIFY_KM = 0.05
#: The capital area drawn enlarged beside the map: (west, south), (east, north) in degrees.
CAPITAL_WINDOW = ((12.08, 55.55), (12.70, 55.90))

Kind = Literal["index", "cluster", "change"]

#: Looks of the two kinds of municipality without a colour (face, hatch).
_SUPPRESSED_LOOK = ("#D9D9D9", "////")
_NO_DATA_LOOK = ("#F4F4F4", "..")
#: Hatch colour by hatch: the dots of "ingen data" lighter, as they may cover most of the map.
_HATCH_COLOURS = {"////": "#8C8C8C", "..": "#A8A8A8"}
_EDGE = "#FFFFFF"
_EDGE_WIDTH = 0.35
_HIGHLIGHT_WIDTH = 2.2
_CHANGE_EDGE = "#A6A6A6"
#: Figure size (inches); the map's bottom and height (figure fractions); margin around the
#: land (km); legend labels wrapped at this many characters.
_FIGSIZE = (9.6, 7.4)
_MAP_BOTTOM, _MAP_HEIGHT = 0.05, 0.87
#: Top and height of the capital area's box (figure fractions).
_CAPITAL_TOP, _CAPITAL_HEIGHT = 0.90, 0.36
_MARGIN_KM = 6.0
_WRAP = 46


# =========================================================================== geometry


def project(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees) → a flat Danish frame in kilometres.

    An equirectangular projection with its standard parallel through the middle of Denmark:

    .. math:: x = R(\\lambda - \\lambda_0)\\cos\\varphi_0, \\qquad y = R\\,(\\varphi - \\varphi_0)

    with :math:`\\lambda_0 = 10.5°`, :math:`\\varphi_0 = 56°` (in radians) and the mean Earth
    radius :math:`R` = 6371 km. East-west distances are true at 56° N and off by less than 4 %
    at Denmark's southern and northern tips (cos 54.6° / cos 56° = 1.04), which keeps the
    country's shape recognisable without a projection library (Snyder 1987, *Map Projections
    — A Working Manual*, USGS Professional Paper 1395, p. 90).

    Examples
    --------
    >>> x, y = project(np.array([10.5, 11.5]), np.array([56.0, 57.0]))
    >>> [round(float(v), 1) for v in x], [round(float(v), 1) for v in y]
    ([0.0, 62.2], [0.0, 111.2])
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x = EARTH_RADIUS_KM * np.radians(lon - LON0) * math.cos(math.radians(LAT0))
    y = EARTH_RADIUS_KM * np.radians(lat - LAT0)
    return x, y


@dataclass(frozen=True)
class MapGeometry:
    """The municipalities' outlines in the flat frame of :func:`project` (km).

    Attributes
    ----------
    paths:
        Municipality code → one compound :class:`~matplotlib.path.Path` (exterior rings
        counter-clockwise, holes clockwise, so any fill rule fills it right).
    names:
        Municipality code → short Danish name (as ``kommuner.csv``).
    bounds:
        Municipality code → ``(xmin, ymin, xmax, ymax)`` of its outline.
    main_bounds:
        ``(xmin, ymin, xmax, ymax)`` of every municipality but Bornholm.
    bornholm_bounds:
        ``(xmin, ymin, xmax, ymax)`` of Bornholm.
    """

    paths: Mapping[int, Path]
    names: Mapping[int, str]
    bounds: Mapping[int, tuple[float, float, float, float]]
    main_bounds: tuple[float, float, float, float]
    bornholm_bounds: tuple[float, float, float, float]


def _polygons(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    """The polygons of a (repaired) geometry, lines and points of a repair dropped."""
    parts = shapely.get_parts(geometry)
    out: list[shapely.Polygon] = []
    for part in parts:
        if isinstance(part, shapely.Polygon):
            out.append(part)
        elif isinstance(part, (shapely.MultiPolygon, shapely.GeometryCollection)):
            out.extend(_polygons(part))
    return [p for p in out if not p.is_empty]


def _path(polygons: Sequence[shapely.Polygon]) -> Path:
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in polygons:
        polygon = shapely.geometry.polygon.orient(polygon, sign=1.0)
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords, dtype=float)
            ring_codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            ring_codes[0] = Path.MOVETO
            ring_codes[-1] = Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


@cache
def map_geometry() -> MapGeometry:
    """The 98 municipalities' outlines, read from the packaged GeoJSON once per process.

    Each boundary is repaired (``shapely.make_valid``: rounding to 4 decimals left a few
    self-intersections), projected with :func:`project` and simplified to
    :data:`SIMPLIFY_KM` (topology kept within each municipality), then made a matplotlib path.
    """
    source = resources.files("omstilling_analysis.data").joinpath("kommuner.geojson")
    with source.open("rb") as handle:
        features = json.load(handle)["features"]
    paths: dict[int, Path] = {}
    names: dict[int, str] = {}
    bounds: dict[int, tuple[float, float, float, float]] = {}
    for feature in features:
        code = int(feature["properties"]["kommunekode"])
        geometry = shapely.make_valid(shapely.geometry.shape(feature["geometry"]))
        geometry = shapely.transform(geometry, lambda xy: np.column_stack(project(*xy.T)))
        geometry = shapely.simplify(geometry, SIMPLIFY_KM, preserve_topology=True)
        polygons = _polygons(geometry)
        paths[code] = _path(polygons)
        names[code] = str(feature["properties"]["kommune"])
        bounds[code] = tuple(float(b) for b in shapely.MultiPolygon(polygons).bounds)
    rest = np.array([b for code, b in bounds.items() if code != BORNHOLM])
    main = (rest[:, 0].min(), rest[:, 1].min(), rest[:, 2].max(), rest[:, 3].max())
    return MapGeometry(
        paths=MappingProxyType(paths),
        names=MappingProxyType(names),
        bounds=MappingProxyType(bounds),
        main_bounds=tuple(float(v) for v in main),
        bornholm_bounds=bounds[BORNHOLM],
    )


# =========================================================================== classes and colours


@dataclass(frozen=True)
class _Class:
    """One legend entry: its label, its look and the municipalities in it."""

    label: str
    face: str
    hatch: str | None
    codes: tuple[int, ...]


def _kommuner(n: int) -> str:
    return f"{n} kommune" if n == 1 else f"{n} kommuner"


def _wrap(label: str) -> str:
    r"""A legend label wrapped at :data:`_WRAP` characters, its count ``(n kommuner)`` kept whole.

    >>> _wrap("1. Høj modenhed, relativt svag strategi og et langt navn (7 kommuner)")
    '1. Høj modenhed, relativt svag strategi og et\nlangt navn (7 kommuner)'
    """
    head, bracket, count = label.rpartition(" (")
    if not bracket:
        return textwrap.fill(label, _WRAP)
    tail = f"({count}".replace(" ", "\u00a0")  # textwrap breaks at ASCII spaces only
    return textwrap.fill(f"{head} {tail}", _WRAP).replace("\u00a0", " ")


def cluster_colour(number: int) -> str:
    """The fill of type (cluster) ``number`` (1, 2, …): :data:`PALETTE` in order, black left out
    (it would hide the boundaries); aligned type numbers keep their colour from wave to wave.

    >>> cluster_colour(1), cluster_colour(8)
    ('#0072B2', '#0072B2')
    """
    colours = [c for c in PALETTE if c != "#000000"]
    return colours[(int(number) - 1) % len(colours)]


def _level_labels(thresholds: Sequence[float]) -> list[str]:
    """Danish level names with their index ranges (decimal comma; two decimals when a bound
    needs them).

    >>> _level_labels((1.8, 2.6, 3.4, 4.25))[3:]
    ['Integreret: 3,40 til under 4,25', 'Førende: 4,25 og derover']
    """
    names = level_names()
    bounds = [float(t) for t in thresholds]
    decimals = 1 if all(abs(round(b, 1) - b) < 1e-9 for b in bounds) else 2

    def number(value: float) -> str:
        return dk_number(value, decimals)

    labels = [f"{names[1]}: under {number(bounds[0])}"]
    for level, (low, high) in enumerate(zip(bounds[:-1], bounds[1:], strict=True), start=2):
        labels.append(f"{names[level]}: {number(low)} til under {number(high)}")
    labels.append(f"{names[5]}: {number(bounds[-1])} og derover")
    return labels


def _index_classes(values: pd.Series, thresholds: Sequence[float] | None) -> list[_Class]:
    base = Settings()
    if thresholds is not None:
        base = dataclasses.replace(base, level_thresholds=tuple(float(t) for t in thresholds))
    numbers, _ = maturity_level(values.astype(float), base)
    labels = _level_labels(base.level_thresholds)
    classes = []
    for level in range(1, 6):
        codes = tuple(int(c) for c in values.index[(numbers == level).fillna(False).to_numpy()])
        label = f"{labels[level - 1]} ({_kommuner(len(codes))})"
        classes.append(_Class(label, LEVEL_COLOURS[level - 1], None, codes))
    return classes


def _cluster_classes(values: pd.Series, cluster_names: Mapping[int, str] | None) -> list[_Class]:
    classes = []
    present = values.dropna()
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all():
        keys = sorted({int(v) for v in numeric})
        members = {k: tuple(int(c) for c in numeric.index[numeric == k]) for k in keys}
        for position, key in enumerate(keys):
            name = (cluster_names or {}).get(key)
            label = f"{key}. {name}" if name else f"Type {key}"
            n = len(members[key])
            colour = cluster_colour(key) if key >= 1 else PALETTE[position % 7]
            classes.append(_Class(f"{label} ({_kommuner(n)})", colour, None, members[key]))
        return classes
    keys = sorted({str(v) for v in present})
    for position, key in enumerate(keys):
        codes = tuple(int(c) for c in present.index[present.astype(str) == key])
        label = f"{key} ({_kommuner(len(codes))})"
        classes.append(_Class(label, cluster_colour(position + 1), None, codes))
    return classes


def _change_limit(values: pd.Series) -> float:
    """Half-width of the colour scale: the largest absolute change rounded up to 0,1 (≥ 0,1)."""
    largest = float(np.nanmax(np.abs(values.to_numpy(dtype=float)))) if values.notna().any() else 0
    return max(0.1, math.ceil(round(largest * 10, 9)) / 10)


# =========================================================================== the figure


def _add_municipality(
    ax, geometry: MapGeometry, code: int, look: tuple, edge: str, highlight: bool
) -> None:
    face, hatch = look
    patch = PathPatch(
        geometry.paths[code],
        facecolor=face,
        edgecolor="#000000" if highlight else edge,
        linewidth=_HIGHLIGHT_WIDTH if highlight else _EDGE_WIDTH,
        hatch=hatch,
        hatchcolor=_HATCH_COLOURS.get(hatch, "#8C8C8C"),
        zorder=3 if highlight else 2,
        gid=str(code),
        label=geometry.names[code],
    )
    # add_artist, not add_patch: the limits are set from the outlines' bounds, and add_patch
    # would walk every vertex again to update them (0.9 s for the 98 outlines).
    ax.add_artist(patch)


def _frame_axes(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def _bornholm_box(ax, geometry: MapGeometry, pad: float = 6.0):
    """An inset in the upper right corner of the main map showing Bornholm on the same scale."""
    xmin, ymin, xmax, ymax = geometry.main_bounds
    bxmin, bymin, bxmax, bymax = geometry.bornholm_bounds
    width, height = bxmax - bxmin + 2 * pad, bymax - bymin + 2 * pad
    inset = ax.inset_axes(
        (xmax - width, ymax - height, width, height), transform=ax.transData, zorder=4
    )
    inset.set_xlim(bxmin - pad, bxmax + pad)
    inset.set_ylim(bymin - pad, bymax + pad)
    _frame_axes(inset)
    inset.set_facecolor("#FFFFFF")
    for spine in inset.spines.values():
        spine.set_edgecolor("#8C8C8C")
        spine.set_linewidth(0.8)
    inset.set_gid("bornholm")
    return inset


def _default_title(kind: Kind, wave: int) -> str:
    return {
        "index": f"Modenhedsindeks pr. kommune, bølge {wave}",
        "cluster": f"Kommunetyper (klynger), bølge {wave}",
        "change": f"Ændring i modenhedsindeks siden forrige bølge, bølge {wave}",
    }[kind]


def plot_denmark_map(
    values: pd.Series,
    *,
    kind: Kind,
    wave: int,
    suppressed: Iterable[int] = (),
    highlight: int | None = None,
    title: str | None = None,
    thresholds: Sequence[float] | None = None,
    cluster_names: Mapping[int, str] | None = None,
    min_respondents: int = Settings().min_respondents_published,
) -> Figure:
    """A map of Denmark's 98 municipalities coloured by a published value.

    Parameters
    ----------
    values:
        One value per municipality, indexed by ``kommunekode``: the maturity index
        (``kind="index"``), the type number or name (``"cluster"``), or the change of the
        index since the previous wave (``"change"``). Missing values and codes unknown to the
        map are ignored; a municipality without a value is hatched.
    kind:
        ``"index"``: the five maturity levels (light to dark blue) with their ranges in the
        legend; ``"cluster"``: one colour per type, named by ``cluster_names``;
        ``"change"``: :data:`DIVERGING_CMAP` centred on 0 (blue = progress, orange = decline).
    wave:
        The wave, for the title.
    suppressed:
        Codes whose value may not be published (fewer than ``min_respondents`` respondents):
        hatched grey ``////`` and counted in the legend, whatever ``values`` holds for them.
        Every other municipality without a value is "ingen data" (dotted grey).
    highlight:
        A code whose outline is drawn thick (one municipality's feedback workbook).
    title:
        Replaces the default Danish title.
    thresholds:
        Lower bounds of levels 2-5 (``Settings.level_thresholds``; default the contract's).
    cluster_names:
        Type number → Danish name, for the legend (``klyngenavn``).
    min_respondents:
        The publication minimum named in the legend (``Settings.min_respondents_published``).

    Returns
    -------
    matplotlib.figure.Figure
        The main map is ``fig.axes[0]``; Bornholm's box is its inset axes (in
        ``fig.axes[0].child_axes``) with gid ``"bornholm"``; the enlarged capital area is an
        axes of the figure with gid ``"hovedstaden"`` (its municipalities drawn a second
        time). Every municipality is one ``PathPatch`` with its code as ``gid``.
    """
    if kind not in ("index", "cluster", "change"):
        raise ValueError(f"ukendt korttype {kind!r}; vælg index, cluster eller change")
    geometry = map_geometry()
    known = set(geometry.paths)
    series = pd.Series(values).copy()
    series.index = pd.to_numeric(series.index, errors="coerce")
    series = series[series.index.notna()]
    series.index = series.index.astype("int64")
    series = series[series.index.isin(known) & ~series.index.duplicated()]
    hidden = sorted({int(c) for c in suppressed} & known)
    series = series.drop(index=hidden, errors="ignore").dropna()

    if kind == "change":
        series = series.astype(float)
        norm = Normalize(-_change_limit(series), _change_limit(series))
        looks = {int(c): (DIVERGING_CMAP(norm(v)), None) for c, v in series.items()}
        classes: list[_Class] = []
    else:
        norm = None
        if kind == "index":
            classes = _index_classes(series.astype(float), thresholds)
        else:
            classes = _cluster_classes(series, cluster_names)
        looks = {code: (c.face, c.hatch) for c in classes for code in c.codes}
    no_data = tuple(sorted(known - set(looks) - set(hidden)))
    missing = [
        _Class(f"færre end {min_respondents} besvarelser ({_kommuner(len(hidden))})",
               *_SUPPRESSED_LOOK, tuple(hidden)),
        _Class(f"ingen data ({_kommuner(len(no_data))})", *_NO_DATA_LOOK, no_data),
    ]  # fmt: skip
    looks |= {code: (c.face, c.hatch) for c in missing for code in c.codes}

    fig = Figure(figsize=_FIGSIZE)
    ax, inset, legend_x = _map_axes(fig, geometry)
    capital, capital_codes = _capital_box(fig, ax, geometry, legend_x)
    edge = _CHANGE_EDGE if kind == "change" else _EDGE
    for code in sorted(known):
        target = inset if code == BORNHOLM else ax
        _add_municipality(target, geometry, code, looks[code], edge, highlight == code)
        if code in capital_codes:
            _add_municipality(capital, geometry, code, looks[code], edge, highlight == code)
    below = _CAPITAL_TOP - _CAPITAL_HEIGHT
    ax.set_title(title if title is not None else _default_title(kind, wave), fontsize=13, pad=8)

    handles = [
        Patch(facecolor=c.face, hatch=c.hatch, hatchcolor=_HATCH_COLOURS.get(c.hatch, "#8C8C8C"),
              edgecolor="#BDBDBD", linewidth=0.5, label=_wrap(c.label))
        for c in [*classes, *(m for m in missing if m.codes)]
    ]  # fmt: skip
    legend = {"frameon": False, "fontsize": 9, "alignment": "left", "title_fontsize": 10}
    if norm is not None:
        _change_colourbar(fig, norm, legend_x, below - 0.12)
        if handles:
            anchor = (legend_x, below - 0.20)
            fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, **legend)
    else:
        heading = "Modenhedsniveau" if kind == "index" else "Kommunetype"
        fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(legend_x, below - 0.03),
            title=heading, **legend,
        )  # fmt: skip
    fig.text(0.01, 0.012, CREDIT, fontsize=7, color="#6B6B6B", ha="left", va="bottom")
    return fig


def _map_axes(fig: Figure, geometry: MapGeometry):
    """The main map's axes (sized to the land's aspect), Bornholm's box, the legend's left x."""
    xmin, ymin, xmax, ymax = geometry.main_bounds
    width_km = xmax - xmin + 2 * _MARGIN_KM
    height_km = ymax - ymin + 2 * _MARGIN_KM
    fig_width, fig_height = fig.get_size_inches()
    width = _MAP_HEIGHT * fig_height * width_km / height_km / fig_width
    ax = fig.add_axes((0.02, _MAP_BOTTOM, width, _MAP_HEIGHT))
    _frame_axes(ax)
    ax.set_xlim(xmin - _MARGIN_KM, xmax + _MARGIN_KM)
    ax.set_ylim(ymin - _MARGIN_KM, ymax + _MARGIN_KM)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax, _bornholm_box(ax, geometry), 0.02 + width + 0.03


def _capital_box(fig: Figure, ax, geometry: MapGeometry, left: float):
    """The capital area (:data:`CAPITAL_WINDOW`) enlarged at the top of the legend column, its
    window marked on the main map; returns the axes and the codes drawn in it."""
    (west, south), (east, north) = CAPITAL_WINDOW
    (x0, x1), (y0, y1) = project(np.array([west, east]), np.array([south, north]))
    fig_width, fig_height = fig.get_size_inches()
    width = _CAPITAL_HEIGHT * fig_height * (x1 - x0) / (y1 - y0) / fig_width
    box = fig.add_axes((left, _CAPITAL_TOP - _CAPITAL_HEIGHT, width, _CAPITAL_HEIGHT))
    _frame_axes(box)
    box.set_xlim(x0, x1)
    box.set_ylim(y0, y1)
    box.set_gid("hovedstaden")
    box.set_title("Hovedstadsområdet", fontsize=9, loc="left", pad=3)
    for spine in box.spines.values():
        spine.set_edgecolor("#8C8C8C")
        spine.set_linewidth(0.8)
    window = Rectangle(
        (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#6B6B6B", linewidth=0.7, zorder=4
    )
    ax.add_artist(window)
    codes = {
        code
        for code, (bx0, by0, bx1, by1) in geometry.bounds.items()
        if code != BORNHOLM and bx0 < x1 and bx1 > x0 and by0 < y1 and by1 > y0
    }
    return box, codes


def _change_colourbar(fig: Figure, norm: Normalize, left: float, bottom: float) -> None:
    """Horizontal colour bar of the change map, its ends named (progress to the right)."""
    cax = fig.add_axes((left, bottom, 0.28, 0.022))
    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=DIVERGING_CMAP), cax=cax, orientation="horizontal"
    )
    bar.ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10], symmetric=True))
    bar.ax.xaxis.set_major_formatter(dk_axis(1))
    bar.set_label("Ændring i modenhedsindeks (point)", fontsize=9)
    bar.ax.tick_params(labelsize=8)
    bar.outline.set_linewidth(0.5)
    cax.text(0.0, 1.25, "◀ tilbagegang", transform=cax.transAxes, ha="left", va="bottom",
             fontsize=9)  # fmt: skip
    cax.text(1.0, 1.25, "fremgang ▶", transform=cax.transAxes, ha="right", va="bottom",
             fontsize=9)  # fmt: skip


def move_highlight(
    fig: Figure, code: int | None, *, kind: Kind = "index", title: str | None = None
):
    """Highlight ``code`` on a map already drawn by :func:`plot_denmark_map` (and no other):
    the same picture as drawing it anew with ``highlight=code``, without drawing the outlines
    again (98 feedback workbooks share one map per wave)."""
    edge = _CHANGE_EDGE if kind == "change" else _EDGE
    axes = list(fig.axes)
    axes += [child for ax in fig.axes for child in ax.child_axes]
    for ax in axes:
        for artist in ax.artists + ax.patches:
            if not isinstance(artist, PathPatch) or not str(artist.get_gid() or "").isdigit():
                continue
            chosen = code is not None and int(artist.get_gid()) == int(code)
            artist.set_edgecolor("#000000" if chosen else edge)
            artist.set_linewidth(_HIGHLIGHT_WIDTH if chosen else _EDGE_WIDTH)
            artist.set_zorder(3 if chosen else 2)
    if title is not None:
        fig.axes[0].set_title(title, fontsize=13, pad=8)
    return fig


def drawn_codes(fig: Figure) -> list[int]:
    """The municipality codes drawn on a map made by :func:`plot_denmark_map` (from the
    patches' ``gid``), main map and Bornholm's box together, ascending."""
    every_axes = [
        ax
        for ax in [*fig.axes, *(child for ax in fig.axes for child in ax.child_axes)]
        if ax.get_gid() != "hovedstaden"
    ]
    codes = [
        int(patch.get_gid())
        for ax in every_axes
        for patch in ax.patches
        if isinstance(patch, PathPatch) and str(patch.get_gid()).isdigit()
    ]
    return sorted(codes)


# =========================================================================== the run's maps


def _rows_of_wave(frame: pd.DataFrame | None, wave: int) -> pd.DataFrame:
    if frame is None or frame.empty or "boelge" not in frame:
        return pd.DataFrame()
    rows = frame[pd.to_numeric(frame["boelge"], errors="coerce") == int(wave)].copy()
    rows["kommunekode"] = pd.to_numeric(rows["kommunekode"], errors="coerce")
    return rows.dropna(subset=["kommunekode"]).astype({"kommunekode": "int64"})


def _hidden_index(published: pd.DataFrame, minimum: int) -> pd.Series:
    """Per row: whether the index may not be published (``modenhedsindeks_skjult`` of
    ``report.published_scores``; without it fewer than ``minimum`` respondents or no index)."""
    if f"{INDEX}_skjult" in published:
        return published[f"{INDEX}_skjult"].fillna(True).astype(bool)
    hidden = published[INDEX].isna() if INDEX in published else pd.Series(True, published.index)
    if "skjult" in published:
        hidden |= published["skjult"].fillna(True).astype(bool)
    if "n_respondenter" in published:
        hidden |= pd.to_numeric(published["n_respondenter"], errors="coerce").fillna(0) < minimum
    return hidden


def map_makers(
    municipality_scores_published: pd.DataFrame,
    clusters: pd.DataFrame | None,
    changes: pd.DataFrame | None,
    wave: int,
    settings: Settings | None = None,
) -> dict[str, Callable[[], Figure]]:
    """The run's three maps of ``wave``, by file stem, as functions drawing them.

    Parameters
    ----------
    municipality_scores_published:
        ``report.published_scores(kommunescorer)`` of **every** wave (the change map needs the
        previous wave's suppression too). Used: ``boelge, kommunekode, modenhedsindeks`` and
        ``modenhedsindeks_skjult`` (without it: ``skjult`` / ``n_respondenter`` below the
        minimum, or a missing index, hide the index).
    clusters:
        ``klynger.csv`` (``boelge, kommunekode, klynge, klyngenavn, aarsag``) or ``None``. A
        municipality whose index is hidden, or whose ``aarsag`` reads "færre end …", is drawn
        as suppressed; one not clustered for another reason as "ingen data".
    changes:
        ``udvikling.csv`` (``boelge, kommunekode, forrige_boelge, maal, aendring``; the rows of
        ``maal == "modenhedsindeks"`` are used) or ``None``. A change is suppressed when the
        index of ``wave`` or of ``forrige_boelge`` is hidden (or that row is absent), or when the
        frame's own ``skjult_aendring`` says so.
    wave:
        The wave.
    settings:
        ``level_thresholds`` and ``min_respondents_published``.

    Returns
    -------
    dict[str, Callable[[], Figure]]
        ``danmarkskort_indeks_<wave>`` always; ``danmarkskort_klynger_<wave>`` when
        ``clusters`` has rows of the wave; ``danmarkskort_udvikling_<wave>`` when ``changes``
        has index rows of the wave (not in a municipality's first wave).
    """
    s = settings if settings is not None else Settings()
    minimum = s.min_respondents_published
    common = {"wave": int(wave), "min_respondents": minimum}
    published = municipality_scores_published.copy()
    published["kommunekode"] = pd.to_numeric(published["kommunekode"], errors="coerce")
    published = published.dropna(subset=["kommunekode"]).astype({"kommunekode": "int64"})
    published["_hidden"] = _hidden_index(published, minimum).to_numpy()
    hidden_by_wave = {
        (int(w), int(c)): bool(h)
        for w, c, h in zip(published["boelge"], published["kommunekode"], published["_hidden"],
                           strict=True)
    }  # fmt: skip
    rows = _rows_of_wave(published, wave)
    hidden_now = set(rows.loc[rows["_hidden"], "kommunekode"].tolist())
    index = rows.set_index("kommunekode")[INDEX].astype(float)
    figures = {
        f"danmarkskort_indeks_{wave}": partial(
            plot_denmark_map,
            index,
            kind="index",
            suppressed=hidden_now,
            thresholds=s.level_thresholds,
            **common,
        )
    }

    typed = _rows_of_wave(clusters, wave)
    if _has_cluster_map(typed):
        reason = typed.get("aarsag", pd.Series(pd.NA, index=typed.index)).astype("string")
        few = reason.str.startswith("færre end").fillna(False).to_numpy(dtype=bool)
        suppressed = set(typed.loc[few, "kommunekode"].tolist()) | hidden_now
        number = pd.to_numeric(typed["klynge"], errors="coerce")
        names = {
            int(k): str(n)
            for k, n in zip(number, typed.get("klyngenavn", pd.Series(index=typed.index)),
                            strict=True)
            if pd.notna(k) and pd.notna(n)
        }  # fmt: skip
        figures[f"danmarkskort_klynger_{wave}"] = partial(
            plot_denmark_map,
            pd.Series(number.to_numpy(), index=typed["kommunekode"].to_numpy()),
            kind="cluster",
            suppressed=suppressed,
            cluster_names=names,
            **common,
        )

    moved = _index_changes(_rows_of_wave(changes, wave))
    if _has_change_map(moved):
        codes = moved["kommunekode"].to_numpy()
        earlier = np.full(len(moved), np.nan)
        if "forrige_boelge" in moved:
            earlier = pd.to_numeric(moved["forrige_boelge"], errors="coerce").to_numpy(float)
        flagged = moved.get("skjult_aendring", pd.Series(False, index=moved.index))
        suppressed = {
            int(code)
            for code, before, flag in zip(codes, earlier, flagged.fillna(True), strict=True)
            if bool(flag)
            or hidden_by_wave.get((int(wave), int(code)), True)
            or np.isnan(before)
            or hidden_by_wave.get((int(before), int(code)), True)
        }
        change = pd.Series(pd.to_numeric(moved["aendring"], errors="coerce").to_numpy(), codes)
        figures[f"danmarkskort_udvikling_{wave}"] = partial(
            plot_denmark_map, change, kind="change", suppressed=suppressed, **common
        )
    return figures


def _has_cluster_map(typed: pd.DataFrame) -> bool:
    return not typed.empty


def _index_changes(moved: pd.DataFrame) -> pd.DataFrame:
    return moved[moved["maal"] == INDEX] if not moved.empty and "maal" in moved else moved


def _has_change_map(moved: pd.DataFrame) -> bool:
    return not moved.empty


def map_kinds(clusters: pd.DataFrame | None, changes: pd.DataFrame | None, wave: int) -> list[str]:
    """Which of the three maps :func:`map_makers` makes of ``wave`` (``indeks``, ``klynger``,
    ``udvikling``), without preparing them: the run lists its figures before it draws any."""
    kinds = ["indeks"]
    if _has_cluster_map(_rows_of_wave(clusters, wave)):
        kinds.append("klynger")
    if _has_change_map(_index_changes(_rows_of_wave(changes, wave))):
        kinds.append("udvikling")
    return kinds


def map_figures(
    municipality_scores_published: pd.DataFrame,
    clusters: pd.DataFrame | None,
    changes: pd.DataFrame | None,
    wave: int,
    settings: Settings | None = None,
) -> dict[str, Figure]:
    """The run's three maps of ``wave``, drawn (see :func:`map_makers`)."""
    makers = map_makers(municipality_scores_published, clusters, changes, wave, settings)
    return {stem: make() for stem, make in makers.items()}
