"""Writers: SurveyXact exports as xlsx (shape A) and CSV folders (shape B), own sheets (shape C),
outcome files and the truth.

Workbooks are written with xlsxwriter with fixed metadata, so the same tables give the same
bytes; strings are written as text, never as formulas or links.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from omstilling_analysis.demo.encodings import resolve_dialect
from omstilling_analysis.demo.exports import OwnSheet, SurveyXactExport
from omstilling_analysis.demo.world import SynthTruth

__all__ = [
    "TRUTH_FILES",
    "write_outcomes",
    "write_own_sheet",
    "write_surveyxact_csv",
    "write_surveyxact_xlsx",
    "write_truth",
]

_CREATED = dt.datetime(2024, 1, 1)  # fixed workbook metadata: byte-identical files


#: File names of :func:`write_truth`: attribute of :class:`SynthTruth` -> file.
TRUTH_FILES: dict[str, str] = {
    "rows": "raekker.csv",
    "cell_problems": "celleproblemer.csv",
    "municipality_types": "kommunetyper.csv",
    "type_profiles": "typeprofiler.csv",
    "levels": "sande_niveauer.csv",
    "effects": "effekter.csv",
    "outcomes": "udfald.csv",
    "missing_outcomes": "manglende_udfald.csv",
}


def write_truth(truth: SynthTruth, folder: str | Path) -> Path:
    """Write the truth (the 'facit') as UTF-8 CSV files, one per table (see :data:`TRUTH_FILES`),
    plus ``verden.csv`` (which world: :meth:`WorldSpec.table`) and ``filer.txt`` with the raw
    files written. Empty tables are skipped."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for attribute, name in TRUTH_FILES.items():
        table = getattr(truth, attribute)
        if len(table.columns):
            table.to_csv(folder / name, index=False, encoding="utf-8", lineterminator="\n")
    truth.world.table().to_csv(
        folder / "verden.csv", index=False, encoding="utf-8", lineterminator="\n"
    )
    (folder / "filer.txt").write_text(
        "".join(f"{name}\n" for name in truth.files), encoding="utf-8"
    )
    return folder


# --------------------------------------------------------------------------- writers


def _workbook(path: Path) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
        },
    )
    # The author is the generator's old module name: kept so that a seed gives the same bytes
    # as before the split into omstilling_analysis.demo (tests/test_demo.py checks the hashes).
    book.set_properties({"created": _CREATED, "author": "omstilling_analysis.synth"})
    return book


def _cells(series: pd.Series) -> list[object]:
    """A column as Python cell values (None for missing) for xlsxwriter."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.to_numpy().astype("datetime64[us]").astype(object).tolist()
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float)
        cells = values.astype(object)
        cells[np.isnan(values)] = None
        return cells.tolist()
    cells = series.to_numpy(dtype=object)
    missing = pd.isna(cells) | (cells == "")
    cells = cells.copy()
    cells[missing] = None
    return cells.tolist()


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, header: bool = True
) -> None:
    sheet = book.add_worksheet(name)
    row = 0
    if header:
        sheet.write_row(0, 0, [str(c) for c in frame.columns])
        row = 1
    columns = [_cells(frame[c]) for c in frame.columns]
    for values in zip(*columns, strict=True):
        sheet.write_row(row, 0, values)
        row += 1


def _split(columns: Sequence[str], split_columns: int | Sequence[int] | None) -> list[list[str]]:
    columns = list(columns)
    if split_columns is None or split_columns == 1:
        return [columns]
    if isinstance(split_columns, int):
        bounds = np.linspace(0, len(columns), split_columns + 1).round().astype(int)
        sizes = np.diff(bounds).tolist()
    else:
        sizes = list(split_columns)
        if sum(sizes) != len(columns):
            raise ValueError("split_columns must add up to the number of Dataset columns")
    parts, pos = [], 0
    for size in sizes:
        parts.append(columns[pos : pos + size])
        pos += size
    return parts


def write_surveyxact_xlsx(
    tables: Mapping[str, pd.DataFrame] | SurveyXactExport,
    path: str | Path,
    split_columns: int | Sequence[int] | None = None,
    sheet_order: Sequence[str] = ("Labels", "Dataset", "Structure"),
) -> Path:
    """Write a SurveyXact export as ``.xlsx`` (shape A).

    ``split_columns``: None for one ``Dataset`` sheet; an int k splits the columns into k
    ``Dataset(1)``, ``Dataset(2)``, ... sheets of about equal width; a list gives the widths.
    Every split sheet has its own header row and the same rows. Strings are written as text,
    never as formulas or links; datetime columns as date cells. Note that readers drop trailing
    rows without any cell: the generators end every export with a fully answered row.
    """
    if isinstance(tables, SurveyXactExport):
        tables = tables.tables
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = _workbook(path)
    dataset = tables["Dataset"]
    parts = _split(dataset.columns, split_columns)
    for name in sheet_order:
        if name == "Dataset":
            if len(parts) == 1:
                _write_sheet(book, "Dataset", dataset)
            else:
                for i, part in enumerate(parts, start=1):
                    _write_sheet(book, f"Dataset({i})", dataset[part])
        elif name == "Labels":
            _write_sheet(book, "Labels", tables["Labels"], header=False)
        else:
            _write_sheet(book, name, tables[name])
    book.close()
    return path


def _write_csv(
    frame: pd.DataFrame,
    path: Path,
    sep: str,
    encoding: str,
    header: bool = True,
    decimal: str = ".",
) -> None:
    """Write a table as CSV with CRLF line ends, streamed to disk; UTF-16 as LE with a BOM."""
    with path.open("wb") as raw:
        if encoding == "utf-16":
            raw.write(b"\xff\xfe")
            encoding = "utf-16-le"
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            frame.to_csv(
                text,
                sep=sep,
                index=False,
                header=header,
                lineterminator="\r\n",
                na_rep="",
                decimal=decimal,
                chunksize=50_000,
            )


def write_surveyxact_csv(
    tables: Mapping[str, pd.DataFrame] | SurveyXactExport, folder: str | Path, dialect: str
) -> Path:
    """Write a SurveyXact CSV export (shape B): ``folder/dataset.csv, labels.csv, structure.csv``.

    ``dialect`` is ``"semicolon-cp1252"``, ``"comma-cp1252"`` or ``"tab-utf16"`` (also ``";"``,
    ``","``, ``"\\t"``). Lines end in CRLF, ``labels.csv`` has no header, and every line of
    ``structure.csv`` ends with a delimiter. UTF-16 is little-endian with a BOM. Fields holding
    the delimiter or quotes are quoted.
    """
    if isinstance(tables, SurveyXactExport):
        tables = tables.tables
    sep, encoding = resolve_dialect(dialect)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(tables["Dataset"], folder / "dataset.csv", sep, encoding)
    _write_csv(tables["Labels"], folder / "labels.csv", sep, encoding, header=False)
    structure = tables["Structure"].assign(**{"": ""})
    _write_csv(structure, folder / "structure.csv", sep, encoding)
    return folder


def write_own_sheet(
    sheet: OwnSheet | pd.DataFrame, path: str | Path, sheet_name: str = "Besvarelser"
) -> Path:
    """Write an own sheet: ``.xlsx`` (one sheet, ``sheet_name``) or ``.csv`` (``;``, cp1252, CRLF)."""
    table = sheet.table if isinstance(sheet, OwnSheet) else sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        _write_csv(table, path, ";", "cp1252")
    else:
        book = _workbook(path)
        _write_sheet(book, sheet_name, table)
        book.close()
    return path


def write_outcomes(table: pd.DataFrame, path: str | Path) -> Path:
    """Write an outcome file: ``.xlsx`` (sheet ``Data``) or ``.csv`` (``;``, decimal comma, cp1252)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        _write_csv(table, path, ";", "cp1252", decimal=",")
    else:
        book = _workbook(path)
        _write_sheet(book, "Data", table)
        book.close()
    return path
