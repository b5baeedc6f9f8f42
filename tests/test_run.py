"""The whole `omstilling run` on synthetic data: the contract's outputs, the manifest, privacy."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from omstilling_analysis import demo, pipeline, reference
from omstilling_analysis.cli import main
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()
CONTRACT_COLUMNS = {
    "besvarelser.parquet": [
        "respondent_key",
        "boelge",
        "kommunekode",
        "rolle",
        "kilde",
        "kilde_raekke",
        *reference.all_items(),
        "antal_ved_ikke",
    ],
    "udeladte.csv": ["kilde", "kilde_raekke", "boelge", "aarsag"],
    "datakvalitet.csv": ["kilde", "kilde_raekke", "variabel", "vaerdi", "problem"],
    "respondentscorer.parquet": ["respondent_key", "boelge", "kommunekode", *THEMES],
    "kommunescorer.parquet": [
        "boelge",
        "kommunekode",
        "kommune",
        "region",
        "n_respondenter",
        *THEMES,
        "modenhedsindeks",
        "modenhedsniveau",
    ],
    "reliabilitet.csv": ["boelge", "tema", "n", "alpha", "alpha_ci_lav", "alpha_ci_hoej", "omega"],
    "klynger.csv": ["boelge", "kommunekode", "klynge", "klyngenavn"],
    "effekter.csv": [
        "boelge",
        "udfald",
        "tema",
        "estimat",
        "ci_lav",
        "ci_hoej",
        "p",
        "p_justeret",
        "n",
    ],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    raw, out = base / "raw", base / "out"
    demo.generate(raw, seed=11)
    result = pipeline.run(raw, out, Settings(n_bootstrap=25))
    return raw, out, result


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


@pytest.mark.parametrize("name", sorted(CONTRACT_COLUMNS))
def test_contract_outputs_with_their_columns(run, name):
    _, out, _ = run
    table = _read(out / name)
    assert len(table) > 0
    assert set(CONTRACT_COLUMNS[name]) <= set(table.columns)


def test_summaries_figures_and_manifest_exist(run):
    _, out, _ = run
    assert {f"opsummering_{w}.xlsx" for w in (2020, 2022, 2024)} <= {p.name for p in out.iterdir()}
    assert len(list((out / "til_videncenter" / "figurer").glob("*.png"))) >= 10
    assert not [p for p in out.parent.iterdir() if p.name.startswith((".out.ny-", ".out.gammel-"))]


def test_manifest_accounts_for_every_row_and_input(run):
    raw, out, _ = run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["raekker"]
    counted, left = len(_read(out / "besvarelser.parquet")), len(_read(out / "udeladte.csv"))
    assert rows["talt"] == counted and rows["udeladt"] == left
    assert rows["ind"] == counted + left and rows["alle_raekker_gjort_rede_for"]
    inputs = {entry["kilde"]: entry for entry in manifest["input"]}
    assert set(inputs) == {p.name for p in raw.iterdir()} - {"DEMODATA.md"}
    for name, entry in inputs.items():
        path = raw / name
        if path.is_file():
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["indstillinger"]["n_bootstrap"] == 25
    assert manifest["versioner"]["pandas"] == pd.__version__


def test_scores_follow_the_contract(run):
    _, out, _ = run
    responses = _read(out / "besvarelser.parquet")
    municipal = _read(out / "kommunescorer.parquet")
    counts = responses.groupby(["boelge", "kommunekode"]).size()
    merged = municipal.set_index(["boelge", "kommunekode"])
    assert (merged["n_respondenter"] == counts.reindex(merged.index)).all()
    complete = merged.dropna(subset=THEMES)
    assert ((complete[THEMES].mean(axis=1) - complete["modenhedsindeks"]).abs() < 1e-12).all()


def _personal_values(raw: Path) -> set[str]:
    """E-mails, names and free-text comments as they stand in the raw exports."""
    values: set[str] = set()
    for folder in raw.iterdir():
        if folder.is_dir():
            text = (folder / "dataset.csv").read_bytes()
            encoding = "utf-16" if text.startswith(b"\xff\xfe") else "cp1252"
            sep = "\t" if encoding == "utf-16" else (";" if b";" in text.splitlines()[0] else ",")
            table = pd.read_csv(folder / "dataset.csv", sep=sep, encoding=encoding, dtype=str)
        elif folder.name.startswith("selvevaluering") and folder.suffix == ".xlsx":
            sheets = pd.read_excel(folder, sheet_name=None, engine="calamine", dtype=str)
            table = pd.concat([s for n, s in sheets.items() if n.startswith("Dataset")], axis=1)
        else:
            continue
        for column in ("email", "name", "kommenta"):
            if column in table:
                values |= {v for v in table[column].dropna() if len(v) >= 4}
    return values


def _output_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return "\n".join(
                book.read(n).decode("utf-8", "ignore")
                for n in book.namelist()
                if n.endswith(".xml")
            )
    if path.suffix in {".csv", ".json", ".txt", ".md"}:
        return path.read_text(encoding="utf-8")
    return ""


def test_no_personal_data_in_any_output(run):
    raw, out, result = run
    personal = _personal_values(raw)
    assert any("@" in v for v in personal) and len(personal) > 100  # the raw data do hold some
    outputs = [p for p in out.rglob("*") if p.is_file()]
    text = "\n".join(_output_text(p) for p in outputs)
    leaked = [v for v in personal if v in text]
    assert leaked == []
    assert not re.search(r"[\w.]+@[\w-]+\.\w+", text)
    # Not even in memory: the frames of the run have no such column.
    for table in result.tables.values():
        assert not {"email", "name", "kommenta"} & set(map(str, table.columns))


def test_workbooks_hold_no_formulas(run):
    _, out, _ = run
    for book_path in out.glob("opsummering_*.xlsx"):
        with zipfile.ZipFile(book_path) as book:
            for name in book.namelist():
                if name.startswith("xl/worksheets/"):
                    assert "<f>" not in book.read(name).decode("utf-8")


def test_rapport_command_for_one_municipality(run, capsys):
    _, out, _ = run
    assert main(["rapport", "--kommune", "Aarhus", "--resultater", str(out)]) == 0
    assert (out / "rapport_751_2024.xlsx").exists()
    assert main(["rapport", "--kommune", "Frederiks", "--resultater", str(out)]) == 2
    assert "fejl:" in capsys.readouterr().err


def test_rerun_replaces_outputs_and_keeps_other_files(run, tmp_path):
    raw, _, _ = run
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("behold mig")
    settings_file = tmp_path / "indstillinger.toml"
    settings_file.write_text("bootstrap = 10\nklynge_k = 3\n", encoding="utf-8")
    args = [
        "kør",
        "--raw",
        str(raw),
        "--out",
        str(out),
        "--stille",
        "--indstillinger",
        str(settings_file),
    ]
    assert main(args) == 0
    assert (out / "README.md").read_text() == "behold mig"
    assert (out / "besvarelser.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["indstillinger"]["n_clusters"] == 3
    assert pd.read_csv(out / "klynger.csv").groupby("boelge")["klynge"].nunique().eq(3).all()


def test_files_encoded_ahead_are_the_same_files(run, tmp_path):
    """The run encodes besvarelser.parquet in a forked child as soon as the table is made
    (RunResult.encoding), and the row-level CSVs while it waits for its children
    (RunResult.encoded); written from those bytes they are the files the tables give when
    written at the end, and a result without them writes them itself."""
    raw, out, result = run
    assert set(result.encoding) == {"besvarelser.parquet"}
    assert (
        set(result.encoded) == set(pipeline.ROW_LEVEL_CSVS) == {"udeladte.csv", "datakvalitet.csv"}
    )
    written_at_the_end = tmp_path / "besvarelser.parquet"
    result.tables["besvarelser.parquet"].to_parquet(written_at_the_end, index=False)
    assert (out / "besvarelser.parquet").read_bytes() == written_at_the_end.read_bytes()
    plain = dataclasses.replace(result, encoding={}, encoded={})
    pipeline.write_run_files(plain, tmp_path / "out")
    for name in ("besvarelser.parquet", "respondentscorer.parquet", "udeladte.csv",
                 "datakvalitet.csv", "udvikling.csv"):  # fmt: skip
        assert (tmp_path / "out" / name).read_bytes() == (out / name).read_bytes(), name
