"""The ``Overblik`` sheet: key figures, the distribution of the index, the national picture."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from omstilling_analysis.plots.style import LEVEL_COLOURS
from omstilling_analysis.publish import INDEX, SIGNIFICANCE_LEVEL, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import Sheet, Workbook, chart_block
from omstilling_analysis.text import dk_number, level_names

__all__ = ["BIN_WIDTH", "index_bins", "overview_sheet"]


def overview_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Overblik")
    published = data.wave_published(wave)
    shown = published[~published[f"{INDEX}_skjult"]]
    left_out = data.table("udeladte.csv")
    left = 0 if left_out is None else len(wave_of(left_out, wave))
    profiles = data.cluster_profiles(wave)
    effects_found = None
    if data.effects is not None:
        rows = data.published.wave_effects(wave)
        p_adjusted = pd.to_numeric(rows["p_justeret"], errors="coerce")
        effects_found = int((p_adjusted < SIGNIFICANCE_LEVEL).sum())
    sheet.title(
        f"Selvevaluering af digital omstilling – bølge {wave}",
        f"Opsummering til KL's videncenter. Tal, der hviler på færre end {data.minimum} "
        f"respondenter, vises ikke, men som »{data.hidden}«.",
    )
    national = data.national(wave)
    key_figures = [
        ("Kommuner i alt", len(data.municipalities), "int"),
        ("Kommuner med besvarelser", len(published), "int"),
        ("Kommuner med offentliggjort modenhedsindeks", len(shown), "int"),
        (
            f"Kommuner med færre end {data.minimum} besvarelser (ingen score vist)",
            int(published["skjult"].sum()),
            "int",
        ),
        ("Kommuner uden besvarelser", len(data.municipalities) - len(published), "int"),
        ("Besvarelser talt", int(published["n_respondenter"].sum()), "int"),
        ("Rækker udeladt", left, "int"),
        (
            "Modenhedsindeks, landsgennemsnit (kommunerne vejer lige)",
            national["gennemsnit"].get(INDEX) if len(national) else None,
            "score",
        ),
        (
            "Modenhedsindeks, median",
            national["median"].get(INDEX) if len(national) else None,
            "score",
        ),
        ("Antal klynger", None if profiles is None else len(profiles), "int"),
        ("Fund i effektanalysen (justeret p < 0,05)", effects_found, "int"),
    ]
    start = sheet.row
    sheet.write(start, 0, "Nøgletal", "header", fit=False)
    sheet.write(start, 1, "Værdi", "header", fit=False)
    for i, (label, value, style) in enumerate(key_figures, start=1):
        sheet.write(start + i, 0, label)
        if value is None:
            sheet.write(start + i, 1, "ikke beregnet", "muted")
        else:
            sheet.write(start + i, 1, value, style)
    sheet.row = start + len(key_figures) + 2

    sheet.heading("Fordeling på modenhedsniveauer")
    counts = data.level_counts(wave)
    thresholds = [1.0, *data.settings.level_thresholds, 5.0]
    total = max(len(shown), 1)
    levels = pd.DataFrame(
        {
            "Modenhedsniveau": [f"{lvl} {level_names()[lvl]}" for lvl in counts],
            "Antal kommuner": list(counts.values()),
            "Andel af kommuner med indeks": [v / total for v in counts.values()],
            "Indeks fra": thresholds[:-1],
            "Indeks op til": thresholds[1:],
        }
    )
    styles = {
        "Antal kommuner": "int",
        "Andel af kommuner med indeks": "pct",
        "Indeks fra": "dec1",
        "Indeks op til": "dec1",
    }
    first, last = sheet.frame(levels, styles)
    extra_rows = [
        (f"Intet indeks vist ({data.hidden} eller tema uden score)", len(published) - len(shown)),
        ("Ingen besvarelser", len(data.municipalities) - len(published)),
    ]
    for i, (label, value) in enumerate(extra_rows):
        sheet.write(last + 1 + i, 0, label, "note", fit=False)
        sheet.write(last + 1 + i, 1, value, "int")
    sheet.row = last + len(extra_rows) + 2
    sheet.lines(
        [
            "Modenhedsindekset er gennemsnittet af kommunens seks temascorer (1-5). Niveauet "
            "følger af indekset: fra og med den nedre grænse op til (ikke med) den øvre; det "
            "højeste niveau går til og med 5.",
        ],
        "note",
        width=5,
    )

    _index_distribution_chart(book, sheet, data, wave, shown)
    # The same figures as in figurer/, drawn once for both.
    for row, stem, scale in ((20, f"danmarkskort_indeks_{wave}", 0.55),
                             (52, f"temafordeling_{wave}", 0.9)):  # fmt: skip
        png = data.figure(stem)
        if png is not None:
            sheet.ws.insert_image(
                row,
                6,
                f"{stem}.png",
                {"image_data": io.BytesIO(png), "x_scale": scale, "y_scale": scale,
                 "object_position": 3},
            )  # fmt: skip
    sheet.finish()
    sheet.ws.set_column(0, 0, 56)
    sheet.ws.set_column(1, 1, 14)
    sheet.ws.activate()


#: Width of a bar of the index distribution (index points).
BIN_WIDTH = 0.1


def index_bins(index: pd.Series, thresholds) -> pd.DataFrame:
    """The published indexes counted in bins of :data:`BIN_WIDTH`, each with its level.

    >>> index_bins(pd.Series([2.94, 3.0, 3.05, 3.31]), (1.8, 2.6, 3.4, 4.2))[["fra", "antal"]]
       fra  antal
    0  2.9      1
    1  3.0      2
    2  3.1      0
    3  3.2      0
    4  3.3      1
    """
    values = index.dropna().to_numpy(dtype=float)
    if not len(values):
        return pd.DataFrame(columns=["fra", "til", "antal", "niveau"])
    # Rounded to whole tenths first, so that 3.0 falls in [3.0, 3.1) despite floating point.
    first = np.floor(np.round(values.min() / BIN_WIDTH, 9)) * BIN_WIDTH
    last = np.floor(np.round(values.max() / BIN_WIDTH, 9)) * BIN_WIDTH
    starts = np.round(np.arange(first, last + BIN_WIDTH / 2, BIN_WIDTH), 1)
    which = np.floor(np.round(values / BIN_WIDTH, 9)).astype(int) - int(round(first / BIN_WIDTH))
    counts = np.bincount(which, minlength=len(starts))
    levels = 1 + np.searchsorted(np.asarray(thresholds, dtype=float), starts + 1e-9, side="right")
    return pd.DataFrame(
        {"fra": starts, "til": np.round(starts + BIN_WIDTH, 1), "antal": counts, "niveau": levels}
    )


def _index_distribution_chart(
    book: Workbook, sheet: Sheet, data: SummaryData, wave: int, shown: pd.DataFrame
) -> None:
    """A native column chart of the index distribution, the bars coloured by level band."""
    bins = index_bins(shown[INDEX], data.settings.level_thresholds)
    if bins.empty:
        return
    labels = [
        f"{dk_number(a, 1)}–{dk_number(b, 1)}"
        for a, b in zip(bins["fra"], bins["til"], strict=True)
    ]
    cats, refs = chart_block(
        sheet, sheet.row + 4, 0, labels, {"Antal kommuner": bins["antal"].astype(int).tolist()}
    )
    sheet.row += 6 + len(labels)
    chart = book.workbook.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Antal kommuner",
            "categories": cats,
            "values": refs["Antal kommuner"],
            "points": [{"fill": {"color": LEVEL_COLOURS[int(lvl) - 1]}} for lvl in bins["niveau"]],
            "gap": 10,
        }
    )
    names = level_names()
    bands = "; ".join(f"{lvl} {names[lvl]}" for lvl in sorted(set(bins["niveau"].astype(int))))
    chart.set_title({"name": f"Modenhedsindekset fordelt på kommunerne, bølge {wave}"})
    chart.set_x_axis(
        {"name": f"Modenhedsindeks (farve: niveau – {bands})", "num_font": {"rotation": -45}}
    )
    chart.set_y_axis({"name": "Antal kommuner", "num_format": "0", "min": 0})
    chart.set_legend({"none": True})
    sheet.ws.insert_chart(2, 6, chart, {"x_scale": 1.3, "y_scale": 1.1})
