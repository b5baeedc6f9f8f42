"""Every shape, dialect and variation of contract §2, made by the project's own synth.

Each test writes raw files with a known truth and checks that every raw row lands exactly where
it belongs: counted with the right municipality, role and item values, or left out with the
right reason; and that every planted bad cell is listed in the data-quality table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omstilling_analysis import clean, pipeline, reference
from omstilling_analysis import demo as demodata

KEY = ["kilde", "kilde_raekke"]
ITEMS = reference.all_items()


def load_and_clean(raw_dir):
    raw = pipeline.load_raw(raw_dir)
    assert raw.errors == [], [str(e) for e in raw.errors]
    responses, left_out = clean.responses_and_left_out(raw.sources)
    problems = pd.concat([s.problems for s in raw.sources], ignore_index=True)
    return raw, responses, left_out, problems


def assert_matches_truth(raw_dir, truth: demodata.SynthTruth) -> None:
    raw, responses, left_out, problems = load_and_clean(raw_dir)
    rows = truth.rows
    assert sum(s.n_rows for s in raw.sources) == len(rows)

    expected_counted = rows[rows["aarsag"].isna()].sort_values(KEY).reset_index(drop=True)
    got = responses.sort_values(KEY).reset_index(drop=True)
    assert got[KEY].equals(expected_counted[KEY].astype({"kilde_raekke": "int64"}))
    assert got["kommunekode"].tolist() == expected_counted["kommunekode"].astype(int).tolist()
    assert got["boelge"].tolist() == expected_counted["boelge"].tolist()
    roles = expected_counted["rolle"].astype(object).where(expected_counted["rolle"].notna(), None)
    assert got["rolle"].astype(object).where(got["rolle"].notna(), None).tolist() == roles.tolist()
    assert got["antal_ved_ikke"].tolist() == expected_counted["antal_ved_ikke"].tolist()
    np.testing.assert_array_equal(
        got[ITEMS].to_numpy(float), expected_counted[ITEMS].to_numpy(float)
    )

    expected_left = rows[rows["aarsag"].notna()].sort_values(KEY).reset_index(drop=True)
    got_left = left_out.sort_values(KEY).reset_index(drop=True)
    assert got_left[KEY].equals(expected_left[KEY].astype({"kilde_raekke": "int64"}))
    assert got_left["aarsag"].tolist() == expected_left["aarsag"].tolist()

    cells = problems[problems["kilde_raekke"] > 1]
    planted = truth.cell_problems
    assert sorted(
        zip(cells["kilde"], cells["kilde_raekke"], cells["variabel"], strict=True)
    ) == sorted(zip(planted["kilde"], planted["kilde_raekke"], planted["variabel"], strict=True))


# --------------------------------------------------------------------------- the demo folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    raw = tmp_path_factory.mktemp("demo") / "raw"
    truth = demodata.generate(raw, seed=7)
    return raw, truth


def test_demo_folder_every_row_lands_where_it_belongs(demo):
    raw, truth = demo
    assert_matches_truth(raw, truth)
    reasons = set(truth.rows["aarsag"].dropna())
    assert reasons == {"ikke besvaret", "for ufuldstændig", "dublet", "ukendt kommune"}


def test_demo_folder_holds_every_shape_and_dialect(demo):
    raw, _ = demo
    loaded = pipeline.load_raw(raw)
    dialects = {s.dialect for s in loaded.sources}
    assert {
        "semikolon, Windows-1252",
        "komma, Windows-1252",
        "tabulator, UTF-16 med BOM",
    } <= dialects
    shapes = {s.shape.split(" ")[0] for s in loaded.sources}
    assert shapes == {"A", "B", "C"}
    assert any("delt i 2 ark" in s.shape for s in loaded.sources)
    assert len(loaded.outcome_files) == 3
    assert {o.source.rsplit(".", 1)[1] for o in loaded.outcome_files} == {"xlsx", "csv"}


def test_demo_outcomes_match_truth(demo):
    raw, truth = demo
    outcomes = pipeline.load_raw(raw).outcomes
    expected = truth.outcomes
    merged = expected.merge(outcomes, on=["kommunekode", "aar"], suffixes=("_t", ""))
    assert len(merged) == len(expected) == len(outcomes)
    for column in (
        "piloter_igangsat",
        "piloter_i_drift",
        "piloter_skaleret",
        "gevinst_mio_kr",
        "digital_selvbetjening_pct",
    ):
        np.testing.assert_allclose(merged[column], merged[column + "_t"], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- one export at a time

SMALL = {
    "municipalities": [101, 147, 751, 492, 185, 169, 400, 461],
    "respondents_per_municipality": (12, 20),
}


def _export(wave, seed, **style):
    return demodata.surveyxact_export(wave, style=demodata.ExportStyle(**style), seed=seed, **SMALL)


@pytest.mark.parametrize("scale", sorted(demodata.SCALE_SCHEMES))
@pytest.mark.parametrize("dialect", sorted(demodata.DIALECTS))
def test_csv_export_in_every_dialect_and_code_scheme(tmp_path, scale, dialect):
    export = _export(
        2022, 3, scale=scale, item_names="q", labels_order="shuffled", unlabeled_code=7
    )
    demodata.write_surveyxact_csv(export, tmp_path / "selvevaluering_2022", dialect)
    assert_matches_truth(tmp_path, demodata.truth_for({"selvevaluering_2022": export}))


@pytest.mark.parametrize("split", [None, 2, 3])
@pytest.mark.parametrize(
    "style",
    [
        {"item_names": "code", "closetim": "serial", "responde": "number"},
        {
            "item_names": "q",
            "closetim": "datetime",
            "scale": "enig1-vi9",
            "dont_know_label": "Ikke relevant",
        },
        {
            "item_names": "q",
            "old_wording": True,
            "nbsp": True,
            "shuffle_codes": True,
            "unlabeled_code": 0,
        },
    ],
)
def test_xlsx_export_single_and_split(tmp_path, split, style):
    export = _export(2020, 5, **style)
    demodata.write_surveyxact_xlsx(
        export, tmp_path / "selvevaluering_2020.xlsx", split_columns=split
    )
    assert_matches_truth(tmp_path, demodata.truth_for({"selvevaluering_2020.xlsx": export}))


def test_split_sheet_shorter_when_last_respondents_answered_nothing(tmp_path):
    export = _export(2024, 11, item_names="code")
    dataset = export.tables["Dataset"]
    items = [c for c in dataset.columns if c.upper() in ITEMS]
    # The last two respondents answered nothing: the items' sheet then stores fewer rows.
    dataset.loc[dataset.index[-2:], items] = np.nan
    rows = export.rows.copy()
    last = rows["kilde_raekke"].isin(rows["kilde_raekke"].nlargest(2))
    rows.loc[last, [*ITEMS]] = np.nan
    rows.loc[last, ["antal_svar", "antal_ved_ikke"]] = 0
    export = demodata.SurveyXactExport(
        export.wave,
        export.style,
        export.tables,
        rows,
        export.cell_problems[
            ~export.cell_problems["kilde_raekke"].isin(rows.loc[last, "kilde_raekke"])
        ],
    )
    split_at = list(dataset.columns).index(items[0])
    demodata.write_surveyxact_xlsx(
        export,
        tmp_path / "selvevaluering_2024.xlsx",
        split_columns=[split_at, len(dataset.columns) - split_at],
    )
    truth = demodata.truth_for({"selvevaluering_2024.xlsx": export})
    assert (
        truth.rows.loc[truth.rows["kilde_raekke"] >= truth.rows["kilde_raekke"].max() - 1, "aarsag"]
        == "ikke besvaret"
    ).all()
    assert_matches_truth(tmp_path, truth)


def test_duplicates_across_two_files_of_a_wave(tmp_path):
    first = _export(2022, 21, item_names="code")
    second = _export(2022, 21, item_names="q", scale="enig1-vi6")  # same respondents, other coding
    second.tables["Dataset"]["closetim"] = first.tables["Dataset"]["closetim"]
    second.rows["closetim"] = first.rows["closetim"]
    demodata.write_surveyxact_csv(first, tmp_path / "selvevaluering_2022", "semicolon-cp1252")
    demodata.write_surveyxact_xlsx(second, tmp_path / "selvevaluering_2022_b.xlsx")
    truth = demodata.truth_for({"selvevaluering_2022": first, "selvevaluering_2022_b.xlsx": second})
    assert (truth.rows["aarsag"] == "dublet").sum() >= len(first.rows) // 2
    assert_matches_truth(tmp_path, truth)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("header", "old_wording"), [("code", False), ("text", False), ("text", True)]
)
@pytest.mark.parametrize("date_style", ["iso", "dk", "date"])
def test_own_sheets(tmp_path, suffix, header, old_wording, date_style):
    sheet = demodata.own_sheet(
        2022,
        461,
        n_respondents=14,
        header=header,
        old_wording=old_wording,
        date_style=date_style,
        seed=2,
    )
    name = f"skema_2022_odense.{suffix}"
    demodata.write_own_sheet(sheet, tmp_path / name)
    assert_matches_truth(tmp_path, demodata.truth_for({name: sheet}))


def test_municipality_label_variants_resolve(tmp_path):
    names = {
        101: "  københavns KOMMUNE ",
        751: "Århus",
        492: "Aeroe",
        185: "Taarnby",
        169: "Høje Taastrup",
        400: "Bornholms Regionskommune",
    }
    export = _export(2024, 9, kommune_names=names)
    demodata.write_surveyxact_xlsx(export, tmp_path / "selvevaluering_2024.xlsx")
    truth = demodata.truth_for({"selvevaluering_2024.xlsx": export})
    assert set(truth.rows["kommunekode"].dropna().astype(int)) >= set(names)
    assert_matches_truth(tmp_path, truth)


def test_national_exports_small(tmp_path):
    _, truth = demodata.write_national_csv(
        tmp_path / "csv", n_respondents=3000, seed=4, return_truth=True
    )
    assert_matches_truth(tmp_path / "csv", truth)
    (tmp_path / "xlsx").mkdir()
    _, truth = demodata.write_national_xlsx(
        tmp_path / "xlsx" / "selvevaluering_2024.xlsx",
        n_respondents=2000,
        seed=4,
        return_truth=True,
    )
    assert_matches_truth(tmp_path / "xlsx", truth)
