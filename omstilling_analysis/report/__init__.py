"""The report stage: the Excel summary for KL's videncenter and the feedback workbooks.

Every number comes from the publish stage (:mod:`omstilling_analysis.publish`) through
:class:`SummaryData`; :mod:`.xlsx` holds the safe workbook helpers both workbooks share.
"""

from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.summary import SHEETS, write_summary
from omstilling_analysis.report.xlsx import colour_scale, is_formula_like

__all__ = ["SHEETS", "SummaryData", "colour_scale", "is_formula_like", "write_summary"]
