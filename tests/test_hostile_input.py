"""Hostile input (issue 13, the input side): valid exports from synth, mutated one way each.

Every case ends as promised: exit 0 with every raw row accounted for (counted + left out ==
rows in, per file, the rows counted here independently of the loader), or exit 2 with one
Danish line naming the file and the problem; never a traceback, and never a value from a cell
(planted e-mails, CPR numbers, short free text, control characters) in a message or an output.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from omstilling_analysis import clean, demo, load, pipeline, privacy, rawfiles, roles, validate
from omstilling_analysis.cli import main

MUNICIPALITIES = [101, 147, 751, 492, 185, 169]
EMAIL = "jens.hansen@example.dk"
CPR = "010190-1234"
FREE_TEXT = "Ring Jens"
PLANTED = (EMAIL, CPR, FREE_TEXT, "\x00", "\x1b[31m")


def _export(wave: int = 2022, seed: int = 3, **style) -> demo.SurveyXactExport:
    style = {"item_names": "code", **style}
    return demo.surveyxact_export(
        wave,
        style=demo.ExportStyle(**style),
        seed=seed,
        municipalities=MUNICIPALITIES,
        respondents_per_municipality=(6, 9),
    )


def _own_table(n: int = 12, seed: int = 2) -> pd.DataFrame:
    return demo.own_sheet(2024, 461, n_respondents=n, seed=seed).table.copy()


def _csv_export(raw: Path, name: str = "selvevaluering_2022", **style) -> Path:
    return demo.write_surveyxact_csv(_export(**style), raw / name, "semicolon-cp1252")


def _run(raw: Path, out: Path, capsys) -> tuple[int, list[str]]:
    code = main(["run", "--raw", str(raw), "--out", str(out), "--stille"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err.strip().splitlines()


def _refused(raw: Path, tmp_path: Path, capsys, file: str) -> str:
    """Run and expect exit 2 with exactly one Danish problem line naming ``file``."""
    out = tmp_path / "out"
    code, err = _run(raw, out, capsys)
    assert code == 2, err
    problems = [
        line for line in err if line.startswith("fejl: ") and "intet er skrevet" not in line
    ]
    assert len(problems) == 1, err
    assert problems[0].startswith(f"fejl: {file}: ")
    assert not out.exists() or not any(out.iterdir())
    for planted in PLANTED:
        assert planted not in "\n".join(err)
    return problems[0]


def _csv_rows(path: Path, encoding: str, delimiter: str) -> int:
    """Data rows of a CSV file by Python's csv module: every record after the header."""
    text = path.read_bytes().decode(encoding).lstrip("\ufeff")
    return len(list(csv.reader(io.StringIO(text), delimiter=delimiter))) - 1


def _output_texts(out: Path) -> dict[str, str]:
    """Every output as text: CSV and JSON as written, workbooks' XML parts, Parquet's cells."""
    texts = {}
    for path in out.rglob("*"):
        if path.suffix in {".csv", ".json"}:
            texts[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                texts[path.name] = "".join(
                    archive.read(n).decode("utf-8")
                    for n in archive.namelist()
                    if n.endswith((".xml", ".rels"))
                )
        elif path.suffix == ".parquet":
            texts[path.name] = pd.read_parquet(path).astype(str).to_csv()
    return texts


def _assert_accounted(out: Path, rows_in: dict[str, int]) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counted = pd.read_parquet(out / "besvarelser.parquet")
    left_out = pd.read_csv(out / "udeladte.csv")
    for name, n in rows_in.items():
        mine = (counted["kilde"] == name).sum() + (left_out["kilde"] == name).sum()
        assert mine == n, name
        entry = next(i for i in manifest["input"] if i["kilde"] == name)
        assert entry["raekker_ind"] == n
    assert manifest["raekker"]["alle_raekker_gjort_rede_for"]


# --------------------------------------------------------------------------- 3: messages


@pytest.mark.parametrize("extra", [1, -1])
def test_csv_row_with_a_field_too_many_or_too_few_is_refused_without_its_cells(
    tmp_path, capsys, extra
):
    raw = tmp_path / "raw"
    folder = _csv_export(raw)
    path = folder / "dataset.csv"
    lines = path.read_bytes().split(b"\r\n")
    fields = lines[4].split(b";")
    fields[1] = EMAIL.encode()
    fields = fields + [b"Lone Jensen"] if extra > 0 else fields[:-1]
    lines[4] = b";".join(fields)
    path.write_bytes(b"\r\n".join(lines))
    width = len(lines[0].split(b";"))
    line = _refused(raw, tmp_path, capsys, "selvevaluering_2022")
    assert f"dataset.csv: række 5 har {width + extra} felter, men overskriften har {width}" in line
    assert "Lone" not in line


def test_outcome_cell_is_named_by_row_and_column_not_by_its_value(tmp_path, capsys):
    raw = tmp_path / "raw"
    _csv_export(raw)
    (raw / "implementering_2023.csv").write_bytes(
        "kommunekode;aar;piloter_igangsat;piloter_i_drift;piloter_skaleret;gevinst_mio_kr;"
        f"digital_selvbetjening_pct\r\n101;2023;3;2;1;1,5;70,1\r\n147;2023;3;2;1;kontakt {EMAIL};"
        "70\r\n".encode("cp1252")
    )
    line = _refused(raw, tmp_path, capsys, "implementering_2023.csv")
    assert line == "fejl: implementering_2023.csv: række 3: cellen i gevinst_mio_kr er ikke et tal"


def test_unknown_outcome_column_with_personal_header_is_named_by_position(tmp_path, capsys):
    raw = tmp_path / "raw"
    _csv_export(raw)
    (raw / "implementering_2023.csv").write_bytes(
        "kommunekode;aar;piloter_igangsat;piloter_i_drift;piloter_skaleret;gevinst_mio_kr;"
        f"digital_selvbetjening_pct;{EMAIL}\r\n101;2023;3;2;1;1,5;70,1;x\r\n".encode("cp1252")
    )
    line = _refused(raw, tmp_path, capsys, "implementering_2023.csv")
    assert line.endswith("udfaldsfilen har ukendte kolonner: kolonne 8")


# --------------------------------------------------------------------------- 4: vocabulary


def test_personal_data_in_own_sheet_cells_and_headers_never_reaches_an_output(tmp_path, capsys):
    raw = tmp_path / "raw"
    _csv_export(raw)
    table = _own_table()
    table.loc[table.index[0], "Rolle"] = EMAIL
    table.loc[table.index[1], "Rolle"] = CPR
    table.loc[table.index[2], "Rolle"] = "  LEDER "
    table.loc[table.index[3], "Rolle"] = "direktør"
    table.loc[table.index[4], "BOR_01"] = FREE_TEXT
    table.loc[table.index[5], "BOR_02"] = "Helt\x00enig"
    table.loc[table.index[6], "BOR_03"] = "\x1b[31mHelt enig"
    table[f"Udfyldt af {EMAIL}"] = "x"
    demo.write_own_sheet(table, raw / "skema_2024_odense.xlsx")
    out = tmp_path / "out"
    code, err = _run(raw, out, capsys)
    assert code == 0, err
    for name, text in _output_texts(out).items():
        for planted in PLANTED:
            assert planted not in text, (name, planted)
    responses = pd.read_parquet(out / "besvarelser.parquet")
    own = responses[responses["kilde"] == "skema_2024_odense.xlsx"].set_index("kilde_raekke")
    assert set(responses["rolle"].dropna()) <= {*roles.ROLES, roles.UNKNOWN_ROLE}
    for row, expected in ((2, roles.UNKNOWN_ROLE), (3, roles.UNKNOWN_ROLE), (4, "Leder")):
        if row in own.index:
            assert own.loc[row, "rolle"] == expected
    quality = pd.read_csv(out / "datakvalitet.csv", keep_default_na=False)
    own_quality = quality[quality["kilde"] == "skema_2024_odense.xlsx"]
    role_rows = own_quality[own_quality["variabel"] == "Rolle"]
    assert sorted(role_rows["kilde_raekke"]) == [2, 3]
    assert set(role_rows["vaerdi"]) == {privacy.WITHHELD}
    header_rows = own_quality[own_quality["kilde_raekke"] == 1]
    column = list(table.columns).index(f"Udfyldt af {EMAIL}") + 1
    assert f"kolonne {column}" in set(header_rows["variabel"])
    assert set(own_quality.loc[own_quality["kilde_raekke"].isin([6, 7, 8]), "vaerdi"]) == {
        privacy.WITHHELD
    }


def test_role_synonyms_and_variants_map_to_the_instrument():
    typed = {
        "Direktør": "Direktion",
        " digitaliseringschef  eller – konsulent. ": "Digitaliseringschef eller -konsulent",
        "Digitaliseringskonsulent": "Digitaliseringschef eller -konsulent",
        "fagchef": "Fagchef",
        "Teamleder": "Leder",
        "MEDARBEJDER": "Medarbejder",
        "anden": "Andet",
        "Leder, Jens": roles.UNKNOWN_ROLE,
        "": None,
    }
    assert {text: roles.canonical_role(text) for text in typed} == typed


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (7.0, "7"), ("99", "99"), ("-1", "-1"), ("1,5", "1,5"), ("12345", privacy.WITHHELD),
        ("Jens", privacy.WITHHELD), (FREE_TEXT, privacy.WITHHELD), (EMAIL, privacy.WITHHELD),
        ("0101901234", privacy.WITHHELD), ("ved ikke / IKKE relevant", "Ved ikke / ikke relevant"),
        ("bor_01", "BOR_01"), ("1\x00", privacy.WITHHELD), ("", ""), (None, ""),
    ],
)  # fmt: skip
def test_data_quality_values_pass_an_allow_list(value, shown):
    assert privacy.safe_cell_value(value) == shown
    assert privacy.safe_cell_value(shown) == shown  # idempotent


# --------------------------------------------------------------------------- 5: rows


def test_blank_and_whitespace_lines_in_a_csv_export_are_rows_in_place(tmp_path, capsys):
    raw = tmp_path / "raw"
    folder = _csv_export(raw)
    path = folder / "dataset.csv"
    lines = path.read_bytes().split(b"\r\n")
    n_data = len([line for line in lines[1:] if line])
    # After the header and a data row: an empty line; after two more rows: a line of spaces.
    lines[2:2] = [b""]
    lines[5:5] = [b"  \t "]
    path.write_bytes(b"\r\n".join(lines))
    out = tmp_path / "out"
    code, err = _run(raw, out, capsys)
    assert code == 0, err
    left_out = pd.read_csv(out / "udeladte.csv").set_index("kilde_raekke")
    assert left_out.loc[3, "aarsag"] == "ikke besvaret"
    assert left_out.loc[6, "aarsag"] == "ikke besvaret"
    assert _csv_rows(path, "cp1252", ";") == n_data + 2
    _assert_accounted(out, {"selvevaluering_2022": n_data + 2})
    # A row after the inserted lines keeps the number a person sees: the respondent on line 8
    # of the file is counted or left out at kilde_raekke 8, with its id.
    respondent = next(csv.reader([lines[7].decode("cp1252")], delimiter=";"))
    raw_data = pipeline.load_raw(raw)
    candidates = raw_data.sources[0].candidates.set_index("kilde_raekke")
    wave = int(candidates.loc[8, "boelge"])
    assert (
        candidates.loc[8, "_noegle"]
        == privacy.respondent_key_numbers([respondent[0]], prefix=f"{wave}:")[0]
    )
    # Every other row reads as the untouched file reads it (by pyarrow's fast path), one or two
    # rows further down: the careful reading of a file with a whitespace line changes nothing.
    pristine = _csv_export(tmp_path / "pristine")
    before = pipeline.load_raw(pristine.parent).sources[0].candidates
    moved = before["kilde_raekke"] + (before["kilde_raekke"] >= 3) + (before["kilde_raekke"] >= 5)
    after = candidates.loc[moved.to_numpy()].reset_index()
    columns = ["_noegle", "kommunekode", "rolle", "antal_ved_ikke", *clean.response_columns()[6:-1]]
    pd.testing.assert_frame_equal(
        after[columns], before[columns].reset_index(drop=True), check_dtype=False
    )


def test_blank_lines_in_an_own_csv_sheet_count_as_in_xlsx(tmp_path):
    table = _own_table()
    blank = pd.DataFrame([[None] * table.shape[1]], columns=table.columns)
    with_blank = pd.concat([table.iloc[:3], blank, table.iloc[3:]], ignore_index=True)
    demo.write_own_sheet(with_blank, tmp_path / "xlsx" / "skema_2024_odense.xlsx")
    path = demo.write_own_sheet(table, tmp_path / "csv" / "skema_2024_odense.csv")
    lines = path.read_bytes().split(b"\r\n")
    lines[4:4] = [b"   "]
    path.write_bytes(b"\r\n".join(lines))
    results = {}
    for kind in ("xlsx", "csv"):
        raw = pipeline.load_raw(tmp_path / kind)
        assert raw.errors == []
        responses, left_out = clean.responses_and_left_out(raw.sources)
        results[kind] = (responses, left_out)
        assert len(responses) + len(left_out) == len(table) + 1
        assert left_out.set_index("kilde_raekke").loc[5, "aarsag"] == "ikke besvaret"
    xlsx, csv_ = results["xlsx"], results["csv"]
    assert xlsx[0]["kilde_raekke"].tolist() == csv_[0]["kilde_raekke"].tolist()
    assert xlsx[1]["kilde_raekke"].tolist() == csv_[1]["kilde_raekke"].tolist()


def test_mixed_utf8_and_windows_1252_rows_are_refused_with_the_line(tmp_path, capsys):
    raw = tmp_path / "raw"
    table = _own_table()
    path = demo.write_own_sheet(table, raw / "skema_2024_odense.csv")  # cp1252
    lines = path.read_bytes().split(b"\r\n")
    assert list(table.columns)[0] == "Kommune"
    lines[3] = "Ærø".encode() + b";" + lines[3].split(b";", 1)[1]
    lines[6] = "Ærø".encode("cp1252") + b";" + lines[6].split(b";", 1)[1]
    path.write_bytes(b"\r\n".join(lines))
    line = _refused(raw, tmp_path, capsys, "skema_2024_odense.csv")
    assert "tegnsættet er blandet" in line and "første linje der ikke er UTF-8: 7" in line


def test_late_windows_1252_letters_after_ascii_are_read_as_windows_1252(tmp_path):
    path = tmp_path / "skema.csv"
    head = "Kommune;Rolle\r\n" + "Odense;Leder\r\n" * 5000
    path.write_bytes(head.encode("ascii") + "Ærø;Leder\r\n".encode("cp1252"))
    assert rawfiles.detect_file_encoding(path) == "cp1252"


@pytest.mark.parametrize("header", ["Kommune", "Rolle"])
def test_duplicated_own_sheet_header_is_refused(tmp_path, capsys, header):
    raw = tmp_path / "raw"
    table = _own_table()
    columns = list(table.columns)
    table.insert(len(columns), f"{header.upper()} ", table[header])
    demo.write_own_sheet(table, raw / "skema_2024_odense.xlsx")
    line = _refused(raw, tmp_path, capsys, "skema_2024_odense.xlsx")
    position = columns.index(header) + 1
    assert f"overskriften '{header}' står i flere kolonner (kolonne {position} og" in line


def test_duplicated_personal_header_is_refused_without_its_text(tmp_path, capsys):
    raw = tmp_path / "raw"
    folder = _csv_export(raw)
    path = folder / "dataset.csv"
    text = path.read_bytes().decode("cp1252")
    header, rest = text.split("\r\n", 1)
    fields = header.split(";")
    fields[-1] = fields[-2] = f"Svar fra {EMAIL}"
    path.write_bytes(("\r\n".join([";".join(fields), rest])).encode("cp1252"))
    line = _refused(raw, tmp_path, capsys, "selvevaluering_2022")
    assert "den samme overskrift står i flere kolonner" in line


def test_conflicting_labels_leave_the_code_unguessed_and_listed(tmp_path):
    export = _export()
    labels = export.tables["Labels"]
    first = labels[labels.iloc[:, 0] == "bor_01"].iloc[[0]].copy()
    first.iloc[0, 2] = "Noget helt andet"
    export.tables["Labels"] = pd.concat([labels, first], ignore_index=True)
    demo.write_surveyxact_xlsx(export, tmp_path / "selvevaluering_2022.xlsx")
    raw = pipeline.load_raw(tmp_path)
    assert raw.errors == []
    source = raw.sources[0]
    code = load.code_text(first.iloc[0, 1])
    problems = source.problems
    note = problems[(problems["kilde_raekke"] == 1) & (problems["variabel"] == "bor_01")]
    assert note["vaerdi"].tolist() == [code] and "to forskellige tekster" in note["problem"].iloc[0]
    dataset = export.tables["Dataset"]
    with_code = (dataset["bor_01"].map(load.code_text) == code).to_numpy()
    cells = problems[(problems["kilde_raekke"] > 1) & (problems["variabel"] == "bor_01")]
    assert sorted(cells["kilde_raekke"]) == sorted((with_code.nonzero()[0] + 2).tolist())
    assert source.candidates.loc[with_code, "BOR_01"].isna().all()


def test_cells_beyond_the_header_of_a_sheet_are_listed_not_dropped_silently(tmp_path):
    table = _own_table()
    path = demo.write_own_sheet(table, tmp_path / "skema_2024_odense.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.cell(row=4, column=table.shape[1] + 3, value=EMAIL)
    book.save(path)
    raw = pipeline.load_raw(tmp_path)
    assert raw.errors == []
    problems = raw.sources[0].problems
    beyond = problems[problems["problem"] == load.NO_HEADER]
    assert beyond[["kilde_raekke", "variabel", "vaerdi"]].values.tolist() == [
        [4, f"kolonne {table.shape[1] + 3}", ""]
    ]
    assert raw.sources[0].n_rows == len(table)


def test_control_characters_in_a_file_name_are_refused(tmp_path, capsys):
    raw = tmp_path / "raw"
    _csv_export(raw)
    demo.write_own_sheet(_own_table(), raw / "skema_2024\x1b[31m.xlsx")
    line = _refused(raw, tmp_path, capsys, "skema_2024?[31m.xlsx")
    assert "filnavnet indeholder styretegn" in line


# --------------------------------------------------------------------------- 6: validate


def test_validate_counts_what_run_counts_across_files_and_refuses_what_run_refuses(
    tmp_path, capsys
):
    raw = tmp_path / "raw"
    first = _export(seed=21)
    second = _export(seed=21, item_names="q", scale="enig1-vi6")  # the same respondents
    second.tables["Dataset"]["closetim"] = first.tables["Dataset"]["closetim"]
    demo.write_surveyxact_csv(first, raw / "selvevaluering_2022", "semicolon-cp1252")
    demo.write_surveyxact_xlsx(second, raw / "selvevaluering_2022_b.xlsx")
    assert main(["validate", str(raw)]) == 0
    text = capsys.readouterr().out
    out = tmp_path / "out"
    code, err = _run(raw, out, capsys)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            current = blocks.setdefault(line.split(":")[0], [line])
        else:
            current.append(line.strip())
    for entry in manifest["input"]:
        block = blocks[entry["kilde"]]
        left = entry["raekker_udeladt"]
        assert block[0] == f"{entry['kilde']}: kan bruges"
        if "raekker_talt" not in entry:
            continue  # an outcome file
        assert f"rækker: {entry['raekker_ind']}, heraf talt: {entry['raekker_talt']}" in block
        assert "udeladt: " + ", ".join(f"{r} {left.get(r, 0)}" for r in clean.REASONS) in block
    assert sum(e["raekker_udeladt"].get("dublet", 0) for e in manifest["input"]) > 0
    # A file run refuses: validate does not call it usable.
    table = _own_table()
    table["kommune"] = table["Kommune"]
    demo.write_own_sheet(table, raw / "skema_2024_odense.xlsx")
    assert main(["validate", str(raw)]) == 2
    text = capsys.readouterr().out
    assert (
        "fejl: skema_2024_odense.xlsx: " in text
        and "skema_2024_odense.xlsx: kan bruges" not in text
    )
    lines, usable = validate.describe_paths([raw / "skema_2024_odense.xlsx"])
    assert not usable


# --------------------------------------------------------------------------- 8: degenerate


def test_outcomes_that_link_to_no_municipality_run(tmp_path, capsys):
    raw = tmp_path / "raw"
    _csv_export(raw)
    (raw / "implementering_2023.csv").write_bytes(
        "kommunekode;aar;piloter_igangsat;piloter_i_drift;piloter_skaleret;gevinst_mio_kr;"
        "digital_selvbetjening_pct\r\n9999;2023;3;2;1;1,5;70,1\r\n860;2023;1;1;0;0,5;50\r\n"
        "\r\n".encode("cp1252")
    )
    out = tmp_path / "out"
    code, err = _run(raw, out, capsys)
    assert code == 0, err
    quality = pd.read_csv(out / "datakvalitet.csv", keep_default_na=False)
    unknown = quality[quality["problem"] == "ukendt kommunekode"]
    assert unknown[["kilde", "kilde_raekke"]].values.tolist() == [["implementering_2023.csv", 2]]


# --------------------------------------------------------------------------- 10: bounds


def _with_extra_part(source: Path, target: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item, old.read(item.filename))
        new.writestr(name, data)


def test_xlsx_that_decompresses_far_beyond_its_size_is_refused_before_reading(
    tmp_path, capsys, monkeypatch
):
    raw = tmp_path / "raw"
    _csv_export(raw)
    good = demo.write_own_sheet(_own_table(), tmp_path / "good.xlsx")
    _with_extra_part(good, raw / "skema_2024_odense.xlsx", "xl/media/bomb.bin", b"A" * 20_000_000)
    size = (raw / "skema_2024_odense.xlsx").stat().st_size
    assert size < 200_000

    def no_parse(*args, **kwargs):
        raise AssertionError("the bomb was parsed")

    import python_calamine

    class NoWorkbook:
        from_path = staticmethod(no_parse)

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", NoWorkbook)
    line = _refused(raw, tmp_path, capsys, "skema_2024_odense.xlsx")
    assert f"mere end {rawfiles.MAX_XLSX_RATIO} gange sin størrelse" in line
    # The bound on the total: a real export of many rows beyond it (the limit made small here).
    (raw / "skema_2024_odense.xlsx").unlink()
    demo.write_own_sheet(_own_table(), raw / "skema_2024_odense.xlsx")
    monkeypatch.undo()
    monkeypatch.setattr(rawfiles, "MAX_XLSX_UNCOMPRESSED_BYTES", 10_000)
    line = _refused(raw, tmp_path, capsys, "skema_2024_odense.xlsx")
    assert "udpakket; grænsen er 1 MB" in line  # 10,000 bytes stated as at least 1 MB
    monkeypatch.undo()
    # One huge cell that compresses poorly: the shared strings' bound.
    monkeypatch.setattr(rawfiles, "MAX_XLSX_SHARED_STRINGS_BYTES", 1 << 20)
    (raw / "skema_2024_odense.xlsx").unlink()
    _with_extra_part(
        good, raw / "skema_2024_odense.xlsx", "xl/x/sharedStrings.xml", _incompressible()
    )
    line = _refused(raw, tmp_path, capsys, "skema_2024_odense.xlsx")
    assert line.endswith(
        "regnearkets tekster fylder 2 MB udpakket (en kæmpecelle?); grænsen er 1 MB"
    )


def _incompressible() -> bytes:
    """2 MiB of bytes that do not compress."""
    import numpy as np

    return np.random.default_rng(1).integers(0, 256, 2 << 20, dtype=np.uint8).tobytes()
