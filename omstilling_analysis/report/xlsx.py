"""Writing workbooks safely: the xlsxwriter helpers shared by the Excel summary and the
feedback workbooks.

Formula injection
    Every text cell goes through :meth:`Sheet.write`: text that a spreadsheet could run
    (:func:`is_formula_like`: starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
    written as a string with Excel's *quote prefix* (the ``'`` Excel shows in the formula bar),
    so it stays inert text also when a user edits the cell. The workbook is opened with
    ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` off.

Number formats
    Format codes in an .xlsx file are always written with ``.`` as the decimal separator and
    ``,`` as the thousands separator; Excel and LibreOffice localise them when displaying, so
    ``0.00`` reads ``3,45`` and ``#,##0`` reads ``1.234`` in a Danish Excel. Never write ``0,00``.

Reproducibility
    The workbook's creation time is fixed, so the same run gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from omstilling_analysis.plots.style import DIVERGING_CELL_COLOURS
from omstilling_analysis.text import NO_RESPONSES

__all__ = [
    "FORMATS", "FORMULA_START", "MAX_WIDTH", "NUMERIC_STYLES", "PRINT_COLUMNS_PER_PAGE", "Sheet", "Workbook", "cell_value",
    "chart_block", "colour_scale", "displayed", "is_formula_like", "is_status_text", "records",
    "theme_chart_axes", "truthy",
]  # fmt: skip

#: First characters that make a spreadsheet treat text as a formula (or a DDE command).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# Excel number format codes. Excel localises them on display: "0.00" reads 3,45 in a Danish
# Excel and "#,##0" reads 1.234 (the codes themselves are always written with "." and ",").
FORMATS: dict[str, dict[str, Any]] = {
    "text": {},
    "bold": {"bold": True},
    "title": {"bold": True, "font_size": 14, "font_color": "#1F3864"},
    "subtitle": {"bold": True, "font_size": 11, "font_color": "#1F3864"},
    "header": {
        "bold": True,
        "bg_color": "#DCE6F1",
        "text_wrap": True,
        "valign": "top",
        "bottom": 1,
        "bottom_color": "#8EA9DB",
    },
    "note": {"italic": True, "font_color": "#595959"},
    "banner": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#A14300", "font_size": 12},
    "wrap": {"text_wrap": True, "valign": "top"},
    "muted": {"italic": True, "font_color": "#7F7F7F"},
    "int": {"num_format": "#,##0"},
    "year": {"num_format": "0"},
    "code": {"num_format": "0", "align": "center"},
    "center": {"align": "center"},
    "indent": {"indent": 1},
    "score": {"num_format": "0.00"},
    # Conditional sections: a change that rounds to zero shows 0.00, never -0.00.
    "change": {"num_format": "[>=0.005]+0.00;[<=-0.005]-0.00;0.00"},
    "p": {"num_format": '[<0.0005]"< 0,001";0.000'},
    "pct": {"num_format": "0.0%"},
    "dec1": {"num_format": "#,##0.0"},
    "dec2": {"num_format": "#,##0.00"},
}
#: Number formats (as above) whose columns show a suppression text in grey italics.
NUMERIC_STYLES = {"int", "year", "code", "score", "change", "p", "pct", "dec1", "dec2"}
#: Columns that still print readably on one A4 landscape page.
PRINT_COLUMNS_PER_PAGE = 11
#: Characters per line when estimating the height of a wrapped row.
MAX_WIDTH = 60


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula (see :data:`FORMULA_START`).

    >>> [is_formula_like(t) for t in ("=1+1", "+45 12 34", "-1+2", "@SUM(A1)", "\\tx", "Leder")]
    [True, True, True, True, True, False]
    """
    return isinstance(text, str) and text.startswith(FORMULA_START)


def is_status_text(text: str) -> bool:
    """Whether a text stands in for a number (suppressed, or no respondents)."""
    return text == NO_RESPONSES or (text.startswith("færre end ") and text.endswith("besvarelser"))


def records(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Rows by municipality code (the first row of a code wins)."""
    frame = frame.drop_duplicates("kommunekode")
    codes = frame["kommunekode"].astype("int64").to_numpy()
    return dict(zip(codes.tolist(), frame.to_dict("records"), strict=True))


def cell_value(value: Any) -> Any:
    """A plain Python value for a cell: None for anything missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nej"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return str(value)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "ja", "sand")
    return bool(value)


def colour_scale(low: float, middle: float, high: float) -> dict:
    """Excel's three-colour scale from ``low`` (orange: weaker or falling) through ``middle``
    (light grey) to ``high`` (blue: stronger or rising): the workbench's one diverging palette
    (:data:`omstilling_analysis.plots.style.DIVERGING_CELL_COLOURS`), on every score and change
    column of the workbooks."""
    low_colour, middle_colour, high_colour = DIVERGING_CELL_COLOURS
    return {
        "type": "3_color_scale",
        "min_type": "num",
        "min_value": low,
        "mid_type": "num",
        "mid_value": middle,
        "max_type": "num",
        "max_value": high,
        "min_color": low_colour,
        "mid_color": middle_colour,
        "max_color": high_colour,
    }


class Workbook:
    """An xlsxwriter workbook with the formats of this module, created on first use."""

    def __init__(self, path: Path, banner: str | None = None):
        #: Written in the first row of every sheet (the demo data's mark), or ``None``.
        self.banner = banner
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": False,
            },
        )
        self.workbook.set_properties(
            {
                "title": "Selvevaluering af digital omstilling",
                "author": "omstilling_analysis",
                # A fixed time stamp: the same run gives the same bytes (see manifest.json).
                "created": dt.datetime(2000, 1, 1),
            }
        )
        self._formats: dict[tuple, Any] = {}

    def fmt(self, name: str, **extra: Any):
        key = (name, tuple(sorted(extra.items())))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format({"valign": "top"} | FORMATS[name] | extra)
        return self._formats[key]

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, self.workbook.add_worksheet(name), name)
        if self.banner:
            sheet.write(0, 0, self.banner, "banner", fit=False)
            sheet.ws.set_row(0, 20)
            sheet.row = sheet.top = 1
        return sheet

    def close(self) -> None:
        self.workbook.close()


class Sheet:
    """A worksheet that writes frames safely and fits its column widths at the end."""

    def __init__(self, book: Workbook, worksheet: Worksheet, name: str):
        self.book = book
        self.ws = worksheet
        self.name = name
        self.widths: dict[int, float] = {}
        self.row = 0
        #: The first row of the sheet's content (1 below a banner).
        self.top = 0

    # ----------------------------------------------------------------- cells

    def _fit(self, col: int, text: str, cap: int = MAX_WIDTH) -> None:
        longest = max((len(line) for line in text.split("\n")), default=0)
        self.widths[col] = max(self.widths.get(col, 0), min(longest + 2, cap))

    def write(self, row: int, col: int, value: Any, style: str = "text", fit: bool = True, **extra):
        """Write one cell: numbers with ``style``'s number format, text always as inert text."""
        value = cell_value(value)
        if value is None:
            self.ws.write_blank(row, col, None, self.book.fmt(style, **extra))
            return
        if isinstance(value, (int, float)):
            self.ws.write_number(row, col, value, self.book.fmt(style, **extra))
            if fit:
                self._fit(col, displayed(value, style))
            return
        text_style = "muted" if style in NUMERIC_STYLES or is_status_text(value) else style
        if is_formula_like(value):
            extra = extra | {"quote_prefix": True}
        self.ws.write_string(row, col, value, self.book.fmt(text_style, **extra))
        if fit:
            self._fit(col, value)

    def title(self, text: str, subtitle: str | None = None) -> None:
        self.write(self.row, 0, text, "title", fit=False)
        self.ws.set_row(self.row, 22)
        self.row += 1
        if subtitle:
            self.write(self.row, 0, subtitle, "note", fit=False)
            self.row += 1
        self.row += 1

    def heading(self, text: str) -> None:
        self.write(self.row, 0, text, "subtitle", fit=False)
        self.row += 1

    def lines(self, texts: Iterable[str], style: str = "text", width: int = 10) -> None:
        """Paragraphs in column A, wrapped over ``width`` merged columns."""
        for text in texts:
            self.paragraph(self.row, text, style, width)
            self.row += 1

    def paragraph(self, row: int, text: str, style: str = "wrap", width: int = 10) -> None:
        chars = sum(max(self.widths.get(c, 8.43), 8.43) for c in range(width))
        lines = max(1, math.ceil(len(text) * 1.15 / chars))
        fmt_style = "wrap" if style == "text" else style
        extra = {"text_wrap": True, "valign": "top"}
        if is_formula_like(text):
            extra["quote_prefix"] = True
        self.ws.merge_range(row, 0, row, width - 1, "", self.book.fmt(fmt_style, **extra))
        self.ws.write_string(row, 0, text, self.book.fmt(fmt_style, **extra))
        self.ws.set_row(row, 15 * lines + 2)

    def frame(
        self,
        frame: pd.DataFrame,
        styles: Mapping[str, str] | None = None,
        row: int | None = None,
        col: int = 0,
        bold_rows: Iterable[int] = (),
    ) -> tuple[int, int]:
        """Write ``frame`` with a header row; returns the first and last data row."""
        styles = styles or {}
        start = self.row if row is None else row
        bold = set(bold_rows)
        height = 1
        for j, header in enumerate(frame.columns):
            numeric = styles.get(header) in NUMERIC_STYLES
            align = {"align": "right"} if numeric else {}
            self.write(start, col + j, str(header), "header", fit=False, **align)
            words = max((len(w) for w in str(header).split()), default=0)
            self.widths[col + j] = max(
                self.widths.get(col + j, 0), min(max(words + 2, min(len(str(header)) + 2, 18)), 40)
            )
        values = frame.to_numpy(dtype=object)
        wrapped = [j for j, c in enumerate(frame.columns) if styles.get(c) == "wrap"]
        for j in wrapped:
            longest = max((len(str(v)) for v in values[:, j] if v is not None), default=10)
            self.widths[col + j] = max(self.widths.get(col + j, 0), min(longest + 2, MAX_WIDTH))
        for i in range(len(frame)):
            for j, column in enumerate(frame.columns):
                extra = {"bold": True} if i in bold else {}
                style = styles.get(column, "text")
                self.write(
                    start + 1 + i, col + j, values[i, j], style, fit=j not in wrapped, **extra
                )
            lines = [
                math.ceil(len(str(values[i, j])) / max(self.widths[col + j] - 2, 1))
                for j in wrapped
                if values[i, j] is not None
            ]
            if max(lines, default=1) > 1:
                self.ws.set_row(start + 1 + i, 15 * max(lines))
        for j, header in enumerate(frame.columns):
            width = self.widths.get(col + j, 10)
            height = max(height, math.ceil(len(str(header)) / max(width - 1, 1)))
        self.ws.set_row(start, 15 * min(height, 4) + 2)
        last = start + len(frame)
        if row is None:
            self.row = last + 2
        return start + 1, last

    def empty_note(self, text: str) -> None:
        self.write(self.row, 0, text, "note", fit=False)
        self.row += 2

    def finish(self, minimum: float = 8, header_rows: int = 1) -> None:
        """Fit the column widths; print on A4 landscape, fit to the page width.

        A wide sheet (more than :data:`PRINT_COLUMNS_PER_PAGE` columns) prints on two pages
        across, with its first two columns repeated, so its text stays readable.
        Rows 0 to ``header_rows`` (the title and its subtitle, or a table's header) are repeated
        at the top of every printed page.
        """
        for col, width in self.widths.items():
            self.ws.set_column(col, col, max(width, minimum))
        self.ws.set_paper(9)
        self.ws.set_landscape()
        self.ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        columns = max(self.widths, default=0) + 1
        if columns > PRINT_COLUMNS_PER_PAGE:
            self.ws.fit_to_pages(2, 0)
            self.ws.repeat_columns(0, 1)
        else:
            self.ws.fit_to_pages(1, 0)
        self.ws.repeat_rows(0, header_rows)


def displayed(value: float | int, style: str) -> str:
    """Roughly how Excel shows a number in ``style`` (for column widths)."""
    if style in ("score", "p", "dec2"):
        return f"{value:,.{3 if style == 'p' else 2}f}"
    if style == "change":
        return f"{value:+.2f}"
    if style == "pct":
        return f"{value * 100:.1f} %"
    if style == "dec1":
        return f"{value:,.1f}"
    if style in ("int", "year"):
        return f"{value:,.0f}"
    return str(value)


def chart_block(
    sheet: Sheet, row: int, col: int, categories: list[str], series: Mapping[str, Iterable[Any]]
) -> tuple[list, dict[str, list]]:
    """Write chart data (blank where missing) and return the category and series references."""
    sheet.write(row, col, "Data til diagram", "note", fit=False)
    for i, category in enumerate(categories):
        sheet.write(row + 2 + i, col, category, "wrap", fit=False)
    refs = {}
    # Series names wrap in their cell (never cut off by the next one).
    longest = max((len(str(name)) for name in series), default=0)
    sheet.ws.set_row(row + 1, 15 * min(max(1, math.ceil(longest / 12)), 5))
    for j, (name, values) in enumerate(series.items(), start=1):
        sheet.write(row + 1, col + j, name, "header", fit=False, align="right")
        for i, value in enumerate(values):
            value = cell_value(value)
            sheet.write(
                row + 2 + i,
                col + j,
                value if isinstance(value, (int, float)) else None,
                "score",
                fit=False,
            )
        refs[name] = [sheet.name, row + 2, col + j, row + 1 + len(categories), col + j]
    cats = [sheet.name, row + 2, col, row + 1 + len(categories), col]
    return cats, refs


def theme_chart_axes(chart, y_name: str = "Score (1-5)") -> None:
    chart.set_y_axis(
        {"name": y_name, "min": 1, "max": 5, "major_unit": 1, "num_format": "0.0",
         "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    )  # fmt: skip
