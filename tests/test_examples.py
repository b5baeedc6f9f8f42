"""The contract's example exports must give exactly the contract's expected results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omstilling_analysis import clean, pipeline, reference


@pytest.fixture(scope="module")
def loaded(examples_dir):
    raw = pipeline.load_raw(examples_dir / "raw")
    responses, left_out = clean.responses_and_left_out(raw.sources)
    return raw, responses, left_out


def test_every_example_file_is_read(loaded):
    raw, _, _ = loaded
    assert raw.errors == []
    assert sorted(s.source for s in raw.sources) == [
        "selvevaluering_2020.xlsx",
        "selvevaluering_2022",
        "selvevaluering_2024.xlsx",
        "skema_2024_egne_ark.xlsx",
    ]
    assert sorted(o.source for o in raw.outcome_files) == [
        "implementering_2021.xlsx",
        "implementering_2023.xlsx",
        "implementering_2025.xlsx",
    ]
    assert {s.source: s.wave for s in raw.sources}["selvevaluering_2022"] == 2022


def test_counted_rows_equal_expected(loaded, examples_dir):
    _, responses, _ = loaded
    expected = pd.read_csv(examples_dir / "forventet" / "besvarelser.csv")
    key = ["kilde", "kilde_raekke"]
    got = responses.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    assert len(got) == len(expected) == 515
    assert got[key].equals(expected[key])
    assert got["boelge"].tolist() == expected["boelge"].tolist()
    assert got["kommunekode"].tolist() == expected["kommunekode"].tolist()
    assert got["rolle"].astype(object).tolist() == expected["rolle"].tolist()
    items = [c for c in expected.columns if c in reference.all_items()]
    assert len(items) == 37
    np.testing.assert_array_equal(got[items].to_numpy(float), expected[items].to_numpy(float))


def test_answers_are_held_as_one_byte_integers(loaded, tmp_path):
    """The respondent table holds each answer in one byte (nullable Int8, missing <NA>), in
    memory and in besvarelser.parquet read back: exact, an eighth of float64."""
    _, responses, _ = loaded
    items = reference.all_items()
    assert all(isinstance(responses[item].dtype, pd.Int8Dtype) for item in items)
    assert responses[items].memory_usage(index=False).sum() == 2 * len(items) * len(responses)
    answered = responses[items].stack().dropna().astype(int)
    assert set(answered) == {1, 2, 3, 4, 5}
    responses.to_parquet(tmp_path / "besvarelser.parquet", index=False)
    back = pd.read_parquet(tmp_path / "besvarelser.parquet")
    pd.testing.assert_frame_equal(back[items], responses[items])


def test_left_out_rows_equal_expected(loaded, examples_dir):
    _, _, left_out = loaded
    expected = pd.read_csv(examples_dir / "forventet" / "udeladte.csv")
    key = ["kilde", "kilde_raekke"]
    got = left_out.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got[["kilde", "kilde_raekke", "boelge", "aarsag"]].astype(object),
        expected.astype(object),
    )


def test_every_raw_row_is_accounted_for(loaded):
    raw, responses, left_out = loaded
    rows_in = sum(s.n_rows for s in raw.sources)
    assert rows_in == len(responses) + len(left_out) == 559
    both = pd.concat([responses[["kilde", "kilde_raekke"]], left_out[["kilde", "kilde_raekke"]]])
    assert not both.duplicated().any()


def test_dont_know_is_counted_not_scored(loaded):
    _, responses, _ = loaded
    # 2020 row 3 answers "Ved ikke" (code 6) three times: BOR_03, STR_06 and DAT_02.
    row = responses[(responses.kilde == "selvevaluering_2020.xlsx") & (responses.kilde_raekke == 3)]
    assert row["BOR_03"].isna().item()
    assert row["antal_ved_ikke"].item() == 3
    assert row["STR_06"].isna().item() and row["DAT_02"].isna().item()
    answers = responses[reference.all_items()].to_numpy(float)
    assert set(np.unique(answers[~np.isnan(answers)])) == {1, 2, 3, 4, 5}


def test_outcomes_are_read(loaded):
    raw, _, _ = loaded
    outcomes = raw.outcomes
    assert len(outcomes) == 72
    first = outcomes[(outcomes.kommunekode == 155) & (outcomes.aar == 2021)].iloc[0]
    assert first["piloter_igangsat"] == 13
    assert first["gevinst_mio_kr"] == pytest.approx(1.18)
    assert first["digital_selvbetjening_pct"] == pytest.approx(65.6)
