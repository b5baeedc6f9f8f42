"""The ``Effekter`` sheet: the links between the themes and the implementation results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omstilling_analysis.publish import SIGNIFICANCE_LEVEL, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
)

__all__ = ["effects_sheet"]


def effects_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Effekter")
    sheet.title(
        f"Sammenhænge mellem temaer og resultater – bølge {wave}",
        "Hænger en højere score på et tema sammen med bedre implementering året efter?",
    )
    table = data.effects
    if table is None:
        sheet.empty_note(
            "Der er ingen effektanalyse i denne kørsel: rådatamappen indeholdt ingen "
            "udfaldsfiler (implementering_<år>.xlsx eller .csv), eller ingen kommuner kunne kobles."
        )
        sheet.finish()
        return
    sheet.widths |= {0: 10, 1: 30, 2: 30}
    sheet.heading("Fundene i almindeligt dansk")
    sheet.lines(data.effect_sentences, "wrap", width=10)
    sheet.row += 1
    rows = data.published.wave_effects(wave)
    from omstilling_analysis.effects import OUTCOME_LABELS

    sheet.heading("Tabel")
    if rows.empty:
        sheet.empty_note(f"Ingen modeller for bølge {wave}.")
    else:
        p_adjusted = pd.to_numeric(rows["p_justeret"], errors="coerce")
        frame = pd.DataFrame(
            {
                "Bølge": rows["boelge"].astype(object).where(rows["boelge"].notna(), "alle bølger"),
                "Udfald": rows["udfald"].map(lambda u: OUTCOME_LABELS.get(u, u)),
                "Tema": rows["tema"].map(lambda t: data.theme_names.get(t, t)),
                "Estimat pr. SD": rows["estimat"],
                "95 %-KI fra": rows["ci_lav"],
                "95 %-KI til": rows["ci_hoej"],
                "Procentpoint": rows.get("estimat_pp"),
                "Procentpoint, KI fra": rows.get("ci_lav_pp"),
                "Procentpoint, KI til": rows.get("ci_hoej_pp"),
                "p": rows["p"],
                "Justeret p": rows["p_justeret"],
                "Fund": np.where(p_adjusted < SIGNIFICANCE_LEVEL, "ja", "nej"),
                "Kommuner (n)": rows["n"],
                "R²": rows.get("r2"),
                "R² krydsvalideret": rows.get("r2_cv"),
                "Model": rows.get("model"),
            }
        )
        bold = [i for i, v in enumerate(p_adjusted.to_numpy()) if v < SIGNIFICANCE_LEVEL]
        styles = dict.fromkeys(
            ["Estimat pr. SD", "95 %-KI fra", "95 %-KI til", "Procentpoint",
             "Procentpoint, KI fra", "Procentpoint, KI til", "R²", "R² krydsvalideret"],
            "dec2",
        ) | {"p": "p", "Justeret p": "p", "Kommuner (n)": "int", "Bølge": "center", "Fund": "center"}  # fmt: skip
        first, last = sheet.frame(frame, styles, bold_rows=bold)
        sheet.ws.autofilter(first - 1, 0, last, len(frame.columns) - 1)
        sheet.lines(
            [
                "Estimat: ændringen i udfaldet pr. standardafvigelse højere temascore (for andele i "
                "log-odds; Procentpoint er den gennemsnitlige marginale effekt). Justeret p er "
                "Benjamini-Hochberg-korrigeret over alle test. Fund (fed): justeret p < 0,05. "
                "Sammenhænge, ikke påviste årsager.",
            ],
            "note",
            width=10,
        )
    missing = data.published.effects_missing
    if missing is not None:
        part = wave_of(missing, wave)
        if len(part):
            sheet.heading("Kommune-bølger uden for modellerne")
            counts = (
                part.groupby(["udfald", "aarsag"], dropna=False).size().reset_index(name="Antal")
            )
            frame = pd.DataFrame(
                {
                    "Udfald": counts["udfald"].map(
                        lambda u: "alle udfald" if u == "alle" else OUTCOME_LABELS.get(u, u)
                    ),
                    "Årsag": counts["aarsag"],
                    "Antal": counts["Antal"],
                }
            )
            sheet.frame(frame, {"Antal": "int"})
    sheet.finish()
