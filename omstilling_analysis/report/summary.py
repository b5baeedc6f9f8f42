"""The Excel summary for KL's videncenter: ``opsummering_<boelge>.xlsx``, one per wave.

Seven sheets (:data:`SHEETS`), each built by its own module from :class:`SummaryData`, which
reads the publish stage's tables only:

- ``Overblik``: key figures, the distribution of the index, a native chart
  (:mod:`.overview`);
- ``Kommuner``: all 98 municipalities (frozen header, filters, colour scales)
  (:mod:`.municipalities`);
- ``Temaer``: national, regional and role figures per theme, reliability, items (:mod:`.themes`);
- ``Klynger``: the cluster profiles with a native chart and the choice of k (:mod:`.clusters`);
- ``Effekter``: the links to the outcomes in plain Danish and as a table (:mod:`.effects`);
- ``Datakvalitet``: rows in, counted, left out by reason, cell problems (:mod:`.quality`);
- ``Metode``: rules, settings, versions and input checksums (:mod:`.method`).
"""

from __future__ import annotations

from pathlib import Path

from omstilling_analysis.report.clusters import clusters_sheet
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.effects import effects_sheet
from omstilling_analysis.report.method import method_sheet
from omstilling_analysis.report.municipalities import municipalities_sheet
from omstilling_analysis.report.overview import overview_sheet
from omstilling_analysis.report.quality import quality_sheet
from omstilling_analysis.report.themes import themes_sheet
from omstilling_analysis.report.xlsx import Workbook

__all__ = ["SHEETS", "write_summary"]

#: The sheets of ``opsummering_<boelge>.xlsx``, in order, with the function building each.
SHEET_BUILDERS = {
    "Overblik": overview_sheet,
    "Kommuner": municipalities_sheet,
    "Temaer": themes_sheet,
    "Klynger": clusters_sheet,
    "Effekter": effects_sheet,
    "Datakvalitet": quality_sheet,
    "Metode": method_sheet,
}
SHEETS: tuple[str, ...] = tuple(SHEET_BUILDERS)


def write_summary(path: str | Path, data: SummaryData, wave: int) -> Path:
    """Write ``opsummering_<wave>.xlsx`` (the seven :data:`SHEETS`) to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(target, banner=data.banner)
    try:
        for build in SHEET_BUILDERS.values():
            build(book, data, wave)
    finally:
        book.close()
    return target
