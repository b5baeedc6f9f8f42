"""Property-based fuzzing of the readers (issue 13).

Valid small exports from synth, with distinctive personal strings planted in their cells, are
mutated at random: bytes inserted, deleted or replaced in a CSV file or an ``.xlsx``, cells of a
sheet replaced by arbitrary values. Whatever the mutation, reading the raw folder ends either
with every raw row of the file accounted for (counted + left out == the rows in the file, as
Python's csv module or the written table count them) or with a :class:`load.RawDataError` of
one Danish line naming the file; never another exception, and never a planted string in a
message, a data-quality row or a published role.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omstilling_analysis import clean, demo, pipeline

EMAIL = "lone.jensen@greve.dk"
CPR = "0101901234"
PLANTED = (EMAIL, CPR, "Lone Jensen")
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """A CSV export, an own CSV sheet and an own .xlsx sheet, personal strings in cells."""
    base = tmp_path_factory.mktemp("templates")
    export = demo.surveyxact_export(
        2022,
        style=demo.ExportStyle(item_names="code"),
        seed=5,
        municipalities=[101, 147, 751],
        respondents_per_municipality=(5, 7),
    )
    dataset = export.tables["Dataset"]
    dataset["bor_02"] = dataset["bor_02"].astype(object)
    dataset.loc[dataset.index[2], "bor_02"] = EMAIL
    dataset.loc[dataset.index[4], "bor_02"] = CPR
    demo.write_surveyxact_csv(export, base / "selvevaluering_2022", "semicolon-cp1252")
    demo.write_surveyxact_csv(export, base / "utf16" / "selvevaluering_2022", "tab-utf16")
    table = demo.own_sheet(2024, 461, n_respondents=10, seed=3).table.copy()
    table.loc[table.index[1], "Rolle"] = EMAIL
    table.loc[table.index[2], "BOR_01"] = "Lone Jensen"
    table.loc[table.index[3], "Kommune"] = CPR
    demo.write_own_sheet(table, base / "skema_2024_odense.csv")
    demo.write_own_sheet(table, base / "skema_2024_greve.xlsx")
    return base


def _check(raw_dir: Path, name: str, rows_in) -> None:
    """The property: ``name`` refused with one clean line, or each of its rows accounted for.

    ``rows_in`` is a function giving the independent count of the file's rows.
    """
    raw = pipeline.load_raw(raw_dir)
    messages = [str(e) for e in raw.errors]
    for message in messages:
        assert "\n" not in message and "\r" not in message
        assert message.startswith(f"{name}: ")
        for planted in PLANTED:
            assert planted not in message
        assert all(ch.isprintable() for ch in message)
    refused = any(e.source == name for e in raw.errors)
    sources = {s.source: s for s in raw.sources}
    assert refused != (name in sources)
    if refused:
        return
    source = sources[name]
    responses, left_out = clean.responses_and_left_out([source])
    assert len(responses) + len(left_out) == source.n_rows == rows_in()
    both = pd.concat([responses["kilde_raekke"], left_out["kilde_raekke"]])
    assert sorted(both) == list(range(2, source.n_rows + 2))
    shown = " ".join(
        [
            *source.problems["vaerdi"].astype(str),
            *source.problems["variabel"].astype(str),
            *responses["rolle"].dropna().astype(str),
        ]
    )
    for planted in PLANTED:
        assert planted not in shown
    assert all(ch.isprintable() for ch in shown)


def _csv_record_count(path: Path, delimiter: str = ";") -> int:
    """Records after the header by Python's csv module (the reference count)."""
    data = path.read_bytes()
    encodings = ["utf-16"] if data.startswith(b"\xff\xfe") else ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    lines = io.StringIO(text.lstrip("\ufeff"), newline="")
    return len(list(csv.reader(lines, delimiter=delimiter))) - 1


SPECIAL = [
    b";", b",", b"\t", b'"', b"\r\n", b"\n", b"\r", b"\x00", b"\xff", b"\xe6", "ø".encode(),
    b" ", b"\r\n\r\n", b"   \r\n", b";;;", EMAIL.encode(), b"\xef\xbb\xbf", b"=1+1", b"\x1b[2J",
]  # fmt: skip
payloads = st.one_of(st.sampled_from(SPECIAL), st.binary(min_size=1, max_size=4))
edits = st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]), payloads),
    min_size=1,
    max_size=4,
)


def _mutate(data: bytes, operations, keep_header: bool) -> bytes:
    start = data.index(b"\n") + 1 if keep_header and b"\n" in data else 0
    for where, kind, payload in operations:
        at = start + int(where * (len(data) - start))
        if kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(payload) :]
        else:
            data = data[:at] + payload + data[at + len(payload) :]
    return data


def _folder(templates: Path, names: list[str]) -> tuple[tempfile.TemporaryDirectory, Path]:
    holder = tempfile.TemporaryDirectory()
    raw = Path(holder.name) / "raw"
    raw.mkdir()
    for name in names:
        source = templates / name
        if source.is_dir():
            shutil.copytree(source, raw / name)
        else:
            shutil.copy(source, raw / name)
    return holder, raw


@FUZZ
@given(operations=edits, keep_header=st.booleans(), utf16=st.booleans())
def test_byte_mutations_of_a_csv_export(templates, operations, keep_header, utf16):
    holder, raw = _folder(templates / "utf16" if utf16 else templates, ["selvevaluering_2022"])
    with holder:
        path = raw / "selvevaluering_2022" / "dataset.csv"
        data = path.read_bytes()
        if utf16:  # whole UTF-16 code units, in the file's encoding
            operations = [(w, k, p.decode("latin-1").encode("utf-16-le")) for w, k, p in operations]
        mutated = _mutate(data, operations, keep_header)
        if utf16 and not mutated.startswith(b"\xff\xfe"):
            mutated = b"\xff\xfe" + mutated
        path.write_bytes(mutated)
        delimiter = "\t" if utf16 else ";"
        _check(raw, "selvevaluering_2022", lambda: _csv_record_count(path, delimiter))


@FUZZ
@given(operations=edits, keep_header=st.booleans())
def test_byte_mutations_of_an_own_csv_sheet(templates, operations, keep_header):
    holder, raw = _folder(templates, ["skema_2024_odense.csv"])
    with holder:
        path = raw / "skema_2024_odense.csv"
        path.write_bytes(_mutate(path.read_bytes(), operations, keep_header))
        _check(raw, "skema_2024_odense.csv", lambda: _csv_record_count(path))


@settings(max_examples=10, deadline=None)
@given(operations=edits)
def test_byte_mutations_of_an_xlsx(templates, operations):
    holder, raw = _folder(templates, ["skema_2024_greve.xlsx"])
    with holder:
        path = raw / "skema_2024_greve.xlsx"
        path.write_bytes(_mutate(path.read_bytes(), operations, keep_header=False))
        n = len(demo.own_sheet(2024, 461, n_respondents=10, seed=3).table)
        _check(raw, "skema_2024_greve.xlsx", lambda: n)


cell_values = st.one_of(
    st.none(),
    st.sampled_from([EMAIL, CPR, "Lone Jensen", " ", "Helt enig", "ved IKKE", "Leder", "1", "="]),
    st.text(max_size=12),
    st.integers(-5, 100_000),
    st.floats(-10, 10, allow_nan=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
)


@FUZZ
@given(
    cells=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 45), cell_values), max_size=12),
    header=st.one_of(
        st.none(),
        st.tuples(
            st.integers(0, 45),
            st.one_of(
                st.text(max_size=10),
                st.sampled_from(["Kommune", " rolle", "BOR_01", "Dato", "", EMAIL, "Navn"]),
            ),
        ),
    ),
    suffix=st.sampled_from(["xlsx", "csv"]),
)
def test_cell_mutations_of_an_own_sheet(cells, header, suffix):
    table = demo.own_sheet(2024, 461, n_respondents=10, seed=3).table
    table = table.astype(object).where(table.notna(), None)
    for row, column, value in cells:
        table.iat[row, column % table.shape[1]] = value
    if header is not None:
        columns = list(table.columns)
        columns[header[0] % len(columns)] = header[1]
        table.columns = columns
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder)
        name = f"skema_2024_greve.{suffix}"
        try:
            _write_table(table, raw / name)
        except UnicodeEncodeError:
            return  # not writable in the dialect (a letter outside Windows-1252): no file
        if suffix == "csv":
            count = lambda: _csv_record_count(raw / name)  # noqa: E731
        else:
            filled = table.map(lambda v: v is not None and v != "" and v == v).to_numpy()
            last = np.flatnonzero(filled.any(axis=1))
            count = lambda: int(last[-1]) + 1 if len(last) else 0  # noqa: E731
        _check(raw, name, count)


def _write_table(table: pd.DataFrame, path: Path) -> None:
    """A table as a sheet, whatever its headers (duplicates too): xlsx, or CSV in cp1252."""
    rows = [list(table.columns), *table.itertuples(index=False, name=None)]
    if path.suffix == ".csv":
        with path.open("w", encoding="cp1252", newline="") as handle:
            csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(
                [["" if v is None else v for v in row] for row in rows]
            )
        return
    import xlsxwriter

    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("Besvarelser")
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                if value is not None:
                    sheet.write(number, column, value)


@settings(max_examples=20, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["Dataset", "Labels"]),
            st.integers(0, 400),
            st.integers(0, 60),
            cell_values,
        ),
        max_size=12,
    ),  # fmt: skip
    split=st.sampled_from([None, 2]),
)
def test_cell_mutations_of_a_surveyxact_workbook(cells, split):
    export = demo.surveyxact_export(
        2022,
        style=demo.ExportStyle(item_names="code"),
        seed=5,
        municipalities=[101, 147],
        respondents_per_municipality=(5, 6),
    )
    tables = {
        name: frame.astype(object).where(frame.notna(), None)
        for name, frame in export.tables.items()
    }
    for sheet, row, column, value in cells:
        frame = tables[sheet]
        frame.iat[row % len(frame), column % frame.shape[1]] = value
    export = demo.SurveyXactExport(
        export.wave, export.style, tables, export.rows, export.cell_problems
    )
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder)
        name = "selvevaluering_2022.xlsx"
        demo.write_surveyxact_xlsx(export, raw / name, split_columns=split)
        dataset = tables["Dataset"]
        filled = dataset.map(lambda v: v is not None and v != "" and v == v).to_numpy()
        last = np.flatnonzero(filled.any(axis=1))
        _check(raw, name, lambda: int(last[-1]) + 1 if len(last) else 0)
