"""Load: read the raw exports in ``data/raw`` into plain tables, and nothing more.

Shapes (contract §2):

A. SurveyXact full export ``.xlsx``: sheets ``Dataset`` (or ``Dataset(1)``, ``Dataset(2)``, …
   split column-wise), ``Labels`` (no header: variable, value, label) and ``Structure``.
B. SurveyXact CSV export: a folder with ``dataset.csv``, ``labels.csv``, ``structure.csv`` in one
   of three dialects (``;`` Windows-1252, ``,`` Windows-1252, tab UTF-16 with BOM), told apart by
   the bytes, not by the name.
C. A municipality's own sheet (``.xlsx`` or ``.csv``): a ``Kommune`` column, ``Rolle``, maybe a
   date, one column per item (by code or by text), label texts in the cells.
Outcomes: ``implementering_<år>.xlsx`` (sheet ``Data``) or ``.csv`` (``;``, decimal comma, cp1252).

Personal data is dropped while reading: the columns ``email``, ``name`` and the free text
``kommenta`` (and columns of an own sheet that are neither metadata nor items) never enter a
data frame of this package. ``.xlsx`` files are read with python-calamine (Rust), CSV files with
pyarrow's multi-threaded reader: both several times faster than openpyxl / the csv module.

Every row of a file is kept where a person sees it: ``kilde_raekke`` = header row 1, first data
row 2, blank and whitespace-only lines included (they hold no answer and are left out as
``ikke besvaret``), in CSV exactly as in ``.xlsx``. A quoted CSV value that spans lines is one
row, as a spreadsheet shows it; every line of a CSV file counts, while a spreadsheet stores no
trailing empty rows (so none are counted). A file that cannot be used raises
:class:`RawDataError` with a one-line Danish message that names the file, the row or column
and the kind of problem, never a cell's content. What is wrong in a usable file (cells without
a header) is kept in the source's ``notes`` for the data-quality table.

Encodings, CSV records, header checks and the size bound of an ``.xlsx`` are in
:mod:`omstilling_analysis.rawfiles`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from omstilling_analysis.privacy import safe_header, strip_control
from omstilling_analysis.rawfiles import (
    DIALECTS,
    NO_HEADER,
    PERSONAL,
    RawDataError,
    check_headers,
    check_xlsx_size,
    dialect_name,
    first_line,
    is_blank,
    read_csv_table,
    read_small_csv,
    sniff_csv,
)

__all__ = [
    "DIALECTS",
    "METADATA",
    "OUTCOME_COLUMNS",
    "PERSONAL",
    "IgnoredFile",
    "OutcomeFile",
    "OwnSheet",
    "RawDataError",
    "RawSource",
    "SurveyXactExport",
    "check_headers",
    "check_xlsx_size",
    "code_text",
    "is_csv_export",
    "list_raw_entries",
    "read_csv_table",
    "read_source",
    "read_surveyxact_csv",
    "sniff_csv",
    "wave_from_name",
]

#: Metadata variables of a SurveyXact export (contract §2).
METADATA = frozenset(
    {
        "responde",
        "email",
        "name",
        "starttim",
        "closetim",
        "difftime",
        "kommune",
        "rolle",
        "kommenta",
    }
)
_DATASET_SHEET = re.compile(r"^dataset(\(\d+\))?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

OUTCOME_COLUMNS = (
    "kommunekode",
    "aar",
    "piloter_igangsat",
    "piloter_i_drift",
    "piloter_skaleret",
    "gevinst_mio_kr",
    "digital_selvbetjening_pct",
)


@dataclass
class SurveyXactExport:
    """The three tables of a SurveyXact export (shape A or B), personal columns removed.

    ``dataset`` holds the raw cells as read (codes as numbers or text, blanks as missing),
    one row per raw row in file order (row ``i`` is ``kilde_raekke`` ``i + 2``); ``labels`` has
    columns ``variable, value, label``; ``structure`` has the contract's header. ``notes`` are
    problems found while reading, as ``(kilde_raekke, variabel, problem)``.
    """

    source: str
    path: Path
    shape: str
    dialect: str
    dataset: pd.DataFrame
    labels: pd.DataFrame
    structure: pd.DataFrame
    dropped_columns: list[str] = field(default_factory=list)
    notes: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class OwnSheet:
    """A municipality's own sheet (shape C): the cells as text, personal columns removed."""

    source: str
    path: Path
    dialect: str
    table: pd.DataFrame
    dropped_columns: list[str] = field(default_factory=list)
    notes: list[tuple[int, str, str]] = field(default_factory=list)
    #: Column → its position in the file (from 1).
    positions: dict[str, int] = field(default_factory=dict)


@dataclass
class OutcomeFile:
    source: str
    path: Path
    dialect: str
    table: pd.DataFrame


@dataclass
class IgnoredFile:
    source: str
    path: Path
    reason: str


RawSource = SurveyXactExport | OwnSheet | OutcomeFile


# --------------------------------------------------------------------------- discovery


def list_raw_entries(raw_dir: str | Path) -> tuple[list[Path], list[IgnoredFile]]:
    """The entries of a raw folder that hold data, sorted by name, and the ones ignored.

    A README, hidden files, and files that are not ``.xlsx``/``.csv`` are ignored (and listed).
    A folder is a CSV export when it holds ``dataset.csv``. A subfolder of demo data (it holds
    the demo marker, :data:`omstilling_analysis.demo.DEMO_MARKER`) is ignored beside real
    exports, and the marker itself is no export.
    """
    from omstilling_analysis.demo.folder import DEMO_MARKER

    raw = Path(raw_dir)
    if not raw.is_dir():
        raise RawDataError(raw, "mappen findes ikke")
    data, ignored = [], []
    try:
        children = sorted(raw.iterdir(), key=lambda p: p.name)
    except OSError:
        raise RawDataError(raw, "mappen kan ikke læses (ingen adgang)") from None
    for entry in children:
        name = strip_control(entry.name)
        if name.startswith(".") or name.startswith("~$") or name.lower().startswith("readme"):
            ignored.append(IgnoredFile(name, entry, "skjult fil eller README"))
        elif name == DEMO_MARKER:
            ignored.append(IgnoredFile(name, entry, "mærket for demodata"))
        elif entry.is_dir() and (entry / DEMO_MARKER).is_file():
            ignored.append(
                IgnoredFile(name, entry, "demodata: slet mappen, når I bruger rigtige eksporter")
            )
        elif entry.is_dir():
            try:
                inside = list(entry.iterdir())
            except OSError:
                data.append(entry)  # read_source names the problem
                continue
            if any(child.suffix.lower() == ".csv" for child in inside):
                # A folder of CSV files without dataset.csv is a broken CSV export.
                data.append(entry)
            else:
                ignored.append(IgnoredFile(name, entry, "mappe uden CSV-eksport"))
        elif entry.suffix.lower() in {".xlsx", ".xlsm", ".csv"}:
            data.append(entry)
        else:
            ignored.append(IgnoredFile(name, entry, "ikke en .xlsx- eller .csv-fil"))
    return data, ignored


def is_csv_export(path: str | Path) -> bool:
    """Whether ``path`` is a SurveyXact CSV export's folder (it holds ``dataset.csv``)."""
    path = Path(path)
    try:
        return path.is_dir() and any(c.name.lower() == "dataset.csv" for c in path.iterdir())
    except OSError:
        return False


def wave_from_name(name: str) -> int | None:
    """The four-digit year in a file name (``selvevaluering_2022`` → 2022), if exactly one."""
    years = {int(y) for y in _YEAR.findall(name)}
    return years.pop() if len(years) == 1 else None


def read_source(path: str | Path) -> RawSource:
    """Read one raw entry (a file, or a CSV export's folder) into its shape's tables."""
    path = Path(path)
    if strip_control(path.name) != path.name:
        raise RawDataError(path, "filnavnet indeholder styretegn: omdøb filen")
    try:
        if path.is_dir():
            return read_surveyxact_csv(path)
        if not path.exists():
            raise RawDataError(path, "filen findes ikke")
        if path.stat().st_size == 0:
            raise RawDataError(path, "filen er tom")
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            return _read_xlsx(path)
        if path.suffix.lower() == ".csv":
            return _read_flat_csv(path)
    except OSError:
        raise RawDataError(path, "filen kan ikke læses (ingen adgang, eller ikke en fil)") from None
    raise RawDataError(path, "ukendt filtype (forventer .xlsx, .csv eller en CSV-mappe)")


def _sheet_rows(workbook, name: str, path: Path, shown: str) -> list[list]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own error types; their text may quote cells
        raise RawDataError(path, f"{shown} kan ikke læses: regnearket er ødelagt") from None


def _frame_from_rows(
    rows: list[list],
    path: Path,
    sheet: str,
    n_body_rows: int | None = None,
    strict: bool = False,
    notes: list[tuple[int, str, str]] | None = None,
) -> pd.DataFrame:
    """A sheet with a header row as an object frame; empty strings become missing.

    Trailing rows of nothing are dropped, then ``n_body_rows`` (if given) pads with empty rows.
    Two columns with the same header are refused. A cell in a column without a header is not
    read: it is added to ``notes`` (one note per row) in a spreadsheet; in a CSV file
    (``strict``) a data row with more or fewer fields than the header is refused instead, since
    its cells may have slid into the wrong columns.
    """
    if not strict:  # a spreadsheet stores no trailing empty rows; a CSV file's lines all count
        rows = _trim_rows(rows)
    if not rows:
        raise RawDataError(path, f"{sheet} er tomt")
    header = [str(cell).strip() if cell not in (None, "") else "" for cell in rows[0]]
    while header and header[-1] == "":
        header.pop()
    check_headers(header, path, f"{sheet}: " if strict is False else "")
    width = len(header)
    blank_columns = [i for i, name in enumerate(header) if name == ""]
    body = []
    for number, row in enumerate(rows[1:], start=2):
        row = list(row)
        if len(row) != width and not all(is_blank(cell) for cell in row):
            extra = row[width:]
            if strict and (len(row) < width or not all(is_blank(cell) for cell in extra)):
                raise RawDataError(
                    path,
                    f"række {number} har {len(row)} felter, men overskriften har {width}: "
                    "filen er afkortet eller ødelagt, eller et skilletegn står i en celle uden "
                    "anførselstegn",
                )
            if notes is not None and extra and not all(is_blank(cell) for cell in extra):
                first = width + next(i for i, cell in enumerate(extra) if not is_blank(cell))
                notes.append((number, f"kolonne {first + 1}", NO_HEADER))
        cells = row[:width] + [""] * (width - len(row))
        if notes is not None and blank_columns:
            filled = [i for i in blank_columns if not is_blank(cells[i])]
            if filled:
                notes.append((number, f"kolonne {filled[0] + 1}", NO_HEADER))
        body.append(cells)
    if n_body_rows is not None:
        body += [[""] * width for _ in range(n_body_rows - len(body))]
    # One object array for the whole sheet; empty strings → None in one vectorised pass.
    cells = np.empty((len(body), width), dtype=object)
    if len(body) and width:
        cells[:] = body
    cells[cells == ""] = None
    frame = pd.DataFrame(cells, columns=[h or f"_tom_{i}" for i, h in enumerate(header)])
    frame = frame.drop(columns=[f"_tom_{i}" for i in blank_columns])
    # Where each column stands in the file (from 1), for messages that cannot name it.
    frame.attrs["positions"] = {h: i for i, h in enumerate(header, start=1) if h}
    return frame


def _read_xlsx(path: Path) -> RawSource:
    from python_calamine import CalamineWorkbook

    check_xlsx_size(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_names = list(workbook.sheet_names)
    except Exception:
        raise RawDataError(
            path, "regnearket kan ikke åbnes: det er ødelagt, afkortet eller ikke en .xlsx"
        ) from None
    lowered = {name.strip().lower(): name for name in sheet_names}
    dataset_sheets = [name for name in sheet_names if _DATASET_SHEET.match(name.strip())]
    if dataset_sheets:
        missing = [want for want in ("labels", "structure") if want not in lowered]
        if missing:
            names = " og ".join(f"'{m.capitalize()}'" for m in missing)
            raise RawDataError(path, f"SurveyXact-eksport uden arket {names}")
        return _read_surveyxact_xlsx(path, workbook, dataset_sheets, lowered)
    if "data" in lowered:
        rows = _sheet_rows(workbook, lowered["data"], path, "arket 'Data'")
        table = _frame_from_rows(rows, path, "arket 'Data'")
        return OutcomeFile(path.name, path, "xlsx", _outcome_table(table, path))
    # An own sheet: the first sheet with a 'Kommune' header.
    for number, name in enumerate(sheet_names, start=1):
        shown = f"ark nr. {number}"
        rows = _sheet_rows(workbook, name, path, shown)
        if rows and any(str(c).strip().lower() == "kommune" for c in rows[0]):
            notes: list[tuple[int, str, str]] = []
            table = _frame_from_rows(rows, path, shown, notes=notes)
            return _own_sheet(path, "xlsx", table, notes)
    raise RawDataError(
        path,
        "kendes ikke som SurveyXact-eksport (ark 'Dataset'), udfaldsfil (ark 'Data') "
        "eller kommunens eget skema (kolonne 'Kommune')",
    )


def _read_surveyxact_xlsx(path, workbook, dataset_sheets, lowered) -> SurveyXactExport:
    def part_number(name: str) -> int:
        match = re.search(r"\((\d+)\)", name)
        return int(match.group(1)) if match else 0

    parts = []
    for name in sorted(dataset_sheets, key=part_number):
        shown = f"arket '{name.strip()}'"
        rows = _sheet_rows(workbook, name, path, shown)
        if not _trim_rows(rows):
            raise RawDataError(path, f"{shown} er tomt")
        parts.append((shown, rows))
    # Spreadsheet files store no row that has no cells: a part whose last respondents answered
    # nothing in its columns reads shorter. The parts hold the same rows, so pad them.
    longest = max(len(_trim_rows(rows)) for _, rows in parts) - 1
    notes: list[tuple[int, str, str]] = []
    frames = [
        _frame_from_rows(rows, path, shown, n_body_rows=longest, notes=notes)
        for shown, rows in parts
    ]
    dataset, dropped = _join_dataset_parts(frames)
    labels_rows = _sheet_rows(workbook, lowered["labels"], path, "arket 'Labels'")
    labels = _labels_from_rows(labels_rows, path)
    structure_rows = _sheet_rows(workbook, lowered["structure"], path, "arket 'Structure'")
    structure = _check_structure(_structure_frame(structure_rows, path), path)
    shape = "A (SurveyXact .xlsx" + (f", delt i {len(parts)} ark)" if len(parts) > 1 else ")")
    notes = sorted(set(notes))
    return SurveyXactExport(
        path.name, path, shape, "xlsx", dataset, labels, structure, dropped, notes
    )


def _structure_frame(rows: list[list], path: Path) -> pd.DataFrame:
    """The Structure table: its header's first occurrence of each name is used."""
    rows = _trim_rows(rows)
    if not rows:
        raise RawDataError(path, "'Structure' er tom")
    header = [str(cell).strip() if cell not in (None, "") else "" for cell in rows[0]]
    width = len(header)
    body = [list(row[:width]) + [None] * (width - len(row)) for row in rows[1:]]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    keep = {}
    for i, name in enumerate(header):
        if name and name not in keep:
            keep[name] = i
    frame = frame[list(keep.values())]
    frame.columns = list(keep)
    return frame.where(frame != "", None)


def _trim_rows(rows: list[list]) -> list[list]:
    """The rows without the trailing rows that hold nothing."""
    end = len(rows)
    while end and all(cell in ("", None) for cell in rows[end - 1]):
        end -= 1
    return rows if end == len(rows) else rows[:end]


def _join_dataset_parts(parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """Glue column-wise parts; drop personal columns and columns a later part repeats."""
    columns: dict[str, pd.Series] = {}
    dropped: list[str] = []
    for part in parts:
        for name in part.columns:
            key = name.strip()
            if key.lower() in PERSONAL:
                dropped.append(key)
                continue
            if key in columns or key == "":
                continue
            columns[key] = part[name].reset_index(drop=True)
    return pd.DataFrame(columns), sorted(set(dropped))


def _labels_from_rows(rows: list[list], path: Path) -> pd.DataFrame:
    rows = [row for row in _trim_rows(rows) if any(not is_blank(cell) for cell in row)]
    if not rows or max(len(row) for row in rows) < 3:
        raise RawDataError(path, "arket/filen 'Labels' er tomt eller har ikke tre kolonner")
    cells = [list(row[:3]) + [None] * (3 - len(row)) for row in rows]
    labels = pd.DataFrame(cells, columns=["variable", "value", "label"], dtype=object)
    labels["variable"] = labels["variable"].map(code_text)
    labels["value"] = labels["value"].map(code_text)
    labels["label"] = labels["label"].map(lambda s: "" if s is None else str(s))
    return labels


def _check_structure(structure: pd.DataFrame, path: Path) -> pd.DataFrame:
    structure = structure.loc[:, [c for c in structure.columns if c]]
    needed = {"variableName", "questionText"}
    if not needed <= set(structure.columns):
        raise RawDataError(path, "'Structure' mangler kolonnerne variableName og questionText")
    return structure


def code_text(value: object) -> str:
    """A code as canonical text: 4.0 → '4', ' 9 ' → '9', blank → ''.

    >>> [code_text(v) for v in (4.0, " 9 ", "4,0", None, "Leder ")]
    ['4', '9', '4', '', 'Leder']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    if not np.isfinite(number):
        return text
    return str(int(number)) if number.is_integer() else text


def read_surveyxact_csv(folder: Path) -> SurveyXactExport:
    """Shape B: a folder with ``dataset.csv``, ``labels.csv`` and ``structure.csv``."""
    try:
        files = {child.name.lower(): child for child in folder.iterdir() if child.is_file()}
    except OSError:
        raise RawDataError(folder, "mappen kan ikke læses (ingen adgang)") from None
    for needed in ("dataset.csv", "labels.csv", "structure.csv"):
        if needed not in files:
            raise RawDataError(folder, f"CSV-eksporten mangler {needed}")
    dataset_path = files["dataset.csv"]
    if dataset_path.stat().st_size == 0:
        raise RawDataError(folder, "dataset.csv er tom")

    def part(name: str, read):
        try:
            return read()
        except RawDataError as error:
            raise RawDataError(folder, f"{name}: {error.problem}") from None

    dataset, encoding, delimiter, dropped, notes = part(
        "dataset.csv", lambda: read_csv_table(dataset_path, text_columns={"responde"})
    )
    labels = part(
        "labels.csv",
        lambda: _labels_from_rows(read_small_csv(files["labels.csv"], header=False)[0], folder),
    )
    structure = part(
        "structure.csv",
        lambda: _check_structure(
            _structure_frame(read_small_csv(files["structure.csv"], header=True)[0], folder),
            folder,
        ),
    )
    # An all-ASCII dataset.csv decodes as anything: the folder's encoding is the one that
    # its files with Danish letters reveal.
    encodings = {sniff_csv(files[name])[0] for name in ("labels.csv", "structure.csv")} | {encoding}
    for candidate in ("utf-16", "cp1252", "utf-8-sig", "utf-8"):
        if candidate in encodings:
            encoding = candidate
            break
    return SurveyXactExport(
        folder.name,
        folder,
        "B (SurveyXact CSV)",
        dialect_name(encoding, delimiter),
        dataset,
        labels,
        structure,
        sorted(dropped),
        notes,
    )


# --------------------------------------------------------------------------- flat CSV: shape C or outcomes


def _read_flat_csv(path: Path) -> RawSource:
    encoding, delimiter = sniff_csv(path)
    try:
        header = next(csv.reader([first_line(path, encoding)], delimiter=delimiter))
    except (csv.Error, StopIteration):
        raise RawDataError(path, "mangler en overskriftsrække") from None
    lowered = {name.strip().lower() for name in header}
    if {"kommunekode", "aar"} <= lowered:
        return OutcomeFile(
            path.name, path, dialect_name(encoding, delimiter), _read_outcome_csv(path)
        )
    if "kommune" in lowered:
        rows, encoding, delimiter = read_small_csv(path, header=True)
        notes: list[tuple[int, str, str]] = []
        table = _frame_from_rows(rows, path, "filen", strict=True, notes=notes)
        return _own_sheet(path, dialect_name(encoding, delimiter), table, notes)
    if {"responde", "kommune"} & lowered or any(n.lower().startswith("stato_") for n in header):
        raise RawDataError(
            path,
            "ligner en SurveyXact CSV-eksport, men den skal ligge i en mappe med labels.csv og structure.csv",
        )
    raise RawDataError(
        path,
        "kendes ikke som udfaldsfil (kommunekode, aar, …) eller kommunens eget skema (kolonne 'Kommune')",
    )


_PERSONAL_HEADER = re.compile(
    r"^(navn|name|e-?mail|mail|kommentar.*|kommenta|bemærkning.*|fritekst.*)$", re.I
)


def _own_sheet(
    path: Path, dialect: str, table: pd.DataFrame, notes: list[tuple[int, str, str]]
) -> OwnSheet:
    """Keep the metadata and (possible) item columns; drop personal columns by name.

    ``dropped_columns`` names the dropped columns only where the name cannot be personal
    (``Kommentar fra Jens`` is listed as ``fritekst``).
    """
    positions = dict(table.attrs.get("positions", {}))
    dropped = [c for c in table.columns if _PERSONAL_HEADER.match(str(c).strip())]
    table = table.drop(columns=dropped)
    shown = sorted({safe_header(c) or "fritekst" for c in dropped})
    return OwnSheet(path.name, path, dialect, table, shown, notes, positions)


def _outcome_table(table: pd.DataFrame, path: Path, decimal_comma: bool = False) -> pd.DataFrame:
    """The outcome columns as numbers, with the row (``kilde_raekke``) each came from.

    Rows that hold nothing are dropped (they carry no outcome); a cell that is no number, or a
    row without ``kommunekode`` or ``aar``, refuses the file with its row and column.
    """
    original = [str(c).strip() for c in table.columns]
    table = table.rename(columns=lambda c: str(c).strip().lower())
    check_headers(list(table.columns), path)
    unknown = [i for i, c in enumerate(table.columns) if c not in OUTCOME_COLUMNS]
    missing = [c for c in OUTCOME_COLUMNS if c not in table.columns]
    if unknown:
        shown = ", ".join(safe_header(original[i]) or f"kolonne {i + 1}" for i in unknown)
        raise RawDataError(path, f"udfaldsfilen har ukendte kolonner: {shown}")
    if missing:
        raise RawDataError(path, f"udfaldsfilen mangler kolonnerne: {', '.join(missing)}")
    table = table.loc[:, list(OUTCOME_COLUMNS)].copy()
    table.insert(0, "kilde_raekke", np.arange(2, len(table) + 2, dtype="int64"))
    text = table[list(OUTCOME_COLUMNS)].astype("string")
    filled = text.notna() & (text.apply(lambda c: c.str.strip()) != "")
    table = table.loc[filled.any(axis=1).to_numpy()].reset_index(drop=True)
    for column in OUTCOME_COLUMNS:
        values = table[column]
        if decimal_comma:
            # "1.234,5" → 1234.5; a value without a comma is read as it stands.
            values = values.astype("string").str.strip()
            has_comma = values.str.contains(",", regex=False).fillna(False)
            values = values.where(
                ~has_comma,
                values.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
            )
        if values.dtype == object:
            values = values.map(lambda v: v.strip() if isinstance(v, str) else v)
        numbers = pd.to_numeric(values, errors="coerce")
        numbers = numbers.where(np.isfinite(numbers.astype("float64")))
        bad = numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            row = int(table.loc[bad.to_numpy(), "kilde_raekke"].iloc[0])
            raise RawDataError(path, f"række {row}: cellen i {column} er ikke et tal")
        table[column] = numbers.astype("float64")
    lacking = (table["kommunekode"].isna() | table["aar"].isna()).to_numpy()
    if lacking.any():
        row = int(table.loc[lacking, "kilde_raekke"].iloc[0])
        raise RawDataError(path, f"række {row}: kommunekode eller aar mangler")
    whole = (table["kommunekode"] % 1 == 0) & (table["aar"] % 1 == 0)
    in_range = table["kommunekode"].abs().lt(1e9) & table["aar"].abs().lt(1e5)
    if not (whole & in_range).all():
        row = int(table.loc[~(whole & in_range).to_numpy(), "kilde_raekke"].iloc[0])
        raise RawDataError(path, f"række {row}: kommunekode og aar skal være hele tal")
    table["kommunekode"] = table["kommunekode"].astype("int64")
    table["aar"] = table["aar"].astype("int64")
    return table


def _read_outcome_csv(path: Path) -> pd.DataFrame:
    rows, _, _ = read_small_csv(path, header=True)
    table = _frame_from_rows(rows, path, "filen", strict=True)
    return _outcome_table(table, path, decimal_comma=True)
