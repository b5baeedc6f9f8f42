"""Tests of the synthetic raw data (omstilling_analysis.demo).

The files are read back with a small independent decoder (below), so the truth is checked
against what is really written, not against the generator's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omstilling_analysis import demo, load, reference
from omstilling_analysis.demo import world as demo_world

ITEMS = reference.all_items()
META = {
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
META |= {f"stato_{j}" for j in range(1, 6)}


# --------------------------------------------------------------------------- a tiny decoder


def _code_text(series: pd.Series) -> pd.Series:
    """Cells as code text ('3'), '' for blank; numbers from xlsx may come as floats."""

    def one(value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return series.map(one)


def _csv_dialect(folder: Path) -> tuple[str, str]:
    raw = (folder / "dataset.csv").read_bytes()
    if raw.startswith(b"\xff\xfe"):
        return "\t", "utf-16"
    header = raw.split(b"\r\n", 1)[0]
    return (";" if b";" in header else ","), "cp1252"


def read_surveyxact(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if path.is_dir():
        sep, encoding = _csv_dialect(path)
        options = {"sep": sep, "encoding": encoding, "dtype": str, "keep_default_na": False}
        dataset = pd.read_csv(path / "dataset.csv", **options)
        labels = pd.read_csv(path / "labels.csv", header=None, **options)
        structure = pd.read_csv(path / "structure.csv", **options).iloc[:, :7]
    else:
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
        parts = [sheets[name] for name in sheets if name.startswith("Dataset")]
        dataset = pd.concat(parts, axis=1)
        labels = pd.read_excel(path, sheet_name="Labels", header=None, engine="calamine")
        structure = sheets["Structure"]
    labels.columns = ["variable", "value", "label"]
    return dataset, labels, structure


def _item_of_text(wave: int) -> dict[str, str]:
    book = reference.codebook()
    found = {}
    for row in book.itertuples():
        if wave in row.boelger:
            for text in (row.tekst, row.tidligere_tekst):
                if text:
                    found[reference.normalise_text(text)] = row.item
    return found


def _item_of_header(header: str, wave: int) -> str:
    if header.strip().upper() in ITEMS:
        return header.strip().upper()
    key = reference.normalise_text(header)
    matches = [item for text, item in _item_of_text(wave).items() if key.endswith(text)]
    assert len(matches) == 1, header
    return matches[0]


def _values(labels_text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label texts -> (value 1-5 or NaN, is Ved ikke, is a bad cell)."""
    norm = labels_text.map(reference.normalise_label)
    value = norm.map(reference.SCALE).astype(float).to_numpy()
    dont_know = norm.isin(reference.DONT_KNOW).to_numpy()
    bad = (norm != "").to_numpy() & np.isnan(value) & ~dont_know
    return value, dont_know, bad


def decode_surveyxact(path: Path, wave: int) -> tuple[pd.DataFrame, set[tuple[int, str]]]:
    dataset, labels, structure = read_surveyxact(path)
    labels = labels.assign(
        value=_code_text(labels["value"]), variable=labels["variable"].str.strip()
    )
    label_of = {
        (v, c): lab for v, c, lab in labels[["variable", "value", "label"]].itertuples(index=False)
    }
    text_of_var = dict(zip(structure["variableName"], structure["questionText"], strict=True))
    out = pd.DataFrame(index=dataset.index)
    out["kilde_raekke"] = np.arange(2, len(dataset) + 2)
    out["responde"] = _code_text(dataset["responde"])
    kommune = _code_text(dataset["kommune"]).map(lambda c: label_of.get(("kommune", c)))
    out["kommunekode"] = reference.resolve_municipalities(kommune)
    rolle = _code_text(dataset["rolle"]).map(lambda c: label_of.get(("rolle", c)))
    out["rolle"] = rolle.astype(object).where(rolle.notna(), None)
    out["antal_ved_ikke"] = 0
    items = reference.items_of_wave(wave)
    problems: set[tuple[int, str]] = set()
    for item in ITEMS:
        out[item] = np.nan
    for var in [c for c in dataset.columns if c not in META]:
        item = var.upper() if var.upper() in ITEMS else _item_of_header(text_of_var[var], wave)
        assert item in items
        codes = _code_text(dataset[var])
        # A code without a label becomes a text that is no label: a bad cell.
        text = codes.map(lambda c, var=var: label_of.get((var, c), "§" + c) if c else "")
        value, dont_know, bad = _values(text)
        out[item] = value
        out["antal_ved_ikke"] += dont_know.astype(int)
        problems |= {(int(r) + 2, var) for r in np.flatnonzero(bad)}
    return out, problems


def decode_own_sheet(path: Path, wave: int) -> tuple[pd.DataFrame, set[tuple[int, str]]]:
    if path.suffix == ".csv":
        table = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    else:
        table = pd.read_excel(path, engine="calamine", dtype=object)
    out = pd.DataFrame(index=table.index)
    out["kilde_raekke"] = np.arange(2, len(table) + 2)
    typed = table["Kommune"].where(table["Kommune"].notna() & (table["Kommune"] != ""), None)
    out["kommunekode"] = reference.resolve_municipalities(typed.astype(object))
    rolle = table["Rolle"].astype(object)
    out["rolle"] = rolle.where(rolle.notna() & (rolle != ""), None)
    out["antal_ved_ikke"] = 0
    for item in ITEMS:
        out[item] = np.nan
    problems: set[tuple[int, str]] = set()
    for header in table.columns[3:]:
        item = _item_of_header(header, wave)
        text = table[header].where(table[header].notna(), "").astype(str)
        value, dont_know, bad = _values(text)
        out[item] = value
        out["antal_ved_ikke"] += dont_know.astype(int)
        problems |= {(int(r) + 2, item) for r in np.flatnonzero(bad)}
    return out, problems


def assert_matches_truth(decoded: pd.DataFrame, problems: set, truth: demo.SynthTruth, kilde: str):
    rows = truth.rows[truth.rows["kilde"] == kilde].reset_index(drop=True)
    assert len(rows) == len(decoded), kilde
    assert rows["kilde_raekke"].tolist() == decoded["kilde_raekke"].tolist()
    np.testing.assert_array_equal(decoded[ITEMS].to_numpy(), rows[ITEMS].to_numpy(), err_msg=kilde)
    assert decoded["antal_ved_ikke"].tolist() == rows["antal_ved_ikke"].tolist()
    assert decoded["kommunekode"].astype("Int64").equals(rows["kommunekode"].astype("Int64"))
    assert decoded["rolle"].tolist() == rows["rolle"].tolist()
    if "responde" in decoded:
        assert decoded["responde"].tolist() == rows["responde"].tolist()
    cells = truth.cell_problems[truth.cell_problems["kilde"] == kilde]
    assert problems == set(zip(cells["kilde_raekke"], cells["variabel"], strict=True)), kilde


# --------------------------------------------------------------------------- the demo folder


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory) -> tuple[Path, demo.SynthTruth]:
    out = tmp_path_factory.mktemp("raw")
    return out, demo.generate(out)


def test_files_promised(demo_raw):
    out, truth = demo_raw
    names = sorted(p.name for p in out.iterdir() if p.name != demo.DEMO_MARKER)
    assert names == truth.files
    assert demo.is_demo_folder(out)
    for name in names:
        assert any(str(w) in name for w in (2020, 2021, 2022, 2023, 2024, 2025)), name
    assert "selvevaluering_2020.xlsx" in names and "selvevaluering_2022" in names
    assert "selvevaluering_2022_supplement" in names and "selvevaluering_2024.xlsx" in names
    own = [n for n in names if n.startswith("skema_")]
    assert sum(n.endswith(".csv") for n in own) == 1 and sum(n.endswith(".xlsx") for n in own) == 2
    assert {
        "implementering_2021.xlsx",
        "implementering_2023.csv",
        "implementering_2025.xlsx",
    } <= set(names)
    # Shape A: split and single Dataset sheets; rows as in the truth.
    sheets = pd.read_excel(out / "selvevaluering_2020.xlsx", sheet_name=None, engine="calamine")
    assert {"Dataset(1)", "Dataset(2)", "Labels", "Structure"} == set(sheets)
    assert len(sheets["Dataset(1)"]) == len(sheets["Dataset(2)"])
    assert (
        sheets["Dataset(1)"].columns[0] == "responde"
        and sheets["Dataset(2)"].columns[-1] == "kommenta"
    )
    single = pd.read_excel(out / "selvevaluering_2024.xlsx", sheet_name=None, engine="calamine")
    assert {"Dataset", "Labels", "Structure"} == set(single)
    assert "q_1_1" in single["Dataset"].columns and "bor_01" not in single["Dataset"].columns
    assert single["Dataset"]["closetim"].dropna().map(type).eq(float).all()  # Excel serial numbers
    structure_columns = list(single["Structure"].columns)
    assert structure_columns == [
        "questionName",
        "variableName",
        "questionType",
        "subType",
        "questionText",
        "choiceValue",
        "choiceText",
    ]


def test_csv_dialect_bytes(demo_raw):
    out, _ = demo_raw
    seen = set()
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        for name in ("dataset.csv", "labels.csv", "structure.csv"):
            raw = (folder / name).read_bytes()
            if raw.startswith(b"\xff\xfe"):
                text, sep = raw[2:].decode("utf-16-le"), "\t"
                seen.add("tab-utf16")
            else:
                assert b"\xc3" not in raw  # no UTF-8 sequences in cp1252 files
                text = raw.decode("cp1252")
                sep = ";" if ";" in text.split("\r\n", 1)[0] else ","
                seen.add("semicolon-cp1252" if sep == ";" else "comma-cp1252")
            lines = text.split("\r\n")
            assert lines[-1] == "" and all("\n" not in line for line in lines), (folder, name)
            assert sep in lines[0] or name == "labels.csv"
            if name == "structure.csv":
                assert all(line.endswith(sep) for line in lines[:-1])
            else:
                assert not lines[0].endswith(sep)
            if name == "labels.csv" and sep != "\t":
                assert "ø".encode("cp1252") in raw  # Danish letters as cp1252 bytes
    assert seen == set(demo.DIALECTS)


def test_truth_matches_files(demo_raw):
    out, truth = demo_raw
    for kilde in truth.rows["kilde"].unique():
        wave = int(truth.rows.loc[truth.rows["kilde"] == kilde, "boelge"].iloc[0])
        if kilde.startswith("skema_"):
            decoded, problems = decode_own_sheet(out / kilde, wave)
        else:
            decoded, problems = decode_surveyxact(out / kilde, wave)
        assert_matches_truth(decoded, problems, truth, kilde)
    values = set(truth.cell_problems["vaerdi"])
    assert {"6", "0", "7"} <= values and values & set(demo.UNKNOWN_CELL_TEXTS)


def test_variations_present(demo_raw):
    out, truth = demo_raw
    rows = truth.rows
    labels = rows["kommune_tekst"].dropna()
    for name in (
        "Københavns Kommune",
        "Bornholms Regionskommune",
        "Høje Taastrup",
        "Århus",
        "Aeroe",
        "Taarnby",
    ):
        assert (labels == name).any() or name in _all_labels(out), name
    for name in demo.UNKNOWN_MUNICIPALITY_LABELS:
        assert (labels == name).any(), name
    # The formula-like texts are written as strings, never as formulas.
    data = pd.read_excel(
        out / "selvevaluering_2020.xlsx", sheet_name="Dataset(2)", engine="calamine"
    )
    for formula in demo.FORMULA_LIKE:
        assert (data["kommenta"] == formula).any(), formula
    assert data["kommenta"].str.startswith("Ring til").any()
    # Own sheets: item codes, current text and old text as headers; label variants in cells.
    csv_sheet = next(out.glob("skema_2020_*.csv"))
    header = pd.read_csv(csv_sheet, sep=";", encoding="cp1252", nrows=0).columns
    old = reference.codebook().set_index("item").at["TEK_04", "tidligere_tekst"]
    assert any(reference.normalise_text(h) == reference.normalise_text(old) for h in header)
    assert any(h != h.strip() or "  " in h for h in header)
    cells = pd.read_csv(csv_sheet, sep=";", encoding="cp1252", dtype=str).iloc[:, 3:].stack()
    assert {"Ved ikke / ikke relevant", "Ikke relevant"} & set(cells)
    assert (cells != cells.str.strip()).any()


def _all_labels(out: Path) -> set[str]:
    found = set()
    for path in out.glob("selvevaluering_*"):
        _, labels, _ = read_surveyxact(path)
        found |= set(labels.loc[labels["variable"] == "kommune", "label"])
    return found


def test_fates(demo_raw):
    _, truth = demo_raw
    rows = truth.rows
    reasons = rows["aarsag"]
    for reason in ("ikke besvaret", "for ufuldstændig", "dublet", "ukendt kommune"):
        assert (reasons == reason).sum() >= 1, reason
    assert reasons.isna().mean() > 0.8
    need = rows["boelge"].map(
        {w: math.ceil(len(reference.items_of_wave(w)) / 2) for w in (2020, 2022, 2024)}
    )
    below, at = rows["moenster"] == "kant under", rows["moenster"] == "kant på"
    assert below.any() and at.any()
    assert (rows.loc[below, "antal_svar"] == need[below] - 1).all()
    assert (rows.loc[below, "aarsag"] == "for ufuldstændig").all()
    assert (rows.loc[at, "antal_svar"] == need[at]).all() and rows.loc[at, "aarsag"].isna().all()
    assert (rows.loc[rows["moenster"] == "kun ved ikke", "aarsag"] == "ikke besvaret").all()
    # Duplicates: per wave and responde, among rows passing the answer rules, one survives and it
    # has the latest closetim.
    ids = rows[
        rows["responde"].notna() & ~rows["aarsag"].isin(["ikke besvaret", "for ufuldstændig"])
    ]
    key = ["boelge", "responde"]
    kept = ids[ids["aarsag"] != "dublet"]
    assert not kept.duplicated(key).any()
    assert len(kept) == ids.groupby(key).ngroups
    latest = ids.groupby(key)["closetim"].max()
    assert (kept.set_index(key)["closetim"] == latest.loc[kept.set_index(key).index]).all()

    # Precedence cases planted on purpose.
    def fates(pattern: str) -> set:
        found = rows.loc[rows["moenster"] == pattern, "aarsag"]
        assert len(found) > 0, pattern
        return set(found.fillna("talt"))

    assert fates("dublet: tom kopi") == {"ikke besvaret"}
    assert fates("dublet: afbrudt kopi") == {"for ufuldstændig"}
    assert fates("dublet: samme closetim") == {"dublet"}
    assert fates("dublet: senere kopi") == {"talt"}
    assert fates("original (senere kopi)") == {"dublet"}
    assert fates("original (tom kopi)") == {"talt"}
    assert fates("tredobbelt: senere kopi") == {"talt"}
    assert fates("tredobbelt: tidligere kopi") == fates("original (tredobbelt)") == {"dublet"}
    assert fates("dublet: ukendt kommune") == {"ukendt kommune"}
    assert fates("original (ukendt kommune)") == {"dublet"}
    # Across the two files of 2022.
    wave = rows[rows["boelge"] == 2022]
    dup_ids = wave.loc[wave["kilde"] == "selvevaluering_2022_supplement", "responde"]
    assert wave.loc[wave["kilde"] == "selvevaluering_2022", "responde"].isin(dup_ids).sum() >= 3
    # Own sheets: no responde, no dublet; an unknown and a blank name.
    own = rows[rows["kilde"].str.startswith("skema_")]
    assert own["responde"].isna().all() and not (own["aarsag"] == "dublet").any()
    assert (own["aarsag"] == "ukendt kommune").sum() >= 3 and own["kommune_tekst"].isna().any()


def test_coverage_and_small_numbers(demo_raw):
    _, truth = demo_raw
    counted = truth.rows[truth.rows["aarsag"].isna()]
    per = counted.groupby(["boelge", "kommunekode"]).size()
    for _wave, sizes in per.groupby(level="boelge"):
        assert len(sizes) >= 90
        assert (sizes <= 2).sum() >= 2
    assert counted[ITEMS].notna().sum().gt(0).all()
    assert set(counted["rolle"].dropna()) == set(demo.ROLES)


def test_planted_types_distinct_and_recovered(demo_raw):
    _, truth = demo_raw
    themes = reference.theme_codes()
    profiles = truth.type_profiles[themes].to_numpy()
    for a in range(4):
        for b in range(a + 1, 4):
            assert np.abs(profiles[a] - profiles[b]).max() >= 0.9
    types = truth.municipality_types
    assert types.groupby("boelge")["type"].nunique().eq(4).all()
    assert 3 <= types.groupby("kommunekode")["type"].nunique().gt(1).sum() <= 10  # a few movers
    counted = truth.rows[truth.rows["aarsag"].isna()].copy()
    for item in reference.reverse_keyed_items():
        counted[item] = 6 - counted[item]
    book = reference.codebook()
    scores = pd.DataFrame(
        {t: counted[book.loc[book["tema"] == t, "item"]].mean(axis=1) for t in themes}
    )
    scores[["boelge", "kommunekode"]] = (
        counted[["boelge", "kommunekode"]].astype("int64").to_numpy()
    )
    means = scores.groupby(["boelge", "kommunekode"]).mean().reset_index()
    by_type = means.merge(types, on=["boelge", "kommunekode"], suffixes=("", "_profil"))
    table = by_type.groupby("type")[themes].mean()
    for kind, theme in {1: "STR", 2: "TEK", 3: "FOR", 4: "STY"}.items():
        others = table.drop(index=kind)[theme]
        assert table.at[kind, theme] - others.max() > 0.6, (kind, theme)
    levels = truth.levels.merge(means, on=["boelge", "kommunekode"], suffixes=("_sand", ""))
    for theme in themes:
        assert np.corrcoef(levels[theme + "_sand"], levels[theme])[0, 1] > 0.8
    corr = means[themes].corr().to_numpy()
    assert np.abs(corr[np.triu_indices(6, 1)]).max() < 0.8  # not collinear


def test_outcomes(demo_raw):
    out, truth = demo_raw
    written = pd.read_excel(out / "implementering_2021.xlsx", sheet_name="Data", engine="calamine")
    assert set(written.columns) == set(demo.OUTCOME_COLUMNS)
    csv = pd.read_csv(out / "implementering_2023.csv", sep=";", decimal=",", encoding="cp1252")
    assert list(csv.columns) == list(demo.OUTCOME_COLUMNS)
    assert csv["gevinst_mio_kr"].dtype == float
    for year, frame in ((2021, written), (2023, csv)):
        missing = truth.missing_outcomes[truth.missing_outcomes["aar"] == year]
        gone = missing.loc[missing["kolonne"] == "alle", "kommunekode"]
        assert len(frame) == 98 - len(gone) and not frame["kommunekode"].isin(gone).any()
        blank = missing[missing["kolonne"] == "piloter_skaleret"]
        row = frame.loc[frame["kommunekode"] == blank["kommunekode"].iloc[0]]
        assert row["piloter_skaleret"].isna().all()
    effects = truth.effects
    assert len(effects) == 24 and effects["retning"].sum() == 4
    linked = effects[effects["retning"] == 1]
    assert set(zip(linked["tema"], linked["udfald"], strict=True)) == {
        ("STY", "andel_i_drift"),
        ("TEK", "digital_selvbetjening_pct"),
        ("STR", "gevinst_kr_pr_indbygger"),
        ("FOR", "andel_skaleret"),
    }
    assert (linked["korrelation"] > 0.3).all()


def test_write_truth(demo_raw, tmp_path):
    _, truth = demo_raw
    folder = demo.write_truth(truth, tmp_path / "facit")
    rows = pd.read_csv(folder / demo.TRUTH_FILES["rows"], dtype={"responde": str})
    assert len(rows) == len(truth.rows) and list(rows.columns) == list(truth.rows.columns)
    assert rows["aarsag"].isna().sum() == truth.rows["aarsag"].isna().sum()
    for name in demo.TRUTH_FILES.values():
        assert (folder / name).exists(), name
    assert (folder / "filer.txt").read_text(encoding="utf-8").split() == truth.files
    world = pd.read_csv(folder / "verden.csv")
    assert world.to_dict("records") == [
        {"typer": "planted", "sammenhaenge": "planted", "typeadskillelse": 1.0}
    ]


def test_seed_gives_identical_bytes(tmp_path):
    def files(folder: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    first = demo.generate(tmp_path / "a", seed=7, respondents_per_municipality=(3, 5))
    demo.generate(tmp_path / "b", seed=7, respondents_per_municipality=(3, 5))
    demo.generate(tmp_path / "c", seed=8, respondents_per_municipality=(3, 5))
    a, b, c = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert a == b
    assert a.keys() != c.keys() or a != c
    assert len(first.rows) > 1000


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("style", "form"),
    [
        (demo.ExportStyle(item_names="q", scale="enig1-vi9", unlabeled_code=6), "tab-utf16"),
        (demo.ExportStyle(scale="uenig1-vi9", dont_know_label="Ikke relevant"), "comma-cp1252"),
        (
            demo.ExportStyle(
                item_names="q", scale="enig1-vi6", closetim="datetime", unlabeled_code=0
            ),
            "xlsx",
        ),
    ],
)
def test_surveyxact_export_round_trip(tmp_path, style, form):
    export = demo.surveyxact_export(
        2022,
        style=style,
        seed=3,
        municipalities=[101, 169, 185, 492, 751],
        respondents_per_municipality=(15, 20),
    )
    if form == "xlsx":
        width = len(export.tables["Dataset"].columns)
        path = demo.write_surveyxact_xlsx(
            export, tmp_path / "selvevaluering_2022.xlsx", split_columns=[20, width - 20]
        )
        assert pd.ExcelFile(path, engine="calamine").sheet_names == [
            "Labels",
            "Dataset(1)",
            "Dataset(2)",
            "Structure",
        ]
    else:
        path = demo.write_surveyxact_csv(export, tmp_path / "selvevaluering_2022", form)
    truth = demo.truth_for({path.name: export})
    decoded, problems = decode_surveyxact(path, 2022)
    assert_matches_truth(decoded, problems, truth, path.name)
    assert truth.rows["aarsag"].notna().any()


def test_own_sheet_and_fates_helpers(tmp_path):
    sheet = demo.own_sheet(2024, 492, n_respondents=14, header="text", seed=1)
    path = demo.write_own_sheet(sheet, tmp_path / "skema_2024_aeroe.csv")
    truth = demo.truth_for({path.name: sheet})
    decoded, problems = decode_own_sheet(path, 2024)
    assert_matches_truth(decoded, problems, truth, path.name)

    t = pd.Timestamp
    rows = pd.DataFrame(
        {
            "kilde": ["b", "a", "a", "a", "a", "c", "a", "a", "a"],
            "kilde_raekke": [2, 3, 2, 4, 5, 2, 6, 7, 8],
            "boelge": 2024,
            "responde": ["1", "1", "1", "2", "2", None, "3", "3", "4"],
            "closetim": [t("2024-03-02"), t("2024-03-02"), t("2024-03-01"), pd.NaT, t("2024-01-01")]
            + [pd.NaT, pd.NaT, t("2024-01-01"), pd.NaT],
            "antal_svar": [30, 30, 30, 30, 17, 30, 30, 30, 0],
            "kommunekode": pd.array(
                [101, 101, 101, None, 101, None, 101, 101, None], dtype="Int64"
            ),
        }
    )
    fates = demo.assign_fates(rows).tolist()
    # Tie between b/2 and a/3: file a is read first. Row a/5 answers 17 < 18 of 36 items, so
    # a/4 is alone among the rows that passed (and its municipality is unknown). A missing
    # closetim is the earliest. Nothing answered beats an unknown municipality.
    assert fates == [
        "dublet",
        None,
        "dublet",
        "ukendt kommune",
        "for ufuldstændig",
        "ukendt kommune",
        "dublet",
        None,
        "ikke besvaret",
    ]


def test_national_exports(tmp_path):
    folder, truth = demo.write_national_csv(
        tmp_path, n_respondents=3000, dialect="\t", return_truth=True
    )
    assert folder.name == "selvevaluering_2024"
    raw = (folder / "dataset.csv").read_bytes()
    assert raw.startswith(b"\xff\xfe")
    assert raw.decode("utf-16").count("\r\n") == 3001 == len(truth.rows) + 1
    assert set(truth.rows["aarsag"].dropna()) == {
        "ikke besvaret",
        "for ufuldstændig",
        "dublet",
        "ukendt kommune",
    }
    path = demo.write_national_xlsx(
        tmp_path / "selvevaluering_2022.xlsx", n_respondents=1500, wave=2022
    )
    book = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert len(book["Dataset(1)"]) == len(book["Dataset(2)"]) == 1500
    with pytest.raises(ValueError):
        demo.write_national_csv(tmp_path, n_respondents=3000, dialect="pipe")


# --------------------------------------------------------------------------- same bytes as synth

#: SHA-256 over (relative path, bytes) of every file written, sorted by path, without the
#: marker DEMODATA.md. Recorded on 2026-12-01 from main's omstilling_analysis/synth.py (commit
#: 68bfd46, before the split into omstilling_analysis.demo) with
#: ``PYTHONPATH=/work/main python -c "from omstilling_analysis import synth; synth.generate(...)"``.
BEFORE_SPLIT = {
    "generate()": "5a52a9ba6e0fc1e842d619f4988a3455c06b3f44e1144793a507fb78988c0860",
    "generate(seed=7, (3, 6))": "c1feee30a74c31644663c90dfdd0ccff839aaa29bcffbeb27dd9597ce8bf6b46",
    "national_csv(3000, seed=3)": "9ae67f0fd6883e6f42ea1d232291ad228b1e3bfed3f87b49af30fe119eb3830e",
    "national_xlsx(1000, seed=3)": "753e9ef080c56cc7636ee3fcfb821a04f0818b1e5834550c6f4605becff33f8e",
    "surveyxact_export csv": "52e0b1ae9bf41e1340338e248b01c5cda5155ef6748c7b0455396061fa12d5ed",
    "own_sheet xlsx": "3085dec93a9b584eb86908718d1ef1c6d8e715a1d7fe16502eaf8bdeb75ce705",
}


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != demo.DEMO_MARKER:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_bytes_as_before_the_split(demo_raw, tmp_path):
    out, _ = demo_raw
    assert _tree_hash(out) == BEFORE_SPLIT["generate()"]
    demo.generate(tmp_path / "a", seed=7, respondents_per_municipality=(3, 6))
    assert _tree_hash(tmp_path / "a") == BEFORE_SPLIT["generate(seed=7, (3, 6))"]
    demo.write_national_csv(tmp_path / "csv", n_respondents=3000, seed=3)
    assert _tree_hash(tmp_path / "csv") == BEFORE_SPLIT["national_csv(3000, seed=3)"]
    demo.write_national_xlsx(
        tmp_path / "x" / "selvevaluering_2024.xlsx", n_respondents=1000, seed=3
    )
    assert _tree_hash(tmp_path / "x") == BEFORE_SPLIT["national_xlsx(1000, seed=3)"]
    style = demo.ExportStyle(item_names="q", scale="enig1-vi9", unlabeled_code=6)
    export = demo.surveyxact_export(2022, style=style, seed=5)
    demo.write_surveyxact_csv(export, tmp_path / "sx" / "selvevaluering_2022", "tab-utf16")
    assert _tree_hash(tmp_path / "sx") == BEFORE_SPLIT["surveyxact_export csv"]
    sheet = demo.own_sheet(2024, 751, seed=5, header="text")
    demo.write_own_sheet(sheet, tmp_path / "own" / "skema_2024_aarhus.xlsx")
    assert _tree_hash(tmp_path / "own") == BEFORE_SPLIT["own_sheet xlsx"]


# --------------------------------------------------------------------------- demo marking


def test_demo_marker_both_ways(demo_raw, tmp_path):
    out, _ = demo_raw
    marker = (out / demo.DEMO_MARKER).read_text(encoding="utf-8")
    assert "syntetiske demodata" in marker and "slet mappen `data/raw/demo`" in marker.lower()
    assert all(letter in marker for letter in "æøå")
    real = tmp_path / "raw"
    real.mkdir()
    (real / "README.md").write_text("Læg eksporterne her.", encoding="utf-8")
    assert not demo.is_demo_folder(real)
    assert not demo.is_demo_folder(tmp_path / "findes_ikke")
    (real / "demodata.txt").write_text("ikke markøren", encoding="utf-8")
    assert not demo.is_demo_folder(real)
    demo.write_demo_marker(real)
    assert demo.is_demo_folder(real)


def test_loader_lists_the_marker_as_ignored_not_as_data(demo_raw):
    out, truth = demo_raw
    data, ignored = load.list_raw_entries(out)
    assert sorted(p.name for p in data) == truth.files
    assert [entry.source for entry in ignored] == [demo.DEMO_MARKER]


# --------------------------------------------------------------------------- other worlds

SEEDS = range(8)
WAVES = (2020, 2022, 2024)


def _profiles(types: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    world = demo_world.make_world(seed, WAVES, demo.WorldSpec(types=types))
    return world.levels[:, 0, :], world.types[:, 0]


def _silhouette_of_kmeans(x: np.ndarray) -> float:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    labels = KMeans(4, n_init=10, random_state=0).fit_predict(x)
    return float(silhouette_score(x, labels))


def test_world_without_types_has_no_cluster_structure():
    import pingouin

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in SEEDS:
            planted, _ = _profiles("planted", seed)
            none, types = _profiles("none", seed)
            assert (types == -1).all()
            # Henze-Zirkler: the planted mixture is far from normal, the typeless world is not.
            assert pingouin.multivariate_normality(planted).pval < 1e-6
            assert pingouin.multivariate_normality(none).pval > 0.01, seed
            # k-means finds four tight groups only where they were planted.
            assert _silhouette_of_kmeans(planted) > 0.4
            assert _silhouette_of_kmeans(none) < 0.3


def test_world_without_types_keeps_the_planted_spread():
    planted = np.vstack([_profiles("planted", seed)[0] for seed in range(20)])
    none = np.vstack([_profiles("none", seed)[0] for seed in range(20)])
    mean, covariance = demo_world.planted_moments()
    wave_noise = 0.10**2 * np.eye(6)
    for sample in (planted, none):
        np.testing.assert_allclose(sample.mean(axis=0), mean + 0.0, atol=0.03)
        np.testing.assert_allclose(np.cov(sample.T), covariance + wave_noise, atol=0.025)


def test_weak_types_are_less_distinct_but_there():
    from sklearn.metrics import adjusted_rand_score

    weak = demo.WorldSpec(types="weak").type_profiles()[demo.THEMES].to_numpy()
    planted = demo.TYPE_PROFILES[demo.THEMES].to_numpy()
    np.testing.assert_allclose(weak - weak.mean(0), 0.5 * (planted - planted.mean(0)))
    from sklearn.cluster import KMeans

    agreement = {"planted": [], "weak": []}
    for seed in SEEDS:
        for kind in agreement:
            x, types = _profiles(kind, seed)
            labels = KMeans(4, n_init=10, random_state=0).fit_predict(x)
            agreement[kind].append(adjusted_rand_score(types, labels))
    assert np.mean(agreement["planted"]) > 0.9
    assert 0.3 < np.mean(agreement["weak"]) < 0.8


def _pooled_correlations(links: str) -> pd.DataFrame:
    population = reference.municipalities().set_index("kommunekode")["indbyggere_2020"]
    frames = []
    for seed in range(20):
        world = demo_world.make_world(seed, WAVES, demo.WorldSpec(links=links))
        for wave in WAVES:
            outcomes = demo_world.outcome_table(world, wave, np.random.default_rng([seed, wave]))
            outcomes = demo_world.derived_outcomes(outcomes, population)
            levels = pd.DataFrame(world.levels[:, world.wave_index(wave)], columns=demo.THEMES)
            frames.append(pd.concat([levels, outcomes[list(demo.OUTCOMES)]], axis=1))
    pooled = pd.concat(frames, ignore_index=True)
    return pooled.corr().loc[demo.THEMES, list(demo.OUTCOMES)]


def test_outcomes_without_links_are_independent_of_the_true_levels():
    none = _pooled_correlations("none")  # 20 seeds x 3 waves x 98 = 5880 municipality-years
    assert none.abs().to_numpy().max() < 0.05  # about 3.8 standard errors
    planted = _pooled_correlations("planted")
    for theme, outcome, _coef, _scale in demo.PLANTED_EFFECTS:
        assert planted.at[theme, outcome] > 0.3


def test_generate_records_its_world(tmp_path):
    truth = demo.generate(
        tmp_path / "raw",
        seed=3,
        respondents_per_municipality=(3, 4),
        waves=[2024],
        types="none",
        links="none",
    )
    assert truth.world == demo.WorldSpec(types="none", links="none")
    assert truth.municipality_types["type"].isna().all() and truth.type_profiles.empty
    assert (truth.effects["koefficient"] == 0).all() and (truth.effects["retning"] == 0).all()
    assert "typer: none, sammenhænge: none" in (tmp_path / "raw" / demo.DEMO_MARKER).read_text(
        encoding="utf-8"
    )
    folder = demo.write_truth(truth, tmp_path / "facit")
    assert pd.read_csv(folder / "verden.csv").loc[0, "typer"] == "none"
    with pytest.raises(ValueError, match="types"):
        demo.WorldSpec(types="stærk")
