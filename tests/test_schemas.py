"""The schemas accept the real pipeline's tables and reject each kind of broken table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omstilling_analysis import demo as demodata
from omstilling_analysis import pipeline, reference, schemas
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()


def target_effects(table: pd.DataFrame) -> pd.DataFrame:
    """``effekter.csv`` in the target shape of issue 12: ``boelge`` Int64 (<NA> when pooled) and
    ``samlet``; a table already in that shape is returned as it is."""
    if "samlet" in table.columns:
        return table
    pooled = table["boelge"].astype(str) == "samlet"
    out = table.copy()
    out["boelge"] = pd.to_numeric(out["boelge"].where(~pooled), errors="raise").astype("Int64")
    out.insert(1, "samlet", pooled.to_numpy())
    return out


def _run(raw) -> pipeline.RunResult:
    # No cache: the contract's examples lie in the repository, and no cache may land there.
    return pipeline.run(raw, out_dir=None, settings=Settings(n_bootstrap=10), cache="off")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> pipeline.RunResult:
    raw = tmp_path_factory.mktemp("schemas") / "raw"
    demodata.generate(raw, seed=5, respondents_per_municipality=(3, 8))
    return _run(raw)


@pytest.fixture(scope="module")
def examples(examples_dir) -> pipeline.RunResult:
    return _run(examples_dir / "raw")


def _table(result: pipeline.RunResult, name: str) -> pd.DataFrame:
    return result.tables[name].copy()


def _failures(name_or_model, frame: pd.DataFrame) -> list[schemas.SchemaFailure]:
    with pytest.raises(schemas.SchemaValidationError) as caught:
        schemas.validate_frame(name_or_model, frame)
    return list(caught.value.failures)


def _checks(failures: list[schemas.SchemaFailure]) -> set[tuple[str | None, str]]:
    return {(f.column, f.check) for f in failures}


# --------------------------------------------------------------------------- real tables


def test_every_schema_names_an_output_of_a_run(demo):
    assert set(schemas.SCHEMAS) <= set(demo.tables)
    assert len(schemas.SCHEMAS) == 12


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_demo_run_tables_validate(demo, name):
    table = _table(demo, name)
    assert len(table) > 0
    if name == "effekter.csv":
        table = target_effects(table)
    assert schemas.validate_frame(name, table) is table


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_contract_example_tables_validate(examples, name):
    table = _table(examples, name)
    if name == "effekter.csv":
        table = target_effects(table)
    schemas.validate_frame(name, table)


def test_effects_table_in_its_target_shape(demo):
    """effects.py still writes boelge as text; the schema describes the target (issue 12)."""
    table = _table(demo, "effekter.csv")
    if "samlet" in table.columns:
        schemas.validate_frame("effekter.csv", table)
        assert table["boelge"].dtype == "Int64"
    else:
        failures = _failures("effekter.csv", table)
        assert ("boelge", "dtype('Int64')") in _checks(failures)
        assert ("samlet", "column_in_dataframe") in _checks(failures)
        pytest.xfail("effekter.csv is not yet in the target shape (boelge Int64, samlet)")


def test_outcomes_of_demo_and_examples_validate(demo, examples):
    for result in (demo, examples):
        assert len(result.raw.outcomes) > 0
        schemas.validate_frame(schemas.Outcomes, result.raw.outcomes)


def test_expected_example_files_validate(examples_dir):
    expected = examples_dir / "forventet"
    schemas.validate_frame("udeladte.csv", pd.read_csv(expected / "udeladte.csv"))
    # The expected counted rows have no respondent_key and antal_ved_ikke: their other columns
    # follow the rules of besvarelser.
    answers = dict.fromkeys(reference.all_items(), "Int8")  # as the pipeline holds them
    counted = pd.read_csv(expected / "besvarelser.csv", dtype={"rolle": "string"} | answers)
    schema = schemas.Responses.to_schema()
    schema = schema.remove_columns(["respondent_key", "antal_ved_ikke"])
    schema.validate(counted, lazy=True)


@pytest.mark.parametrize(
    "name", ["besvarelser.parquet", "respondentscorer.parquet", "kommunescorer.parquet"]
)
def test_parquet_outputs_still_validate_when_read_back(demo, tmp_path, name):
    demo.tables[name].to_parquet(tmp_path / name, index=False)
    schemas.validate_frame(name, pd.read_parquet(tmp_path / name))


def test_validate_tables_passes_a_whole_run(demo):
    tables = dict(demo.tables)
    tables["effekter.csv"] = target_effects(tables["effekter.csv"])
    assert schemas.validate_tables(tables) is None


def test_published_scores_validate_when_small_numbers_are_suppressed(demo):
    published = _suppress(_table(demo, "kommunescorer.parquet"))
    assert published["BOR"].isna().sum() > 0  # the demo has municipalities with BOR_n < 3
    schemas.validate_frame(schemas.PublishedMunicipalityScores, published)
    with pytest.raises(schemas.SchemaValidationError):  # the unsuppressed table would not do
        schemas.validate_frame(
            schemas.PublishedMunicipalityScores, _table(demo, "kommunescorer.parquet")
        )


def _suppress(scores: pd.DataFrame) -> pd.DataFrame:
    """Suppression as contract §3 asks, written out independently of the publish stage."""
    out = scores.copy()
    any_few = pd.Series(False, index=out.index)
    for theme in THEMES:
        few = out[f"{theme}_n"] < 3
        any_few |= few
        for column in (theme, f"{theme}_se", f"{theme}_ci_lav", f"{theme}_ci_hoej"):
            out.loc[few, column] = np.nan
    index_columns = [c for c in out.columns if c.startswith("modenhedsindeks")]
    out.loc[any_few, index_columns] = np.nan
    out.loc[any_few, "modenhedsniveau"] = pd.NA
    out.loc[any_few, "modenhedsniveau_navn"] = None
    return out


# --------------------------------------------------------------------------- broken tables


def test_a_score_of_six_fails(demo):
    scores = _table(demo, "kommunescorer.parquet")
    scores.loc[3, "BOR"] = 6.0
    failures = _failures("kommunescorer.parquet", scores)
    bor = [f for f in failures if f.column == "BOR"]
    assert [(f.check, f.n_rows, f.rows) for f in bor] == [("less_than_or_equal_to(5)", 1, (3,))]
    respondent = _table(demo, "respondentscorer.parquet")
    respondent.loc[0, "DAT"] = 6.0
    assert ("DAT", "less_than_or_equal_to(5)") in _checks(
        _failures("respondentscorer.parquet", respondent)
    )


def test_an_answer_outside_the_scale_fails(demo):
    responses = _table(demo, "besvarelser.parquet")
    responses.loc[0, "BOR_01"] = 6
    responses.loc[1, "BOR_02"] = 0
    failures = [
        f for f in _failures("besvarelser.parquet", responses) if f.check.startswith("isin")
    ]
    assert {(f.column, f.rows) for f in failures} == {("BOR_01", (0,)), ("BOR_02", (1,))}
    # An answer between two points of the scale cannot be an Int8 answer: the type fails.
    responses = _table(demo, "besvarelser.parquet").astype({"BOR_03": "float64"})
    responses.loc[2, "BOR_03"] = 2.5
    failures = _failures("besvarelser.parquet", responses)
    assert ("BOR_03", "dtype('Int8')") in _checks(failures)


def test_a_duplicated_key_fails(demo):
    scores = _table(demo, "kommunescorer.parquet")
    doubled = pd.concat([scores, scores.iloc[[5]]], ignore_index=True)
    failures = _failures("kommunescorer.parquet", doubled)
    unique = [f for f in failures if f.check == "multiple_fields_uniqueness"]
    assert [(f.column, f.n_rows, set(f.rows)) for f in unique] == [
        ("boelge, kommunekode", 2, {5, len(scores)})
    ]
    assert "kolonne boelge, kommunekode: nøglen skal være entydig: 2 rækker" in unique[0].describe()

    responses = _table(demo, "besvarelser.parquet")
    responses.loc[1, "respondent_key"] = responses.loc[0, "respondent_key"]
    assert ("respondent_key", "field_uniqueness") in _checks(
        _failures("besvarelser.parquet", responses)
    )


@pytest.mark.parametrize(
    "name", ["besvarelser.parquet", "kommunescorer.parquet", "rang.csv", "klynger.csv"]
)
def test_an_unknown_kommunekode_fails(demo, name):
    table = _table(demo, name)
    assert 999 not in set(reference.municipalities()["kommunekode"])
    table.loc[2, "kommunekode"] = 999
    failures = _failures(name, table)
    assert ("kommunekode", "en af de 98 kommunekoder") in _checks(failures)
    assert [f.rows for f in failures if f.column == "kommunekode"] == [(2,)]


def test_unknown_kommunekode_in_outcomes_fails(demo):
    outcomes = demo.raw.outcomes.copy()
    outcomes.loc[0, "kommunekode"] = 100
    assert ("kommunekode", "en af de 98 kommunekoder") in _checks(
        _failures(schemas.Outcomes, outcomes)
    )


def test_a_published_value_with_n_two_fails(demo):
    published = _suppress(_table(demo, "kommunescorer.parquet"))
    shown = published.index[published["STR_n"] >= 3][0]
    published.loc[shown, "STR_n"] = 2  # STR keeps its value but now rests on two respondents
    failures = _failures(schemas.PublishedMunicipalityScores, published)
    assert [(f.column, f.check, f.rows) for f in failures] == [
        (None, "ingen værdi hvor n < 3", (shown,))
    ]


def test_a_published_index_resting_on_a_small_theme_fails(demo):
    published = _suppress(_table(demo, "kommunescorer.parquet"))
    row = published.index[published["modenhedsindeks"].notna()][0]
    published.loc[row, ["TEK", "TEK_se", "TEK_ci_lav", "TEK_ci_hoej"]] = np.nan
    published.loc[row, "TEK_n"] = 1  # TEK suppressed, but the index was left
    failures = _failures(schemas.PublishedMunicipalityScores, published)
    assert [(f.check, f.rows) for f in failures] == [("ingen værdi hvor n < 3", (row,))]


@pytest.mark.parametrize("name", ["udeladte.csv", "kommunescorer.parquet", "udvikling.csv"])
def test_a_string_wave_fails(demo, name):
    table = _table(demo, name)
    table["boelge"] = table["boelge"].astype(str)
    failures = _failures(name, table)
    dtype = [f for f in failures if f.check == "dtype('int64')"]
    assert [(f.column, f.detail) for f in dtype] == [("boelge", "str")]
    assert "kolonne boelge: skal have typen int64 (har str)" in dtype[0].describe()


def test_a_wave_outside_the_codebook_fails(demo):
    left_out = _table(demo, "udeladte.csv")
    left_out.loc[0, "boelge"] = 2021
    assert ("boelge", "isin([2020, 2022, 2024])") in _checks(_failures("udeladte.csv", left_out))


def test_an_unknown_reason_for_leaving_out_fails(demo):
    left_out = _table(demo, "udeladte.csv")
    left_out.loc[0, "aarsag"] = "for gammel"
    assert ("aarsag", "en af kontraktens fire årsager") in _checks(
        _failures("udeladte.csv", left_out)
    )


def test_an_answer_to_an_item_the_wave_did_not_ask_fails(demo):
    responses = _table(demo, "besvarelser.parquet")
    assert "STY_06" not in reference.items_of_wave(2024)
    row = responses.index[responses["boelge"] == 2024][0]
    responses.loc[row, "STY_06"] = 3.0
    failures = _failures("besvarelser.parquet", responses)
    assert [(f.check, f.rows) for f in failures] == [
        ("intet svar på et spørgsmål, bølgen ikke stillede", (row,))
    ]


def test_a_personal_data_column_fails_in_the_strict_tables(demo):
    for name in ("besvarelser.parquet", "respondentscorer.parquet", "udeladte.csv"):
        table = _table(demo, name).assign(email="someone@example.dk")
        assert ("email", "column_in_schema") in _checks(_failures(name, table))


def test_a_missing_item_column_fails(demo):
    responses = _table(demo, "besvarelser.parquet").drop(columns=["DAT_06"])
    assert (None, "en kolonne pr. spørgsmål i kodebogen") in _checks(
        _failures("besvarelser.parquet", responses)
    )


def test_level_and_index_must_agree(demo):
    scores = _table(demo, "kommunescorer.parquet")
    row = scores.index[scores["modenhedsniveau"] == 3][0]
    scores.loc[row, "modenhedsniveau_navn"] = "Førende"
    other = scores.index[scores["modenhedsindeks"].notna()][1]
    scores.loc[other, "modenhedsniveau"] = pd.NA
    failures = _failures("kommunescorer.parquet", scores)
    assert {(f.check, frozenset(f.rows)) for f in failures} == {
        ("modenhedsniveau_navn svarer til modenhedsniveau", frozenset({row, other})),
        ("modenhedsniveau mangler netop når modenhedsindeks mangler", frozenset({other})),
    }


def test_a_theme_score_without_respondents_fails(demo):
    scores = _table(demo, "kommunescorer.parquet")
    scores.loc[0, "FOR_n"] = 0
    assert (None, "<TEMA> mangler netop når <TEMA>_n er 0") in _checks(
        _failures("kommunescorer.parquet", scores)
    )


def test_a_change_that_is_not_the_difference_fails(demo):
    changes = _table(demo, "udvikling.csv")
    row = changes.index[changes["aendring"].notna()][0]
    changes.loc[row, "aendring"] += 0.1
    checks = {(f.check, f.rows) for f in _failures("udvikling.csv", changes)}
    assert ("aendring = vaerdi - forrige_vaerdi", (row,)) in checks


def test_the_coming_change_columns_are_optional_but_checked(demo):
    changes = _table(demo, "udvikling.csv")
    n = len(changes)
    extended = changes.assign(
        df=np.linspace(5.0, 30.0, n),
        n=np.full(n, 7, dtype="int64"),
        forrige_n=pd.array([6] * (n - 1) + [None], dtype="Int64"),
        aendring_faelles=changes["aendring"],
        se_faelles=changes["se"],
        ci_lav_faelles=changes["ci_lav"],
        ci_hoej_faelles=changes["ci_hoej"],
        p_faelles=changes["p"],
        df_faelles=np.full(n, 12.0),
        samme_spoergsmaal=np.ones(n, dtype=bool),
        vist=["alle spørgsmål"] * (n - 1) + ["fælles spørgsmål"],
        sikker_aendring=np.zeros(n, dtype=bool),
    )
    schemas.validate_frame("udvikling.csv", extended)
    extended.loc[4, "n"] = -1
    extended.loc[5, "p_faelles"] = 1.5
    assert _checks(_failures("udvikling.csv", extended)) == {
        ("n", "greater_than_or_equal_to(0)"),
        ("p_faelles", "less_than_or_equal_to(1)"),
    }


def test_effects_rules(demo):
    effects = target_effects(_table(demo, "effekter.csv"))
    tested = effects.index[effects["p"].notna()]
    effects.loc[tested[0], "p_justeret"] = effects.loc[tested[0], "p"] / 2
    effects.loc[tested[1], "samlet"] = not effects.loc[tested[1], "samlet"]
    effects.loc[tested[2], "p"] = 1.2
    checks = _checks(_failures("effekter.csv", effects))
    assert {
        (None, "p_justeret >= p (Benjamini-Hochberg)"),
        (None, "samlet netop når boelge mangler"),
        ("p", "less_than_or_equal_to(1)"),
    } <= checks


def test_a_cluster_must_have_a_name_or_a_reason(demo):
    assignments = _table(demo, "klynger.csv")
    row = assignments.index[assignments["klynge"].notna()][0]
    assignments.loc[row, "aarsag"] = "færre end 3 besvarelser"
    failures = _failures("klynger.csv", assignments)
    assert [(f.check, f.rows) for f in failures] == [
        ("enten en klynge med navn eller en årsag", (row,))
    ]


def test_benchmark_quartiles_must_be_ordered(demo):
    bench = _table(demo, "benchmark.csv")
    row = bench.index[bench["kvartil_3"] > bench["kvartil_1"]][0]
    bench.loc[row, ["kvartil_1", "kvartil_3"]] = bench.loc[
        row, ["kvartil_3", "kvartil_1"]
    ].to_numpy()
    assert (None, "minimum <= kvartil_1 <= median <= kvartil_3 <= maksimum") in _checks(
        _failures("benchmark.csv", bench)
    )


# --------------------------------------------------------------------------- the machinery


def test_messages_carry_no_cell_values(demo):
    quality = pd.DataFrame(
        {
            "kilde": ["skema.xlsx"],
            "kilde_raekke": [4],
            "variabel": ["BOR_01"],
            "vaerdi": ["anne.hansen@kommune.dk, tlf. 12345678 og mere tekst end 40 tegn"],
            "problem": ["ukendt svartekst"],
        }
    )
    with pytest.raises(schemas.SchemaValidationError) as caught:
        schemas.validate_frame("datakvalitet.csv", quality)
    message = str(caught.value)
    assert "anne" not in message and "12345678" not in message and "@" not in message
    assert _checks(list(caught.value.failures)) == {
        ("vaerdi", "str_length(None, 40)"),
        ("vaerdi", "ingen e-mailadresse i vaerdi"),
    }


def test_validate_tables_lists_every_failing_table(demo):
    tables = dict(demo.tables)
    tables["effekter.csv"] = target_effects(tables["effekter.csv"])
    tables["kommunescorer.parquet"] = _table(demo, "kommunescorer.parquet").assign(BOR=7.0)
    tables["udeladte.csv"] = _table(demo, "udeladte.csv").assign(kilde_raekke=1)
    tables["en_anden_tabel.csv"] = pd.DataFrame({"x": ["ingen regler"]})
    with pytest.raises(schemas.SchemaValidationError) as caught:
        schemas.validate_tables(tables)
    error = caught.value
    assert {f.table for f in error.failures} == {"kommunescorer.parquet", "udeladte.csv"}
    first_line = str(error).splitlines()[0]
    assert first_line == (
        "2 tabeller opfylder ikke deres skema: kommunescorer.parquet, udeladte.csv"
    )
    assert any(
        line.startswith("- udeladte.csv: kolonne kilde_raekke: skal være >= 2: ")
        for line in str(error).splitlines()
    )


def test_lazy_false_reports_one_failure(demo):
    scores = _table(demo, "kommunescorer.parquet").assign(BOR=7.0, STR=0.0)
    assert len(_failures("kommunescorer.parquet", scores)) >= 2
    with pytest.raises(schemas.SchemaValidationError) as caught:
        schemas.validate_frame("kommunescorer.parquet", scores, lazy=False)
    assert len(caught.value.failures) == 1


def test_an_empty_table_is_checked_for_its_columns_only():
    from omstilling_analysis import effects

    columns = list(dict.fromkeys([*effects.TABLE_COLUMNS, "samlet"]))
    schemas.validate_frame("effekter.csv", pd.DataFrame(columns=columns))
    failures = _failures("effekter.csv", pd.DataFrame(columns=columns[1:]))
    assert ("boelge", "column_in_dataframe") in _checks(failures)


def test_a_name_without_a_schema_is_a_key_error():
    with pytest.raises(KeyError, match="intet skema for tabellen 'manifest.json'"):
        schemas.validate_frame("manifest.json", pd.DataFrame())


def test_models_know_the_themes_of_the_reference():
    for model in (schemas.RespondentScores, schemas.MunicipalityScores, schemas.ClusterProfiles):
        assert set(THEMES) <= set(model.to_schema().columns)
    assert schemas.MunicipalityScores.to_schema().columns[schemas.THEME_N_PATTERN].regex
