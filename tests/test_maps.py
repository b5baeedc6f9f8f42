"""The map of Denmark (issue 14): every municipality drawn, Bornholm in its box, suppression,
Danish legends, the highlight, and the run's three maps from published tables.

Expected values are written out by hand (level bands, legend texts, counts) or come from an
independent computation (great-circle distances by the haversine formula, the contract's list
of 98 municipalities in ``kommuner.csv``, ``publish.published_scores`` for suppression).
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import PathPatch
from matplotlib.transforms import Bbox

from omstilling_analysis import change, publish, reference
from omstilling_analysis.plots import maps
from omstilling_analysis.plots.style import LEVEL_COLOURS, png_bytes
from omstilling_analysis.settings import Settings

CODES = sorted(int(c) for c in reference.municipalities()["kommunekode"])


def _all_axes(fig) -> list:
    return [*fig.axes, *(child for ax in fig.axes for child in ax.child_axes)]


def _patches_of(axes) -> dict[int, PathPatch]:
    return {
        int(p.get_gid()): p
        for ax in axes
        for p in ax.patches
        if isinstance(p, PathPatch) and str(p.get_gid()).isdigit()
    }


def _patches(fig) -> dict[int, PathPatch]:
    """The municipalities of the map of Denmark (main map and Bornholm's box)."""
    return _patches_of([ax for ax in _all_axes(fig) if ax.get_gid() != "hovedstaden"])


def _capital(fig):
    (box,) = [ax for ax in _all_axes(fig) if ax.get_gid() == "hovedstaden"]
    return box


def _legend_texts(fig) -> list[str]:
    return [t.get_text().replace("\n", " ") for legend in fig.legends for t in legend.texts]


def _inset(fig):
    (inset,) = [ax for ax in _all_axes(fig) if ax.get_gid() == "bornholm"]
    return inset


@pytest.fixture(scope="module")
def index_map():
    values = pd.Series({code: 3.0 for code in CODES})
    values[101] = 1.79  # just below level 2
    values[147] = 1.8  # exactly on the bound of level 2
    values[751] = 4.2  # exactly on the bound of level 5
    values[461] = 2.6
    values[851] = 3.39
    values.loc[[153, 155]] = np.nan  # no data
    values[999] = 2.0  # not a municipality: ignored
    fig = maps.plot_denmark_map(
        values.drop(index=[157, 159]),  # absent: no data as well
        kind="index",
        wave=2024,
        suppressed=[400, 825, 161, 12345],  # Bornholm, Læsø, Glostrup; 12345 unknown
        highlight=461,
    )
    fig.canvas.draw()
    return fig


# --------------------------------------------------------------------------- geometry


def test_packaged_boundaries_are_the_98_municipalities_of_the_reference_list():
    source = resources.files("omstilling_analysis.data").joinpath("kommuner.geojson")
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    names = {int(f["properties"]["kommunekode"]): f["properties"]["kommune"] for f in features}
    table = reference.municipalities()
    assert names == dict(zip(table["kommunekode"].astype(int), table["kommune"], strict=True))
    geometry = maps.map_geometry()
    assert sorted(geometry.paths) == CODES
    assert maps.map_geometry() is geometry  # read once


def _haversine_km(lon1, lat1, lon2, lat2, radius=6371.0088):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((12.5683, 55.6761), (10.2107, 56.1572)),  # København – Aarhus
        ((10.5833, 57.7167), (9.4167, 54.9000)),  # Skagen – Padborg
        ((8.4519, 55.4765), (11.8700, 54.7700)),  # Esbjerg – Nykøbing Falster
    ],
)
def test_projection_keeps_distances_within_four_percent(a, b):
    x, y = maps.project(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    flat = math.hypot(x[1] - x[0], y[1] - y[0])
    assert flat == pytest.approx(_haversine_km(*a, *b), rel=0.04)


def test_outline_bounds_lie_in_denmark():
    # Denmark without Christiansø: 8.07–15.16 °E, 54.56–57.75 °N.
    xmin, ymin, xmax, ymax = maps.map_geometry().main_bounds
    (west, east), (south, north) = maps.project(np.array([8.07, 12.80]), np.array([54.56, 57.75]))
    assert (xmin, ymin, xmax, ymax) == pytest.approx((west, south, east, north), abs=2.0)
    bx, by, _, _ = maps.map_geometry().bornholm_bounds
    assert maps.project(14.68, 54.99) == pytest.approx((bx, by), abs=2.0)


# --------------------------------------------------------------------------- the index map


def test_every_municipality_is_drawn_once_and_unknown_codes_are_ignored(index_map):
    assert maps.drawn_codes(index_map) == CODES
    assert len(_patches(index_map)) == 98


def test_bornholm_is_drawn_in_its_box_on_the_same_scale(index_map):
    inset = _inset(index_map)
    main = index_map.axes[0]
    assert [p.get_gid() for p in inset.patches] == ["400"]
    assert "400" not in {p.get_gid() for p in main.patches}
    # 100 km are as long on screen in the box as on the main map.
    ten = [ax.transData.transform([(0, 0), (100, 0)]) for ax in (main, inset)]
    lengths = [np.linalg.norm(t[1] - t[0]) for t in ten]
    assert lengths[0] == pytest.approx(lengths[1], rel=1e-6)
    # The box sits in the upper right (east) corner and covers no other municipality.
    box = inset.get_window_extent()
    map_box = main.get_window_extent()
    assert box.x1 > map_box.x0 + 0.8 * map_box.width
    assert box.y1 > map_box.y0 + 0.8 * map_box.height
    for code, patch in _patches(index_map).items():
        if code != 400:
            assert not box.overlaps(patch.get_window_extent()), code


def test_legend_covers_no_land(index_map):
    land = [(ax, p) for ax in _all_axes(index_map) for p in _patches_of([ax]).values()]
    for legend in index_map.legends:
        extent = legend.get_window_extent()
        for ax, patch in land:
            # What is drawn of an outline: its extent clipped to its axes.
            drawn = Bbox.intersection(patch.get_window_extent(), ax.get_window_extent())
            assert drawn is None or not extent.overlaps(drawn), patch.get_gid()


def test_capital_area_is_enlarged_with_the_same_colours(index_map):
    box = _capital(index_map)
    enlarged, main = _patches_of([box]), _patches(index_map)
    # København, Frederiksberg, Gentofte, Glostrup, Vallensbæk, Dragør, Tårnby, Rødovre.
    assert {101, 147, 157, 161, 187, 155, 185, 175} <= set(enlarged)
    assert not {400, 751, 825} & set(enlarged)
    for code, patch in enlarged.items():
        assert patch.get_facecolor() == pytest.approx(main[code].get_facecolor()), code
        assert patch.get_hatch() == main[code].get_hatch()
    assert enlarged[161].get_hatch() == "////"  # Glostrup, suppressed
    ten = [ax.transData.transform([(0, 0), (10, 0)]) for ax in (index_map.axes[0], box)]
    zoom = np.linalg.norm(ten[1][1] - ten[1][0]) / np.linalg.norm(ten[0][1] - ten[0][0])
    assert zoom > 3
    assert box.get_title(loc="left") == "Hovedstadsområdet"


def test_level_colours_follow_the_bands_with_bounds_included(index_map):
    patches = _patches(index_map)
    expected = {101: 1, 147: 2, 461: 3, 851: 3, 751: 5, 173: 3}
    for code, level in expected.items():
        assert patches[code].get_facecolor() == pytest.approx(to_rgba(LEVEL_COLOURS[level - 1]))
        assert not patches[code].get_hatch()


def test_suppressed_and_missing_are_hatched_and_counted(index_map):
    patches = _patches(index_map)
    for code in (400, 825, 161):
        assert patches[code].get_hatch() == "////"
    for code in (153, 155, 157, 159):
        assert patches[code].get_hatch() == ".."
    texts = _legend_texts(index_map)
    assert "færre end 3 besvarelser (3 kommuner)" in texts
    assert "ingen data (4 kommuner)" in texts


def test_index_legend_is_danish_with_decimal_comma_and_counts(index_map):
    # 98 = 1 Begynder + 1 Afprøvende + 1 Førende + 88 Etableret + 3 suppressed + 4 no data.
    assert _legend_texts(index_map) == [
        "Begynder: under 1,8 (1 kommune)",
        "Afprøvende: 1,8 til under 2,6 (1 kommune)",
        "Etableret: 2,6 til under 3,4 (88 kommuner)",
        "Integreret: 3,4 til under 4,2 (0 kommuner)",
        "Førende: 4,2 og derover (1 kommune)",
        "færre end 3 besvarelser (3 kommuner)",
        "ingen data (4 kommuner)",
    ]
    assert index_map.legends[0].get_title().get_text() == "Modenhedsniveau"
    assert index_map.axes[0].get_title() == "Modenhedsindeks pr. kommune, bølge 2024"


def test_highlighted_municipality_has_the_thickest_outline(index_map):
    patches = _patches(index_map)
    others = {p.get_linewidth() for code, p in patches.items() if code != 461}
    assert patches[461].get_linewidth() > 5 * max(others)
    assert patches[461].get_edgecolor() == pytest.approx(to_rgba("black"))


def test_highlight_shows_in_bornholms_box_and_in_the_capital_area():
    fig = maps.plot_denmark_map(pd.Series({400: 3.0}), kind="index", wave=2024, highlight=400)
    (bornholm,) = _inset(fig).patches
    assert bornholm.get_gid() == "400"
    assert bornholm.get_linewidth() > 5 * _patches(fig)[101].get_linewidth()
    fig = maps.plot_denmark_map(pd.Series({147: 3.0}), kind="index", wave=2024, highlight=147)
    main, enlarged = _patches(fig)[147], _patches_of([_capital(fig)])[147]
    assert main is not enlarged
    assert main.get_linewidth() == enlarged.get_linewidth() > 5 * _patches(fig)[101].get_linewidth()


def test_credit_line_is_on_the_figure(index_map):
    texts = [t.get_text() for t in index_map.texts]
    assert "Kommunegrænser: Styrelsen for Dataforsyning og Infrastruktur (DAGI)" in texts


def test_thresholds_from_the_settings_move_the_bands_and_the_legend():
    fig = maps.plot_denmark_map(
        pd.Series({101: 2.1, 147: 2.0}), kind="index", wave=2022, thresholds=(2.0, 2.5, 3.0, 3.5)
    )
    patches = _patches(fig)
    assert patches[101].get_facecolor() == pytest.approx(to_rgba(LEVEL_COLOURS[1]))
    assert patches[147].get_facecolor() == pytest.approx(to_rgba(LEVEL_COLOURS[1]))
    texts = _legend_texts(fig)
    assert texts[:2] == [
        "Begynder: under 2,0 (0 kommuner)",
        "Afprøvende: 2,0 til under 2,5 (2 kommuner)",
    ]
    assert "ingen data (96 kommuner)" in texts


def test_map_with_no_values_draws_every_municipality_as_no_data():
    fig = maps.plot_denmark_map(pd.Series(dtype=float), kind="index", wave=2020)
    assert maps.drawn_codes(fig) == CODES
    assert {p.get_hatch() for p in _patches(fig).values()} == {".."}
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="korttype"):
        maps.plot_denmark_map(pd.Series({101: 3.0}), kind="niveau", wave=2024)


# --------------------------------------------------------------------------- clusters and change


def test_cluster_map_names_the_types_and_colours_them_by_number():
    values = pd.Series({101: 1, 147: 2, 151: 2, 400: 1, 825: 3})
    names = {1: "Stærk på strategi", 2: "Svag på data", 3: "Jævn profil"}
    fig = maps.plot_denmark_map(
        values, kind="cluster", wave=2024, cluster_names=names, suppressed=[825]
    )
    patches = _patches(fig)
    assert patches[147].get_facecolor() == pytest.approx(to_rgba(maps.cluster_colour(2)))
    assert patches[400].get_facecolor() == pytest.approx(to_rgba(maps.cluster_colour(1)))
    assert patches[825].get_hatch() == "////"
    assert maps.cluster_colour(1) != maps.cluster_colour(2)
    assert _legend_texts(fig) == [
        "1. Stærk på strategi (2 kommuner)",
        "2. Svag på data (2 kommuner)",
        "færre end 3 besvarelser (1 kommune)",
        "ingen data (93 kommuner)",
    ]


def test_single_class_without_clear_types():
    values = pd.Series({code: 1 for code in CODES})
    fig = maps.plot_denmark_map(
        values, kind="cluster", wave=2024, cluster_names={1: "Ingen tydelige typer"}
    )
    assert _legend_texts(fig) == ["1. Ingen tydelige typer (98 kommuner)"]


def test_change_map_is_diverging_and_centred_on_zero():
    values = pd.Series({101: 0.5, 147: -0.5, 151: 0.0, 153: 0.23, 155: np.nan})
    fig = maps.plot_denmark_map(values, kind="change", wave=2024, suppressed=[157])
    patches = _patches(fig)
    up, down, zero = (np.array(patches[c].get_facecolor()) for c in (101, 147, 151))
    assert up[2] > up[0] + 0.3  # blue: progress
    assert down[0] > down[2] + 0.3  # orange: decline
    assert zero[:3] == pytest.approx(to_rgba("#F2F2F2")[:3], abs=0.01)
    assert patches[155].get_hatch() == ".." and patches[157].get_hatch() == "////"
    (bar,) = [ax for ax in fig.axes[1:] if ax.get_gid() != "hovedstaden"]
    assert bar.get_xlim() == pytest.approx((-0.5, 0.5))  # symmetric: |0,5| rounded up to 0,1
    fig.canvas.draw()
    ticks = [t.get_text() for t in bar.get_xticklabels() if t.get_text()]
    assert ticks == ["−0,5", "0,0", "0,5"]  # true minus, decimal comma, symmetric
    words = {t.get_text(): t.get_position()[0] for t in bar.texts}
    assert words["fremgang ▶"] > words["◀ tilbagegang"]
    assert _legend_texts(fig) == [
        "færre end 3 besvarelser (1 kommune)",
        "ingen data (93 kommuner)",
    ]


# --------------------------------------------------------------------------- the run's maps


def _scores() -> pd.DataFrame:
    """Two waves of municipality scores for four municipalities, built by hand."""
    rows = []
    plan = {  # code: (n 2022, index 2022, n 2024, index 2024)
        101: (5, 2.0, 6, 2.5),
        147: (2, 3.0, 7, 3.5),  # hidden in 2022: its change may not be shown
        151: (4, 4.0, 1, 4.4),  # hidden in 2024
        400: (8, 3.0, 9, 2.8),
    }
    for code, (n0, i0, n1, i1) in plan.items():
        for wave, n, index in ((2022, n0, i0), (2024, n1, i1)):
            row = {"boelge": wave, "kommunekode": code, "n_respondenter": n}
            row |= {t: index for t in reference.theme_codes()}
            row |= {f"{t}_n": n for t in reference.theme_codes()}
            row |= {f"{t}_se": 0.1 for t in reference.theme_codes()}
            row |= {"modenhedsindeks": index, "modenhedsindeks_se": 0.1}
            rows.append(row)
    return pd.DataFrame(rows)


def test_map_figures_from_published_tables():
    settings = Settings()
    raw = _scores()
    published = publish.published_scores(raw, settings)
    changes = change.changes(raw, settings)
    clusters = pd.DataFrame(
        {
            "boelge": [2024] * 4,
            "kommunekode": [101, 147, 151, 400],
            "klynge": pd.array([1, 2, pd.NA, 1], dtype="Int64"),
            "klyngenavn": ["Jævn profil", "Stærk på data", pd.NA, "Jævn profil"],
            "aarsag": [pd.NA, pd.NA, "færre end 3 besvarelser", pd.NA],
        }
    )
    figures = maps.map_figures(published, clusters, changes, 2024, settings)
    assert list(figures) == [
        "danmarkskort_indeks_2024", "danmarkskort_klynger_2024", "danmarkskort_udvikling_2024",
    ]  # fmt: skip
    # The run lists the maps without preparing them: the same three.
    assert maps.map_kinds(clusters, changes, 2024) == ["indeks", "klynger", "udvikling"]

    index = _patches(figures["danmarkskort_indeks_2024"])
    assert index[151].get_hatch() == "////"  # one respondent in 2024
    assert index[147].get_facecolor() == pytest.approx(to_rgba(LEVEL_COLOURS[3]))  # 3,5
    assert index[101].get_facecolor() == pytest.approx(to_rgba(LEVEL_COLOURS[1]))  # 2,5
    assert "ingen data (94 kommuner)" in _legend_texts(figures["danmarkskort_indeks_2024"])

    typed = _patches(figures["danmarkskort_klynger_2024"])
    assert typed[151].get_hatch() == "////"
    assert typed[400].get_facecolor() == pytest.approx(to_rgba(maps.cluster_colour(1)))
    assert "1. Jævn profil (2 kommuner)" in _legend_texts(figures["danmarkskort_klynger_2024"])

    change_patches = _patches(figures["danmarkskort_udvikling_2024"])
    assert change_patches[147].get_hatch() == "////"  # hidden in the earlier wave
    assert change_patches[151].get_hatch() == "////"  # hidden now
    assert not change_patches[101].get_hatch() and not change_patches[400].get_hatch()
    up, down = (
        np.array(change_patches[101].get_facecolor()),
        np.array(change_patches[400].get_facecolor()),
    )
    assert up[2] > up[0] and down[0] > down[2]  # +0,5 blue, −0,2 orange
    texts = _legend_texts(figures["danmarkskort_udvikling_2024"])
    assert "færre end 3 besvarelser (2 kommuner)" in texts


def test_map_figures_of_a_first_wave_has_only_the_index_map():
    raw = _scores()
    published = publish.published_scores(raw)
    figures = maps.map_figures(published, None, change.changes(raw), 2022)
    assert list(figures) == ["danmarkskort_indeks_2022"]
    assert maps.map_kinds(None, change.changes(raw), 2022) == ["indeks"]
    patches = _patches(figures["danmarkskort_indeks_2022"])
    assert patches[147].get_hatch() == "////"


def test_minimum_of_the_settings_reaches_the_legend():
    settings = Settings(min_respondents_published=5)
    published = publish.published_scores(_scores(), settings)
    fig = maps.map_figures(published, None, None, 2024, settings)["danmarkskort_indeks_2024"]
    assert "færre end 5 besvarelser (1 kommune)" in _legend_texts(fig)


def test_moving_the_highlight_gives_the_same_picture_as_drawing_it_anew():
    from omstilling_analysis.plots.style import png_bytes

    values = _scores().query("boelge == 2024").set_index("kommunekode")["modenhedsindeks"]
    title = "Aalborg (fremhævet)"
    drawn = maps.plot_denmark_map(values, kind="index", wave=2024, highlight=851, title=title)
    moved = maps.plot_denmark_map(values, kind="index", wave=2024, highlight=101)
    maps.move_highlight(moved, 851, title=title)
    assert png_bytes(moved, clear=False) == png_bytes(drawn)
    # And back again: the first municipality is no longer highlighted.
    again = maps.plot_denmark_map(values, kind="index", wave=2024, title=title)
    maps.move_highlight(moved, None)
    assert png_bytes(moved) == png_bytes(again)
