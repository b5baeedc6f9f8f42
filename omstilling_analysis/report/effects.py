"""The ``Effekter`` sheet: the links between the themes and the implementation results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omstilling_analysis.publish import SIGNIFICANCE_LEVEL, is_pooled, wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
)

__all__ = ["CAUSATION_TEXT", "MODEL_TEXT", "effect_paragraphs", "effects_sheet"]

#: The models in words (the table's "Model" column says which of the two a row is).
MODEL_TEXT = (
    "Sådan er der regnet: for hver bølge og hvert resultatmål sammenlignes kommunerne med en "
    "regression af resultatet året efter på de seks temascorer (målt i standardafvigelser), hvor "
    "der er taget højde for kommunens størrelse (indbyggertal). For andele af piloter bruges en "
    "model for antal ud af antal (logistisk regression). Den samlede model lægger alle bølger "
    "sammen, med et eget niveau for hver bølge og usikkerheder, der tager højde for, at samme "
    "kommune indgår flere gange. Justeret p er korrigeret for, at der testes mange sammenhænge "
    "(Benjamini-Hochberg inden for bølgen og inden for den samlede model)."
)
#: Said once, not after every finding.
CAUSATION_TEXT = (
    "Sammenhængene er fundet i observationsdata: de viser, hvad der følger med hvad, ikke hvad "
    "der er årsag til hvad."
)


def _themes_named(found: pd.DataFrame, names: dict[str, str]) -> str:
    parts = [
        f"{names.get(r.tema, r.tema)} ({'positivt' if r.estimat > 0 else 'negativt'})"
        for r in found.sort_values("p_justeret").itertuples(index=False)
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]


def effect_paragraphs(rows: pd.DataFrame, wave: int, names: dict[str, str]) -> list[str]:
    """One short Danish paragraph per outcome: which themes go with it in ``wave`` and in the
    pooled model (adjusted *p* below the significance level)."""
    from omstilling_analysis.effects import OUTCOME_LABELS

    if rows.empty:
        return [f"Der er ingen modeller for bølge {wave}."]
    pooled = is_pooled(rows)
    p_adjusted = pd.to_numeric(rows["p_justeret"], errors="coerce")
    found_all = rows[p_adjusted < SIGNIFICANCE_LEVEL]
    paragraphs = []
    for outcome in dict.fromkeys(rows["udfald"]):
        label = OUTCOME_LABELS.get(outcome, outcome)
        mine = found_all[found_all["udfald"] == outcome]
        in_wave = mine[~pooled.loc[mine.index]]
        in_pooled = mine[pooled.loc[mine.index]]
        if in_wave.empty and in_pooled.empty:
            paragraphs.append(
                f"{label}: intet tema hænger sikkert sammen med resultatet, hverken i bølge "
                f"{wave} eller i den samlede model."
            )
            continue
        parts = []
        if len(in_wave):
            parts.append(f"i bølge {wave} hænger {_themes_named(in_wave, names)} sammen med det")
        else:
            parts.append(f"i bølge {wave} hænger intet tema sikkert sammen med det")
        if len(in_pooled):
            parts.append(f"i den samlede model over bølgerne {_themes_named(in_pooled, names)}")
        else:
            parts.append("i den samlede model intet tema")
        paragraphs.append(f"{label} året efter: " + "; ".join(parts) + ".")
    return paragraphs


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
    rows = data.published.wave_effects(wave)
    sheet.heading("Fundene i almindeligt dansk")
    sheet.lines(effect_paragraphs(rows, wave, data.theme_names), "wrap", width=10)
    sheet.lines([MODEL_TEXT, CAUSATION_TEXT], "note", width=10)
    sheet.row += 1
    from omstilling_analysis.effects import OUTCOME_LABELS

    sheet.heading("Tabel")
    if rows.empty:
        sheet.empty_note(f"Ingen modeller for bølge {wave}.")
    else:
        p_adjusted = pd.to_numeric(rows["p_justeret"], errors="coerce")
        frame = pd.DataFrame(
            {
                "Model": np.where(is_pooled(rows), "samlet over bølgerne", f"bølge {wave}"),
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
            }
        )
        bold = [i for i, v in enumerate(p_adjusted.to_numpy()) if v < SIGNIFICANCE_LEVEL]
        styles = dict.fromkeys(
            ["Estimat pr. SD", "95 %-KI fra", "95 %-KI til", "Procentpoint",
             "Procentpoint, KI fra", "Procentpoint, KI til", "R²", "R² krydsvalideret"],
            "dec2",
        ) | {"p": "p", "Justeret p": "p", "Kommuner (n)": "int", "Model": "text", "Fund": "center"}  # fmt: skip
        first, last = sheet.frame(frame, styles, bold_rows=bold)
        sheet.ws.autofilter(first - 1, 0, last, len(frame.columns) - 1)
        sheet.lines(
            [
                "Estimat: ændringen i udfaldet pr. standardafvigelse højere temascore (for andele i "
                "log-odds; Procentpoint er den gennemsnitlige marginale effekt). Fund (fed): "
                "justeret p < 0,05.",
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
