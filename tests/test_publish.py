"""The publish stage and ``til_videncenter/``: what leaves KL is what the workbooks show, and no
number rests on fewer than three respondents.

The checks are independent of the publish stage's own code: the published tables are read back
from the CSV files a Danish Excel would open, and compared with the workbooks (openpyxl) and
with a recomputation from the run's internal tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest

from omstilling_analysis import demo, pipeline, publish, reference
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()
NAMES = dict(zip(reference.themes()["tema"], reference.themes()["navn"], strict=True))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    raw, out = base / "raw", base / "out"
    demo.generate(raw, seed=11)
    result = pipeline.run(raw, out, Settings(n_bootstrap=25))
    return out, result


def read_danish_csv(path) -> pd.DataFrame:
    """Read a CSV as a Danish Excel does: BOM, ``;``, decimal comma (independent of the writer)."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no BOM"
    text = raw[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    frame = pd.DataFrame(rows[1:], columns=rows[0])

    def number(cell: str):
        if cell == "":
            return np.nan
        try:
            return float(cell.replace(",", "."))
        except ValueError:
            return cell

    return frame.map(number)


def test_folder_holds_only_what_may_leave(run):
    out, _ = run
    folder = out / "til_videncenter"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert {"opsummering_2020.xlsx", "opsummering_2022.xlsx", "opsummering_2024.xlsx"} <= set(files)
    assert {"kommunescorer.csv", "benchmark.csv", "rang.csv", "udvikling.csv"} <= set(files)
    assert any(f.startswith("figurer/") and f.endswith(".png") for f in files)
    assert not [f for f in files if f.endswith(".parquet")]
    for name in files:
        if name.endswith(".csv"):
            header = (folder / name).read_bytes()[3:].split(b"\r\n", 1)[0].decode("utf-8")
            assert "respondent_key" not in header and "kilde_raekke" not in header, name


def test_csvs_open_in_a_danish_excel(run):
    out, _ = run
    path = out / "til_videncenter" / "kommunescorer.csv"
    text = path.read_bytes()[3:].decode("utf-8")
    header = text.split("\r\n", 1)[0]
    assert header.startswith("Bølge;Kommunekode;Kommune;Region;Respondenter;")
    assert NAMES["BOR"] in header
    # Decimal commas, never a decimal point inside a number.
    assert any("," in field for field in text.split("\r\n")[1].split(";"))
    frame = read_danish_csv(path)
    assert frame["Kommune"].astype(str).str.contains("ø|æ|å").any()


def test_no_number_rests_on_fewer_than_three(run):
    out, result = run
    scores = read_danish_csv(out / "til_videncenter" / "kommunescorer.csv")
    few = scores[scores["Respondenter"] < 3]
    assert len(few) > 0, "the demo data have municipalities with 1-2 respondents"
    measures = [NAMES[t] for t in THEMES] + ["Modenhedsindeks", "Modenhedsniveau"]
    assert few[measures].isna().all().all()
    # A theme answered by fewer than three: that theme and the index are empty.
    for theme in THEMES:
        n = scores[f"{NAMES[theme]}, respondenter"]
        assert scores.loc[n < 3, NAMES[theme]].isna().all()
        assert scores.loc[n < 3, "Modenhedsindeks"].isna().all()
    # Every published value equals the internal one.
    internal = result["kommunescorer.parquet"].set_index(["boelge", "kommunekode"])
    shown = scores.dropna(subset=["Modenhedsindeks"])
    for row in shown.itertuples(index=False):
        key = (int(row[0]), int(row[1]))
        assert row.Modenhedsindeks == pytest.approx(internal.loc[key, "modenhedsindeks"])


def test_benchmarks_and_ranks_over_published_municipalities_only(run):
    out, result = run
    scores = read_danish_csv(out / "til_videncenter" / "kommunescorer.csv")
    benchmark = read_danish_csv(out / "til_videncenter" / "benchmark.csv")
    ranks = read_danish_csv(out / "til_videncenter" / "rang.csv")
    for wave in (2020, 2022, 2024):
        wave_scores = scores[scores["Bølge"] == wave]
        for theme in THEMES:
            values = wave_scores[NAMES[theme]].dropna()
            row = benchmark[
                (benchmark["Bølge"] == wave)
                & (benchmark["Niveau"] == "land")
                & (benchmark["Mål"] == NAMES[theme])
            ].iloc[0]
            assert row["Kommuner"] == len(values)
            assert row["Laveste"] == pytest.approx(values.min())
            assert row["Gennemsnit"] == pytest.approx(values.mean())
        shown = wave_scores.dropna(subset=["Modenhedsindeks"])
        wave_ranks = ranks[ranks["Bølge"] == wave]
        assert set(wave_ranks["Kommunekode"]) == set(shown["Kommunekode"])
        assert (wave_ranks["Kommuner"] == len(shown)).all()
        # Rank 1 is the highest published index; ties share the best rank.
        expected = shown.set_index("Kommunekode")["Modenhedsindeks"].rank(
            ascending=False, method="min"
        )
        got = wave_ranks.set_index("Kommunekode")["Rang"]
        assert (got.sort_index() == expected.sort_index()).all()
        # A bootstrap rank interval need not hold the rank itself: a noisy municipality near
        # the top ranks lower in most resamples (the others' noise moves it to the middle of
        # the pack). Nearly all do (issue 16 asks at least 95 % on unseen data).
        inside = (wave_ranks["Rang, 5 %-percentil"] <= wave_ranks["Rang"]) & (
            wave_ranks["Rang"] <= wave_ranks["Rang, 95 %-percentil"]
        )
        assert inside.mean() >= 0.95
        assert (wave_ranks["Rang, 5 %-percentil"] <= wave_ranks["Rang, 95 %-percentil"]).all()


def test_workbook_shows_the_published_tables(run):
    out, _ = run
    folder = out / "til_videncenter"
    ranks = read_danish_csv(folder / "rang.csv")
    scores = read_danish_csv(folder / "kommunescorer.csv")
    book = openpyxl.load_workbook(folder / "opsummering_2024.xlsx")
    rows = list(book["Kommuner"].iter_rows(values_only=True))
    rows = rows[1:] if str(rows[0][0]).startswith("DEMODATA") else rows
    table = pd.DataFrame(rows[1:], columns=rows[0]).set_index("Kommunekode")
    wave_ranks = ranks[ranks["Bølge"] == 2024].set_index("Kommunekode")["Rang"]
    robust = read_danish_csv(folder / "indeksrobusthed.csv")
    robust = robust[robust["Bølge"] == 2024].set_index("Kommunekode")
    width = Settings().robustness_interval_width
    for code, rank in wave_ranks.items():
        low = int(robust.loc[code, "Rang, samlet interval fra"])
        high = int(robust.loc[code, "Rang, samlet interval til"])
        shown = table.loc[int(code), "Rang"]
        # The workbook's rule: a rank whose joint interval spans more than the width is shown
        # as its interval, not as a place.
        assert shown == (f"{low}–{high}" if high - low > width else int(rank))
        assert table.loc[int(code), "Samlet ranginterval (90 %)"] == f"{low}–{high}"
        assert low <= rank <= high
    wave_scores = scores[scores["Bølge"] == 2024].set_index("Kommunekode")
    for code, value in wave_scores["Modenhedsindeks"].dropna().items():
        assert table.loc[int(code), "Modenhedsindeks"] == pytest.approx(value)
    # The summary in OUT is the same file as the one in til_videncenter.
    assert (out / "opsummering_2024.xlsx").read_bytes() == (
        folder / "opsummering_2024.xlsx"
    ).read_bytes()


def test_changes_only_between_published_values(run):
    out, _ = run
    folder = out / "til_videncenter"
    changes = read_danish_csv(folder / "udvikling.csv")
    scores = read_danish_csv(folder / "kommunescorer.csv").set_index(["Bølge", "Kommunekode"])
    index = changes[changes["Mål"] == "Modenhedsindeks"]
    assert len(index) > 0
    for row in index.itertuples(index=False):
        now = scores.loc[(row[0], row[1]), "Modenhedsindeks"]
        before = scores.loc[(row[2], row[1]), "Modenhedsindeks"]
        if np.isnan(now) or np.isnan(before):
            assert np.isnan(row.Ændring)
            assert "færre end 3 besvarelser i" in row[-1]
        else:
            assert row.Værdi == pytest.approx(now)
            assert row[5] == pytest.approx(before)  # Forrige værdi


def test_no_local_path_in_anything_published(run):
    out, _ = run
    needles = [str(out.parent), os.path.expanduser("~"), ".config", "noegle"]
    for path in (out / "til_videncenter").rglob("*"):
        if not path.is_file() or path.suffix == ".png":
            continue
        if path.suffix == ".xlsx":
            import zipfile

            with zipfile.ZipFile(path) as archive:
                content = b"".join(archive.read(n) for n in archive.namelist())
        else:
            content = path.read_bytes()
        text = content.decode("utf-8", errors="replace")
        for needle in needles:
            assert needle not in text, (path.name, needle)


def test_manifest_records_every_output_checksum(run):
    out, _ = run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["output_sha256"]
    files = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(recorded) == files
    for name, digest in recorded.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_publish_is_pure_and_hides_small_numbers_by_hand():
    row = {"boelge": 2024, "region": "Region Hovedstaden", "kommune": "x"}
    frame = pd.DataFrame(
        [
            row | {"kommunekode": 101, "n_respondenter": 5, "modenhedsindeks": 3.0}
            | {t: 3.0 for t in THEMES} | {f"{t}_n": 5 for t in THEMES},
            row | {"kommunekode": 147, "n_respondenter": 2, "modenhedsindeks": 4.0}
            | {t: 4.0 for t in THEMES} | {f"{t}_n": 2 for t in THEMES},
            row | {"kommunekode": 151, "n_respondenter": 4, "modenhedsindeks": 2.0}
            | {t: 2.0 for t in THEMES} | {f"{t}_n": 4 for t in THEMES},
        ]
    )  # fmt: skip
    before = frame.copy()
    published = publish.publish({"kommunescorer.parquet": frame}, Settings())
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    national = published.national(2024)
    assert national.loc["modenhedsindeks", "n_kommuner"] == 2
    assert national.loc["modenhedsindeks", "gennemsnit"] == pytest.approx(2.5)
    assert national.loc["modenhedsindeks", "maksimum"] == pytest.approx(3.0)
    assert published.scores.set_index("kommunekode").loc[147, "skjult"]


@pytest.mark.parametrize("same_rows", [True, False])
def test_role_breakdown_by_hand(same_rows):
    # Roles out of order, some missing, groups below the minimum of three; the breakdown is sorted
    # by wave and role text ("(ingen rolle)" first), with the small group's numbers hidden.
    roles = ["Fagchef", "Direktion", None, "Fagchef", "Direktion", "Fagchef", "Direktion", None,
             "Andet"]  # fmt: skip
    n = len(roles)
    rng = np.random.default_rng(3)
    keys = [f"k{i}" for i in range(n)]
    responses = pd.DataFrame(
        {"respondent_key": pd.array(keys, dtype="str"), "boelge": [2024] * 7 + [2022] * 2,
         "rolle": pd.array(roles, dtype=pd.StringDtype("pyarrow"))}
    )  # fmt: skip
    scores = pd.DataFrame({"respondent_key": keys, "boelge": responses["boelge"]})
    for theme in THEMES:
        scores[theme] = rng.uniform(1, 5, n)
    if not same_rows:
        scores = scores.iloc[::-1].reset_index(drop=True)  # joined on key and wave instead
    out = publish.published_roles(responses, scores, Settings(min_respondents_published=3))
    assert out[["boelge", "rolle"]].values.tolist() == [
        [2022, "(ingen rolle)"], [2022, "Andet"], [2024, "(ingen rolle)"], [2024, "Direktion"],
        [2024, "Fagchef"],
    ]  # fmt: skip
    assert out["n"].tolist() == [pd.NA, pd.NA, pd.NA, 3, 3]
    by_key = scores.set_index("respondent_key")
    fagchef = by_key.loc[["k0", "k3", "k5"], THEMES].mean()
    direktion = by_key.loc[["k1", "k4", "k6"], THEMES].mean()
    np.testing.assert_allclose(out.loc[4, THEMES].to_numpy(float), fagchef, rtol=1e-15)
    np.testing.assert_allclose(out.loc[3, THEMES].to_numpy(float), direktion, rtol=1e-15)
    assert out.loc[:2, THEMES].isna().all().all()


def test_temaer_shows_the_reliability_of_municipal_means(run):
    out, result = run
    reliability = pd.read_csv(out / "reliabilitet.csv")
    expected = reliability[(reliability["boelge"] == 2024)].set_index("tema")["icc2"]
    # Independent: ICC(2) = 1 - MSW/MSB from the respondents' theme scores.
    scores = result["respondentscorer.parquet"]
    wave = scores[scores["boelge"] == 2024].dropna(subset=["BOR"])
    groups = wave.groupby("kommunekode")["BOR"]
    n, j = len(wave), groups.ngroups
    msb = (groups.size() * (groups.mean() - wave["BOR"].mean()) ** 2).sum() / (j - 1)
    msw = ((wave["BOR"] - groups.transform("mean")) ** 2).sum() / (n - j)
    assert expected["BOR"] == pytest.approx(1 - msw / msb, abs=1e-9)
    book = openpyxl.load_workbook(out / "til_videncenter" / "opsummering_2024.xlsx")
    rows = list(book["Temaer"].iter_rows(values_only=True))
    header = next(r for r in rows if r and "ICC(2): kommunegennemsnittenes pålidelighed" in r)
    column = header.index("ICC(2): kommunegennemsnittenes pålidelighed")
    bor = next(r for r in rows[rows.index(header) :] if r[0] == NAMES["BOR"])
    assert bor[column] == pytest.approx(expected["BOR"])
    assert bor[column + 1] in (
        "kommunerne adskilles dårligt: læs rang med forsigtighed",
        "kommunerne adskilles pålideligt",
    )


def test_demo_data_are_marked_as_demo_and_real_data_are_not(run, examples_dir, tmp_path):
    out, _ = run
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["demodata"] is True
    for path in (out / "til_videncenter").glob("*.xlsx"):
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            assert str(sheet["A1"].value).startswith("DEMODATA"), (path.name, sheet.title)
    # The contract's examples are real-shaped exports without the demo marker.
    real = pipeline.run(
        examples_dir / "raw", tmp_path / "out", Settings(n_bootstrap=10), cache="off"
    )  # no cache beside the repository's examples
    assert real.manifest["demodata"] is False
    for path in (tmp_path / "out" / "til_videncenter").glob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            assert not str(sheet["A1"].value or "").startswith("DEMODATA")


def test_changes_with_every_p_known_and_a_hidden_wave():
    # Every change has a p (all municipality-waves have >= 2 respondents), so the detail's
    # sikker_aendring has no missing value; one municipality's 2024 rests on 2 respondents
    # and is hidden. Its published change must be NA, the others the detail's verdict
    # (a national three-wave run once failed setting that NA into a plain bool column).
    from omstilling_analysis import change, score

    rng = np.random.default_rng(4)
    items = reference.all_items()
    rows = []
    for wave, code, n in [(2022, 101, 6), (2024, 101, 6), (2022, 147, 6), (2024, 147, 2)]:
        for _ in range(n):
            answers = {i: float(rng.integers(1, 6)) for i in reference.items_of_wave(wave)}
            rows.append({"boelge": wave, "kommunekode": code} | answers)
    responses = pd.DataFrame(
        [
            {"respondent_key": f"r{k}", "rolle": "Leder", "kilde": "t.xlsx", "kilde_raekke": k + 2}
            | {i: np.nan for i in items}
            | row
            | {"antal_ved_ikke": 0}
            for k, row in enumerate(rows)
        ]
    )
    rs = score.respondent_scores(responses)
    ms = score.municipality_scores(rs)
    detail = change.changes(ms, responses=responses)
    assert detail["sikker_aendring"].notna().all()
    shown = publish.published_changes(publish.published_scores(ms), detail)
    hidden = shown[shown["kommunekode"] == 147]
    assert hidden["skjult"].all() and hidden["sikker_aendring"].isna().all()
    assert hidden["aendring"].isna().all()
    kept = shown[shown["kommunekode"] == 101].set_index("maal")
    expected = detail[detail["kommunekode"] == 101].set_index("maal")
    assert (
        kept["sikker_aendring"].astype(bool).tolist()
        == expected.loc[kept.index, "sikker_aendring"].astype(bool).tolist()
    )
    assert str(shown["sikker_aendring"].dtype) == "boolean"
