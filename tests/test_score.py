"""Tests of omstilling_analysis.score: hand-computed cases, an independent re-implementation of
the contract's rules (§3), benchmarks, rank intervals, changes and properties."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from omstilling_analysis import change, reference, score
from omstilling_analysis.settings import Settings, load_settings

THEMES = ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]
ITEMS = reference.all_items()


def make_responses(rows: list[dict]) -> pd.DataFrame:
    """A ``responses`` frame from dicts holding ``boelge, kommunekode`` and some item answers."""
    records = []
    for i, row in enumerate(rows):
        record = {"respondent_key": row.get("respondent_key", f"r{i}"), "rolle": "Leder"}
        record |= {"boelge": row["boelge"], "kommunekode": row["kommunekode"]}
        record |= {"kilde": "test.xlsx", "kilde_raekke": i + 2}
        record |= {item: float(row[item]) if item in row else np.nan for item in ITEMS}
        record["antal_ved_ikke"] = 0
        records.append(record)
    frame = pd.DataFrame(records)
    return frame.astype({"boelge": "int64", "kommunekode": "int64", "kilde_raekke": "int64"})


def full_answers(wave: int, value: float = 3.0) -> dict:
    """Every item of ``wave`` answered ``value`` (reverse-keyed items so that they score it)."""
    reverse = set(reference.reverse_keyed_items())
    return {
        item: (6 - value if item in reverse else value) for item in reference.items_of_wave(wave)
    }


# --------------------------------------------------------------------------- respondent scores


def test_reverse_keyed_item_is_six_minus_answer():
    # BOR in 2020: BOR_01..BOR_06, BOR_04 reverse-keyed. Answers 4, 2, 3, 1, 5, blank:
    # scored 4, 2, 3, 6 - 1 = 5, 5 -> (4 + 2 + 3 + 5 + 5) / 5 = 3.8
    row = {"boelge": 2020, "kommunekode": 101}
    row |= {"BOR_01": 4, "BOR_02": 2, "BOR_03": 3, "BOR_04": 1, "BOR_05": 5}
    rs = score.respondent_scores(make_responses([row]))
    assert rs.loc[0, "BOR"] == pytest.approx(3.8, abs=1e-12)
    # STR_06 reverse-keyed: 5 -> 1; STR_01..03 = 4 -> (4 + 4 + 4 + 1) / 4 = 3.25
    row = {"boelge": 2022, "kommunekode": 101, "STR_01": 4, "STR_02": 4, "STR_03": 4, "STR_06": 5}
    rs = score.respondent_scores(make_responses([row]))
    assert rs.loc[0, "STR"] == pytest.approx(3.25, abs=1e-12)


def test_half_rule_at_its_edge_even_and_odd_number_of_items():
    base = {"boelge": 2020, "kommunekode": 101}
    # BOR has 6 items in 2020: 3 answers (= ceil(3)) suffice, 2 do not
    three = base | {"BOR_01": 5, "BOR_02": 4, "BOR_03": 3}
    two = base | {"BOR_01": 5, "BOR_02": 4}
    # TEK has 5 items in 2020 (TEK_06 came in 2022): ceil(2.5) = 3 answers needed
    tek_three = base | {"TEK_01": 1, "TEK_02": 2, "TEK_03": 2}
    tek_two = base | {"TEK_01": 1, "TEK_02": 2, "TEK_06": 5}  # TEK_06 not asked in 2020
    rs = score.respondent_scores(make_responses([three, two, tek_three, tek_two]))
    assert rs.loc[0, "BOR"] == pytest.approx(4.0, abs=1e-12)
    assert np.isnan(rs.loc[1, "BOR"])
    assert rs.loc[2, "TEK"] == pytest.approx(5 / 3, abs=1e-12)
    assert np.isnan(rs.loc[3, "TEK"])


def test_item_absent_from_a_wave_is_ignored_even_with_a_value():
    # STY_06 was asked in 2020 and 2022, STY_07 only in 2024.
    row2024 = {"boelge": 2024, "kommunekode": 101}
    row2024 |= {"STY_01": 2, "STY_02": 2, "STY_03": 2, "STY_06": 5, "STY_07": 5}
    row2020 = {"boelge": 2020, "kommunekode": 101}
    row2020 |= {"STY_01": 2, "STY_02": 2, "STY_03": 2, "STY_06": 5, "STY_07": 5}
    rs = score.respondent_scores(make_responses([row2024, row2020]))
    assert rs.loc[0, "STY"] == pytest.approx((2 + 2 + 2 + 5) / 4, abs=1e-12)  # STY_06 ignored
    assert rs.loc[1, "STY"] == pytest.approx((2 + 2 + 2 + 5) / 4, abs=1e-12)  # STY_07 ignored
    # DAT in 2022 has 5 items; DAT_06 (2024 only) does not count towards the half rule
    row = {"boelge": 2022, "kommunekode": 101, "DAT_01": 3, "DAT_02": 3, "DAT_06": 3}
    assert np.isnan(score.respondent_scores(make_responses([row])).loc[0, "DAT"])


def test_item_column_missing_from_frame_counts_as_unanswered():
    responses = make_responses([{"boelge": 2024, "kommunekode": 101} | full_answers(2024, 4)])
    rs = score.respondent_scores(responses.drop(columns=["STY_06", "TEK_06", "BOR_01"]))
    assert rs.loc[0, THEMES].tolist() == [4.0] * 6


def test_min_share_setting_changes_the_rule():
    row = {"boelge": 2020, "kommunekode": 101, "BOR_01": 5, "BOR_02": 4}
    responses = make_responses([row])
    assert np.isnan(score.respondent_scores(responses).loc[0, "BOR"])
    lenient = Settings(min_share_answered=1 / 3)
    assert score.respondent_scores(responses, lenient).loc[0, "BOR"] == 4.5
    strict = Settings(min_share_answered=1.0)
    full = make_responses([{"boelge": 2020, "kommunekode": 101} | full_answers(2020)])
    assert score.respondent_scores(full, strict).loc[0, "BOR"] == 3.0


def test_required_answers():
    assert [score.required_answers(n) for n in range(1, 8)] == [1, 1, 2, 2, 3, 3, 4]
    assert score.required_answers(30, 0.1) == 3  # not 4 from 3.0000000000000004
    assert score.required_answers(6, 1.0) == 6
    assert score.required_answers(0) == 0


def test_respondent_scores_columns_and_order():
    rows = [{"boelge": w, "kommunekode": 101} | full_answers(w) for w in (2024, 2020, 2022)]
    responses = make_responses(rows)
    responses.index = [10, 20, 30]
    rs = score.respondent_scores(responses)
    assert list(rs.columns) == ["respondent_key", "boelge", "kommunekode", *THEMES]
    assert rs["boelge"].tolist() == [2024, 2020, 2022]
    assert rs["respondent_key"].tolist() == ["r0", "r1", "r2"]
    assert (rs[THEMES] == 3.0).all().all()
    assert all(rs[t].dtype == np.float64 for t in THEMES)


# --------------------------------------------------------------------------- municipality scores


def test_municipality_with_one_respondent():
    row = {"boelge": 2022, "kommunekode": 400} | full_answers(2022, 5)
    row["BOR_01"] = 1  # BOR: (1 + 5 * 5) / 6
    ms = score.municipality_scores(score.respondent_scores(make_responses([row])))
    assert len(ms) == 1
    first = ms.iloc[0]
    assert first["kommune"] == "Bornholm"
    assert first["region"] == "Region Hovedstaden"
    assert first["n_respondenter"] == 1
    assert first["BOR"] == pytest.approx(26 / 6, abs=1e-12)
    assert first["BOR_n"] == 1
    assert np.isnan(first["BOR_ci_lav"]) and np.isnan(first["BOR_ci_hoej"])
    assert np.isnan(first["modenhedsindeks_ci_lav"])
    assert first["modenhedsindeks"] == pytest.approx((26 / 6 + 5 * 5) / 6, abs=1e-12)
    assert first["modenhedsniveau"] == 5
    assert first["modenhedsniveau_navn"] == "Førende"


def test_municipality_mean_counts_ci_and_missing_index():
    rows = [
        {"boelge": 2024, "kommunekode": 101} | full_answers(2024, 2),
        {"boelge": 2024, "kommunekode": 101} | full_answers(2024, 4),
        {"boelge": 2024, "kommunekode": 101, "BOR_01": 5, "BOR_02": 5, "BOR_03": 5},
        # Frederiksberg: nobody scores DAT -> index missing
        {"boelge": 2024, "kommunekode": 147} | {k: 3 for k in reference.items_of_wave(2024)[:30]},
    ]
    ms = score.municipality_scores(score.respondent_scores(make_responses(rows)))
    cph = ms[ms["kommunekode"] == 101].iloc[0]
    assert cph["n_respondenter"] == 3
    assert cph["BOR"] == pytest.approx((2 + 4 + 5) / 3, abs=1e-12)
    assert cph["BOR_n"] == 3
    assert cph["STR"] == pytest.approx(3.0, abs=1e-12)
    assert cph["STR_n"] == 2
    lo, hi = stats.t.interval(0.95, 2, loc=11 / 3, scale=stats.sem([2, 4, 5]))
    assert cph["BOR_ci_lav"] == pytest.approx(lo, abs=1e-12)
    assert cph["BOR_ci_hoej"] == pytest.approx(hi, abs=1e-12)
    assert cph["modenhedsindeks"] == pytest.approx((11 / 3 + 3 * 5) / 6, abs=1e-12)
    frb = ms[ms["kommunekode"] == 147].iloc[0]
    assert np.isnan(frb["DAT"]) and frb["DAT_n"] == 0
    assert np.isnan(frb["modenhedsindeks"])
    assert pd.isna(frb["modenhedsniveau"]) and pd.isna(frb["modenhedsniveau_navn"])
    assert ms["modenhedsniveau"].dtype == "Int64"


def test_municipality_scores_columns_sorting_and_types():
    rows = [
        {"boelge": w, "kommunekode": k} | full_answers(w, v)
        for w, k, v in [(2024, 851, 4), (2020, 751, 2), (2024, 101, 3), (2020, 101, 1)]
    ]
    ms = score.municipality_scores(score.respondent_scores(make_responses(rows)))
    required = ["boelge", "kommunekode", "kommune", "region", "n_respondenter", *THEMES]
    required += ["modenhedsindeks", "modenhedsniveau", "modenhedsniveau_navn"]
    required += [f"{t}_{s}" for t in THEMES for s in ("n", "ci_lav", "ci_hoej")]
    assert set(required) <= set(ms.columns)
    assert list(ms.columns[:5]) == required[:5]
    assert list(zip(ms["boelge"], ms["kommunekode"], strict=True)) == [
        (2020, 101),
        (2020, 751),
        (2024, 101),
        (2024, 851),
    ]
    assert ms["kommune"].tolist() == ["København", "Aarhus", "København", "Aalborg"]
    assert ms["modenhedsniveau_navn"].tolist() == [
        "Begynder",
        "Afprøvende",
        "Etableret",
        "Integreret",
    ]
    assert ms["boelge"].dtype == np.int64 and ms["kommunekode"].dtype == np.int64
    assert ms["n_respondenter"].dtype == np.int64


def test_level_bounds_exactly():
    number, name = score.maturity_level(pd.Series([1.0, 1.79, 1.8, 2.6, 3.4, 4.2, 4.19, 5.0]))
    assert number.tolist() == [1, 1, 2, 3, 4, 5, 4, 5]
    assert name.tolist()[:3] == ["Begynder", "Begynder", "Afprøvende"]
    # floating-point noise below a bound does not lower the level
    assert score.maturity_level(pd.Series([1.8 - 1e-14]))[0].tolist() == [2]
    assert [n for _, _, n in reference.LEVELS] == list(
        score.maturity_level(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]))[1]
    )


def test_index_exactly_on_a_bound_in_a_municipality():
    # Every theme has 5 answered items summing to 9: each theme score is exactly 9/5 = 1.8
    row = {"boelge": 2020, "kommunekode": 101}
    for items in reference.theme_items(2020).values():
        row |= dict(zip(items[:5], [1, 2, 2, 2, 2], strict=True))
        for item in items[:5]:
            if item in reference.reverse_keyed_items():
                row[item] = 6 - row[item]
    ms = score.municipality_scores(score.respondent_scores(make_responses([row])))
    assert ms.loc[0, "modenhedsindeks"] == pytest.approx(1.8, abs=1e-12)
    assert ms.loc[0, "modenhedsniveau"] == 2


def test_settings_weights_and_thresholds():
    row = {"boelge": 2024, "kommunekode": 101} | full_answers(2024, 2)
    row |= {item: 5 for item in reference.theme_items(2024)["DAT"]}
    rs = score.respondent_scores(make_responses([row]))
    equal = score.municipality_scores(rs)
    assert equal.loc[0, "modenhedsindeks"] == pytest.approx((5 * 2 + 5) / 6, abs=1e-12)
    heavy = load_settings(theme_weights={"DAT": 4})
    weighted = score.municipality_scores(rs, heavy)
    assert weighted.loc[0, "modenhedsindeks"] == pytest.approx((5 * 2 + 4 * 5) / 9, abs=1e-12)
    levels = load_settings(level_thresholds=[1.5, 2.0, 2.4, 3.0])
    assert score.municipality_scores(rs, levels).loc[0, "modenhedsniveau"] == 4
    with pytest.raises(ValueError):
        score.municipality_scores(rs, Settings(theme_weights=dict.fromkeys(THEMES, 0.0)))


def test_zero_weight_theme_may_be_missing():
    row = {"boelge": 2024, "kommunekode": 101} | full_answers(2024, 3)
    for item in reference.theme_items(2024)["DAT"]:
        row.pop(item)
    rs = score.respondent_scores(make_responses([row]))
    assert np.isnan(score.municipality_scores(rs).loc[0, "modenhedsindeks"])
    no_dat = load_settings(theme_weights={"DAT": 0})
    assert score.municipality_scores(rs, no_dat).loc[0, "modenhedsindeks"] == 3.0


def test_index_standard_error_equals_se_of_respondent_index_when_complete():
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(40):
        rows.append(
            {"boelge": 2022, "kommunekode": 101}
            | {i: float(rng.integers(1, 6)) for i in reference.items_of_wave(2022)}
        )
    rs = score.respondent_scores(make_responses(rows))
    ms = score.municipality_scores(rs)
    respondent_index = rs[THEMES].mean(axis=1)
    expected = respondent_index.std(ddof=1) / math.sqrt(len(rs))
    assert ms.loc[0, "modenhedsindeks_se"] == pytest.approx(expected, rel=1e-10)
    half = stats.t.ppf(0.975, 39) * expected
    assert ms.loc[0, "modenhedsindeks_ci_lav"] == pytest.approx(
        ms.loc[0, "modenhedsindeks"] - half, rel=1e-10
    )


# --------------------------------------------------------------------------- independent check


def independent_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """The contract's rules, row by row with exact fractions (no code shared with score.py)."""
    book = reference.codebook()
    kommuner = reference.municipalities().set_index("kommunekode")
    per_respondent = {}
    for row in responses.itertuples(index=False):
        row = row._asdict()
        wave = row["boelge"]
        scores = {}
        in_wave = book["boelger"].map(lambda ws, wave=wave: wave in ws)
        for theme in THEMES:
            asked = book[(book["tema"] == theme) & in_wave]
            values = []
            for item, reverse in zip(asked["item"], asked["omvendt"], strict=True):
                value = row[item]
                if value == value:
                    values.append(Fraction(6) - Fraction(value) if reverse else Fraction(value))
            need = math.ceil(Fraction(len(asked)) / 2)
            scores[theme] = sum(values) / len(values) if len(values) >= need else None
        per_respondent.setdefault((wave, row["kommunekode"]), []).append(scores)
    records = []
    for (wave, code), people in sorted(per_respondent.items()):
        record = {"boelge": wave, "kommunekode": code, "n_respondenter": len(people)}
        record["kommune"] = kommuner.loc[code, "kommune"]
        for theme in THEMES:
            values = [p[theme] for p in people if p[theme] is not None]
            record[theme] = sum(values) / len(values) if values else None
            record[f"{theme}_n"] = len(values)
        themes = [record[t] for t in THEMES]
        index = None if None in themes else sum(themes) / 6
        record["modenhedsindeks"] = index
        level = None
        if index is not None:
            level = 1 + sum(
                index >= Fraction(b).limit_denominator(10) for b in (1.8, 2.6, 3.4, 4.2)
            )
        record["modenhedsniveau"] = level
        records.append(record)
    return pd.DataFrame(records)


def random_export(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = rng.choice(reference.municipalities()["kommunekode"].to_numpy(), size=12, replace=False)
    rows = []
    for i in range(n):
        wave = int(rng.choice([2020, 2022, 2024]))
        # a few municipalities with 1-2 respondents
        code = int(codes[0]) if i == 0 else int(rng.choice(codes[1:]))
        share = rng.uniform(0.2, 1.0)
        row = {"boelge": wave, "kommunekode": code}
        for item in ITEMS:  # values also for items the wave did not ask
            if rng.random() < share:
                row[item] = int(rng.integers(1, 6))
        rows.append(row)
    return make_responses(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_against_independent_computation(seed):
    responses = random_export(seed)
    ms = score.municipality_scores(score.respondent_scores(responses))
    expected = independent_scores(responses)
    assert len(ms) == len(expected)
    assert ms["kommunekode"].tolist() == expected["kommunekode"].tolist()
    assert ms["n_respondenter"].tolist() == expected["n_respondenter"].tolist()
    assert ms["kommune"].tolist() == expected["kommune"].tolist()
    for column in [*THEMES, "modenhedsindeks"]:
        want = np.array([np.nan if v is None else float(v) for v in expected[column]])
        got = ms[column].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(got), np.isnan(want)), column
        assert np.nanmax(np.abs(got - want)) < 1e-12, column
    for theme in THEMES:
        assert ms[f"{theme}_n"].tolist() == expected[f"{theme}_n"].tolist()
    want_level = [-1 if pd.isna(v) else int(v) for v in expected["modenhedsniveau"]]
    assert ms["modenhedsniveau"].fillna(-1).tolist() == want_level


# --------------------------------------------------------------------------- benchmarks


def small_municipality_scores() -> pd.DataFrame:
    rows = []
    for code, value, count in [(101, 2, 1), (147, 3, 2), (151, 5, 1), (851, 4, 3), (751, 1, 1)]:
        for _ in range(count):
            rows.append({"boelge": 2024, "kommunekode": code} | full_answers(2024, value))
    return score.municipality_scores(score.respondent_scores(make_responses(rows)))


def test_benchmarks_national_and_regional():
    ms = small_municipality_scores()
    bench = score.benchmarks(ms)
    expected_columns = ["boelge", "niveau", "omraade", "maal", "n_kommuner", "n_respondenter"]
    expected_columns += ["gennemsnit", "sd", "minimum", "kvartil_1", "median", "kvartil_3"]
    assert list(bench.columns) == [*expected_columns, "maksimum"]
    national = bench[(bench["niveau"] == "land") & (bench["maal"] == "modenhedsindeks")].iloc[0]
    # municipality-level: values 2, 3, 5, 4, 1 -> mean 3, quartiles 2, 3, 4 (type 7)
    assert national["omraade"] == "Hele landet"
    assert national["n_kommuner"] == 5
    assert national["n_respondenter"] == 8
    assert national["gennemsnit"] == pytest.approx(3.0)
    assert (national["kvartil_1"], national["median"], national["kvartil_3"]) == (2.0, 3.0, 4.0)
    assert (national["minimum"], national["maksimum"]) == (1.0, 5.0)
    capital = bench[(bench["omraade"] == "Region Hovedstaden") & (bench["maal"] == "BOR")].iloc[0]
    assert capital["n_kommuner"] == 3  # København, Frederiksberg, Ballerup
    assert capital["gennemsnit"] == pytest.approx((2 + 3 + 5) / 3)
    assert capital["kvartil_1"] == pytest.approx(2.5)
    assert set(bench["maal"]) == {*THEMES, "modenhedsindeks"}
    assert len(bench) == 7 * (1 + 3)  # national + three regions


def test_benchmarks_per_wave_and_empty():
    assert score.benchmarks(small_municipality_scores().iloc[0:0]).empty
    ms = small_municipality_scores()
    both = pd.concat([ms, ms.assign(boelge=2022)], ignore_index=True)
    bench = score.benchmarks(both)
    assert bench["boelge"].tolist() == sorted(bench["boelge"].tolist())
    assert set(bench["boelge"]) == {2022, 2024}


# --------------------------------------------------------------------------- rank intervals


def test_rank_intervals_separated_municipalities_and_reproducible():
    rng = np.random.default_rng(3)
    rows = []
    for code, level in [(101, 1.5), (147, 2.5), (851, 3.5), (751, 4.5)]:
        for _ in range(30):
            answers = np.clip(np.round(level + rng.normal(0, 0.3, len(ITEMS))), 1, 5)
            rows.append(
                {"boelge": 2022, "kommunekode": code} | dict(zip(ITEMS, answers, strict=True))
            )
    rs = score.respondent_scores(make_responses(rows))
    # the reverse-keyed items blur the levels but keep the order
    ranks = score.rank_intervals(rs, Settings(n_bootstrap=100))
    assert list(ranks.columns) == [
        "boelge",
        "kommunekode",
        "modenhedsindeks",
        "rang",
        "rang_p05",
        "rang_p95",
        "indeks_ci_lav",
        "indeks_ci_hoej",
        "n_kommuner",
        "n_bootstrap",
    ]
    assert ranks["kommunekode"].tolist() == [751, 851, 147, 101]
    assert ranks["rang"].tolist() == [1, 2, 3, 4]
    assert (ranks["rang_p05"] == ranks["rang"]).all() and (ranks["rang_p95"] == ranks["rang"]).all()
    assert (ranks["indeks_ci_lav"] <= ranks["modenhedsindeks"]).all()
    assert (ranks["modenhedsindeks"] <= ranks["indeks_ci_hoej"]).all()
    again = score.rank_intervals(rs, Settings(n_bootstrap=100))
    pd.testing.assert_frame_equal(ranks, again)
    other_seed = score.rank_intervals(rs, Settings(n_bootstrap=100, seed=1))
    assert not np.allclose(ranks["indeks_ci_lav"], other_seed["indeks_ci_lav"])


def test_rank_interval_widens_for_overlapping_municipalities():
    rng = np.random.default_rng(5)
    rows = []
    for code in (101, 147, 151, 153, 155):
        for _ in range(8):
            answers = rng.integers(1, 6, len(ITEMS))
            rows.append(
                {"boelge": 2024, "kommunekode": code} | dict(zip(ITEMS, answers, strict=True))
            )
    rows.append({"boelge": 2024, "kommunekode": 400} | full_answers(2024, 3))  # one respondent
    rows.append({"boelge": 2024, "kommunekode": 410, "BOR_01": 5, "BOR_02": 5, "BOR_03": 5})
    rs = score.respondent_scores(make_responses(rows))
    ranks = score.rank_intervals(rs, Settings(n_bootstrap=200)).set_index("kommunekode")
    ranked = ranks.loc[[101, 147, 151, 153, 155, 400]]
    assert (ranked["rang_p05"] <= ranked["rang_p95"]).all()
    assert (ranked["rang_p95"] - ranked["rang_p05"]).max() >= 2
    assert ranked["rang_p05"].min() >= 1 and ranked["rang_p95"].max() <= 6
    # one respondent: its index never moves
    assert ranks.loc[400, "indeks_ci_lav"] == ranks.loc[400, "indeks_ci_hoej"] == 3.0
    # no index: no rank, listed last
    assert pd.isna(ranks.loc[410, "rang"]) and ranks.index[-1] == 410
    assert (ranks["n_kommuner"] == 6).all()


def test_bootstrap_spread_matches_standard_error():
    rng = np.random.default_rng(11)
    rows = [
        {"boelge": 2020, "kommunekode": 101}
        | {i: float(rng.integers(1, 6)) for i in reference.items_of_wave(2020)}
        for _ in range(60)
    ]
    rs = score.respondent_scores(make_responses(rows))
    ms = score.municipality_scores(rs)
    boot = score.rank_intervals(rs, Settings(n_bootstrap=4000))
    width = boot.loc[0, "indeks_ci_hoej"] - boot.loc[0, "indeks_ci_lav"]
    # bootstrap SE of a mean is sd * sqrt((n - 1) / n) / sqrt(n)
    expected = 2 * 1.96 * ms.loc[0, "modenhedsindeks_se"] * math.sqrt(59 / 60)
    assert width == pytest.approx(expected, rel=0.1)


def test_rank_intervals_per_wave_independent():
    rows = [
        {"boelge": w, "kommunekode": k} | full_answers(w, v)
        for w in (2020, 2024)
        for k, v in [(101, 2), (147, 4)]
    ]
    ranks = score.rank_intervals(
        score.respondent_scores(make_responses(rows)), Settings(n_bootstrap=10)
    )
    assert ranks[["boelge", "kommunekode", "rang"]].values.tolist() == [
        [2020, 147, 1],
        [2020, 101, 2],
        [2024, 147, 1],
        [2024, 101, 2],
    ]


# --------------------------------------------------------------------------- changes


def test_changes_since_previous_wave():
    rows = []
    for wave, code, values in [
        (2020, 101, [2, 3]),
        (2022, 101, [3, 4, 4]),
        (2024, 101, [4, 4]),
        (2020, 147, [1, 2]),
        (2024, 147, [2, 2, 3]),  # no 2022: previous is 2020
        (2024, 851, [5]),  # only one wave: no change
    ]:
        rows += [{"boelge": wave, "kommunekode": code} | full_answers(wave, v) for v in values]
    ms = score.municipality_scores(score.respondent_scores(make_responses(rows)))
    ch = change.changes(ms)
    assert list(ch.columns) == change.CHANGE_COLUMNS
    pairs = ch[["boelge", "kommunekode", "forrige_boelge"]].drop_duplicates().values.tolist()
    assert pairs == [[2022, 101, 2020], [2024, 101, 2022], [2024, 147, 2020]]
    assert len(ch) == 3 * 7
    row = ch[(ch["boelge"] == 2022) & (ch["maal"] == "BOR")].iloc[0]
    assert row["aendring"] == pytest.approx(11 / 3 - 2.5)
    se = math.sqrt(np.var([3, 4, 4], ddof=1) / 3 + np.var([2, 3], ddof=1) / 2)
    assert row["se"] == pytest.approx(se)
    # Welch's t-test, held to scipy's.
    welch = stats.ttest_ind([3, 4, 4], [2, 3], equal_var=False)
    assert row["p"] == pytest.approx(welch.pvalue, abs=1e-10)
    assert row["df"] == pytest.approx(welch.df, abs=1e-10)
    low, high = welch.confidence_interval(0.95)
    assert row["ci_lav"] == pytest.approx(low) and row["ci_hoej"] == pytest.approx(high)
    index_row = ch[(ch["boelge"] == 2024) & (ch["kommunekode"] == 147)].iloc[-1]
    assert index_row["maal"] == "modenhedsindeks"
    assert index_row["aendring"] == pytest.approx(7 / 3 - 1.5)
    # without _se columns the SE is recovered from the t-interval
    no_se = ms.drop(columns=[c for c in ms.columns if c.endswith("_se")])
    recovered = change.changes(no_se)
    themes_only = recovered["maal"] != "modenhedsindeks"
    np.testing.assert_allclose(recovered.loc[themes_only, "se"], ch.loc[themes_only, "se"])


@pytest.mark.parametrize("n", [2, 3, 30])
def test_change_is_welchs_t_test_at_small_and_large_n(n):
    rng = np.random.default_rng(n)
    before = rng.integers(1, 6, n).astype(float)
    now = np.clip(before + rng.integers(-1, 3, n), 1, 5)
    if n == 3:  # the example: p = 0.102 (a normal z said 0.027)
        before, now = np.array([2, 3, 3.5]), np.array([3.5, 4, 4.5])
    rows = [
        {"boelge": wave, "kommunekode": 101, "respondent_key": f"{wave}-{i}", "BOR": v}
        for wave, values in ((2022, before), (2024, now))
        for i, v in enumerate(values)
    ]
    frame = pd.DataFrame(rows)
    for theme in score.reference.theme_codes()[1:]:
        frame[theme] = 3.0
    ch = change.changes(score.municipality_scores(frame))
    row = ch[ch["maal"] == "BOR"].iloc[0]
    expected = stats.ttest_ind_from_stats(
        now.mean(), now.std(ddof=1), n, before.mean(), before.std(ddof=1), n, equal_var=False
    )
    assert row["p"] == pytest.approx(expected.pvalue, abs=1e-10)
    if n == 3:
        assert row["p"] == pytest.approx(0.102, abs=5e-4)
    assert row["vist"] == change.ALL_ITEMS and bool(row["samme_spoergsmaal"])
    assert bool(row["sikker_aendring"]) == (expected.pvalue < 0.05)


def test_common_item_change_when_the_item_set_changed():
    """A wave pair whose theme item set differs: the change on the items both asked is the
    change of the respondents' means on those items alone (computed here by hand)."""
    book = score.reference.codebook()  # its boelger: the waves that asked each item
    waves = sorted({int(w) for ws in book["boelger"] for w in ws})
    pair = theme = None
    for earlier, later in zip(waves, waves[1:], strict=False):
        for t in score.reference.theme_codes():
            a, b = score.reference.theme_items(earlier)[t], score.reference.theme_items(later)[t]
            if set(a) != set(b) and set(a) & set(b):
                pair, theme = (earlier, later), t
                break
        if pair:
            break
    assert pair is not None, "the codebook has a theme whose items changed between waves"
    earlier, later = pair
    common = sorted(
        set(score.reference.theme_items(earlier)[theme])
        & set(score.reference.theme_items(later)[theme])
    )
    reverse = set(score.reference.reverse_keyed_items())
    rng = np.random.default_rng(7)
    rows = []
    for wave in (earlier, later):
        for i in range(6):
            answers = {
                item: int(rng.integers(1, 6)) for item in score.reference.items_of_wave(wave)
            }
            rows.append({"respondent_key": f"{wave}-{i}", "boelge": wave, "kommunekode": 101}
                        | answers)  # fmt: skip
    responses = pd.DataFrame(rows)
    ms = score.municipality_scores(score.respondent_scores(responses))
    ch = change.changes(ms, responses=responses)
    row = ch[ch["maal"] == theme].iloc[0]
    assert not bool(row["samme_spoergsmaal"]) and row["vist"] == change.COMMON_ITEMS

    def common_score(frame):
        values = frame[common].astype(float).copy()
        for item in common:
            if item in reverse:
                values[item] = 6 - values[item]
        return values.mean(axis=1).to_numpy()

    now = common_score(responses[responses["boelge"] == later])
    before = common_score(responses[responses["boelge"] == earlier])
    assert row["aendring_faelles"] == pytest.approx(now.mean() - before.mean())
    expected = stats.ttest_ind(now, before, equal_var=False)
    assert row["p_faelles"] == pytest.approx(expected.pvalue, abs=1e-10)
    assert bool(row["sikker_aendring"]) == (expected.pvalue < 0.05)
    # A theme whose items did not change shows the change on all items.
    same = ch[ch["samme_spoergsmaal"].astype(bool) & (ch["maal"] != "modenhedsindeks")]
    assert (same["vist"] == change.ALL_ITEMS).all()
    np.testing.assert_allclose(same["p_faelles"], same["p"])


def test_changes_empty_when_single_wave():
    ms = small_municipality_scores()
    assert change.changes(ms).empty


# --------------------------------------------------------------------------- properties

answer = st.one_of(st.none(), st.integers(1, 5))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([2020, 2022, 2024]), st.lists(answer, min_size=37, max_size=37)),
        min_size=1,
        max_size=12,
    )
)
def test_scores_within_scale_and_index_is_weighted_mean(data):
    rows = []
    for i, (wave, values) in enumerate(data):
        row = {"boelge": wave, "kommunekode": [101, 147][i % 2]}
        row |= {item: v for item, v in zip(ITEMS, values, strict=True) if v is not None}
        rows.append(row)
    rs = score.respondent_scores(make_responses(rows))
    values = rs[THEMES].to_numpy()
    assert np.nanmin(values, initial=1) >= 1 and np.nanmax(values, initial=5) <= 5
    ms = score.municipality_scores(rs)
    index = ms["modenhedsindeks"].dropna()
    assert ((index >= 1 - 1e-12) & (index <= 5 + 1e-12)).all()
    complete = ms[THEMES].notna().all(axis=1)
    assert (complete == ms["modenhedsindeks"].notna()).all()
    np.testing.assert_allclose(
        ms.loc[complete, "modenhedsindeks"], ms.loc[complete, THEMES].mean(axis=1)
    )
    assert (ms["n_respondenter"] >= ms[[f"{t}_n" for t in THEMES]].max(axis=1)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1, 5, allow_nan=False), min_size=1, max_size=50))
def test_level_is_monotone_in_index(values):
    ordered = pd.Series(sorted(values))
    number, name = score.maturity_level(ordered)
    assert number.is_monotonic_increasing
    assert number.between(1, 5).all()
    names = {level: label for _, level, label in reference.LEVELS}
    assert name.tolist() == [names[n] for n in number]


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(score, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
