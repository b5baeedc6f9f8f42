"""The ``Temaer`` sheet: national, regional and role figures per theme, reliability, items."""

from __future__ import annotations

from typing import Any

import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.publish import INDEX, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
    truthy,
)

__all__ = ["themes_sheet"]


def themes_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Temaer")
    themes = reference.theme_codes()
    names = data.theme_names | {INDEX: "Modenhedsindeks"}
    sheet.title(
        f"Temaer – bølge {wave}",
        "Landsplan og regioner: kommunernes offentliggjorte scorer, hver kommune vejer lige.",
    )
    sheet.heading("Landsplan")
    national = data.national(wave)
    if national.empty:
        sheet.empty_note("Ingen kommuner har offentliggjorte scorer i denne bølge.")
    else:
        rows = []
        for measure in [*themes, INDEX]:
            if measure not in national.index:
                rows.append({"Tema": names[measure], "Kommuner": data.hidden})
                continue
            b = national.loc[measure]
            rows.append(
                {
                    "Tema": names[measure],
                    "Kommuner": b["n_kommuner"],
                    "Respondenter": b["n_respondenter"],
                    "Gennemsnit": b["gennemsnit"],
                    "Spredning (SD)": b["sd"],
                    "Laveste": b["minimum"],
                    "1. kvartil": b["kvartil_1"],
                    "Median": b["median"],
                    "3. kvartil": b["kvartil_3"],
                    "Højeste": b["maksimum"],
                }
            )
        frame = pd.DataFrame(rows).reindex(
            columns=["Tema", "Kommuner", "Respondenter", "Gennemsnit", "Spredning (SD)",
                     "Laveste", "1. kvartil", "Median", "3. kvartil", "Højeste"]
        )  # fmt: skip
        styles = dict.fromkeys(frame.columns[3:], "score") | {
            "Kommuner": "int",
            "Respondenter": "int",
        }
        sheet.frame(frame, styles)

    sheet.heading("Regioner (gennemsnit af kommunernes scorer)")
    regional = data.regional(wave)
    regions = sorted(data.municipalities["region"].unique())
    rows = []
    for region in regions:
        part = regional[regional["omraade"] == region].set_index("maal")
        row: dict[str, Any] = {"Region": region}
        row["Kommuner med indeks"] = int(part["n_kommuner"].get(INDEX, 0)) if len(part) else 0
        for measure in [*themes, INDEX]:
            if measure in part.index and part.loc[measure, "n_respondenter"] >= data.minimum:
                row[names[measure]] = part.loc[measure, "gennemsnit"]
            else:
                row[names[measure]] = data.hidden
        rows.append(row)
    frame = pd.DataFrame(rows)
    sheet.frame(frame, dict.fromkeys(frame.columns[2:], "score") | {"Kommuner med indeks": "int"})

    sheet.heading("Roller (gennemsnit af respondenternes scorer)")
    roles = _role_table(data, wave)
    if roles is None:
        sheet.empty_note("Roller kan ikke opgøres: besvarelser eller respondentscorer mangler.")
    else:
        sheet.frame(roles, dict.fromkeys(roles.columns[2:], "score") | {"Respondenter": "int"})

    sheet.heading("Pålidelighed (intern konsistens af temaernes spørgsmål)")
    reliability = data.published.reliability
    if reliability is None or wave_of(reliability, wave).empty:
        sheet.empty_note("Der er ingen pålidelighedsanalyse for denne bølge.")
    else:
        rel = wave_of(reliability, wave).set_index("tema")
        rows = []
        for theme in themes:
            if theme not in rel.index:
                continue
            r = rel.loc[theme]
            few = pd.isna(r.get("n")) or r["n"] < data.minimum

            def cell(value: Any, few: bool = few) -> Any:
                return data.hidden if few else value

            rows.append(
                {
                    "Tema": names[theme],
                    "Spørgsmål": r.get("k"),
                    "Respondenter": r.get("n"),
                    "Cronbachs alfa": cell(r.get("alpha")),
                    "Alfa, 95 %-KI fra": cell(r.get("alpha_ci_lav")),
                    "Alfa, 95 %-KI til": cell(r.get("alpha_ci_hoej")),
                    "McDonalds omega": cell(r.get("omega")),
                    "Gns. korrelation mellem spørgsmål": cell(r.get("gns_inter_item_r")),
                }
            )
        frame = pd.DataFrame(rows)
        sheet.frame(
            frame,
            dict.fromkeys(frame.columns[3:], "score") | {"Spørgsmål": "int", "Respondenter": "int"},
        )
        sheet.lines(
            [
                "Alfa og omega over 0,7 regnes normalt for tilstrækkeligt til at sammenligne grupper."
            ],
            "note",
            width=8,
        )

    items = _item_table(data, wave)
    if items is not None:
        sheet.heading("Spørgsmål (omvendte spørgsmål er vendt, så højere altid er bedre)")
        styles = {
            "Svar": "int",
            "Gennemsnit": "score",
            "Spredning (SD)": "score",
            "Andel uden svar": "pct",
            "Korrelation med temaets øvrige spørgsmål": "score",
            "Alfa uden spørgsmålet": "score",
            "Omvendt": "center",
            "Tekst": "indent",
        }
        sheet.frame(items, styles)
    sheet.finish()
    sheet.ws.set_column(0, 0, 34)


def _role_table(data: SummaryData, wave: int) -> pd.DataFrame | None:
    """Mean theme score per role from the published role breakdown (hidden below the minimum)."""
    roles = data.published.roles
    if roles is None or wave_of(roles, wave).empty:
        return None
    rows = []
    for r in wave_of(roles, wave).to_dict("records"):
        row: dict[str, Any] = {
            "Rolle": str(r["rolle"]),
            "Respondenter": data.hidden if pd.isna(r["n"]) else int(r["n"]),
        }
        for theme in reference.theme_codes():
            value = r[theme]
            row[data.theme_names[theme]] = data.hidden if pd.isna(value) else float(value)
        rows.append(row)
    return pd.DataFrame(rows)


def _item_table(data: SummaryData, wave: int) -> pd.DataFrame | None:
    items = data.published.items
    if items is None or wave_of(items, wave).empty:
        return None
    book = reference.codebook().set_index("item")
    rows = []
    for r in wave_of(items, wave).itertuples(index=False):
        few = pd.isna(r.n) or r.n < data.minimum

        def cell(value: Any, few: bool = few) -> Any:
            return data.hidden if few else value

        rows.append(
            {
                "Spørgsmål": r.item,
                "Tema": data.theme_names.get(r.tema, r.tema),
                "Omvendt": "ja" if truthy(r.omvendt) else "nej",
                "Svar": r.n,
                "Gennemsnit": cell(r.gns),
                "Spredning (SD)": cell(r.sd),
                "Andel uden svar": getattr(r, "andel_mangler", None),
                "Korrelation med temaets øvrige spørgsmål": cell(getattr(r, "item_rest_r", None)),
                "Alfa uden spørgsmålet": cell(getattr(r, "alpha_uden_item", None)),
                "Tekst": book["tekst"].get(r.item, ""),
            }
        )
    return pd.DataFrame(rows)
