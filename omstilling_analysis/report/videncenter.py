"""``OUT/til_videncenter/``: everything that may leave KL, and nothing else.

The Excel summary per wave, the figures, and the published tables as CSV for a Danish Excel
(:func:`write_danish_csv`). No respondent-level table, no Parquet,
no local path: every file here is made from the publish stage's tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.publish import INDEX, PublishedTables, publish
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.summary import write_summary
from omstilling_analysis.text import theme_names

__all__ = [
    "FOLDER", "README_TEXT", "summary_data", "videncenter_tables", "write_danish_csv",
    "write_videncenter",
]  # fmt: skip

#: The published folder inside ``OUT``.
FOLDER = "til_videncenter"

README_TEXT = """Til KL's videncenter
====================

Denne mappe indeholder alt fra kørslen, der må deles uden for KL, og intet andet:

- opsummering_<bølge>.xlsx: opsummeringen pr. bølge (Excel).
- figurer/: figurerne som PNG.
- *.csv: de offentliggjorte tabeller (semikolon, decimalkomma, UTF-8), som Excel åbner direkte.

Intet tal hviler på færre end {minimum} besvarelser: sådan en værdi er tom i tabellerne og vises
som »færre end {minimum} besvarelser« i regnearkene. Landstal, regionstal, rang og udvikling er
beregnet af de offentliggjorte kommunetal alene.

Send hele denne mappe, og kun den. Resten af resultatmappen er analytikerens interne tabeller
(pseudonymiserede data på respondentniveau) og forlader ikke KL.
"""


def summary_data(
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, Any] | None = None,
    settings=None,
    *,
    published: PublishedTables | None = None,
    clusters: Any = None,
    effects: Any = None,
) -> SummaryData:
    """What the workbooks and figures of a run show: its tables published (unless given) with
    every figure of :data:`omstilling_analysis.plots.FIGURES` ready to draw."""
    from omstilling_analysis.plots import FigureInputs, figures_with_keys

    published = published if published is not None else publish(tables, settings)
    figures, figure_keys = figures_with_keys(FigureInputs(published, clusters, effects))
    return SummaryData(
        published,
        tables,
        manifest,
        cluster_choice=getattr(clusters, "chosen", None),
        effect_sentences=list(getattr(effects, "sentences", None) or []),
        figures=figures,
        figure_keys=figure_keys,
    )


def write_videncenter(out_dir: str | Path, data: SummaryData) -> list[Path]:
    """Write ``til_videncenter/`` into ``out_dir``; return the files written."""
    folder = Path(out_dir) / FOLDER
    figures = folder / "figurer"
    figures.mkdir(parents=True, exist_ok=True)
    # The tables first: the figures may still be drawing (SummaryData.draw_ahead).
    tables = [
        write_danish_csv(table, folder / name)
        for name, table in videncenter_tables(data.published).items()
    ]
    readme = folder / "LÆSMIG.txt"
    readme.write_text(README_TEXT.format(minimum=data.minimum), encoding="utf-8")
    # The workbooks before figurer/: they need only a few figures, the rest may still be drawing.
    summaries = [
        write_summary(folder / f"opsummering_{wave}.xlsx", data, wave) for wave in data.waves
    ]
    written = []
    for stem in data.figures:
        png = data.figure(stem)
        if png is not None:
            target = figures / f"{stem}.png"
            target.write_bytes(png)
            written.append(target)
    return [*written, *summaries, *tables, readme]


def _danish_headers() -> dict[str, str]:
    names = theme_names()
    headers = {
        "boelge": "Bølge",
        "kommunekode": "Kommunekode",
        "kommune": "Kommune",
        "region": "Region",
        "n_respondenter": "Respondenter",
        INDEX: "Modenhedsindeks",
        "modenhedsniveau": "Modenhedsniveau",
        "modenhedsniveau_navn": "Modenhedsniveau (navn)",
        "niveau": "Niveau",
        "omraade": "Område",
        "maal": "Mål",
        "n_kommuner": "Kommuner",
        "gennemsnit": "Gennemsnit",
        "sd": "Spredning (SD)",
        "minimum": "Laveste",
        "kvartil_1": "1. kvartil",
        "median": "Median",
        "kvartil_3": "3. kvartil",
        "maksimum": "Højeste",
        "rang": "Rang",
        "rang_p05": "Rang, 5 %-percentil",
        "rang_p95": "Rang, 95 %-percentil",
        "forrige_boelge": "Forrige bølge",
        "vaerdi": "Værdi",
        "forrige_vaerdi": "Forrige værdi",
        "aendring": "Ændring",
        "ci_lav": "95 %-KI fra",
        "ci_hoej": "95 %-KI til",
        "p": "p",
        "vist": "Ændring på",
        "sikker_aendring": "Sikker ændring",
        "skjult_grund": "Ikke vist fordi",
        "klynge": "Klynge",
        "klyngenavn": "Klyngenavn",
        "antal_kommuner": "Kommuner i klyngen",
        "udfald": "Udfald",
        "tema": "Tema",
        "estimat": "Estimat",
        "p_justeret": "p (justeret)",
        "n": "Antal",
        "alpha": "Cronbachs alfa",
        "alpha_ci_lav": "Alfa, 95 %-KI fra",
        "alpha_ci_hoej": "Alfa, 95 %-KI til",
        "omega": "McDonalds omega",
        "icc1": "ICC(1)",
        "icc2": "ICC(2)",
        "rolle": "Rolle",
        "rang_lav": "Rang, samlet interval fra",
        "rang_hoej": "Rang, samlet interval til",
        "rang_lav_stikproeve": "Rang, stikprøveinterval fra",
        "rang_hoej_stikproeve": "Rang, stikprøveinterval til",
        "median_rang": "Median rang",
        "andel_top10": "Andel af træk i top 10",
        "andel_bund10": "Andel af træk i bund 10",
        "kilde": "Kilde",
        "foersteordens": "Førsteordens indeks",
        "foersteordens_lav": "Førsteordens, 95 %-KI fra",
        "foersteordens_hoej": "Førsteordens, 95 %-KI til",
        "total": "Totalindeks",
        "total_lav": "Totalindeks, 95 %-KI fra",
        "total_hoej": "Totalindeks, 95 %-KI til",
    }
    for code, name in names.items():
        headers[code] = name
        headers[f"{code}_n"] = f"{name}, respondenter"
        headers[f"{code}_ci_lav"] = f"{name}, 95 %-KI fra"
        headers[f"{code}_ci_hoej"] = f"{name}, 95 %-KI til"
    headers[f"{INDEX}_ci_lav"] = "Modenhedsindeks, 95 %-KI fra"
    headers[f"{INDEX}_ci_hoej"] = "Modenhedsindeks, 95 %-KI til"
    return headers


def _measure_names(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if column in frame:
        names = theme_names() | {INDEX: "Modenhedsindeks"}
        frame[column] = frame[column].map(lambda m: names.get(m, m))
    return frame


def videncenter_tables(published: PublishedTables) -> dict[str, pd.DataFrame]:
    """The published tables as the CSV files of ``til_videncenter/``, with Danish headers.

    Only municipality-level (and coarser) figures, all suppressed as the workbooks are:
    ``kommunescorer.csv``, ``benchmark.csv``, ``rang.csv``, ``udvikling.csv``, and where the run
    has them ``klynger.csv``, ``klyngeprofiler.csv``, ``effekter.csv``, ``reliabilitet.csv``.
    """
    themes = reference.theme_codes()
    scores = published.scores
    score_columns = ["boelge", "kommunekode", "kommune", "region", "n_respondenter"]
    for theme in themes:
        score_columns += [theme, f"{theme}_n", f"{theme}_ci_lav", f"{theme}_ci_hoej"]
    score_columns += [INDEX, f"{INDEX}_ci_lav", f"{INDEX}_ci_hoej", "modenhedsniveau"]
    tables = {
        "kommunescorer.csv": scores.reindex(columns=[c for c in score_columns if c in scores]),
        "benchmark.csv": _measure_names(published.benchmarks.copy(), "maal"),
        "rang.csv": published.ranks.copy(),
        "udvikling.csv": _measure_names(published.changes.drop(columns=["skjult"]).copy(), "maal"),
    }
    if published.cluster_assignments is not None:
        tables["klynger.csv"] = published.cluster_assignments.reindex(
            columns=["boelge", "kommunekode", "klynge", "klyngenavn"]
        )
    if published.cluster_profiles is not None:
        profiles = published.cluster_profiles
        keep = ["boelge", "klynge", "klyngenavn", "antal_kommuner", *themes, INDEX]
        tables["klyngeprofiler.csv"] = profiles.reindex(columns=[c for c in keep if c in profiles])
    if published.effects is not None:
        effects = published.effects
        keep = ["boelge", "udfald", "tema", "estimat", "ci_lav", "ci_hoej", "p", "p_justeret", "n"]
        tables["effekter.csv"] = _measure_names(
            effects.reindex(columns=[c for c in keep if c in effects]).copy(), "tema"
        )
    if published.reliability is not None:
        reliability = published.reliability
        keep = ["boelge", "tema", "n", "alpha", "alpha_ci_lav", "alpha_ci_hoej", "omega"]
        keep += ["icc1", "icc2"]
        tables["reliabilitet.csv"] = _measure_names(
            reliability.reindex(columns=[c for c in keep if c in reliability]).copy(), "tema"
        )
    if published.robustness is not None:
        tables["indeksrobusthed.csv"] = published.robustness.copy()
    if published.sensitivity is not None:
        tables["indeksfoelsomhed.csv"] = published.sensitivity.copy()
    headers = _danish_headers()
    return {name: frame.rename(columns=headers) for name, frame in tables.items()}


def _csv_cell(value: Any) -> str:
    """One cell as a Danish Excel reads it: decimal comma, no thousands separator, text as is."""
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nej"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value)).replace(".", ",") if value != int(value) else str(int(value))
    text = str(value).replace("\r", " ").replace("\n", " ")
    # Excel would run text starting like a formula: a leading apostrophe keeps it inert.
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t")) else text


def write_danish_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` for a Danish Excel: UTF-8 with BOM, ``;`` between fields, decimal comma.

    >>> import pandas as pd, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_danish_csv(pd.DataFrame({"Kommune": ["Ærø"], "Indeks": [3.25]}), target)
    >>> target.read_bytes().decode("utf-8-sig")
    'Kommune;Indeks\\r\\nÆrø;3,25\\r\\n'
    """
    import csv

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([_csv_cell(v) for v in row])
    return target
