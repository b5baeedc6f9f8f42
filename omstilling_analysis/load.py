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

Every problem that makes a file unusable raises :class:`RawDataError` with a one-line Danish
message that names the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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
#: Personal data and free text: never read into a frame.
PERSONAL = frozenset({"email", "name", "kommenta"})
_STATUS = re.compile(r"^stato_\d+$")
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

#: Dialects of shape B by (encoding, delimiter), with the Danish name ``validate`` shows.
DIALECTS = {
    ("cp1252", ";"): "semikolon, Windows-1252",
    ("cp1252", ","): "komma, Windows-1252",
    ("utf-16", "\t"): "tabulator, UTF-16 med BOM",
    ("utf-8", ";"): "semikolon, UTF-8",
    ("utf-8", ","): "komma, UTF-8",
    ("utf-8", "\t"): "tabulator, UTF-8",
    ("cp1252", "\t"): "tabulator, Windows-1252",
    ("utf-16", ";"): "semikolon, UTF-16",
    ("utf-16", ","): "komma, UTF-16",
}


class RawDataError(Exception):
    """A raw file that cannot be used. ``str(error)`` is one Danish line naming the file."""

    def __init__(self, source: str | Path, problem: str):
        self.source = Path(source).name
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


@dataclass
class SurveyXactExport:
    """The three tables of a SurveyXact export (shape A or B), personal columns removed.

    ``dataset`` holds the raw cells as read (codes as numbers or text, blanks as missing),
    in file order; ``labels`` has columns ``variable, value, label``; ``structure`` has the
    contract's header. ``rows`` is the dataset's row numbers as a person sees them.
    """

    source: str
    path: Path
    shape: str
    dialect: str
    dataset: pd.DataFrame
    labels: pd.DataFrame
    structure: pd.DataFrame
    dropped_columns: list[str] = field(default_factory=list)


@dataclass
class OwnSheet:
    """A municipality's own sheet (shape C): the cells as text, personal columns removed."""

    source: str
    path: Path
    dialect: str
    table: pd.DataFrame
    dropped_columns: list[str] = field(default_factory=list)


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
    A folder is a CSV export when it holds ``dataset.csv``.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise RawDataError(raw, "mappen findes ikke")
    data, ignored = [], []
    for entry in sorted(raw.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name.startswith("~$") or name.lower().startswith("readme"):
            ignored.append(IgnoredFile(name, entry, "skjult fil eller README"))
        elif entry.is_dir():
            if any(child.name.lower() == "dataset.csv" for child in entry.iterdir()):
                data.append(entry)
            elif any(child.suffix.lower() == ".csv" for child in entry.iterdir()):
                # A folder of CSV files without dataset.csv is a broken CSV export.
                data.append(entry)
            else:
                ignored.append(IgnoredFile(name, entry, "mappe uden CSV-eksport"))
        elif entry.suffix.lower() in {".xlsx", ".xlsm", ".csv"}:
            data.append(entry)
        else:
            ignored.append(IgnoredFile(name, entry, "ikke en .xlsx- eller .csv-fil"))
    return data, ignored


def wave_from_name(name: str) -> int | None:
    """The four-digit year in a file name (``selvevaluering_2022`` → 2022), if exactly one."""
    years = {int(y) for y in _YEAR.findall(name)}
    return years.pop() if len(years) == 1 else None


def read_source(path: str | Path) -> RawSource:
    """Read one raw entry (a file, or a CSV export's folder) into its shape's tables."""
    path = Path(path)
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
    raise RawDataError(path, "ukendt filtype (forventer .xlsx, .csv eller en CSV-mappe)")


# --------------------------------------------------------------------------- xlsx


def _sheet_rows(workbook, name: str, path: Path) -> list[list]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own error types
        raise RawDataError(path, f"arket '{name}' kan ikke læses ({error})") from None


def _frame_from_rows(
    rows: list[list], path: Path, sheet: str, n_body_rows: int | None = None
) -> pd.DataFrame:
    """A sheet with a header row as an object frame; empty strings become missing.

    Trailing empty rows are dropped, then ``n_body_rows`` (if given) pads with empty rows.
    """
    rows = _trim_rows(rows)
    if not rows:
        raise RawDataError(path, f"arket '{sheet}' er tomt")
    header = [str(cell).strip() if cell not in (None, "") else "" for cell in rows[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [row[:width] + [""] * (width - len(row)) for row in rows[1:]]
    if n_body_rows is not None:
        body += [[""] * width for _ in range(n_body_rows - len(body))]
    # One object array for the whole sheet; empty strings → None in one vectorised pass.
    cells = np.empty((len(body), width), dtype=object)
    if len(body) and width:
        cells[:] = body
    cells[cells == ""] = None
    return pd.DataFrame(cells, columns=header, dtype=object)


def _read_xlsx(path: Path) -> RawSource:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_names = list(workbook.sheet_names)
    except Exception as error:
        raise RawDataError(
            path,
            f"regnearket kan ikke åbnes: det er ødelagt, afkortet eller ikke en .xlsx ({error})",
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
        rows = _sheet_rows(workbook, lowered["data"], path)
        table = _frame_from_rows(rows, path, lowered["data"])
        return OutcomeFile(path.name, path, "xlsx", _outcome_table(table, path))
    # An own sheet: the first sheet with a 'Kommune' header.
    for name in sheet_names:
        rows = _sheet_rows(workbook, name, path)
        if rows and any(str(c).strip().lower() == "kommune" for c in rows[0]):
            table = _frame_from_rows(rows, path, name)
            return _own_sheet(path, "xlsx", table)
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
        rows = _sheet_rows(workbook, name, path)
        if not rows:
            raise RawDataError(path, f"arket '{name}' er tomt")
        parts.append((name, rows))
    # Spreadsheet files store no row that has no cells: a part whose last respondents answered
    # nothing in its columns reads shorter. The parts hold the same rows, so pad them.
    longest = max(len(_trim_rows(rows)) for _, rows in parts) - 1
    frames = [_frame_from_rows(rows, path, name, n_body_rows=longest) for name, rows in parts]
    dataset, dropped = _join_dataset_parts(frames)
    labels_rows = _sheet_rows(workbook, lowered["labels"], path)
    labels = _labels_from_rows(labels_rows, path)
    structure = _frame_from_rows(
        _sheet_rows(workbook, lowered["structure"], path), path, "Structure"
    )
    structure = _check_structure(structure, path)
    shape = "A (SurveyXact .xlsx" + (f", delt i {len(parts)} ark)" if len(parts) > 1 else ")")
    return SurveyXactExport(path.name, path, shape, "xlsx", dataset, labels, structure, dropped)


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
    rows = [row for row in _trim_rows(rows) if any(cell not in ("", None) for cell in row)]
    if not rows or len(rows[0]) < 3:
        raise RawDataError(path, "arket/filen 'Labels' er tomt eller har ikke tre kolonner")
    labels = pd.DataFrame([row[:3] for row in rows], columns=["variable", "value", "label"])
    labels["variable"] = labels["variable"].astype(str).str.strip()
    labels["value"] = labels["value"].map(_code_text)
    labels["label"] = labels["label"].map(lambda s: "" if s is None else str(s))
    return labels


def _check_structure(structure: pd.DataFrame, path: Path) -> pd.DataFrame:
    structure = structure.loc[:, [c for c in structure.columns if c]]
    needed = {"variableName", "questionText"}
    if not needed <= set(structure.columns):
        raise RawDataError(path, "'Structure' mangler kolonnerne variableName og questionText")
    return structure


def _code_text(value: object) -> str:
    """A code as canonical text: 4.0 → '4', ' 9 ' → '9'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


# --------------------------------------------------------------------------- CSV dialects


def detect_encoding(head: bytes) -> str:
    """The encoding of a CSV file from its first bytes: UTF-16 by BOM, else UTF-8 if it
    decodes, else Windows-1252 (which decodes every byte)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is not evidence against UTF-8.
        if error.start < len(head) - 3:
            return "cp1252"
    return "utf-8"


def _first_line(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    text = head.decode(encoding, errors="ignore")
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


def detect_delimiter(line: str) -> str:
    """The delimiter of a CSV line: whichever of ``;``, tab and ``,`` occurs most."""
    counts = {delimiter: line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def sniff_csv(path: Path) -> tuple[str, str]:
    """``(encoding, delimiter)`` of a CSV file, read from its bytes."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip(b"\x00\r\n\t ;,\xff\xfe\xef\xbb\xbf"):
        raise RawDataError(path, "filen er tom")
    encoding = detect_encoding(head)
    return encoding, detect_delimiter(_first_line(path, encoding))


def _dialect_name(encoding: str, delimiter: str) -> str:
    return DIALECTS.get((encoding.replace("-sig", ""), delimiter), f"{delimiter!r}, {encoding}")


def _read_small_csv(path: Path, header: bool) -> tuple[list[list[str]], str, str]:
    encoding, delimiter = sniff_csv(path)
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        raise RawDataError(path, f"kan ikke afkodes som {encoding}") from None
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if header and not rows:
        raise RawDataError(path, "filen er tom")
    return rows, encoding, delimiter


def read_csv_table(path: Path, text_columns: set[str] | None = None, drop: frozenset = PERSONAL):
    """A delimited file with a header, read by pyarrow: ``(frame, encoding, delimiter, dropped)``.

    Columns in ``drop`` are never read. Columns in ``text_columns`` are kept as text (e.g. the
    respondent id, whose leading zeros matter); the rest are typed by pyarrow.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding, delimiter = sniff_csv(path)
    header_line = _first_line(path, encoding)
    header = next(csv.reader([header_line], delimiter=delimiter))
    header = [name.strip() for name in header]
    if not any(header):
        raise RawDataError(path, "mangler en overskriftsrække")
    keep = [name for name in header if name and name.lower() not in drop]
    dropped = [name for name in header if name and name.lower() in drop]
    text_columns = {c for c in (text_columns or set()) if c in keep}
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding.replace("-sig", ""),
                column_names=[name if name else f"_tom_{i}" for i, name in enumerate(header)],
                skip_rows=1,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=keep,
                column_types={name: pa.string() for name in text_columns},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0]
        if "Expected" in message and "columns" in message:
            raise RawDataError(
                path,
                f"en række har et forkert antal felter: filen er afkortet eller ødelagt ({message})",
            ) from None
        raise RawDataError(path, f"kan ikke læses som CSV ({message})") from None
    frame = table.to_pandas(types_mapper=None)
    return frame, encoding, delimiter, dropped


def read_surveyxact_csv(folder: Path) -> SurveyXactExport:
    """Shape B: a folder with ``dataset.csv``, ``labels.csv`` and ``structure.csv``."""
    files = {child.name.lower(): child for child in folder.iterdir() if child.is_file()}
    for needed in ("dataset.csv", "labels.csv", "structure.csv"):
        if needed not in files:
            raise RawDataError(folder, f"CSV-eksporten mangler {needed}")
    dataset_path = files["dataset.csv"]
    if dataset_path.stat().st_size == 0:
        raise RawDataError(folder, "dataset.csv er tom")
    try:
        dataset, encoding, delimiter, dropped = read_csv_table(
            dataset_path, text_columns={"responde"}
        )
    except RawDataError as error:
        raise RawDataError(folder, f"dataset.csv: {error.problem}") from None
    labels_rows, _, _ = _read_small_csv(files["labels.csv"], header=False)
    try:
        labels = _labels_from_rows(labels_rows, files["labels.csv"])
    except RawDataError as error:
        raise RawDataError(folder, f"labels.csv: {error.problem}") from None
    structure_rows, _, _ = _read_small_csv(files["structure.csv"], header=True)
    try:
        structure = _frame_from_rows(structure_rows, files["structure.csv"], "structure.csv")
        structure = _check_structure(structure, files["structure.csv"])
    except RawDataError as error:
        raise RawDataError(folder, f"structure.csv: {error.problem}") from None
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
        _dialect_name(encoding, delimiter),
        dataset,
        labels,
        structure,
        sorted(dropped),
    )


# --------------------------------------------------------------------------- flat CSV: shape C or outcomes


def _read_flat_csv(path: Path) -> RawSource:
    encoding, delimiter = sniff_csv(path)
    header = next(csv.reader([_first_line(path, encoding)], delimiter=delimiter))
    lowered = {name.strip().lower() for name in header}
    if {"kommunekode", "aar"} <= lowered:
        return OutcomeFile(
            path.name, path, _dialect_name(encoding, delimiter), _read_outcome_csv(path)
        )
    if "kommune" in lowered:
        rows, encoding, delimiter = _read_small_csv(path, header=True)
        table = _frame_from_rows([list(r) for r in rows], path, path.name)
        return _own_sheet(path, _dialect_name(encoding, delimiter), table)
    if {"responde", "kommune"} & lowered or any(n.lower().startswith("stato_") for n in header):
        raise RawDataError(
            path,
            "ligner en SurveyXact CSV-eksport, men den skal ligge i en mappe med labels.csv og structure.csv",
        )
    raise RawDataError(
        path,
        "kendes ikke som udfaldsfil (kommunekode, aar, …) eller kommunens eget skema (kolonne 'Kommune')",
    )


def _own_sheet(path: Path, dialect: str, table: pd.DataFrame) -> OwnSheet:
    """Keep the metadata and (possible) item columns; drop personal columns by name."""
    personal = re.compile(
        r"^(navn|name|e-?mail|mail|kommentar.*|kommenta|bemærkning.*|fritekst.*)$", re.I
    )
    dropped = [c for c in table.columns if personal.match(str(c).strip())]
    table = table.drop(columns=dropped)
    return OwnSheet(path.name, path, dialect, table, dropped)


def _outcome_table(table: pd.DataFrame, path: Path, decimal_comma: bool = False) -> pd.DataFrame:
    table = table.rename(columns=lambda c: str(c).strip().lower())
    unknown = [c for c in table.columns if c not in OUTCOME_COLUMNS]
    missing = [c for c in OUTCOME_COLUMNS if c not in table.columns]
    if unknown:
        raise RawDataError(path, f"udfaldsfilen har ukendte kolonner: {', '.join(unknown)}")
    if missing:
        raise RawDataError(path, f"udfaldsfilen mangler kolonnerne: {', '.join(missing)}")
    table = table.loc[:, list(OUTCOME_COLUMNS)].copy()
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
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise RawDataError(
                path, f"række {row}: '{values[bad].iloc[0]}' i {column} er ikke et tal"
            )
        table[column] = numbers.astype("float64")
    if table["kommunekode"].isna().any() or table["aar"].isna().any():
        row = (
            int(np.flatnonzero((table["kommunekode"].isna() | table["aar"].isna()).to_numpy())[0])
            + 2
        )
        raise RawDataError(path, f"række {row}: kommunekode eller aar mangler")
    table["kommunekode"] = table["kommunekode"].astype("int64")
    table["aar"] = table["aar"].astype("int64")
    table.insert(0, "kilde_raekke", np.arange(2, len(table) + 2, dtype="int64"))
    return table


def _read_outcome_csv(path: Path) -> pd.DataFrame:
    rows, _, _ = _read_small_csv(path, header=True)
    table = pd.DataFrame(rows[1:], columns=[c.strip() for c in rows[0]], dtype=object)
    table = table.loc[:, [c for c in table.columns if c]]
    return _outcome_table(table, path, decimal_comma=True)
