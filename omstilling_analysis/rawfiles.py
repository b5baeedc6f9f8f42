"""Raw files as bytes and records: encodings, CSV dialects, header checks, size bounds.

The shapes of :mod:`omstilling_analysis.load` are read through these functions; every problem
that makes a file unusable is a :class:`RawDataError` with one Danish line that names the file,
the row or column and the kind of problem, never a cell's content.

CSV: every record is one row (``kilde_raekke`` = its number, the header being 1), blank and
whitespace-only lines included, as a spreadsheet shows the file. The encoding is decided from the
whole file, and a file mixing encodings is refused with its first line at fault.

Resource bounds: an ``.xlsx`` is a zip archive. Before it is read, the sizes its parts
decompress to are checked: at most :data:`MAX_XLSX_UNCOMPRESSED_BYTES` (1 GiB) in all, and no
part of more than :data:`MAX_XLSX_PART_FLOOR` (1 MiB) may decompress to more than
:data:`MAX_XLSX_RATIO` (100) times its compressed size (real exports stay below 20), and the
shared strings (the text of all cells) may not exceed :data:`MAX_XLSX_SHARED_STRINGS_BYTES`
(256 MiB). A file
beyond either bound (a "zip bomb", or one huge cell) is refused before it is parsed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from omstilling_analysis.privacy import safe_header, strip_control

__all__ = [
    "DIALECTS",
    "MAX_XLSX_PART_FLOOR",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_SHARED_STRINGS_BYTES",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "NO_HEADER",
    "PERSONAL",
    "RawDataError",
    "check_headers",
    "check_xlsx_size",
    "detect_delimiter",
    "detect_encoding",
    "decode_file",
    "detect_file_encoding",
    "dialect_name",
    "first_line",
    "is_blank",
    "read_csv_table",
    "read_small_csv",
    "sniff_csv",
]

#: Personal data and free text: never read into a frame.
PERSONAL = frozenset({"email", "name", "kommenta"})
#: The most an ``.xlsx`` may decompress to, all its parts together (1 GiB: some 750,000
#: respondent rows of a SurveyXact export).
MAX_XLSX_UNCOMPRESSED_BYTES = 1 << 30
#: The most a part of an ``.xlsx`` may decompress to per byte it takes in the file.
MAX_XLSX_RATIO = 100
#: Parts that decompress to less than this are never refused by their ratio.
MAX_XLSX_PART_FLOOR = 1 << 20
#: The most the text of all cells of an ``.xlsx`` (its shared strings) may decompress to.
MAX_XLSX_SHARED_STRINGS_BYTES = 1 << 28


def _size_text(n_bytes: int) -> str:
    """A size in whole MB or GB as the messages state it (``1 GB``, ``256 MB``)."""
    if n_bytes >= 1 << 30:
        return f"{round(n_bytes / (1 << 30))} GB"
    return f"{max(round(n_bytes / (1 << 20)), 1)} MB"


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

    def __reduce__(self):
        # Pickled by its two parts (a source read in a forked child reports its error).
        return (type(self), (self.source, self.problem))


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
            if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise RawDataError(
                    path,
                    f"regnearket fylder {_size_text(total)} udpakket; grænsen er "
                    f"{_size_text(MAX_XLSX_UNCOMPRESSED_BYTES)}",
                )
            strings = sum(
                p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml")
            )
            if strings > MAX_XLSX_SHARED_STRINGS_BYTES:
                raise RawDataError(
                    path,
                    f"regnearkets tekster fylder {_size_text(strings)} udpakket (en kæmpecelle?); "
                    f"grænsen er {_size_text(MAX_XLSX_SHARED_STRINGS_BYTES)}",
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


def is_blank(cell: object) -> bool:
    """A cell that holds nothing: missing, or white space only."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


# --------------------------------------------------------------------------- CSV dialects

#: Bytes Windows-1252 leaves undefined.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


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


def _first_utf8_letter(data: bytes) -> bool:
    """Whether ``data`` holds a UTF-8 encoded letter of Latin-1 (``\\xc3`` then a continuation
    byte): found with ``bytes.find`` (memchr), which is many times faster than a regex scan."""
    at = data.find(b"\xc3")
    while at != -1:
        if at + 1 < len(data) and 0x80 <= data[at + 1] <= 0xBF:
            return True
        at = data.find(b"\xc3", at + 1)
    return False


def decode_file(path: Path, data: bytes) -> tuple[str, str]:
    """``(encoding, text)`` of a CSV file's bytes: ``utf-16`` (BOM), ``utf-8(-sig)`` or
    ``cp1252``; the text without a BOM.

    UTF-8 when every byte decodes as UTF-8, else Windows-1252. A file that holds UTF-8 letters
    and also bytes that are no UTF-8 (rows saved in two encodings), or bytes that neither
    decodes, is refused with the first line at fault. Every step is one C-level pass over the
    bytes (decode, ``find``), never a Python loop over lines.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return "utf-16", data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError as error:
            line = data[: error.start].decode("utf-16", errors="replace").count("\n") + 1
            raise RawDataError(
                path, f"linje {line} kan ikke afkodes som UTF-16: filen er ødelagt"
            ) from None
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    else:
        return ("utf-8-sig", text[1:]) if bom else ("utf-8", text)
    if bom or _first_utf8_letter(data):
        line = data.count(b"\n", 0, first_bad) + 1
        raise RawDataError(
            path,
            "tegnsættet er blandet: filen har både UTF-8 og andre tegn (fx Windows-1252); "
            f"første linje der ikke er UTF-8: {line}. "
            "Gem filen igen med ét tegnsæt",
        )
    undefined = [at for byte in _CP1252_UNDEFINED if (at := data.find(byte)) != -1]
    if undefined:
        line = data.count(b"\n", 0, min(undefined)) + 1
        raise RawDataError(
            path,
            f"linje {line} kan hverken afkodes som UTF-8 eller Windows-1252: filen er ødelagt",
        )
    return "cp1252", data.decode("cp1252")


def detect_file_encoding(path: Path) -> str:
    """The encoding of a whole CSV file (see :func:`decode_file`)."""
    return decode_file(path, path.read_bytes())[0]


def first_line(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    text = head.decode(encoding, errors="ignore")
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


def detect_delimiter(line: str) -> str:
    """The delimiter of a CSV line: whichever of ``;``, tab and ``,`` occurs most."""
    counts = {delimiter: line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


#: What a file that holds nothing may still hold: white space, delimiters, NUL bytes, BOMs.
_NOTHING = b"\x00\r\n\t ;,\xff\xfe\xef\xbb\xbf"


def sniff_csv(path: Path) -> tuple[str, str]:
    """``(encoding, delimiter)`` of a CSV file, read from its bytes."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip(_NOTHING):
        raise RawDataError(path, "filen er tom")
    encoding = detect_file_encoding(path)
    return encoding, detect_delimiter(first_line(path, encoding))


def dialect_name(encoding: str, delimiter: str) -> str:
    return DIALECTS.get((encoding.replace("-sig", ""), delimiter), f"{delimiter!r}, {encoding}")


def read_small_csv(path: Path, header: bool) -> tuple[list[list[str]], str, str]:
    """Every record of a small CSV file. With ``header`` blank records are kept (they are rows
    a person sees); without, they are dropped (the Labels table has no rows to account for)."""
    encoding, delimiter = sniff_csv(path)
    text = path.read_bytes().decode(encoding)  # detect_file_encoding checked that it decodes
    try:
        lines = io.StringIO(text.lstrip("\ufeff"), newline="")  # \r, \n and \r\n end a line
        rows = list(csv.reader(lines, delimiter=delimiter))
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

    # The file is read once: its encoding is decided from the bytes in memory, and pyarrow
    # parses UTF-8 from memory (its own transcoding of cp1252/UTF-16 runs in Python chunks and
    # took most of the read time).
    data = path.read_bytes()
    if not data[: 1 << 16].strip(_NOTHING):
        raise RawDataError(path, "filen er tom")
    encoding, text = decode_file(path, data)
    head = text[: 1 << 16]
    header_line = head.splitlines()[0] if head.strip() else ""
    delimiter = detect_delimiter(header_line)
    if encoding == "utf-8":
        utf8 = data
    elif encoding == "utf-8-sig":
        utf8 = memoryview(data)[3:]
    else:
        utf8 = text.encode("utf-8")
        data = b""  # only the UTF-8 copy is parsed: the file's bytes need not be held beside it
    del text, head
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
                encoding="utf-8",
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
            table = read(pa.BufferReader(pa.py_buffer(utf8)), careful=False)
            if invalid:
                raise _NeedsCarefulReading
        except (pa.ArrowException, UnicodeDecodeError, _NeedsCarefulReading):
            table = read(_regular_records(path, encoding, delimiter, len(header)), careful=True)
    except (pa.ArrowException, UnicodeDecodeError):
        raise RawDataError(path, "kan ikke læses som CSV: filen er ødelagt") from None
    del data, utf8
    # One pandas block per column, taken over from Arrow's buffers: no consolidating copy.
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
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
