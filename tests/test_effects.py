"""Tests of omstilling_analysis.effects on small synthetic frames with planted links.

The frames are built here (not by synth.py or score.py), so that the tests know the truth:
``_synthetic`` plants a standardised effect of 0.5 (per SD of the theme, in SDs of the
outcome's noise; in log-odds for the shares) on four theme-outcome pairs and none elsewhere.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.figure import Figure

from omstilling_analysis import effects, reference
from omstilling_analysis.plots import effects as effect_plots
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number

THEMES = reference.theme_codes()
WAVES = (2020, 2022, 2024)
PLANTED = {
    ("andel_i_drift", "STY"): 0.5,
    ("andel_skaleret", "FOR"): -0.5,
    ("gevinst_kr_pr_indbygger", "TEK"): 0.5,
    ("digital_selvbetjening_pct", "BOR"): -0.5,
}


def _synthetic(
    seed: int,
    planted: dict[tuple[str, str], float] | None = None,
    n_municipalities: int = 95,
    waves: tuple[int, ...] = WAVES,
    lag: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``municipality_scores`` and ``outcomes`` frames with the given planted links.

    Theme scores are correlated (0.5) and persistent over waves; bigger municipalities score a
    little higher and do a little better (so log population is a real confounder). Shares get
    municipality-level over-dispersion on the logit scale.
    """
    planted = PLANTED if planted is None else planted
    rng = np.random.default_rng(seed)
    towns = reference.municipalities().set_index("kommunekode")
    codes = np.sort(rng.choice(towns.index.to_numpy(), n_municipalities, replace=False))
    population = towns.loc[codes, "indbyggere_2020"].to_numpy(float)
    size = (np.log(population) - np.log(population).mean()) / np.log(population).std()
    correlation = np.full((6, 6), 0.5) + 0.5 * np.eye(6)
    stable = rng.multivariate_normal(np.zeros(6), correlation, n_municipalities)
    scores, outcomes = [], []
    for wave in waves:
        shock = rng.multivariate_normal(np.zeros(6), correlation, n_municipalities)
        latent = 0.8 * stable + 0.6 * shock + 0.3 * size[:, None]
        latent = (latent - latent.mean(axis=0)) / latent.std(axis=0)
        frame = pd.DataFrame(np.clip(3.2 + 0.5 * latent, 1, 5), columns=THEMES)
        frame.insert(0, "n_respondenter", rng.integers(3, 15, n_municipalities))
        frame.insert(0, "region", towns.loc[codes, "region"].to_numpy())
        frame.insert(0, "kommune", towns.loc[codes, "kommune"].to_numpy())
        frame.insert(0, "kommunekode", codes)
        frame.insert(0, "boelge", wave)
        scores.append(frame)

        z = dict(zip(THEMES, latent.T, strict=True))

        def effect(outcome: str, z=z) -> np.ndarray:
            return sum(
                (b * z[t] for (o, t), b in planted.items() if o == outcome),
                np.zeros(n_municipalities),
            )

        started = rng.integers(4, 20, n_municipalities)
        logit = 0.2 + effect("andel_i_drift") + 0.2 * size + rng.normal(0, 0.3, n_municipalities)
        running = rng.binomial(started, 1 / (1 + np.exp(-logit)))
        logit = -0.8 + effect("andel_skaleret") + rng.normal(0, 0.3, n_municipalities)
        scaled = rng.binomial(running, 1 / (1 + np.exp(-logit)))
        per_person = 150 + 40 * (
            effect("gevinst_kr_pr_indbygger") + rng.normal(size=n_municipalities)
        )
        per_person += 10 * size
        self_service = 72 + 5 * (
            effect("digital_selvbetjening_pct") + rng.normal(size=n_municipalities)
        )
        outcomes.append(
            pd.DataFrame(
                {
                    "kommunekode": codes,
                    "aar": wave + lag,
                    "piloter_igangsat": started.astype(float),
                    "piloter_i_drift": running.astype(float),
                    "piloter_skaleret": scaled.astype(float),
                    "gevinst_mio_kr": per_person * population / 1e6,
                    "digital_selvbetjening_pct": self_service,
                }
            )
        )
    return pd.concat(scores, ignore_index=True), pd.concat(outcomes, ignore_index=True)


def _found(table: pd.DataFrame, udfald: str, tema: str, sign: float | None = None) -> bool:
    """The check's rule: p_justeret < 0.05 (with the sign) in two waves or in the pooled model."""
    rows = table[(table["udfald"] == udfald) & (table["tema"] == tema)]
    hit = rows["p_justeret"] < 0.05
    if sign is not None:
        hit &= np.sign(rows["estimat"]) == np.sign(sign)
    waves = hit[~rows[effects.POOLED]].sum()
    return bool(waves >= 2 or hit[rows[effects.POOLED]].any())


@pytest.fixture(scope="module")
def planted_result() -> effects.EffectsResult:
    scores, outcomes = _synthetic(seed=11)
    return effects.estimate_effects(scores, outcomes)


# --------------------------------------------------------------------------- measures


def test_outcome_measures_follow_the_contract():
    outcomes = pd.DataFrame(
        {
            "kommunekode": [101, 147, 151, 153, 999],
            "aar": [2021] * 5,
            "piloter_igangsat": [10.0, 0.0, 8.0, 5.0, 4.0],
            "piloter_i_drift": [4.0, 0.0, 0.0, 6.0, 2.0],
            "piloter_skaleret": [1.0, 0.0, 0.0, 1.0, 1.0],
            "gevinst_mio_kr": [6.3234, 1.0, np.nan, 0.0, 1.0],
            "digital_selvbetjening_pct": [70.0, 80.0, 90.0, np.nan, 120.0],
        }
    )
    m = effects.outcome_measures(outcomes).set_index("kommunekode")
    assert m.loc[101, "andel_i_drift"] == pytest.approx(0.4)
    assert m.loc[101, "andel_skaleret"] == pytest.approx(0.25)
    # København: 632 340 inhabitants on 1 January 2020.
    assert m.loc[101, "gevinst_kr_pr_indbygger"] == pytest.approx(6.3234e6 / 632340)
    assert m.loc[101, "digital_selvbetjening_pct"] == 70.0
    assert m.loc[101, [f"aarsag_{o}" for o in effects.OUTCOMES]].isna().all()
    # Division by zero → missing, with the reason.
    assert np.isnan(m.loc[147, "andel_i_drift"])
    assert m.loc[147, "aarsag_andel_i_drift"] == "ingen piloter igangsat (nævner 0)"
    assert np.isnan(m.loc[151, "andel_skaleret"])
    assert m.loc[151, "aarsag_andel_skaleret"] == "ingen piloter i drift (nævner 0)"
    assert m.loc[151, "aarsag_gevinst_kr_pr_indbygger"] == "værdi mangler i udfaldsfil"
    assert m.loc[153, "aarsag_andel_i_drift"] == "flere piloter i drift end igangsat"
    assert m.loc[153, "aarsag_digital_selvbetjening_pct"] == "værdi mangler i udfaldsfil"
    assert m.loc[999, "aarsag_gevinst_kr_pr_indbygger"].startswith("ukendt kommunekode")
    assert m.loc[999, "aarsag_digital_selvbetjening_pct"] == "uden for 0-100"
    assert np.isnan(m.loc[151, "gevinst_kr_pr_indbygger"])


# --------------------------------------------------------------------------- linking


def test_missing_municipalities_years_and_zero_denominators_are_reported():
    scores, outcomes = _synthetic(seed=3, n_municipalities=12)
    codes = sorted(scores["kommunekode"].unique())
    few, gap, absent, zero_drift, zero_started, twice = codes[:6]
    scores.loc[(scores["kommunekode"] == few) & (scores["boelge"] == 2020), "n_respondenter"] = 2
    scores.loc[(scores["kommunekode"] == gap) & (scores["boelge"] == 2020), "DAT"] = np.nan
    outcomes = outcomes[~((outcomes["kommunekode"] == absent) & (outcomes["aar"] == 2021))]
    outcomes.loc[
        (outcomes["kommunekode"] == zero_drift) & (outcomes["aar"] == 2021), "piloter_i_drift"
    ] = 0
    outcomes.loc[
        (outcomes["kommunekode"] == zero_drift) & (outcomes["aar"] == 2021), "piloter_skaleret"
    ] = 0
    outcomes.loc[
        (outcomes["kommunekode"] == zero_started) & (outcomes["aar"] == 2021),
        ["piloter_igangsat", "piloter_i_drift", "piloter_skaleret"],
    ] = 0
    outcomes = pd.concat(
        [outcomes, outcomes[(outcomes["kommunekode"] == twice) & (outcomes["aar"] == 2021)]]
    )
    outcomes = outcomes[outcomes["aar"] != 2025]  # the 2024 wave's outcome year is missing
    # An outcome row of a municipality that did not answer in 2022.
    silent = scores[(scores["kommunekode"] == codes[6]) & (scores["boelge"] == 2022)].index
    scores = scores.drop(silent)

    linked, missing = effects.link_waves(scores, effects.outcome_measures(outcomes))

    def reason(wave: int, code: int, udfald: str = "alle") -> list[str]:
        rows = missing[
            (missing["boelge"] == wave)
            & (missing["kommunekode"] == code)
            & (missing["udfald"] == udfald)
        ]
        return rows["aarsag"].tolist()

    assert reason(2020, few) == ["for få respondenter (n < 3)"]
    assert reason(2020, gap) == ["mangler temascore (DAT)"]
    assert reason(2020, absent) == ["mangler i udfaldsfil"]
    assert reason(2020, zero_drift, "andel_skaleret") == ["ingen piloter i drift (nævner 0)"]
    assert reason(2020, zero_drift, "andel_i_drift") == []
    assert reason(2020, zero_started, "andel_i_drift") == ["ingen piloter igangsat (nævner 0)"]
    assert reason(2020, zero_started, "andel_skaleret") == ["ingen piloter i drift (nævner 0)"]
    assert reason(2020, twice) == ["flere rækker i udfaldsfil for samme kommune og år"]
    assert reason(2022, codes[6]) == ["ingen besvarelser i bølgen"]
    assert all(reason(2024, code) == ["år mangler i udfaldsfilerne"] for code in codes)
    assert set(missing.columns) == {"boelge", "kommunekode", "aar", "udfald", "aarsag"}

    # Nothing is dropped silently: every municipality × wave × outcome with scores is either
    # in that wave's model or in the report.
    result = effects.estimate_effects(scores, outcomes, cv_splits=2, cv_repeats=1)
    for wave in WAVES:
        answered = (scores["boelge"] == wave).sum()
        for udfald in effects.OUTCOMES:
            modelled = result.table.loc[
                (result.table["boelge"] == wave).fillna(False) & (result.table["udfald"] == udfald),
                "n",
            ]
            n = int(modelled.iloc[0]) if len(modelled) else 0
            reported = result.missing[
                (result.missing["boelge"] == wave)
                & result.missing["udfald"].isin(["alle", udfald])
                & (result.missing["aarsag"] != "ingen besvarelser i bølgen")
            ]
            assert n + len(reported) == answered, (wave, udfald)
    assert 2024 not in set(result.table["boelge"].dropna())
    assert any("med besvarelser indgår ikke i modellerne" in s for s in result.sentences)


def test_the_lag_setting_shifts_the_linked_year():
    scores, outcomes = _synthetic(seed=4, n_municipalities=10, lag=2)
    measures = effects.outcome_measures(outcomes)
    linked, missing = effects.link_waves(scores, measures, settings=Settings(outcome_lag=2))
    assert (linked["aar"] == linked["boelge"] + 2).all()
    assert linked["andel_i_drift"].notna().all()
    expected = measures.astype({"kommunekode": "int64", "aar": "int64"})
    expected = expected.set_index(["kommunekode", "aar"])["gevinst_kr_pr_indbygger"]
    got = linked.set_index(["kommunekode", "aar"])["gevinst_kr_pr_indbygger"]
    pd.testing.assert_series_equal(got, expected.loc[got.index], check_names=False)
    assert missing.empty
    # With the default lag of 1 the years 2021, 2023, 2025 are not in these files.
    linked, missing = effects.link_waves(scores, measures)
    assert linked["andel_i_drift"].isna().all()
    assert set(missing["aarsag"]) == {"år mangler i udfaldsfilerne"}
    assert (missing["aar"] == missing["boelge"] + 1).all()


def test_z_scores_are_standardised_within_wave():
    scores, outcomes = _synthetic(seed=5, n_municipalities=30)
    linked, _ = effects.link_waves(scores, effects.outcome_measures(outcomes))
    stats = linked.groupby("boelge")[[f"z_{t}" for t in THEMES]].agg(["mean", "std"])
    assert np.allclose(stats.xs("mean", axis=1, level=1), 0, atol=1e-12)
    assert np.allclose(stats.xs("std", axis=1, level=1), 1)


# --------------------------------------------------------------------------- the models


def test_planted_links_are_found_with_the_right_sign(planted_result):
    table = planted_result.table
    for (udfald, tema), sign in PLANTED.items():
        assert _found(table, udfald, tema, sign), (udfald, tema)
        pooled = table[
            table[effects.POOLED] & (table["udfald"] == udfald) & (table["tema"] == tema)
        ]
        assert np.sign(pooled["estimat"].iloc[0]) == np.sign(sign)
    absent = [(u, t) for u in effects.OUTCOMES for t in THEMES if (u, t) not in PLANTED]
    flagged = sum(_found(table, u, t) for u, t in absent)
    assert flagged <= 0.15 * len(absent)


def test_the_table_has_the_contract_columns(planted_result):
    table = planted_result.table
    contract = ["boelge", "udfald", "tema", "estimat", "ci_lav", "ci_hoej", "p", "p_justeret", "n"]
    assert list(table.columns[: len(contract)]) == contract
    assert {"model", "r2", "r2_cv"} <= set(table.columns)
    assert table["boelge"].dtype == "Int64" and table[effects.POOLED].dtype == bool
    assert set(table["boelge"].dropna()) == {2020, 2022, 2024}
    assert table["boelge"].isna().eq(table[effects.POOLED]).all()
    assert table[effects.POOLED].sum() == 4 * 6
    assert len(table) == 4 * 4 * 6
    assert (table["ci_lav"] < table["estimat"]).all() and (
        table["estimat"] < table["ci_hoej"]
    ).all()
    assert (table["p_justeret"] >= table["p"]).all()
    assert table.loc[table[effects.POOLED], "n"].iloc[0] == 3 * 95
    binomial = table["udfald"].isin(list(effects.BINOMIAL))
    assert table.loc[binomial, "model"].str.contains("binomial GLM").all()
    assert table.loc[binomial, "model"].str.contains("log-odds").all()
    assert table.loc[~binomial, "model"].str.startswith("OLS").all()
    pooled = table[effects.POOLED]
    assert table.loc[pooled, "model"].str.contains("klyngerobuste SE").all()
    assert table.loc[~pooled, "model"].str.endswith("HC3").all()
    # Cross-validated fit is below the in-sample fit, but the planted links carry over.
    assert (table["r2_cv"] < table["r2"]).all()
    assert (table.loc[table[effects.POOLED], "r2_cv"] > 0).all()
    assert table.loc[binomial, "estimat_pp"].notna().all()
    assert table.loc[~binomial, "estimat_pp"].isna().all()


def test_null_data_give_no_more_false_findings_than_the_correction_allows():
    runs_with_findings = 0
    for seed in range(20):
        scores, outcomes = _synthetic(seed=100 + seed, planted={})
        table = effects.estimate_effects(scores, outcomes, cv_splits=2, cv_repeats=1).table
        runs_with_findings += bool((table["p_justeret"] < 0.05).any())
    # Under the complete null, BH at q = 0.05 keeps P(any finding) near 0.05.
    assert runs_with_findings / 20 <= 0.10


def test_region_control_is_optional():
    scores, outcomes = _synthetic(seed=6, n_municipalities=60)
    result = effects.estimate_effects(
        scores, outcomes, control_region=True, cv_splits=2, cv_repeats=1
    )
    assert result.table["model"].str.contains("region").all()
    assert result.table["p"].notna().all()


# --------------------------------------------------------------------------- standard errors


def _hc3_by_hand(X: np.ndarray, e: np.ndarray) -> np.ndarray:
    """MacKinnon & White's HC3, written out row by row."""
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros_like(bread)
    for x, u in zip(X, e, strict=True):
        h = x @ bread @ x
        meat += np.outer(x, x) * u**2 / (1 - h) ** 2
    return bread @ meat @ bread


def _cluster_by_hand(X, scores, bread, groups):
    """CR1: bread · Σ_g s_g s_gᵀ · bread · G/(G−1) · (N−1)/(N−K)."""
    n, k = X.shape
    labels = np.unique(groups)
    meat = np.zeros((k, k))
    for g in labels:
        s = scores[groups == g].sum(axis=0)
        meat += np.outer(s, s)
    g = len(labels)
    return bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)


def test_hc3_agrees_with_statsmodels_and_the_sandwich_formula():
    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.normal(size=(25, 3)))
    y = X @ [1, 0.5, 0, -0.3] + rng.normal(size=25) * (1 + np.abs(X[:, 1]))
    fit = sm.OLS(y, X).fit(cov_type="HC3")
    ours = effects.hc3_covariance(X, fit.resid)
    np.testing.assert_allclose(ours, fit.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(ours, _hc3_by_hand(X, fit.resid), rtol=1e-10)


def test_glm_hc3_uses_the_irls_leverage():
    rng = np.random.default_rng(1)
    X = sm.add_constant(rng.normal(size=(30, 2)))
    trials = rng.integers(2, 20, 30)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-(X @ [0.2, 0.8, -0.4]))))
    y = np.column_stack([successes, trials - successes])
    glm = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    p = glm.predict(X)
    residuals, weights = successes - trials * p, trials * p * (1 - p)
    # Without leverage correction it is statsmodels' GLM HC0 ...
    hc0 = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="HC0").cov_params()
    np.testing.assert_allclose(effects.hc3_covariance(X, residuals, weights, "HC0"), hc0, rtol=1e-8)
    # ... and HC3 divides each score by 1 − h with statsmodels' GLM hat values.
    h = glm.get_hat_matrix_diag()
    bread = np.linalg.inv(X.T @ (X * weights[:, None]))
    scores = X * (residuals / (1 - h))[:, None]
    expected = bread @ scores.T @ scores @ bread
    np.testing.assert_allclose(effects.hc3_covariance(X, residuals, weights), expected, rtol=1e-8)


def _design(linked: pd.DataFrame, pooled: bool) -> np.ndarray:
    columns = [np.ones(len(linked)), *(linked[f"z_{t}"] for t in THEMES), linked["log_indbyggere"]]
    if pooled:
        columns += [(linked["boelge"] == w).astype(float) for w in WAVES[1:]]
    return np.column_stack(columns)


def _interval(estimate: float, se: float, df: float) -> tuple[float, float, float]:
    from scipy import stats

    q = stats.t.ppf(0.975, df)
    return estimate - q * se, estimate + q * se, 2 * stats.t.sf(abs(estimate / se), df)


@pytest.fixture(scope="module")
def small_case():
    scores, outcomes = _synthetic(seed=7, n_municipalities=20)
    result = effects.estimate_effects(scores, outcomes, cv_splits=2, cv_repeats=1)
    return result.linked, result.table


def test_wave_models_report_hc3_inference(small_case):
    linked, table = small_case
    data = linked[linked["boelge"] == 2022]
    X = _design(data, pooled=False)
    k = X.shape[1]

    # t(n − k) inference on the HC3 covariance (statsmodels' default for HC3 would be normal).
    y = data["digital_selvbetjening_pct"].to_numpy()
    ols = sm.OLS(y, X).fit(cov_type="HC3", use_t=True)
    rows = table[
        (table["boelge"] == 2022).fillna(False) & (table["udfald"] == "digital_selvbetjening_pct")
    ]
    np.testing.assert_allclose(rows["estimat"], ols.params[1:7], rtol=1e-8)
    np.testing.assert_allclose(rows["p"], ols.pvalues[1:7], rtol=1e-6)
    np.testing.assert_allclose(rows["ci_lav"], ols.conf_int()[1:7, 0], rtol=1e-8)
    se = np.sqrt(np.diag(_hc3_by_hand(X, ols.resid)))
    for row, (estimate, s) in zip(
        rows.itertuples(), zip(ols.params[1:7], se[1:7], strict=True), strict=True
    ):
        assert (row.ci_lav, row.ci_hoej, row.p) == pytest.approx(_interval(estimate, s, len(X) - k))

    trials = data["piloter_igangsat"].to_numpy()
    successes = data["piloter_i_drift"].to_numpy()
    y = np.column_stack([successes, trials - successes])
    glm = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    p = glm.predict(X)
    w = trials * p * (1 - p)
    h = glm.get_hat_matrix_diag()
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    scores = X * ((successes - trials * p) / (1 - h))[:, None]
    se = np.sqrt(np.diag(bread @ scores.T @ scores @ bread))
    rows = table[(table["boelge"] == 2022).fillna(False) & (table["udfald"] == "andel_i_drift")]
    np.testing.assert_allclose(rows["estimat"], glm.params[1:7], rtol=1e-6)
    for row, (estimate, s) in zip(
        rows.itertuples(), zip(glm.params[1:7], se[1:7], strict=True), strict=True
    ):
        assert (row.ci_lav, row.ci_hoej, row.p) == pytest.approx(
            _interval(estimate, s, len(X) - k), rel=1e-5
        )


def test_pooled_models_report_municipality_clustered_inference(small_case):
    linked, table = small_case
    X = _design(linked, pooled=True)
    groups = linked["kommunekode"].to_numpy()
    df = len(np.unique(groups)) - 1

    y = linked["gevinst_kr_pr_indbygger"].to_numpy()
    ols = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    bread = np.linalg.inv(X.T @ X)
    by_hand = _cluster_by_hand(X, X * ols.resid[:, None], bread, groups)
    np.testing.assert_allclose(by_hand, ols.cov_params(), rtol=1e-8)
    rows = table[table[effects.POOLED] & (table["udfald"] == "gevinst_kr_pr_indbygger")]
    se = np.sqrt(np.diag(by_hand))
    for row, (estimate, s) in zip(
        rows.itertuples(), zip(ols.params[1:7], se[1:7], strict=True), strict=True
    ):
        assert row.estimat == pytest.approx(estimate)
        assert (row.ci_lav, row.ci_hoej, row.p) == pytest.approx(_interval(estimate, s, df))

    data = linked[linked["andel_skaleret"].notna()]
    X, groups = _design(data, pooled=True), data["kommunekode"].to_numpy()
    trials = data["piloter_i_drift"].to_numpy()
    successes = data["piloter_skaleret"].to_numpy()
    glm = sm.GLM(np.column_stack([successes, trials - successes]), X, family=sm.families.Binomial())
    glm = glm.fit()
    p = glm.predict(X)
    bread = np.linalg.inv(X.T @ (X * (trials * p * (1 - p))[:, None]))
    by_hand = _cluster_by_hand(X, X * (successes - trials * p)[:, None], bread, groups)
    rows = table[table[effects.POOLED] & (table["udfald"] == "andel_skaleret")]
    se = np.sqrt(np.diag(by_hand))
    for row, (estimate, s) in zip(
        rows.itertuples(), zip(glm.params[1:7], se[1:7], strict=True), strict=True
    ):
        assert row.estimat == pytest.approx(estimate, rel=1e-6)
        assert (row.ci_lav, row.ci_hoej, row.p) == pytest.approx(
            _interval(estimate, s, len(np.unique(groups)) - 1), rel=1e-5
        )


# --------------------------------------------------------------------------- words and figures


def test_sentences_state_findings_in_danish_with_uncertainty(planted_result):
    sentences = planted_result.sentences
    findings = [s for s in sentences if "hænger en standardafvigelse højere score" in s]
    assert findings
    assert all(s.endswith("Det er en sammenhæng, ikke en påvist årsag.") for s in findings)
    assert all("95 %-KI" in s and "justeret p" in s for s in findings)
    styring = [s for s in findings if "Styring og governance" in s and "piloter i drift" in s]
    assert any(s.startswith("Samlet over bølgerne 2020, 2022 og 2024") for s in styring)
    assert all("højere" in s and "odds-ratio" in s for s in styring)
    forankring = [s for s in findings if "Forankring" in s and "skalerede" in s]
    assert forankring and all("lavere" in s for s in forankring)
    assert any("kr. pr. indbygger" in s for s in findings)
    assert "ikke påviste årsager" in sentences[0]


def test_sentence_wording_and_number_format():
    rows = []
    for udfald in effects.OUTCOMES:
        for tema in THEMES:
            rows.append(
                {"boelge": "2022", "udfald": udfald, "tema": tema, "p": 0.5, "p_justeret": 0.9}
            )
    table = pd.DataFrame(rows)
    hit = (table["udfald"] == "digital_selvbetjening_pct") & (table["tema"] == "STY")
    table.loc[hit, ["estimat", "ci_lav", "ci_hoej", "p", "p_justeret"]] = [
        -6.1,
        -10.2,
        -2.0,
        0.0001,
        0.003,
    ]
    sentences = effects.findings_sentences(table)
    assert (
        "I 2022 hænger en standardafvigelse højere score på Styring og governance sammen med "
        "6,1 procentpoint (95 %-KI 2,0 til 10,2) lavere andel digital selvbetjening "
        "(justeret p = 0,003). Det er en sammenhæng, ikke en påvist årsag."
    ) in sentences
    none = [s for s in sentences if "ingen sammenhæng" in s]
    assert len(none) == 3  # one for each outcome without findings
    assert dk_number(1234.56, 1) == "1.234,6"
    assert dk_number(-0.04, 1) == "0,0"
    assert dk_number(-2.5, 2) == "−2,50"


def test_figures(planted_result):
    figure = effect_plots.plot_coefficients(planted_result.table, "andel_i_drift")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 4
    assert [ax.get_title() for ax in figure.axes] == [
        "Bølge 2020",
        "Bølge 2022",
        "Bølge 2024",
        "Samlet",
    ]
    plt.close(figure)
    figures = effect_plots.effect_figures(planted_result, max_links=2)
    assert len(figures) == 4 + 2
    assert all(isinstance(f, Figure) for f in figures.values())
    for figure in figures.values():
        plt.close(figure)
    figure = effect_plots.plot_partial_dependence(
        planted_result.linked, planted_result.table, "gevinst_kr_pr_indbygger", "TEK", boelge=2022
    )
    line = figure.axes[0].get_lines()[0].get_ydata()
    assert line[-1] > line[0]  # the planted positive link
    plt.close(figure)


# --------------------------------------------------------------------------- multiple testing


def _bh_by_hand(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg step-up, written out: p̃(i) = min over j >= i of min(1, m p(j) / j)."""
    m = len(p)
    order = np.argsort(p)
    scaled = np.minimum(1.0, p[order] * m / np.arange(1, m + 1))
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = adjusted
    return out


def test_bh_families_are_the_waves_and_the_pooled_model(planted_result):
    table = planted_result.table
    keys = [(w, False) for w in (2020, 2022, 2024)] + [(None, True)]
    for wave, pooled in keys:
        family = table[table[effects.POOLED]] if pooled else table[table["boelge"] == wave]
        assert len(family) == 4 * 6
        np.testing.assert_allclose(
            family["p_justeret"], _bh_by_hand(family["p"].to_numpy()), rtol=1e-12
        )


def test_dropping_a_wave_leaves_the_other_waves_adjusted_p_unchanged(planted_result):
    scores, outcomes = _synthetic(seed=11)
    fewer = effects.estimate_effects(scores[scores["boelge"] != 2024], outcomes).table
    assert set(fewer["boelge"].dropna()) == {2020, 2022}
    for wave in (2020, 2022):
        before = planted_result.table[planted_result.table["boelge"] == wave]
        after = fewer[fewer["boelge"] == wave]
        np.testing.assert_allclose(after["p"], before["p"], rtol=1e-12)
        np.testing.assert_allclose(after["p_justeret"], before["p_justeret"], rtol=1e-12)
    # the pooled model is its own family, over the waves it has
    pooled = fewer[fewer[effects.POOLED]]
    assert pooled["n"].max() == 2 * 95
    np.testing.assert_allclose(pooled["p_justeret"], _bh_by_hand(pooled["p"].to_numpy()))
