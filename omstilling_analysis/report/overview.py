"""The ``Overblik`` sheet: key figures, the distribution of the index, the national picture."""

from __future__ import annotations

import io

import pandas as pd

from omstilling_analysis.plots.style import LEVEL_COLOURS
from omstilling_analysis.publish import INDEX, SIGNIFICANCE_LEVEL, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
)
from omstilling_analysis.text import (
    level_names,
)

__all__ = ["overview_sheet"]


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

    chart = book.workbook.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Antal kommuner",
            "categories": ["Overblik", first, 0, last, 0],
            "values": ["Overblik", first, 1, last, 1],
            "points": [{"fill": {"color": c}} for c in LEVEL_COLOURS],
            "data_labels": {"value": True},
            "gap": 60,
        }
    )
    chart.set_title({"name": f"Modenhedsniveauer, bølge {wave}"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": "Antal kommuner", "num_format": "0", "min": 0})
    sheet.ws.insert_chart(2, 6, chart, {"x_scale": 1.2, "y_scale": 1.1})
    # The same figure as figurer/temafordeling_<bølge>.png, drawn once for both.
    png = data.figure(f"temafordeling_{wave}")
    if png is not None:
        sheet.ws.insert_image(
            20,
            6,
            f"temafordeling_{wave}.png",
            {"image_data": io.BytesIO(png), "x_scale": 0.9, "y_scale": 0.9, "object_position": 3},
        )
    sheet.finish()
    sheet.ws.set_column(0, 0, 56)
    sheet.ws.set_column(1, 1, 14)
    sheet.ws.activate()
