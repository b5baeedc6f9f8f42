"""The Excel summary, the PNG figures and the one-municipality feedback workbook.

The input tables are built here by hand, following the documented columns
(``docs/interfaces.md`` and the analysis modules' docstrings), so that these tests do not
depend on how the scores, clusters or effects are computed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from omstilling_analysis import parallel, publish, reference, report, text
from omstilling_analysis.report import feedback, videncenter
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()
WAVES = (2022, 2024)
INJECTIONS = ['=HYPERLINK("http://x","klik")', "+45 12 34 56 78", "-1+2", "@SUM(A1)", "\tx", "\rx"]
#: Municipalities with a planted number of respondents in every wave.
FEW = {101: 2, 147: 1}  # fewer than 3: suppressed
NONE = {151, 153}  # no respondents at all
THEME_GAP = 155  # 5 respondents, but only 2 with a DAT score
ROLES = ["Leder", "Direktion", INJECTIONS[0], INJECTIONS[3]]
RARE_ROLE = "Sjælden rolle"  # only the 2 respondents of municipality 101 in each wave


def _level(index: float) -> tuple[int, str] | tuple[None, None]:
    """The contract's level of an index, written out here (independent of score.py)."""
    if index is None or index != index:
        return None, None
    number, name = reference.LEVELS[0][1], reference.LEVELS[0][2]
    for lower, level_number, level_name in reference.LEVELS:
        if index >= lower:
            number, name = level_number, level_name
    return number, name


def make_tables(seed: int = 1) -> tuple[dict[str, pd.DataFrame], dict]:
    """A run's tables for two waves and all 98 municipalities, built by hand."""
    rng = np.random.default_rng(seed)
    places = reference.municipalities()
    responses, scores = [], []
    for wave in WAVES:
        for code in places["kommunekode"]:
            code = int(code)
            if code in NONE:
                continue
            n = FEW.get(code, 5 if code == THEME_GAP else int(rng.integers(3, 12)))
            level = rng.uniform(2, 4)
            for i in range(n):
                key = f"{wave}-{code}-{i}"
                role = ROLES[i % len(ROLES)] if code != 101 else RARE_ROLE
                answers = {
                    item: float(rng.integers(1, 6)) if rng.random() > 0.1 else np.nan
                    for item in reference.items_of_wave(wave)
                }
                responses.append(
                    {"respondent_key": key, "boelge": wave, "kommunekode": code, "rolle": role,
                     "kilde": f"selvevaluering_{wave}.xlsx", "kilde_raekke": len(responses) + 2}
                    | answers
                )  # fmt: skip
                row = {"respondent_key": key, "boelge": wave, "kommunekode": code}
                row |= {t: float(np.clip(level + rng.normal(0, 0.5), 1, 5)) for t in THEMES}
                if code == THEME_GAP and i >= 2:
                    row["DAT"] = np.nan
                scores.append(row)
    besvarelser = pd.DataFrame(responses)
    rs = pd.DataFrame(scores)
    grouped = rs.groupby(["boelge", "kommunekode"])
    ms = grouped[THEMES].mean().reset_index()
    ms["n_respondenter"] = grouped.size().to_numpy()
    for theme in THEMES:
        ms[f"{theme}_n"] = grouped[theme].count().to_numpy()
    ms["modenhedsindeks"] = ms[THEMES].mean(axis=1, skipna=False)
    ms["modenhedsniveau"] = pd.array([_level(v)[0] for v in ms["modenhedsindeks"]], dtype="Int64")
    ms["modenhedsniveau_navn"] = [_level(v)[1] for v in ms["modenhedsindeks"]]
    lookup = places.set_index("kommunekode")
    ms["kommune"] = ms["kommunekode"].map(lookup["kommune"])
    ms["region"] = ms["kommunekode"].map(lookup["region"])

    shown = ms[(ms["n_respondenter"] >= 3) & ms[THEMES].notna().all(axis=1)]
    clusters = ms[["boelge", "kommunekode"]].copy()
    clusters["klynge"] = pd.array([pd.NA] * len(ms), dtype="Int64")
    clusters["klyngenavn"] = None
    clusters["sikkerhed"] = np.nan
    clusters["aarsag"] = "færre end 3 besvarelser"
    names = {1: "Høj modenhed på alle temaer", 2: "Stærk styring, svagt fundament"}
    eligible = clusters.index[clusters["kommunekode"].isin(shown["kommunekode"])]
    clusters.loc[eligible, "klynge"] = [1 + i % 2 for i in range(len(eligible))]
    clusters.loc[eligible, "klyngenavn"] = clusters.loc[eligible, "klynge"].map(names)
    clusters.loc[eligible, "aarsag"] = None
    clusters.loc[eligible, "sikkerhed"] = 0.9
    profiles = []
    for wave in WAVES:
        for k in (1, 2):
            members = clusters[(clusters["boelge"] == wave) & (clusters["klynge"] == k)]
            m = ms.merge(members[["boelge", "kommunekode"]])
            row = {"boelge": wave, "klynge": k, "klyngenavn": names[k], "antal_kommuner": len(m)}
            row |= {t: m[t].mean() for t in THEMES}
            row |= {"modenhedsindeks": m["modenhedsindeks"].mean()}
            row |= {f"{t}_z": 0.1 * k for t in THEMES}
            row |= {"jaccard": 0.8, "andel_oploest": 0.05, "stabil": True, "ari_bootstrap": 0.7}
            profiles.append(row)
    selection = pd.DataFrame(
        [{"boelge": w, "metode": m, "k": k, "silhuet": 0.3, "gap": 0.5, "gap_se": 0.05,
          "bic": 100.0 if m == "gmm" else np.nan}
         for w in WAVES for m in ("kmeans", "ward", "gmm") for k in (2, 3)]
    )  # fmt: skip
    effects = pd.DataFrame(
        [{"boelge": str(b), "udfald": u, "tema": t, "estimat": 0.2, "ci_lav": 0.05,
          "ci_hoej": 0.35, "p": 0.001 if t == "STY" else 0.4, "p_justeret": 0.01 if t == "STY" else 0.6,
          "n": 80, "model": "OLS", "r2": 0.2, "r2_cv": 0.1, "estimat_pp": np.nan,
          "ci_lav_pp": np.nan, "ci_hoej_pp": np.nan}
         for b in (*WAVES, "samlet") for u in ("digital_selvbetjening_pct",) for t in THEMES]
    )  # fmt: skip
    missing = pd.DataFrame(
        {"boelge": [2024, 2024], "kommunekode": [101, 147], "aar": [2025, 2025],
         "udfald": ["alle", "alle"], "aarsag": ["færre end 3 besvarelser"] * 2}
    )  # fmt: skip
    reliability = pd.DataFrame(
        [{"boelge": w, "tema": t, "n": 500, "k": 6, "alpha": 0.8, "alpha_std": 0.8,
          "alpha_ci_lav": 0.75, "alpha_ci_hoej": 0.85, "omega": 0.82, "gns_inter_item_r": 0.4}
         for w in WAVES for t in THEMES]
    )  # fmt: skip
    items = pd.DataFrame(
        [{"boelge": w, "item": i, "tema": i[:3], "omvendt": False, "n": 400, "gns": 3.1,
          "sd": 1.0, "andel_ved_ikke": 0.02, "andel_mangler": 0.05, "andel_1": 0.1,
          "andel_2": 0.2, "andel_3": 0.3, "andel_4": 0.3, "andel_5": 0.1, "item_rest_r": 0.5,
          "alpha_uden_item": 0.78}
         for w in WAVES for i in reference.items_of_wave(w)]
    )  # fmt: skip
    left_out = pd.DataFrame(
        {"kilde": ["selvevaluering_2024.xlsx"] * 3, "kilde_raekke": [900, 901, 902],
         "boelge": 2024, "aarsag": ["ikke besvaret", "dublet", "for ufuldstændig"]}
    )  # fmt: skip
    quality = pd.DataFrame(
        {"kilde": "selvevaluering_2024.xlsx", "kilde_raekke": range(10, 10 + len(INJECTIONS)),
         "variabel": "rolle", "vaerdi": INJECTIONS, "problem": "ukendt etiket"}
    )  # fmt: skip
    tables = {
        "besvarelser.parquet": besvarelser,
        "udeladte.csv": left_out,
        "datakvalitet.csv": quality,
        "respondentscorer.parquet": rs,
        "kommunescorer.parquet": ms,
        "reliabilitet.csv": reliability,
        "itemstatistik.csv": items,
        "klynger.csv": clusters,
        "klyngeprofiler.csv": pd.DataFrame(profiles),
        "klyngevalg.csv": selection,
        "effekter.csv": effects,
        "effekter_mangler.csv": missing,
    }
    manifest = {
        "koert": "2025-01-01T12:00:00+01:00",
        "kommando": "omstilling run",
        "input": [
            {"kilde": f"selvevaluering_{w}.xlsx", "form": "A (SurveyXact .xlsx)", "dialekt": "xlsx",
             "boelge": w, "sha256": "ab" * 32,
             "raekker_ind": int((besvarelser["boelge"] == w).sum()) + (3 if w == 2024 else 0)}
            for w in WAVES
        ],
        "raekker": {"ind": len(besvarelser) + 3, "talt": len(besvarelser), "udeladt": 3},
        "versioner": {"python": "3.11", "pandas": pd.__version__},
        "indstillinger": Settings().to_dict(),
    }  # fmt: skip
    return tables, manifest


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The writers of a run, applied to a temporary folder (timed)."""
    tables, manifest = make_tables()
    settings = Settings(n_bootstrap=50)
    root = tmp_path_factory.mktemp("out")
    data = videncenter.summary_data(tables, manifest, settings)
    started = time.perf_counter()
    written = videncenter.write_videncenter(root, data)
    duration = time.perf_counter() - started
    return {"tables": tables, "manifest": manifest, "out": root / videncenter.FOLDER,
            "written": written, "duration": duration, "settings": settings,
            "data": data}  # fmt: skip


def _rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _kommuner(path: Path) -> pd.DataFrame:
    book = openpyxl.load_workbook(path)
    rows = _rows(book["Kommuner"])
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_writers_and_sheets(run):
    names = {p.name for p in run["out"].iterdir()}
    assert {"opsummering_2022.xlsx", "opsummering_2024.xlsx", "figurer"} <= names
    for wave in WAVES:
        book = openpyxl.load_workbook(run["out"] / f"opsummering_{wave}.xlsx")
        assert book.sheetnames == list(report.SHEETS)


def test_charts_and_pictures(run):
    with zipfile.ZipFile(run["out"] / "opsummering_2024.xlsx") as archive:
        names = archive.namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)
    assert any(n.startswith("xl/media/") and n.endswith(".png") for n in names)


def test_kommuner_sheet_layout(run):
    sheet = openpyxl.load_workbook(run["out"] / "opsummering_2024.xlsx")["Kommuner"]
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.auto_filter.ref.endswith("99")
    header = [c.value for c in sheet[1]]
    index = sheet.cell(row=10, column=header.index("Modenhedsindeks") + 1)
    assert isinstance(index.value, float) and index.number_format == "0.00"
    assert sheet.conditional_formatting  # colour scales
    widths = [sheet.column_dimensions[c].width for c in "ABCDEFGHIJ"]
    assert all(8 <= w <= 60 for w in widths)


def test_kommuner_lists_all_98_with_values_as_in_the_frames(run):
    ms = run["tables"]["kommunescorer.parquet"]
    for wave in WAVES:
        table = _kommuner(run["out"] / f"opsummering_{wave}.xlsx")
        assert len(table) == 98
        assert sorted(table["Kommunekode"]) == sorted(reference.municipalities()["kommunekode"])
        expected = ms[ms["boelge"] == wave].set_index("kommunekode")
        shown = table[table["Modenhedsindeks"].map(lambda v: isinstance(v, float))]
        assert len(shown) > 80
        for row in shown.itertuples(index=False):
            assert row.Modenhedsindeks == pytest.approx(
                expected.loc[row.Kommunekode, "modenhedsindeks"]
            )
            assert row.Respondenter == expected.loc[row.Kommunekode, "n_respondenter"]
        bor = reference.themes().set_index("tema").loc["BOR", "navn"]
        code = int(shown["Kommunekode"].iloc[0])
        assert shown.set_index("Kommunekode").loc[code, bor] == pytest.approx(
            expected.loc[code, "BOR"]
        )
        for code in NONE:
            row = table.set_index("Kommunekode").loc[code]
            assert row["Modenhedsindeks"] == text.NO_RESPONSES
            assert row["Respondenter"] == 0


def test_published_scores_hide_small_numbers():
    row = {"boelge": 2024, "kommunekode": 101, "n_respondenter": 5, "modenhedsindeks": 3.0}
    row |= {t: 3.0 for t in THEMES} | {f"{t}_n": 5 for t in THEMES}
    few = row | {"kommunekode": 147, "n_respondenter": 2} | {f"{t}_n": 2 for t in THEMES}
    gap = row | {"kommunekode": 151, "DAT_n": 2}
    frame = pd.DataFrame([row, few, gap])
    published = publish.published_scores(frame)
    assert published["modenhedsindeks"].notna().tolist() == [True, False, False]
    assert published["BOR"].notna().tolist() == [True, False, True]
    assert published["DAT_skjult"].tolist() == [False, True, True]
    # A theme that does not count in the index does not hide the index.
    weights = dict.fromkeys(THEMES, 1.0) | {"DAT": 0.0}
    published = publish.published_scores(frame, Settings(theme_weights=weights))
    assert published["modenhedsindeks"].notna().tolist() == [True, False, True]


def test_suppression_of_small_numbers(run):
    hidden = text.suppressed(run["settings"].min_respondents_published)
    assert hidden == "færre end 3 besvarelser"
    themes = list(reference.themes()["navn"])
    table = _kommuner(run["out"] / "opsummering_2024.xlsx").set_index("Kommunekode")
    for code in FEW:
        row = table.loc[code]
        for column in [*themes, "Modenhedsindeks", "Modenhedsniveau", "Klynge"]:
            assert row[column] == hidden, (code, column)
        # The change is hidden too, and the cell says which wave's value is too small.
        assert row["Ændring i indeks"] == f"{hidden} i 2024"
        assert row["Rang"] == hidden
        assert row["Respondenter"] == FEW[code]  # a count, not a score
    # A theme with only 2 respondents with a score hides that theme and the index only.
    gap = table.loc[THEME_GAP]
    dat = reference.themes().set_index("tema").loc["DAT", "navn"]
    assert gap[dat] == hidden and gap["Modenhedsindeks"] == hidden
    assert isinstance(gap[themes[0]], float)
    # No number anywhere in the workbook equals a suppressed municipality's score.
    ms = run["tables"]["kommunescorer.parquet"]
    secret = ms[(ms["boelge"] == 2024) & ms["kommunekode"].isin(FEW)]
    secrets = {round(v, 6) for v in secret[[*THEMES, "modenhedsindeks"]].to_numpy().ravel()}
    book = openpyxl.load_workbook(run["out"] / "opsummering_2024.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, float):
                    assert round(value, 6) not in secrets, sheet.title
    # Roles: a role with fewer than 3 respondents shows no number at all.
    rows = _rows(book["Temaer"])
    rare = next(r for r in rows if r[0] == RARE_ROLE)
    assert rare[1:8] == [hidden] * 7


def test_injection_strings_stay_inert_text(run):
    book = openpyxl.load_workbook(run["out"] / "opsummering_2024.xlsx")
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # xlsxwriter stores a carriage return as _x000D_ (as Excel does); Excel and
                # LibreOffice read it back as the character, openpyxl leaves it escaped.
                value = unescape(cell.value) if isinstance(cell.value, str) else cell.value
                if value in INJECTIONS:
                    found.setdefault(value, []).append(cell)
    assert set(found) == set(INJECTIONS)
    for cells in found.values():
        for cell in cells:
            assert cell.data_type == "s"
            assert cell.quotePrefix, cell.coordinate
    # The planted role label shows up in the role breakdown (a breakdown that is not hidden).
    assert any(c.parent.title == "Temaer" for c in found[INJECTIONS[0]])


def test_other_sheets_carry_the_frames(run):
    book = openpyxl.load_workbook(run["out"] / "opsummering_2024.xlsx")
    flat = {v for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r}
    assert "Høj modenhed på alle temaer" in flat
    assert "ab" * 32 in flat  # checksum on Metode
    quality = _rows(book["Datakvalitet"])
    reasons = {r[0]: r[1] for r in quality if r[0] in ("ikke besvaret", "dublet", "ukendt kommune")}
    assert reasons == {"ikke besvaret": 1, "dublet": 1, "ukendt kommune": 0}
    effects = _rows(book["Effekter"])
    assert any(isinstance(r[0], str) and "standardafvigelse" in r[0] for r in effects)
    header = next(r for r in effects if r[0] == "Model")
    assert "Justeret p" in header
    # One paragraph per outcome, and the caveat said once, not after every finding.
    flat_text = " ".join(str(v) for r in effects for v in r if isinstance(v, str))
    assert flat_text.count("ikke hvad der er årsag til hvad") == 1
    assert sum(1 for r in effects if isinstance(r[0], str) and " året efter: " in r[0]) + sum(
        1 for r in effects if isinstance(r[0], str) and "intet tema hænger sikkert" in r[0]
    ) == len({u for u in run["tables"]["effekter.csv"]["udfald"]})
    models = {r[0] for r in effects if r[0] in ("bølge 2024", "samlet over bølgerne")}
    assert models == {"bølge 2024", "samlet over bølgerne"}


def test_missing_analysis_tables_are_explained(tmp_path):
    tables, manifest = make_tables()
    for name in ("effekter.csv", "effekter_mangler.csv", "klynger.csv", "klyngeprofiler.csv",
                 "klyngevalg.csv", "reliabilitet.csv", "itemstatistik.csv"):  # fmt: skip
        tables.pop(name)
    tables["datakvalitet.csv"] = tables["datakvalitet.csv"].iloc[0:0]
    data = videncenter.summary_data(tables, {}, Settings(n_bootstrap=20))
    report.write_summary(tmp_path / "o.xlsx", data, 2024)
    book = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert book.sheetnames == list(report.SHEETS)
    assert "ingen effektanalyse" in str(_rows(book["Effekter"]))
    assert "ingen klyngeanalyse" in str(_rows(book["Klynger"]))


def test_png_figures(run):
    folder = run["out"] / "figurer"
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert "modenhedsniveauer_2024.png" in pngs and "klyngeprofiler_2022.png" in pngs
    assert "udvikling_landsplan.png" in pngs
    assert any(p.startswith("koefficienter_") for p in pngs)
    assert all((folder / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_figures_drawn_in_worker_processes_are_the_bytes_drawn_in_process(run):
    """draw_ahead (the pipeline's way) gives every figure byte for byte as the run fixture's
    one-by-one drawing wrote it; each future is the figure of its own stem."""
    from omstilling_analysis.plots import render
    from omstilling_analysis.plots.style import png_bytes

    if parallel.workers() == 0:
        pytest.skip("no fork or a single core: the figures are drawn in process")
    data = videncenter.summary_data(run["tables"], run["manifest"], run["settings"])
    futures = render.render_in_background(data.figures)
    assert list(futures) == list(data.figures) and len(futures) >= render.MIN_FIGURES
    folder = run["out"] / "figurer"
    for stem, future in futures.items():
        assert future.result(timeout=120) == (folder / f"{stem}.png").read_bytes(), stem
    ahead = videncenter.summary_data(run["tables"], run["manifest"], run["settings"])
    ahead.draw_ahead()
    stem = "modenhedsniveauer_2024"
    assert ahead.figure(stem) == (folder / f"{stem}.png").read_bytes()
    assert ahead.figure(stem) is ahead.figure(stem)  # drawn once
    few = dict(list(data.figures.items())[: render.MIN_FIGURES - 1])
    assert render.render_in_background(few) == {}
    assert png_bytes(few[stem]()) == (folder / f"{stem}.png").read_bytes()


def test_the_figures_the_workbooks_show_are_drawn_first(run, tmp_path, monkeypatch):
    from omstilling_analysis.plots import render
    from omstilling_analysis.report import summary
    from omstilling_analysis.report.data import WORKBOOK_FIGURES, SummaryData

    data = videncenter.summary_data(run["tables"], run["manifest"], run["settings"])
    asked: list[str] = []
    original = SummaryData.figure

    def figure(self, name):
        asked.append(name)
        return original(self, name)

    monkeypatch.setattr(SummaryData, "figure", figure)
    for wave in data.waves:
        summary.write_summary(tmp_path / f"opsummering_{wave}.xlsx", data, wave)
    first = [stem.format(wave=wave) for wave in data.waves for stem in WORKBOOK_FIGURES]
    drawn_first = [stem for stem in first if stem in data.figures]  # (no robustness here)
    assert len(drawn_first) >= 2 * len(data.waves)
    assert sorted(asked) == sorted(drawn_first)
    queued: list[str] = []
    monkeypatch.setattr(render, "render_in_background", lambda todo: queued.extend(todo) or {})
    videncenter.summary_data(run["tables"], run["manifest"], run["settings"]).draw_ahead()
    assert queued[: len(drawn_first)] == drawn_first and sorted(queued) == sorted(data.figures)


def test_a_figure_failing_in_a_worker_raises_its_error(run):
    from omstilling_analysis.plots import render

    if parallel.workers() == 0:
        pytest.skip("no fork or a single core: the figures are drawn in process")
    data = videncenter.summary_data(run["tables"], run["manifest"], run["settings"])

    def broken():
        raise ValueError("tegnefejl")

    makers = dict(data.figures) | {"i_stykker": broken}
    futures = render.render_in_background(makers)
    with pytest.raises(ValueError, match="tegnefejl"):
        futures["i_stykker"].result(timeout=120)
    assert futures["modenhedsniveauer_2024"].result(timeout=120)[:8] == b"\x89PNG\r\n\x1a\n"


def _results_folder(run, results: Path) -> Path:
    """The run fixture's tables and manifest written as a results folder (as ``kør`` does)."""
    results.mkdir()
    for name, table in run["tables"].items():
        if name.endswith(".parquet"):
            table.to_parquet(results / name, index=False)
        else:
            table.to_csv(results / name, index=False)
    (results / "manifest.json").write_text(
        json.dumps(run["manifest"], ensure_ascii=False), encoding="utf-8"
    )
    return results


def test_feedback_workbook_for_one_municipality(run, tmp_path):
    results = _results_folder(run, tmp_path / "resultater")
    path = feedback.municipality_workbook_from_results(results, "Aalborg", None, None)
    assert path == results / "rapport_851_2024.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Profil"
    profile = _rows(book["Profil"])
    ms = run["tables"]["kommunescorer.parquet"]
    index = ms[(ms["boelge"] == 2024) & (ms["kommunekode"] == 851)]["modenhedsindeks"].iloc[0]
    index_row = next(r for r in profile if r[0] == "Modenhedsindeks")
    assert index_row[1] == pytest.approx(index)
    with zipfile.ZipFile(path) as archive:
        assert sum(n.startswith("xl/charts/chart") for n in archive.namelist()) >= 2
    # A municipality with too few respondents gets no workbook, and is told why.
    with pytest.raises(feedback.NotPublishable, match="færre end 3"):
        feedback.municipality_workbook_from_results(results, "101", 2024, tmp_path / "k.xlsx")
    assert not (tmp_path / "k.xlsx").exists()
    with pytest.raises(feedback.ResultsError, match="ukendt kommune"):
        feedback.municipality_workbook_from_results(results, "Atlantis", None, None)
    with pytest.raises(feedback.ResultsError, match="bølge"):
        feedback.municipality_workbook_from_results(results, "851", 1999, None)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.libreoffice
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice er ikke installeret")
def test_libreoffice_opens_the_workbook(run, tmp_path):
    source = run["out"] / "opsummering_2024.xlsx"
    profile = tmp_path / "lo-profil"
    command = [
        _soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
        "--convert-to", "pdf", "--outdir", str(tmp_path), str(source),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    pdf = tmp_path / "opsummering_2024.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_feedback_for_every_municipality_in_one_command(run, tmp_path, capsys):
    from omstilling_analysis.cli import main

    results = _results_folder(run, tmp_path / "resultater")
    out = tmp_path / "alle"
    assert main(["rapport", "--alle", "--boelge", "2024", "--resultater", str(results),
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    published = publish.publish(run["tables"], Settings()).wave_scores(2024)
    shown = set(published.loc[~published["skjult"], "kommunekode"].astype(int))
    written = {int(p.stem.split("_")[1]) for p in out.glob("rapport_*_2024.xlsx")}
    assert written == shown
    # Those without a workbook are listed with the reason.
    for code in FEW:
        assert f"  {code} " in printed and "færre end 3" in printed
    for code in NONE:
        assert f"  {code} " in printed and "ingen besvarelser" in printed
    # The content is the published table's.
    code = int(published.loc[~published["modenhedsindeks_skjult"], "kommunekode"].iloc[0])
    profile = _rows(openpyxl.load_workbook(out / f"rapport_{code}_2024.xlsx")["Profil"])
    index_row = next(r for r in profile if r[0] == "Modenhedsindeks")
    expected = published.set_index("kommunekode").loc[code, "modenhedsindeks"]
    assert index_row[1] == pytest.approx(expected)


def test_feedback_workbooks_from_children_are_the_bytes_written_here(run, tmp_path, monkeypatch):
    from omstilling_analysis.report import feedback

    results = _results_folder(run, tmp_path / "resultater")
    steps: list[tuple[int, int]] = []
    forked = feedback.workbooks_for_all(
        results, 2024, tmp_path / "forked", lambda i, n, _: steps.append((i, n))
    )
    monkeypatch.setattr(parallel, "workers", lambda: 0)  # everything in this process
    here = feedback.workbooks_for_all(results, 2024, tmp_path / "here")
    assert [p.name for p in forked.written] == [p.name for p in here.written]
    assert (
        len(forked.written) > feedback.MUNICIPALITIES_PER_CHILD and forked.skipped == here.skipped
    )
    for a, b in zip(forked.written, here.written, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    # Progress: the first workbook, then a group at a time, up to every municipality.
    total = len(forked.written) + len(forked.skipped)
    assert steps[0] == (1, total) and steps[-1] == (total, total)
    assert all(
        b[0] - a[0] <= feedback.MUNICIPALITIES_PER_CHILD
        for a, b in zip(steps, steps[1:], strict=False)
    )


def test_page_setup_and_number_formats_read_back(run):
    book = openpyxl.load_workbook(run["out"] / "opsummering_2024.xlsx")
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.paperSize == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows, sheet.title  # repeated header rows
    kommuner = book["Kommuner"]
    assert kommuner.page_setup.fitToWidth == 2 and kommuner.print_title_cols == "$A:$B"
    header = [c.value for c in kommuner[1]]
    change = kommuner.cell(row=10, column=header.index("Ændring i indeks") + 1)
    # Never "-0,00": a change that rounds to zero falls in the format's zero section.
    assert change.number_format == "[>=0.005]+0.00;[<=-0.005]-0.00;0.00"
    effects = book["Effekter"]
    formats = {c.number_format for row in effects.iter_rows() for c in row if c.value is not None}
    assert '[<0.0005]"< 0,001";0.000' in formats  # p-values as "< 0,001"
