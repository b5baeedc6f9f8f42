"""Cleaning rules: codes by their labels, items by text, fates of rows, timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omstilling_analysis import clean, privacy, reference, timestamps
from omstilling_analysis.settings import Settings

SCALE_LABELS = [
    "Helt uenig",
    "Overvejende uenig",
    "Hverken enig eller uenig",
    "Overvejende enig",
    "Helt enig",
]
DONT_KNOW_LABELS = ["Ved ikke", "Ved ikke / ikke relevant", "Ikke relevant"]


@st.composite
def code_schemes(draw):
    """A random coding: scale points and a Ved ikke on distinct codes, labels with noise."""
    codes = draw(st.lists(st.integers(0, 99), min_size=6, max_size=6, unique=True))
    pad = draw(st.sampled_from(["", " ", "  "]))
    case = draw(st.sampled_from([str, str.upper, str.lower]))
    labels = {str(c): case(label) + pad for c, label in zip(codes, SCALE_LABELS, strict=False)}
    labels[str(codes[5])] = draw(st.sampled_from(DONT_KNOW_LABELS)) + pad
    return labels, codes


@given(code_schemes(), st.lists(st.integers(0, 6), min_size=1, max_size=40), st.data())
@settings(max_examples=200, deadline=None)
def test_a_code_means_its_label(scheme, positions, data):
    labels, codes = scheme
    # position 0..4 → scale point 1..5, 5 → Ved ikke, 6 → blank
    cells = [float(codes[p]) if p < 6 else None for p in positions]
    as_text = data.draw(st.booleans())
    series = pd.Series(
        [None if c is None else (str(int(c)) if as_text else c) for c in cells], dtype=object
    )
    answer, dont_know, problem = clean.decode_coded_item(series, labels)
    expected = [p + 1.0 if p < 5 else np.nan for p in positions]
    np.testing.assert_array_equal(answer, np.array(expected))
    assert dont_know.tolist() == [p == 5 for p in positions]
    assert np.isnan(problem).all()


def test_codes_without_label_and_unknown_labels_are_cell_problems():
    labels = {"1": "Helt enig", "2": "Helt uenig", "3": "Måske"}
    series = pd.Series([1, 2, 3, 7, None, "x"], dtype=object)
    answer, dont_know, problem = clean.decode_coded_item(series, labels)
    np.testing.assert_array_equal(answer, [5, 1, np.nan, np.nan, np.nan, np.nan])
    assert not dont_know.any()
    classes = [clean._PROBLEM_TEXT.get(p) for p in problem]
    assert classes == [None, None, "ukendt svartekst", "kode uden label", None, "ugyldig kode"]


def test_label_texts_of_own_sheets():
    series = pd.Series(
        [
            "helt ENIG ",
            "Ved ikke / ikke relevant",
            "Ikke relevant",
            None,
            "  ",
            "Måske",
            "Overvejende  uenig",
        ]
    )
    answer, dont_know, problem = clean.decode_label_item(series)
    np.testing.assert_array_equal(answer, [5, np.nan, np.nan, np.nan, np.nan, np.nan, 2])
    assert dont_know.tolist() == [False, True, True, False, False, False, False]
    assert (~np.isnan(problem)).tolist() == [False, False, False, False, False, True, False]


@pytest.mark.parametrize("item", reference.all_items())
def test_items_are_found_by_their_text_with_stray_spaces(item):
    row = reference.codebook().set_index("item").loc[item]
    text = (
        "Hvor enig eller uenig er du i følgende udsagn?  -  "
        + row["tekst"].replace(" ", "  ")
        + " "
    )
    assert clean.match_item_text(text) == item
    if row["tidligere_tekst"]:
        assert clean.match_item_text(" " + row["tidligere_tekst"]) == item


def test_map_items_by_name_and_structure():
    structure = pd.DataFrame(
        {
            "variableName": ["q_1_1", "q_9_9", "kommune"],
            "questionText": [
                "Spørgsmål - Kvaliteten af vores data er tilstrækkelig til at understøtte ny teknologi.",
                "Noget helt andet",
                "Hvilken kommune?",
            ],
        }
    )
    mapping, unmapped = clean.map_items(
        ["responde", "bor_01", "q_1_1", "q_9_9", "stato_3", "kommune"], structure
    )
    assert mapping == {"bor_01": "BOR_01", "q_1_1": "TEK_04"}
    assert unmapped == ["q_9_9"]


def test_excel_serial_and_text_timestamps():
    values = pd.Series([43900.5, "2020-03-11 12:14:34", "11-03-2020 12:00", None], dtype=object)
    parsed = timestamps.parse_timestamps(values)
    assert parsed[0] == pd.Timestamp("2020-03-10 12:00:00")
    assert parsed[1] == pd.Timestamp("2020-03-11 12:14:34")
    assert parsed[2] == pd.Timestamp("2020-03-11 12:00:00")
    assert pd.isna(parsed[3])


def _candidates(rows):
    """Candidate rows: (wave, answered, id, closetim, kommunekode), with the id's keyed hash
    (``_noegle``) and closetim read as the cleaning makes them."""
    frame = pd.DataFrame(rows, columns=["boelge", "_besvaret", "_id", "_closetim", "kommunekode"])
    frame["kommunekode"] = frame["kommunekode"].astype("Int64")
    frame["_har_id"] = frame["_id"].notna()
    frame["_noegle"] = privacy.respondent_key_numbers(
        (frame["boelge"].astype(str) + ":" + frame["_id"]).tolist(), key=b"k" * 32
    )
    frame["_closed"] = timestamps.parse_timestamps(frame["_closetim"]).to_numpy()
    return frame


def test_half_rule_edge_and_reason_order():
    need = clean.min_answers(2020)  # 34 items → 17
    assert need == 17
    assert clean.min_answers(2022) == 18 and clean.min_answers(2024) == 18
    fates = clean.assign_fates(
        _candidates(
            [
                (2020, 0, "1", None, 101),  # nothing answered
                (2020, need - 1, "2", None, 101),  # one short
                (2020, need, "3", None, 101),  # exactly enough
                (2020, need, "4", None, None),  # unknown municipality
                (2020, 0, "5", None, None),  # empty and unknown: the first reason wins
            ]
        )
    )
    assert fates.tolist() == [
        "ikke besvaret",
        "for ufuldstændig",
        None,
        "ukendt kommune",
        "ikke besvaret",
    ]


def test_duplicates_latest_closetim_counts():
    fates = clean.assign_fates(
        _candidates(
            [
                (2022, 30, "77", "2022-03-01 10:00:00", 101),
                (2022, 30, "77", "2022-03-05 10:00:00", 101),  # latest: counts
                (2022, 30, "77", 44620.0, 101),  # Excel serial 2022-02-28: older
                (2024, 30, "77", "2024-01-01", 101),  # another wave: not a duplicate
                (2022, 0, "78", "2022-03-09", 101),  # empty: not considered as a duplicate
                (2022, 30, "78", "2022-03-01", 101),
                (2022, 30, "79", "2022-03-01", 101),  # tie: first in reading order counts
                (2022, 30, "79", "2022-03-01", 101),
            ]
        )
    )
    assert fates.tolist() == ["dublet", None, "dublet", None, "ikke besvaret", None, None, "dublet"]


def test_share_setting_changes_the_rule():
    assert clean.min_answers(2020, Settings(min_share_answered=0.25)) == 9


def test_dont_know_mask_finds_each_response_in_its_source(tmp_path, monkeypatch):
    """Each response's Ved ikke flags are its own source row's, found by kilde and kilde_raekke,
    in any order of the responses; a response in no source has none."""
    from omstilling_analysis import demo, pipeline

    demo.generate(tmp_path / "raw", seed=4)
    monkeypatch.setenv("OMSTILLING_SALT", "test-noegle-ikke-hemmelig-mindst-32-byte")
    raw = pipeline.load_raw(tmp_path / "raw")
    responses, _ = clean.responses_and_left_out(raw.sources, Settings())
    picked = responses.sample(n=500, random_state=1).reset_index(drop=True)
    picked.loc[0, "kilde_raekke"] = 10**9  # a row no source has
    mask = clean.dont_know_mask(raw.sources, picked)
    assert list(mask.columns) == reference.all_items() and len(mask) == len(picked)
    by_row = {}
    for source in raw.sources:
        frame = source.candidates
        for i in range(len(frame)):
            by_row[(frame["kilde"].iloc[i], int(frame["kilde_raekke"].iloc[i]))] = i, frame
    assert not mask.iloc[0].any()
    flagged = 0
    for row in picked.iloc[1:].itertuples(index=True):
        i, frame = by_row[(row.kilde, row.kilde_raekke)]
        for item in reference.all_items():
            column = clean.DONT_KNOW_PREFIX + item
            expected = bool(frame[column].iloc[i]) if column in frame else False
            assert mask.at[row.Index, item] == expected
            flagged += expected
    assert flagged > 0
