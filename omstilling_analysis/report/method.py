"""The ``Metode`` sheet: rules, settings, versions and input checksums."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
)
from omstilling_analysis.settings import SETTING_KEYS
from omstilling_analysis.text import (
    dk_list,
    dk_number,
)

__all__ = ["method_sheet"]

#: The settings file's Danish key and explanation of each setting (one home: settings.py).
SETTINGS_BY_ATTRIBUTE = {entry.attribute: entry for entry in SETTING_KEYS}


def _setting_value(value: Any) -> Any:
    if value is None:
        return "vælges ud fra data"
    if isinstance(value, Mapping):
        return "; ".join(
            f"{k} {dk_number(float(v), 2).rstrip('0').rstrip(',')}" for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return dk_list(value)
    if isinstance(value, float):
        return dk_number(value, 2).rstrip("0").rstrip(",")
    return value


def method_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Metode")
    s = data.settings
    thresholds = [1.0, *s.level_thresholds, 5.0]
    levels = "; ".join(
        f"{number} {name} [{dk_number(thresholds[i], 1)}; {dk_number(thresholds[i + 1], 1)}"
        + ("]" if number == 5 else ")")
        for i, (_, number, name) in enumerate(reference.LEVELS)
    )
    share = dk_number(s.min_share_answered * 100, 0)
    sheet.title(f"Metode – bølge {wave}", "Regler, indstillinger, versioner og inddata.")
    sheet.widths |= {0: 34, 1: 30}
    sheet.heading("Regler")
    sheet.lines(
        [
            "Svarskala: Helt uenig = 1, Overvejende uenig = 2, Hverken enig eller uenig = 3, "
            "Overvejende enig = 4, Helt enig = 5. »Ved ikke« og »Ikke relevant« er intet punkt på "
            "skalaen: svaret regnes som manglende og tælles.",
            "En rådatarække tælles med, eller udelades med én årsag: ikke besvaret (intet svar 1-5), "
            f"for ufuldstændig (svar på færre end {share} % af bølgens spørgsmål, rundet op), dublet "
            "(samme respondent-id; den seneste besvarelse tæller) eller ukendt kommune. Intet "
            "udelades i stilhed.",
            "Et problem i én celle (en kode uden etiket, en ukendt svartekst) gør cellen manglende "
            "og står under Datakvalitet; rækken tæller stadig.",
            "Respondentens temascore: gennemsnittet af respondentens svar 1-5 på temaets spørgsmål "
            "i bølgen, omvendte spørgsmål som 6 − svar; kun når mindst halvdelen af spørgsmålene "
            "(rundet op) er besvaret.",
            "Kommunens temascore: gennemsnittet af respondenternes temascorer. Modenhedsindeks: "
            "det (vægtede) gennemsnit af de seks temascorer; mangler, hvis et tema mangler.",
            f"Modenhedsniveauer: {levels}.",
            f"Små tal: intet offentliggjort tal hviler på færre end {s.min_respondents_published} "
            f"respondenter; sådan en celle viser »{data.hidden}«. Et tema vises kun, når mindst "
            f"{s.min_respondents_published} respondenter har en score på temaet, og indekset kun, "
            "når alle temaer vises. Lands- og regionstal, rang og klynger bygger kun på de "
            "offentliggjorte kommunetal, så et skjult tal ikke kan regnes baglæns.",
            "Rang: kommunens placering på modenhedsindekset blandt kommunerne med offentliggjort "
            "indeks (1 = højest); rangintervallet er 5.-95. percentil over bootstrap-gentrækninger "
            "af respondenterne inden for kommunen.",
            "Ændring: forskellen til kommunens forrige bølge, testet med Welchs t-test på "
            "respondenternes scorer (bølgerne er uafhængige stikprøver; frihedsgrader efter "
            "Satterthwaite), indekset med dets standardfejl efter delta-metoden. Har et tema fået "
            "andre spørgsmål mellem de to bølger, vises ændringen på de spørgsmål, begge bølger "
            "stillede, så en ændring aldrig kun er et skift af spørgsmål. Sikker ændring: p < "
            "0,05 for den viste ændring. Er den ene bølges tal skjult, står der hvilken.",
            "Klynger: kommunerne grupperes på deres standardiserede temascorer med en gaussisk "
            "blandingsmodel. Der vælges kun typer (2 eller flere klynger), når blandingsmodellen "
            "beskriver data klart bedre end én samlet fordeling (BIC mindst 10 lavere); ellers er "
            "svaret »Ingen tydelige typer«, og alle kommuner er i én gruppe. Stabiliteten er "
            "Jaccard-ligheden over bootstrap-gentrækninger som i R's fpc::clusterboot (under 0,6: "
            "ikke til at stole på; 0,75: gyldig; 0,85: meget stabil). Se arket Klynger.",
            "Effekter: regression af næste års implementeringsresultater på de seks temascorer "
            "(pr. standardafvigelse), kontrolleret for kommunens størrelse; sammenhænge, ikke "
            "påviste årsager. Korrektionen for mange test (Benjamini-Hochberg) sker inden for hver "
            "bølge og for sig inden for den samlede model: en ny bølge ændrer ikke de tidligere "
            "bølgers fund.",
        ],
        "wrap",
        width=4,
    )
    sheet.row += 1
    sentence = data.published.robustness_sentences.get(int(wave))
    if sentence:
        sheet.heading("Hvor robust er rangeringen?")
        sheet.lines(
            [
                sentence,
                "Det samlede ranginterval (arket Kommuner) er 5.-95. percentil af kommunens rang "
                f"over {s.robustness_draws} samtidige træk af: respondenterne (trukket om inden "
                "for kommunen), temavægtene (Dirichlet omkring indstillingernes vægte, "
                f"koncentration {dk_number(s.robustness_concentration, 0)}), aritmetisk eller "
                "geometrisk gennemsnit af temaerne, og halvdelsreglen ved 1/2 eller 2/3 af "
                "spørgsmålene (OECD/JRC 2008). Følsomheden er Sobol-indeks (indeksfoelsomhed.csv).",
                f"Regel: spænder det samlede interval over mere end {s.robustness_interval_width} "
                "pladser, vises rangen som interval og ikke som plads.",
            ],
            "wrap",
            width=4,
        )
        png = data.figure(f"rangintervaller_{wave}")
        if png is not None:
            sheet.ws.insert_image(
                sheet.row, 0, f"rangintervaller_{wave}.png",
                {"image_data": io.BytesIO(png), "x_scale": 0.6, "y_scale": 0.6},
            )  # fmt: skip
            sheet.row += 34
    sheet.heading("Indstillinger")
    values = data.manifest.get("indstillinger") or s.to_dict()
    rows = []
    for key, value in values.items():
        entry = SETTINGS_BY_ATTRIBUTE.get(key)
        danish, text = (entry.key, entry.explanation) if entry else (key, "")
        rows.append({"Indstilling": danish, "Værdi": _setting_value(value), "Betydning": text})
    sheet.frame(pd.DataFrame(rows))

    inputs = data.manifest.get("input") or []
    sheet.heading("Inddata (alle filer i kørslen)")
    if inputs:
        frame = pd.DataFrame(
            {
                "Kildefil": [e.get("kilde") for e in inputs],
                "Form": [e.get("form") for e in inputs],
                "Dialekt": [e.get("dialekt") for e in inputs],
                "Bølge": [e.get("boelge") for e in inputs],
                "Rækker ind": [e.get("raekker_ind") for e in inputs],
                "SHA-256": [e.get("sha256") for e in inputs],
            }
        )
        sheet.frame(frame, {"Bølge": "year", "Rækker ind": "int"})
    else:
        sheet.empty_note("Manifestet med inddata mangler.")

    sheet.heading("Kørsel")
    rows_info = data.manifest.get("raekker") or {}
    run = [
        ("Rækker ind (alle bølger)", rows_info.get("ind")),
        ("Talt med (alle bølger)", rows_info.get("talt")),
        ("Udeladt (alle bølger)", rows_info.get("udeladt")),
        ("Alle rækker gjort rede for", rows_info.get("alle_raekker_gjort_rede_for")),
    ]
    sheet.frame(
        pd.DataFrame({"Oplysning": [r[0] for r in run], "Værdi": [r[1] for r in run]}),
        {"Værdi": "int"},
    )
    notes = data.manifest.get("bemaerkninger") or []
    if notes:
        sheet.heading("Bemærkninger fra kørslen")
        sheet.lines([str(note) for note in notes], "text", width=4)
        sheet.row += 1
    versions = data.manifest.get("versioner") or {}
    sheet.heading("Versioner")
    if versions:
        sheet.frame(
            pd.DataFrame(
                {"Program": list(versions), "Version": [str(v) for v in versions.values()]}
            )
        )
    else:
        sheet.empty_note("Manifestet med versioner mangler.")
    sheet.finish()
    sheet.ws.set_column(0, 0, 34)
    sheet.ws.set_column(1, 1, 36)
