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
``ikke besvaret``), in CSV exactly as in ``.xlsx``. A file that cannot be used raises
:class:`RawDataError` with a one-line Danish message that names the file, the row or column
and the kind of problem, never a cell's content. What is wrong in a usable file (cells without
a header) is kept in the source's ``notes`` for the data-quality table.

Resource bounds: an ``.xlsx`` is a zip archive. Before it is read, the sizes its parts
decompress to are checked: at most :data:`MAX_XLSX_UNCOMPRESSED_BYTES` in all, and no part of
more than a megabyte may decompress to more than :data:`MAX_XLSX_RATIO` times its compressed
size (real exports stay below 20). A file beyond either bound (a "zip bomb", or one huge cell)
is refused before a byte of it is parsed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from omstilling_analysis.privacy import safe_header, strip_control

__all__ = [
    "DIALECTS",
    "MAX_XLSX_PART_FLOOR",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
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
    "detect_delimiter",
    "detect_encoding",
    "detect_file_encoding",
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
#: Personal data and free text: never read into a frame.
PERSONAL = frozenset({"email", "name", "kommenta"})
_DATASET_SHEET = re.compile(r"^dataset(\(\d+\))?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

#: The most an ``.xlsx`` may decompress to, all its parts together (1 GiB: some 750,000
#: respondent rows of a SurveyXact export).
MAX_XLSX_UNCOMPRESSED_BYTES = 1 << 30
#: The most a part of an ``.xlsx`` may decompress to per byte it takes in the file.
MAX_XLSX_RATIO = 100
#: Parts that decompress to less than this are never refused by their ratio.
MAX_XLSX_PART_FLOOR = 1 << 20

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

#: The problem text of a cell that stands in a column without a header.
NO_HEADER = "celle uden overskrift er ikke læst"


class RawDataError(Exception):
    """A raw file that cannot be used. ``str(error)`` is one Danish line naming the file."""

    def __init__(self, source: str | Path, problem: str):
        self.source = strip_control(Path(source).name)
        self.problem = strip_control(problem)
        super().__init__(f"{self.source}: {self.problem}")


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
    A folder is a CSV export when it holds ``dataset.csv``.
    """
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


# --------------------------------------------------------------------------- headers


def check_headers(header: list[str], path: Path, where: str = "") -> None:
    """Refuse a header row in which two columns carry the same name (case and spaces aside).

    The message names the header only when it cannot be personal (:func:`privacy.safe_header`),
    and always the columns' positions.
    """
    seen: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        key = " ".join(str(name).split()).lower()
        if key and key not in PERSONAL:
            seen.setdefault(key, []).append(number)
    for numbers in seen.values():
        if len(numbers) > 1:
            shown = safe_header(header[numbers[0] - 1])
            columns = " og ".join(str(n) for n in numbers)
            what = f"overskriften '{shown}'" if shown else "den samme overskrift"
            raise RawDataError(
                path,
                f"{where}{what} står i flere kolonner (kolonne {columns}): slet eller omdøb den ene",
            )


# --------------------------------------------------------------------------- xlsx


def check_xlsx_size(path: Path) -> None:
    """Refuse an ``.xlsx`` whose parts decompress far beyond the file's size (see the module).

    The sizes are those the archive declares, and each part is then decompressed as a stream
    (nothing kept) so that an archive that declares less than it holds is refused as well.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(part.file_size for part in parts)
            limit_text = f"{MAX_XLSX_UNCOMPRESSED_BYTES // (1 << 20)} MB"
            if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise RawDataError(
                    path,
                    f"regnearket fylder {total // (1 << 20)} MB udpakket; grænsen er {limit_text}",
                )
            for part in parts:
                if part.file_size > MAX_XLSX_PART_FLOOR and part.file_size > MAX_XLSX_RATIO * max(
                    part.compress_size, 1
                ):
                    raise RawDataError(
                        path,
                        "regnearket pakkes ud til mere end "
                        f"{MAX_XLSX_RATIO} gange sin størrelse (en zip-bombe eller en kæmpecelle) "
                        "og læses ikke",
                    )
            for part in parts:
                with archive.open(part) as stream:
                    while stream.read(1 << 22):
                        pass
    except RawDataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError):
        raise RawDataError(
            path, "regnearket kan ikke åbnes: det er ødelagt, afkortet eller ikke en .xlsx"
        ) from None
    except Exception:  # zlib.error and other decompression errors of a damaged part
        raise RawDataError(
            path, "regnearket kan ikke åbnes: det er ødelagt, afkortet eller ikke en .xlsx"
        ) from None


def _sheet_rows(workbook, name: str, path: Path, shown: str) -> list[list]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own error types; their text may quote cells
        raise RawDataError(path, f"{shown} kan ikke læses: regnearket er ødelagt") from None


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


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
        if len(row) != width and not all(_blank(cell) for cell in row):
            extra = row[width:]
            if strict and (len(row) < width or not all(_blank(cell) for cell in extra)):
                raise RawDataError(
                    path,
                    f"række {number} har {len(row)} felter, men overskriften har {width}: "
                    "filen er afkortet eller ødelagt, eller et skilletegn står i en celle uden "
                    "anførselstegn",
                )
            if notes is not None and extra and not all(_blank(cell) for cell in extra):
                first = width + next(i for i, cell in enumerate(extra) if not _blank(cell))
                notes.append((number, f"kolonne {first + 1}", NO_HEADER))
        cells = row[:width] + [""] * (width - len(row))
        if notes is not None and blank_columns:
            filled = [i for i in blank_columns if not _blank(cells[i])]
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
    rows = [row for row in _trim_rows(rows) if any(not _blank(cell) for cell in row)]
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


# --------------------------------------------------------------------------- CSV dialects

#: A UTF-8 encoded letter of Latin-1 (À … ÿ: the Danish letters among them).
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]")
#: Bytes Windows-1252 leaves undefined.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CHUNK = 1 << 24


def detect_encoding(head: bytes) -> str:
    """The encoding of a CSV file from its first bytes: UTF-16 by BOM, else UTF-8 if it
    decodes, else Windows-1252 (which decodes every byte). See :func:`detect_file_encoding`
    for the whole file."""
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


def _line_at(path: Path, offset: int) -> int:
    """The line (from 1) of the file that holds byte ``offset``."""
    lines, done = 1, 0
    with path.open("rb") as handle:
        while done < offset and (chunk := handle.read(min(_CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def detect_file_encoding(path: Path) -> str:
    """The encoding of a whole CSV file: ``utf-16`` (BOM), ``utf-8(-sig)`` or ``cp1252``.

    UTF-8 when every byte decodes as UTF-8, else Windows-1252. A file that holds UTF-8 letters
    and also bytes that are no UTF-8 (rows saved in two encodings), or bytes that neither
    decodes, is refused with the first line at fault. Read as a stream: memory stays small.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = path.read_bytes()
        try:
            text.decode("utf-16")
        except UnicodeDecodeError as error:
            line = text[: error.start].decode("utf-16", errors="replace").count("\n") + 1
            raise RawDataError(
                path, f"linje {line} kan ikke afkodes som UTF-16: filen er ødelagt"
            ) from None
        return "utf-16"
    bom = head.startswith(b"\xef\xbb\xbf")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    first_bad = cp1252_bad = None
    has_utf8_letter = False
    done, previous = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = previous + chunk
            has_utf8_letter = has_utf8_letter or bool(_UTF8_LETTER.search(window))
            if cp1252_bad is None and (hit := _CP1252_UNDEFINED.search(chunk)):
                cp1252_bad = done + hit.start()
            if first_bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    first_bad = max(done - pending + error.start, 0)
            done += len(chunk)
            previous = chunk[-1:]
    if first_bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            first_bad = max(done - 3, 0)
    if first_bad is None:
        return "utf-8-sig" if bom else "utf-8"
    if bom or has_utf8_letter:
        raise RawDataError(
            path,
            "tegnsættet er blandet: filen har både UTF-8 og andre tegn (fx Windows-1252); "
            f"første linje der ikke er UTF-8: {_line_at(path, first_bad)}. "
            "Gem filen igen med ét tegnsæt",
        )
    if cp1252_bad is not None:
        raise RawDataError(
            path,
            f"linje {_line_at(path, cp1252_bad)} kan hverken afkodes som UTF-8 eller "
            "Windows-1252: filen er ødelagt",
        )
    return "cp1252"


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
    encoding = detect_file_encoding(path)
    return encoding, detect_delimiter(_first_line(path, encoding))


def _dialect_name(encoding: str, delimiter: str) -> str:
    return DIALECTS.get((encoding.replace("-sig", ""), delimiter), f"{delimiter!r}, {encoding}")


def _read_small_csv(path: Path, header: bool) -> tuple[list[list[str]], str, str]:
    """Every record of a small CSV file. With ``header`` blank records are kept (they are rows
    a person sees); without, they are dropped (the Labels table has no rows to account for)."""
    encoding, delimiter = sniff_csv(path)
    text = path.read_bytes().decode(encoding)  # detect_file_encoding checked that it decodes
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    except csv.Error:
        raise RawDataError(path, "kan ikke læses som CSV: filen er ødelagt") from None
    if not header:
        rows = [row for row in rows if any(cell.strip() for cell in row)]
    if header and (not rows or not any(cell.strip() for cell in rows[0])):
        raise RawDataError(path, "mangler en overskriftsrække")
    return rows, encoding, delimiter


class _NeedsCarefulReading(Exception):
    """pyarrow's fast read met rows it cannot place: read the file the careful way."""


def read_csv_table(
    path: Path, text_columns: set[str] | None = None, drop: frozenset = PERSONAL
) -> tuple[pd.DataFrame, str, str, list[str], list[tuple[int, str, str]]]:
    """A delimited file with a header: ``(frame, encoding, delimiter, dropped, notes)``.

    One frame row per record after the header, blank lines included (as rows of missing
    values). Columns in ``drop`` are never read. Columns in ``text_columns`` are kept as text
    (e.g. the respondent id, whose leading zeros matter); the rest are typed by pyarrow.

    pyarrow reads the file when every record has the header's number of fields. Otherwise
    the file is read once more with Python's CSV reader, record by record: a whitespace-only
    line becomes a blank row, fields beyond the header that are empty are ignored, and any
    other record with the wrong number of fields is refused, naming its row.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding, delimiter = sniff_csv(path)
    header_line = _first_line(path, encoding)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        raise RawDataError(path, "mangler en overskriftsrække") from None
    header = [name.strip() for name in header]
    if not any(header):
        raise RawDataError(path, "mangler en overskriftsrække")
    check_headers(header, path)
    names = [name if name else f"_tom_{i}" for i, name in enumerate(header)]
    keep = [name for name in header if name and name.lower() not in drop]
    dropped = [name for name in header if name and name.lower() in drop]
    blank = [name for name in names if name.startswith("_tom_")]
    text_columns = {c for c in (text_columns or set()) if c in keep}
    invalid: list[int] = []

    def on_invalid(row) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    def read(source, careful: bool):
        strings = set(keep) | set(blank) if careful else text_columns | set(blank)
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                encoding="utf-8" if careful else encoding.replace("-sig", ""),
                column_names=names,
                skip_rows=1,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=None if careful else on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=keep + blank,
                column_types={name: pa.string() for name in strings},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        try:
            table = read(path, careful=False)
            if invalid:
                raise _NeedsCarefulReading
        except (pa.ArrowException, UnicodeDecodeError, _NeedsCarefulReading):
            table = read(_regular_records(path, encoding, delimiter, len(header)), careful=True)
    except (pa.ArrowException, UnicodeDecodeError):
        raise RawDataError(path, "kan ikke læses som CSV: filen er ødelagt") from None
    frame = table.to_pandas(types_mapper=None)
    notes: list[tuple[int, str, str]] = []
    for name in blank:
        values = frame[name]
        filled = values.notna() & (values.astype("string").str.strip() != "")
        rows = np.flatnonzero(filled.to_numpy(dtype=bool)) + 2
        notes += [(int(r), f"kolonne {names.index(name) + 1}", NO_HEADER) for r in rows]
    frame = frame.drop(columns=blank)
    return frame, encoding, delimiter, dropped, sorted(set(notes))


def _regular_records(path: Path, encoding: str, delimiter: str, width: int) -> io.BytesIO:
    """The file's records rewritten with exactly ``width`` fields each, in UTF-8.

    Whitespace-only records become empty rows and empty fields beyond the header are cut;
    any other record of the wrong width is refused with its row number (the header is row 1).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for number, record in enumerate(reader, start=1):
                if number > 1 and len(record) != width:
                    if not any(cell.strip() for cell in record):
                        record = [""] * width
                    elif len(record) > width and not any(c.strip() for c in record[width:]):
                        record = record[:width]
                    else:
                        raise RawDataError(
                            path,
                            f"række {number} har {len(record)} felter, men overskriften har "
                            f"{width}: filen er afkortet eller ødelagt, eller et skilletegn står "
                            "i en celle uden anførselstegn",
                        )
                writer.writerow(record)
        except csv.Error:
            raise RawDataError(path, "kan ikke læses som CSV: filen er ødelagt") from None
    return io.BytesIO(out.getvalue().encode("utf-8"))


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
        lambda: _labels_from_rows(_read_small_csv(files["labels.csv"], header=False)[0], folder),
    )
    structure = part(
        "structure.csv",
        lambda: _check_structure(
            _structure_frame(_read_small_csv(files["structure.csv"], header=True)[0], folder),
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
        _dialect_name(encoding, delimiter),
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
        header = next(csv.reader([_first_line(path, encoding)], delimiter=delimiter))
    except (csv.Error, StopIteration):
        raise RawDataError(path, "mangler en overskriftsrække") from None
    lowered = {name.strip().lower() for name in header}
    if {"kommunekode", "aar"} <= lowered:
        return OutcomeFile(
            path.name, path, _dialect_name(encoding, delimiter), _read_outcome_csv(path)
        )
    if "kommune" in lowered:
        rows, encoding, delimiter = _read_small_csv(path, header=True)
        notes: list[tuple[int, str, str]] = []
        table = _frame_from_rows(rows, path, "filen", strict=True, notes=notes)
        return _own_sheet(path, _dialect_name(encoding, delimiter), table, notes)
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
    rows, _, _ = _read_small_csv(path, header=True)
    table = _frame_from_rows(rows, path, "filen", strict=True)
    return _outcome_table(table, path, decimal_comma=True)
