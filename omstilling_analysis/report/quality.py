"""The ``Datakvalitet`` sheet: rows in, counted, left out by reason, cell problems."""

from __future__ import annotations

import pandas as pd

from omstilling_analysis.publish import wave_of
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
)

__all__ = ["quality_sheet"]


def quality_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    from omstilling_analysis.clean import REASONS

    sheet = book.sheet("Datakvalitet")
    sheet.title(
        f"Datakvalitet – bølge {wave}",
        "Hver rådatarække ender ét sted: talt med, eller udeladt med én årsag.",
    )
    counts = data.source_counts
    sources = sorted(k for k, w in counts.waves.items() if w == wave)
    manifest_inputs = {str(e.get("kilde")): e for e in data.manifest.get("input", [])}
    left_out = data.table("udeladte.csv")
    quality = data.table("datakvalitet.csv")
    rows = []
    for source in sources:
        entry = manifest_inputs.get(source, {})
        counted = counts.counted.get(source, 0)
        left = counts.left_out.get(source, 0)
        reasons = counts.reasons.get(source, pd.Series(dtype="int64"))
        rows_in = entry.get("raekker_ind", counted + left)
        cells = counts.cells.get(source, 0)
        row = {
            "Kildefil": source,
            "Form": entry.get("form"),
            "Rækker ind": rows_in,
            "Talt med": counted,
            "Udeladt i alt": left,
        }
        row |= {f"Udeladt: {r}": int(reasons.get(r, 0)) for r in REASONS}
        row |= {
            "Celleproblemer": cells,
            "Alle rækker gjort rede for": "ja" if rows_in == counted + left else "NEJ",
        }
        rows.append(row)
    sheet.heading("Rækker pr. kildefil")
    if rows:
        frame = pd.DataFrame(rows)
        total = {"Kildefil": "I alt"} | {
            c: frame[c].sum()
            for c in frame.columns
            if c not in ("Kildefil", "Form", "Alle rækker gjort rede for")
        }
        total["Alle rækker gjort rede for"] = (
            "ja" if (frame["Alle rækker gjort rede for"] == "ja").all() else "NEJ"
        )
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        styles = dict.fromkeys(frame.columns[2:-1], "int")
        sheet.frame(frame, styles, bold_rows=[len(frame) - 1])
    else:
        sheet.empty_note("Ingen kildefiler for denne bølge.")

    sheet.heading("Udeladte rækker efter årsag")
    reasons = (
        pd.Series(dtype=object) if left_out is None else wave_of(left_out, wave)["aarsag"]
    ).value_counts()
    frame = pd.DataFrame(
        {"Årsag": list(REASONS), "Antal rækker": [int(reasons.get(r, 0)) for r in REASONS]}
    )
    other = [r for r in reasons.index if r not in REASONS]
    if other:
        frame = pd.concat(
            [
                frame,
                pd.DataFrame({"Årsag": other, "Antal rækker": [int(reasons[r]) for r in other]}),
            ],
            ignore_index=True,
        )
    sheet.frame(frame, {"Antal rækker": "int"})

    ignored = data.manifest.get("ignoreret") or []
    if ignored:
        sheet.heading("Filer i rådatamappen, der ikke blev brugt")
        sheet.frame(
            pd.DataFrame(
                {
                    "Fil": [i.get("kilde") for i in ignored],
                    "Årsag": [i.get("aarsag") for i in ignored],
                }
            )
        )

    sheet.heading("Celleproblemer (cellen er sat til manglende; rækken tæller stadig)")
    if quality is None:
        sheet.empty_note("Ingen celleproblemer.")
    else:
        survey_sources = set(counts.waves)
        mine = quality[quality["kilde"].isin(sources) | ~quality["kilde"].isin(survey_sources)]
        if mine.empty:
            sheet.empty_note("Ingen celleproblemer i denne bølges kildefiler.")
        else:
            grouped = mine.assign(vaerdi=mine["vaerdi"].astype(object).fillna("")).groupby(
                ["kilde", "variabel", "vaerdi", "problem"], sort=True, dropna=False
            )["kilde_raekke"]
            summary = grouped.agg(
                Antal="size",
                Rækker=lambda r: (
                    ", ".join(str(int(x)) for x in sorted(r)[:10]) + (" …" if len(r) > 10 else "")
                ),
            ).reset_index()
            summary = summary.sort_values(["kilde", "Antal"], ascending=[True, False])
            limit = 1000
            frame = pd.DataFrame(
                {
                    "Kildefil": summary["kilde"],
                    "Variabel": summary["variabel"],
                    "Værdi": summary["vaerdi"],
                    "Problem": summary["problem"],
                    "Antal celler": summary["Antal"],
                    "Rækker (de første 10)": summary["Rækker"],
                }
            ).head(limit)
            sheet.frame(frame, {"Antal celler": "int"})
            if len(summary) > limit:
                sheet.empty_note(
                    f"Kun de første {limit} af {len(summary)} kombinationer er vist; se "
                    "datakvalitet.csv for dem alle."
                )
    sheet.finish()
    sheet.ws.set_column(0, 0, max(sheet.widths.get(0, 10), 24))
