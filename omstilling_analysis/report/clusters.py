"""The ``Klynger`` sheet: the types of municipality, their profiles and the choice of k."""

from __future__ import annotations

from typing import Any

import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.plots.style import PALETTE
from omstilling_analysis.publish import INDEX, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
    chart_block,
    theme_chart_axes,
    truthy,
)
from omstilling_analysis.text import (
    short_theme_names,
)

__all__ = ["clusters_sheet"]


def clusters_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Klynger")
    themes = reference.theme_codes()
    sheet.title(
        f"Klynger af kommuner – bølge {wave}",
        f"Kommunerne er grupperet efter deres seks temascorer. Kun kommuner med mindst "
        f"{data.minimum} besvarelser og alle seks temascorer indgår.",
    )
    profiles = data.cluster_profiles(wave)
    if profiles is None:
        sheet.empty_note(
            "Der er ingen klyngeanalyse for denne bølge (for få kommuner med mindst "
            f"{data.minimum} besvarelser, eller analysen er ikke kørt)."
        )
        sheet.finish()
        return
    chosen = data.chosen
    if chosen is not None and "boelge" in chosen:
        c = wave_of(chosen, wave)
        if len(c):
            from omstilling_analysis.clusters import METHOD_NAMES

            c = c.iloc[0]
            method = METHOD_NAMES.get(str(c.get("metode")), str(c.get("metode")))
            if bool(c.get("ingen_typer", False)):
                sheet.lines(
                    [
                        "Ingen tydelige typer i denne bølge: kommunernes profiler ligger på én "
                        "sammenhængende fordeling uden adskilte grupper, så alle kommuner er i én "
                        "gruppe. Rækken nedenfor er gennemsnittet for alle kommunerne, ikke en "
                        "type. At dele kommunerne i vilkårlige grupper ville vise forskelle, som "
                        "data ikke bærer.",
                        str(c.get("begrundelse", "")),
                    ],
                    "text",
                    width=10,
                )
            else:
                sheet.lines(
                    [f"Metode: {method}, {int(c['k'])} klynger. {c.get('begrundelse', '')}"],
                    "text",
                    width=10,
                )
    members = data.clusters(wave)
    names = data.municipalities.set_index("kommunekode")["kommune"]
    rows = []
    for p in profiles.itertuples(index=False):
        row: dict[str, Any] = {
            "Klynge": int(p.klynge),
            "Navn": p.klyngenavn,
            "Antal kommuner": p.antal_kommuner,
        }
        for theme in themes:
            value = getattr(p, theme)
            row[data.theme_names[theme]] = data.hidden if pd.isna(value) else value
        index = getattr(p, INDEX, None)
        row["Modenhedsindeks"] = data.hidden if pd.isna(index) else index
        row["Stabilitet (Jaccard)"] = getattr(p, "jaccard", None)
        stable = getattr(p, "stabil", None)
        row["Stabil"] = (
            None if stable is None or pd.isna(stable) else ("ja" if truthy(stable) else "nej")
        )
        if members is not None:
            codes = members.loc[members["klynge"] == p.klynge, "kommunekode"].astype("int64")
            row["Kommuner"] = ", ".join(sorted(names.reindex(codes).dropna()))
        rows.append(row)
    frame = pd.DataFrame(rows)
    styles = dict.fromkeys([data.theme_names[t] for t in themes], "score")
    styles |= {"Klynge": "int", "Antal kommuner": "int", "Modenhedsindeks": "score"}
    styles |= {"Stabilitet (Jaccard)": "score", "Stabil": "center", "Kommuner": "wrap"}
    first, last = sheet.frame(frame, styles)
    sheet.lines(
        [
            "Stabilitet: gennemsnitlig Jaccard-lighed over bootstrap-gentrækninger (Hennig 2007); "
            "under 0,6 er klyngen ikke til at stole på.",
        ],
        "note",
        width=10,
    )

    chart_row = sheet.row + 1
    labels = short_theme_names()
    series = {
        f"{int(p.klynge)}: {p.klyngenavn}": [getattr(p, t) for t in themes]
        for p in profiles.itertuples(index=False)
    }
    cats, refs = chart_block(sheet, chart_row + 22, 0, [labels[t] for t in themes], series)
    chart = book.workbook.add_chart({"type": "line", "subtype": "standard"})
    for i, (name, ref) in enumerate(refs.items()):
        colour = PALETTE[i % len(PALETTE)]
        chart.add_series(
            {
                "name": name,
                "categories": cats,
                "values": ref,
                "line": {"color": colour, "width": 2.25},
                "marker": {
                    "type": "circle",
                    "size": 6,
                    "fill": {"color": colour},
                    "border": {"color": colour},
                },
            }
        )
    chart.set_title({"name": f"Klyngernes profiler, bølge {wave}"})
    theme_chart_axes(chart, "Gennemsnitlig temascore (1-5)")
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    sheet.ws.insert_chart(chart_row, 0, chart, {"x_scale": 1.6, "y_scale": 1.4})
    sheet.row = chart_row + 22 + len(themes) + 4

    selection = data.table("klyngevalg.csv")
    if selection is not None and not wave_of(selection, wave).empty:
        sheet.heading("Valg af antal klynger (alle metoder og antal)")
        from omstilling_analysis.clusters import METHOD_NAMES

        s = wave_of(selection, wave)
        frame = pd.DataFrame(
            {
                "Metode": [METHOD_NAMES.get(str(m), str(m)) for m in s["metode"]],
                "Antal klynger": s["k"].to_numpy(),
                "Silhuet (højere er bedre)": s.get("silhuet"),
                "Gap": s.get("gap"),
                "Gap, standardfejl": s.get("gap_se"),
                "BIC (lavere er bedre)": s.get("bic"),
            }
        )
        sheet.frame(
            frame,
            {"Antal klynger": "int", "Silhuet (højere er bedre)": "score", "Gap": "score",
             "Gap, standardfejl": "score", "BIC (lavere er bedre)": "dec1"},
        )  # fmt: skip
    sheet.finish()
    sheet.ws.set_column(0, 0, 24)
