"""Unusable input: exit code 2, one Danish line per problem naming the file, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from omstilling_analysis.cli import main


@pytest.fixture
def raw_dir(tmp_path, examples_dir) -> Path:
    """A raw folder with the contract's good examples (2020 xlsx, 2022 CSV, an outcome file)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    source = examples_dir / "raw"
    shutil.copy(source / "selvevaluering_2020.xlsx", raw)
    shutil.copytree(source / "selvevaluering_2022", raw / "selvevaluering_2022")
    shutil.copy(source / "implementering_2021.xlsx", raw)
    for path in raw.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return raw


@pytest.fixture
def out_dir(tmp_path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "gammel.txt").write_text("fra en tidligere kørsel")
    return out


def _run(raw: Path, out: Path, capsys) -> tuple[int, list[str]]:
    code = main(["run", "--raw", str(raw), "--out", str(out), "--stille"])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def _untouched(out: Path) -> bool:
    return sorted(p.name for p in out.iterdir()) == ["gammel.txt"] and not any(
        p.name.startswith(".omstilling-") for p in out.parent.iterdir()
    )


def test_good_folder_runs_and_ignores_readme_and_hidden_files(raw_dir, out_dir, capsys):
    (raw_dir / "README.md").write_text("Rådata")
    (raw_dir / ".DS_Store").write_bytes(b"\x00\x01")
    (raw_dir / "noter.txt").write_text("noter")
    code, err = _run(raw_dir, out_dir, capsys)
    assert code == 0, err
    names = {p.name for p in out_dir.iterdir()}
    assert {"besvarelser.parquet", "udeladte.csv", "datakvalitet.csv", "manifest.json"} <= names


def _write_without_sheet(source: Path, target: Path, sheet: str) -> None:
    book = openpyxl.load_workbook(source)
    del book[sheet]
    book.save(target)


BROKEN = {
    "empty xlsx": lambda raw: (raw / "selvevaluering_2024.xlsx").write_bytes(b""),
    "truncated xlsx": lambda raw: (raw / "selvevaluering_2024.xlsx").write_bytes(
        (raw / "selvevaluering_2020.xlsx").read_bytes()[:5000]
    ),
    "not a spreadsheet": lambda raw: (raw / "selvevaluering_2024.xlsx").write_text("hej"),
    "no Labels": lambda raw: _write_without_sheet(
        raw / "selvevaluering_2020.xlsx", raw / "selvevaluering_2024.xlsx", "Labels"
    ),
    "no Structure": lambda raw: _write_without_sheet(
        raw / "selvevaluering_2020.xlsx", raw / "selvevaluering_2024.xlsx", "Structure"
    ),
    "outcome with unknown column": lambda raw: (raw / "implementering_2023.csv").write_bytes(
        "kommunekode;aar;piloter_igangsat;piloter_i_drift;piloter_skaleret;gevinst_mio_kr;"
        "digital_selvbetjening_pct;borgmester\r\n101;2023;3;2;1;1,5;70,1;x\r\n".encode("cp1252")
    ),
    "unknown csv": lambda raw: (raw / "noget_2024.csv").write_text("a;b\n1;2\n"),
    "unknown xlsx": lambda raw: openpyxl.Workbook().save(raw / "noget_2024.xlsx"),
    "empty csv": lambda raw: (raw / "skema_2024_odense.csv").write_bytes(b""),
    "csv export without labels": lambda raw: (raw / "selvevaluering_2022" / "labels.csv").unlink(),
    "truncated csv export": lambda raw: (raw / "selvevaluering_2022" / "dataset.csv").write_bytes(
        (raw / "selvevaluering_2022" / "dataset.csv").read_bytes()[:-150]
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_input_is_refused(case, raw_dir, out_dir, capsys):
    BROKEN[case](raw_dir)
    code, err = _run(raw_dir, out_dir, capsys)
    assert code == 2
    problem_lines = [
        line for line in err if line.startswith("fejl: ") and "intet er skrevet" not in line
    ]
    assert len(problem_lines) == 1, err
    named = problem_lines[0]
    assert any(
        name in named
        for name in (
            "selvevaluering_2024.xlsx",
            "implementering_2023.csv",
            "noget_2024",
            "skema_2024_odense.csv",
            "selvevaluering_2022",
        )
    )
    assert "Traceback" not in "\n".join(err)
    assert _untouched(out_dir)


def test_two_broken_files_give_two_lines(raw_dir, out_dir, capsys):
    BROKEN["empty xlsx"](raw_dir)
    BROKEN["unknown csv"](raw_dir)
    code, err = _run(raw_dir, out_dir, capsys)
    assert code == 2
    assert (
        len([line for line in err if line.startswith("fejl: ")]) == 3
    )  # two files + "intet er skrevet"
    assert _untouched(out_dir)


def test_truncated_csv_message_says_what_is_wrong(raw_dir, out_dir, capsys):
    BROKEN["truncated csv export"](raw_dir)
    _, err = _run(raw_dir, out_dir, capsys)
    # The row of the file at fault (the header is row 1) and what is wrong, never its cells.
    lines = (raw_dir / "selvevaluering_2022" / "dataset.csv").read_bytes().split(b"\r\n")
    last = len([line for line in lines if line])
    assert err[0] == (
        f"fejl: selvevaluering_2022: dataset.csv: række {last} har 3 felter, men overskriften "
        "har 49: filen er afkortet eller ødelagt, eller et skilletegn står i en celle uden "
        "anførselstegn"
    )


def test_subprocess_has_no_traceback_and_exit_2(raw_dir, out_dir):
    BROKEN["no Labels"](raw_dir)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "omstilling_analysis.cli",
            "run",
            "--raw",
            str(raw_dir),
            "--out",
            str(out_dir),
            "--stille",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "selvevaluering_2024.xlsx: SurveyXact-eksport uden arket 'Labels'" in done.stderr
    assert _untouched(out_dir)


def test_validate_reports_usable_and_unusable(raw_dir, capsys):
    assert main(["validate", str(raw_dir)]) == 0
    text = capsys.readouterr().out
    assert "selvevaluering_2022: kan bruges" in text
    assert "dialekt: semikolon, Windows-1252; bølge: 2022" in text
    assert "udeladt: ikke besvaret 5, for ufuldstændig 7, dublet 0, ukendt kommune 0" in text
    BROKEN["no Structure"](raw_dir)
    assert main(["validate", str(raw_dir / "selvevaluering_2024.xlsx")]) == 2
    assert (
        "fejl: selvevaluering_2024.xlsx: SurveyXact-eksport uden arket 'Structure'"
        in capsys.readouterr().out
    )


def test_missing_raw_folder(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                "--raw",
                str(tmp_path / "findes_ikke"),
                "--out",
                str(tmp_path / "o"),
                "--stille",
            ]
        )
        == 2
    )
    assert "findes_ikke: mappen findes ikke" in capsys.readouterr().err


def test_help_and_usage_errors_are_danish(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("brug: omstilling") and "vis denne hjælp og afslut" in text
    with pytest.raises(SystemExit) as done:
        main(["rapport"])
    assert done.value.code == 2
    assert "fejl: et af argumenterne --kommune --alle skal angives" in capsys.readouterr().err


def test_one_wave_without_outcomes_runs_and_says_what_it_skipped(raw_dir, out_dir, capsys):
    (raw_dir / "implementering_2021.xlsx").unlink()
    code = main(["run", "--raw", str(raw_dir), "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "bemærk: ingen udfaldsfiler i rådata: effekter er ikke beregnet" in captured.out
    import pandas as pd

    effects = pd.read_csv(out_dir / "effekter.csv")
    assert effects.empty and {"udfald", "tema", "p_justeret"} <= set(effects.columns)
    assert "RuntimeWarning" not in captured.err
