"""The ``Kommuner`` sheet: all 98 municipalities with their published scores, ranks and change."""

from __future__ import annotations

from omstilling_analysis import reference
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
    colour_scale,
)

__all__ = ["municipalities_sheet"]


def municipalities_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Kommuner")
    table = data.municipality_table(wave)
    theme_headers = [data.theme_names[t] for t in reference.theme_codes()]
    styles = {"Kommunekode": "code", "Respondenter": "int", "Modenhedsindeks": "score"}
    styles |= dict.fromkeys(theme_headers, "score")
    styles |= {"Rang": "code", "Ranginterval (90 %)": "center", "Forrige bølge": "code"}
    styles |= {"Samlet ranginterval (90 %)": "center"}
    styles |= {"Ændring i indeks": "change", "Sikker ændring": "center"}
    styles |= {"Modenhedsniveau": "indent", "Klynge": "indent"}
    top = sheet.top  # 1 when the first row carries the demo mark
    first, last = sheet.frame(table, styles, row=top)
    columns = list(table.columns)
    scale = colour_scale(1, 3, 5)
    for header in [*theme_headers, "Modenhedsindeks"]:
        j = columns.index(header)
        sheet.ws.conditional_format(first, j, last, j, scale)
    j = columns.index("Ændring i indeks")
    sheet.ws.conditional_format(first, j, last, j, colour_scale(-0.5, 0, 0.5))
    sheet.ws.freeze_panes(top + 1, 2)
    sheet.ws.autofilter(top, 0, last, len(columns) - 1)
    n_ranked = len(data.ranks(wave))
    sheet.ws.write_comment(
        top,
        columns.index("Rang"),
        f"Rang blandt de {n_ranked} kommuner med offentliggjort modenhedsindeks (1 = højest). "
        "Rangintervallet er 5.-95. percentil over bootstrap-gentrækninger af respondenterne; det "
        "samlede interval lægger usikkerheden om, hvordan indekset er bygget (temavægte, "
        "aggregering, halvdelsreglen), oveni. Spænder det samlede interval over mere end "
        f"{data.settings.robustness_interval_width} pladser, vises rangen som interval og ikke "
        "som plads.",
    )
    sheet.finish(header_rows=top)
