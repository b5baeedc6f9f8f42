"""``OUT/til_videncenter/``: everything that may leave KL, and nothing else.

The Excel summary per wave, the figures, and the published tables as CSV for a Danish Excel
(:func:`omstilling_analysis.publish.write_danish_csv`). No respondent-level table, no Parquet,
no local path: every file here is made from the publish stage's tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from omstilling_analysis.publish import (
    PublishedTables,
    publish,
    videncenter_tables,
    write_danish_csv,
)
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.summary import write_summary

__all__ = ["FOLDER", "README_TEXT", "summary_data", "write_videncenter"]

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
    from omstilling_analysis.plots import FigureInputs, figure_makers

    published = published if published is not None else publish(tables, settings)
    return SummaryData(
        published,
        tables,
        manifest,
        cluster_choice=getattr(clusters, "chosen", None),
        effect_sentences=list(getattr(effects, "sentences", None) or []),
        figures=figure_makers(FigureInputs(published, clusters, effects)),
    )


def write_videncenter(out_dir: str | Path, data: SummaryData) -> list[Path]:
    """Write ``til_videncenter/`` into ``out_dir``; return the files written."""
    folder = Path(out_dir) / FOLDER
    figures = folder / "figurer"
    figures.mkdir(parents=True, exist_ok=True)
    written = []
    for stem in data.figures:
        png = data.figure(stem)
        if png is not None:
            target = figures / f"{stem}.png"
            target.write_bytes(png)
            written.append(target)
    for wave in data.waves:
        written.append(write_summary(folder / f"opsummering_{wave}.xlsx", data, wave))
    for name, table in videncenter_tables(data.published).items():
        written.append(write_danish_csv(table, folder / name))
    readme = folder / "LÆSMIG.txt"
    readme.write_text(README_TEXT.format(minimum=data.minimum), encoding="utf-8")
    written.append(readme)
    return written
