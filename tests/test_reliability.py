"""Tests of omstilling_analysis.reliability: alpha against pingouin and its published values,
omega against closed-form values and established factor-analysis implementations, and the
reliability and item tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.decomposition import FactorAnalysis
from statsmodels.multivariate.factor import Factor

from omstilling_analysis import reference, reliability
from omstilling_analysis.reliability import (
    cronbach_alpha,
    feldt_ci,
    item_statistics,
    mcdonald_omega,
    one_factor,
    reliability_table,
    standardized_alpha,
)


@pytest.fixture(scope="module")
def likert() -> pd.DataFrame:
    """pingouin's bundled 'cronbach_alpha' data (real-statistics.com): 15 people × 10 items."""
    data = pg.read_dataset("cronbach_alpha")
    return data.pivot(index="Subj", columns="Items", values="Scores").astype(float)


@pytest.fixture(scope="module")
def binary_missing() -> pd.DataFrame:
    """pingouin's bundled 'cronbach_wide_missing' data: 12 people × 11 binary items, with NaN."""
    return pg.read_dataset("cronbach_wide_missing").astype(float)


# --------------------------------------------------------------------------- alpha


def test_alpha_published_values(likert, binary_missing):
    # Values printed in pingouin.cronbach_alpha's docstring, checked there against psych::alpha
    assert cronbach_alpha(likert) == pytest.approx(0.5917188485995826, abs=1e-6)
    assert cronbach_alpha(binary_missing) == pytest.approx(0.732660835214447, abs=1e-6)
    listwise = cronbach_alpha(binary_missing, missing="listwise")
    assert listwise == pytest.approx(0.8016949152542373, abs=1e-6)


def test_alpha_equals_pingouin(likert, binary_missing):
    assert cronbach_alpha(likert) == pytest.approx(pg.cronbach_alpha(likert)[0], abs=1e-9)
    assert cronbach_alpha(binary_missing) == pytest.approx(
        pg.cronbach_alpha(binary_missing)[0], abs=1e-9
    )
    assert cronbach_alpha(binary_missing, missing="listwise") == pytest.approx(
        pg.cronbach_alpha(binary_missing, nan_policy="listwise")[0], abs=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 80), st.integers(2, 8), st.floats(0, 0.3))
def test_alpha_equals_pingouin_on_random_likert_with_gaps(seed, n, k, gap):
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    data = pd.DataFrame(np.clip(np.round(3 + trait + rng.normal(size=(n, k))), 1, 5))
    data = data.mask(rng.random(data.shape) < gap)
    data.columns = [f"q{i}" for i in range(k)]
    expected = pg.cronbach_alpha(data)[0]
    got = cronbach_alpha(data)
    # Where two items were never answered together, pingouin drops their covariance (biased
    # down); ours is missing instead (issue 11).
    apart = (data.notna().astype(int).T @ data.notna().astype(int) < 2).to_numpy().any()
    if np.isnan(expected) or apart:
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


def test_feldt_ci_matches_pingouin(likert, binary_missing):
    for data in (likert, binary_missing):
        alpha, (lo, hi) = pg.cronbach_alpha(data)
        ours = feldt_ci(cronbach_alpha(data), len(data), data.shape[1])
        assert ours == pytest.approx((lo, hi), abs=5e-4)  # pingouin rounds to 3 decimals
    assert feldt_ci(cronbach_alpha(likert), 15, 10) == pytest.approx((0.195, 0.84), abs=5e-4)
    assert all(np.isnan(feldt_ci(float("nan"), 10, 3)))
    assert all(np.isnan(feldt_ci(0.7, 1, 3)))


def test_standardised_alpha_and_edge_cases(likert):
    corr = likert.corr().to_numpy()
    k = corr.shape[0]
    r = corr[np.triu_indices(k, 1)].mean()
    assert standardized_alpha(likert) == pytest.approx(k * r / (1 + (k - 1) * r), abs=1e-12)
    assert np.isnan(cronbach_alpha(likert.iloc[:, :1]))
    with pytest.raises(ValueError):
        cronbach_alpha(likert, missing="mean")
    with pytest.raises(TypeError):
        cronbach_alpha(likert.to_numpy())


# --------------------------------------------------------------------------- omega


def exact_one_factor_data(loadings: np.ndarray, n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly ``l l' + diag(1 - l^2)``."""
    rng = np.random.default_rng(seed)
    target = np.outer(loadings, loadings) + np.diag(1 - loadings**2)
    z = rng.normal(size=(n, len(loadings)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = z @ np.linalg.cholesky(target).T
    return pd.DataFrame(3 + x, columns=[f"q{i}" for i in range(len(loadings))])


@pytest.mark.parametrize(
    "loadings",
    [
        np.array([0.8, 0.7, 0.6, 0.5, 0.4]),
        np.array([0.9, 0.3, 0.6, 0.75, 0.5, 0.65, 0.45]),
        np.array([0.7, 0.7, 0.7]),
    ],
)
def test_omega_closed_form_for_exact_one_factor_structure(loadings):
    data = exact_one_factor_data(loadings)
    common = loadings.sum() ** 2
    expected = common / (common + (1 - loadings**2).sum())  # McDonald (1999), eq. 6.20b
    for method in ("minres", "ml"):
        for variance in ("observed", "model"):
            got = mcdonald_omega(data, method=method, variance=variance)
            assert got == pytest.approx(expected, abs=1e-6), (method, variance)
    fitted, psi = one_factor(data.corr().to_numpy())
    np.testing.assert_allclose(fitted, loadings, atol=1e-6)
    np.testing.assert_allclose(psi, 1 - loadings**2, atol=1e-6)
    # tau-equivalent (equal loadings): omega equals alpha
    if np.ptp(loadings) == 0:
        assert cronbach_alpha(data) == pytest.approx(expected, abs=1e-9)


def test_omega_reverse_keyed_item_is_flipped():
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    data = exact_one_factor_data(loadings)
    expected = mcdonald_omega(data)
    flipped = data.assign(q2=6 - data["q2"])
    assert mcdonald_omega(flipped) == pytest.approx(expected, abs=1e-9)
    assert mcdonald_omega(flipped, flip=False) < expected - 0.1


def _omega_from_loadings(loadings: np.ndarray, uniqueness: np.ndarray) -> float:
    common = np.abs(loadings.sum()) ** 2
    return common / (common + uniqueness.sum())


def test_omega_against_statsmodels_and_sklearn_on_real_data(likert):
    """On pingouin's real questionnaire data, our one-factor fits equal statsmodels' and
    scikit-learn's: principal axes iterated to convergence is minres (ULS); FactorAnalysis and
    statsmodels' 'ml' are maximum likelihood."""
    corr = likert.corr().to_numpy()
    pa = Factor(corr=corr, n_factor=1, method="pa", nobs=len(likert)).fit(maxiter=5000, tol=1e-12)
    ml = Factor(corr=corr, n_factor=1, method="ml", nobs=len(likert)).fit()
    z = (likert - likert.mean()) / likert.std(ddof=0)
    sk = FactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000).fit(z.to_numpy())
    references = {
        "minres": _omega_from_loadings(pa.loadings[:, 0], pa.uniqueness),
        "ml": _omega_from_loadings(ml.loadings[:, 0], ml.uniqueness),
        "ml_sklearn": _omega_from_loadings(sk.components_[0], sk.noise_variance_),
    }
    minres = mcdonald_omega(likert, variance="model", flip=False)
    mle = mcdonald_omega(likert, method="ml", variance="model", flip=False)
    assert minres == pytest.approx(references["minres"], abs=1e-3)
    assert mle == pytest.approx(references["ml"], abs=1e-3)
    assert mle == pytest.approx(references["ml_sklearn"], abs=1e-3)
    # the default (minres, observed variance, as psych::omega's omega.tot) stays within 0.03
    # of every established estimate on the same items
    default = mcdonald_omega(likert, flip=False)
    for value in references.values():
        assert abs(default - value) < 0.03


def test_omega_listwise_and_degenerate(binary_missing):
    assert np.isfinite(mcdonald_omega(binary_missing))
    assert np.isfinite(mcdonald_omega(binary_missing, missing="listwise"))
    assert np.isnan(mcdonald_omega(binary_missing.iloc[:, :1]))
    with pytest.raises(ValueError):
        mcdonald_omega(binary_missing, variance="implied")


# --------------------------------------------------------------------------- survey tables


def survey(n: int = 300, seed: int = 0, waves=(2020, 2024), gap: float = 0.1) -> pd.DataFrame:
    """Synthetic responses: one trait, reverse-keyed items answered in reverse."""
    rng = np.random.default_rng(seed)
    reverse = set(reference.reverse_keyed_items())
    frames = []
    for wave in waves:
        trait = rng.normal(size=(n, 1))
        values = np.clip(np.round(3 + trait + rng.normal(size=(n, 37))), 1, 5)
        frame = pd.DataFrame(values, columns=reference.all_items())
        for item in reverse:
            frame[item] = 6 - frame[item]
        frame = frame.mask(rng.random(frame.shape) < gap)
        asked = reference.items_of_wave(wave)
        frame.loc[:, [i for i in frame.columns if i not in asked]] = np.nan
        frame.insert(0, "boelge", wave)
        frame.insert(1, "kommunekode", 101)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def scored(responses: pd.DataFrame, wave: int, theme: str) -> pd.DataFrame:
    items = reference.theme_items(wave)[theme]
    data = responses.loc[responses["boelge"] == wave, items].copy()
    for item in items:
        if item in reference.reverse_keyed_items():
            data[item] = 6 - data[item]
    return data


def test_reliability_table():
    responses = survey()
    table = reliability_table(responses)
    assert list(table.columns) == [
        "boelge",
        "tema",
        "n",
        "k",
        "alpha",
        "alpha_std",
        "alpha_ci_lav",
        "alpha_ci_hoej",
        "omega",
        "gns_inter_item_r",
        "aarsag",
        "icc1",
        "icc2",
    ]
    assert len(table) == 12
    ks = table.set_index(["boelge", "tema"])["k"]
    assert ks[(2020, "TEK")] == 5 and ks[(2024, "TEK")] == 6  # TEK_06 from 2022
    assert ks[(2020, "STY")] == 6 and ks[(2024, "STY")] == 6  # STY_06 replaced by STY_07
    assert ks[(2020, "DAT")] == 5 and ks[(2024, "DAT")] == 6
    row = table[(table["boelge"] == 2024) & (table["tema"] == "BOR")].iloc[0]
    data = scored(responses, 2024, "BOR")
    data = data[data.notna().any(axis=1)]
    assert row["n"] == len(data)
    assert row["alpha"] == pytest.approx(pg.cronbach_alpha(data)[0], abs=1e-9)
    assert (row["alpha_ci_lav"], row["alpha_ci_hoej"]) == pytest.approx(
        feldt_ci(row["alpha"], len(data), 6), abs=1e-12
    )
    assert row["omega"] == pytest.approx(mcdonald_omega(data), abs=1e-12)
    assert row["alpha_std"] == pytest.approx(standardized_alpha(data), abs=1e-12)
    corr = data.corr().to_numpy()
    assert row["gns_inter_item_r"] == pytest.approx(corr[np.triu_indices(6, 1)].mean(), abs=1e-12)
    # reverse-keyed items were reversed first: every theme is clearly consistent
    assert (table["alpha"] > 0.6).all()
    assert (table["alpha_ci_lav"] < table["alpha"]).all()
    assert (table["alpha"] < table["alpha_ci_hoej"]).all()


def test_reliability_table_listwise():
    responses = survey(gap=0.2)
    pairwise = reliability_table(responses)
    listwise = reliability_table(responses, missing="listwise")
    assert (listwise["n"] < pairwise["n"]).all()
    data = scored(responses, 2020, "FOR").dropna()
    row = listwise[(listwise["boelge"] == 2020) & (listwise["tema"] == "FOR")].iloc[0]
    assert row["n"] == len(data)
    assert row["alpha"] == pytest.approx(pg.cronbach_alpha(data)[0], abs=1e-9)


def test_item_statistics_by_hand():
    # 2022, BOR: BOR_04 is reverse-keyed. Four respondents.
    raw = pd.DataFrame(
        {
            "boelge": 2022,
            "BOR_01": [1, 2, 4, np.nan],
            "BOR_02": [2, 2, 5, 4],
            "BOR_03": [1, 3, 5, 5],
            "BOR_04": [5, 4, 2, np.nan],  # scored 1, 2, 4
            "BOR_05": [2, 1, 4, 5],
            "BOR_06": [1, 2, 5, 4],
        }
    )
    dont_know = (
        raw.drop(columns="boelge").isna()
        & pd.Series([False, False, False, True]).to_numpy()[:, None]
    )
    stats_ = item_statistics(raw, dont_know=dont_know)
    bor = stats_[stats_["tema"] == "BOR"].set_index("item")
    assert list(stats_.columns) == reliability.ITEM_COLUMNS
    row = bor.loc["BOR_04"]
    assert bool(row["omvendt"]) is True
    assert row["n"] == 3
    assert row["gns"] == pytest.approx(7 / 3)
    assert row["sd"] == pytest.approx(np.std([1, 2, 4], ddof=1))
    assert row["andel_mangler"] == pytest.approx(0.25)
    assert row["andel_ved_ikke"] == pytest.approx(0.25)
    assert [row[f"andel_{v}"] for v in range(1, 6)] == pytest.approx([1 / 3, 1 / 3, 0, 1 / 3, 0])
    assert bor.loc["BOR_02", "andel_ved_ikke"] == 0.0
    # complete rows only (drop respondent 4): covariance-based item-rest r equals the direct one
    complete = raw.iloc[:3]
    direct = item_statistics(complete).set_index("item")
    items = scored(complete, 2022, "BOR")
    for item in items.columns:
        rest = items.drop(columns=item).sum(axis=1)
        assert direct.loc[item, "item_rest_r"] == pytest.approx(
            np.corrcoef(items[item], rest)[0, 1], abs=1e-12
        )
        assert direct.loc[item, "alpha_uden_item"] == pytest.approx(
            pg.cronbach_alpha(items.drop(columns=item))[0], abs=1e-9
        )
    # without the mask the share of Ved ikke is unknown
    assert item_statistics(raw)["andel_ved_ikke"].isna().all()


def test_item_statistics_lists_only_the_waves_items():
    responses = survey(waves=(2020, 2024))
    stats_ = item_statistics(responses)
    assert set(stats_.loc[stats_["boelge"] == 2020, "item"]) == set(reference.items_of_wave(2020))
    assert set(stats_.loc[stats_["boelge"] == 2024, "item"]) == set(reference.items_of_wave(2024))
    shares = stats_[[f"andel_{v}" for v in range(1, 6)]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert (stats_["item_rest_r"] > 0.3).all()  # reverse-keyed items reversed first
    assert stats_["andel_mangler"].between(0.05, 0.15).all()
    with pytest.raises(ValueError):
        item_statistics(responses, dont_know=pd.DataFrame({"BOR_01": [True]}))


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(reliability, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_alpha_of_items_that_cancel_out_is_pingouins_minus_infinity():
    # Found by hypothesis: two items whose sum never varies; pingouin gives the formula's limit.
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0]})
    with np.errstate(divide="ignore"):  # pingouin divides by the zero variance itself
        expected = pg.cronbach_alpha(data)[0]
    assert cronbach_alpha(data) == expected == float("-inf")
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [3.0, 3.0, 3.0], "b": [2.0, 2.0, 2.0]})))


# --------------------------------------------------------------------------- issue 11


def test_alpha_with_a_pair_never_answered_together_is_missing_with_its_reason():
    rng = np.random.default_rng(3)
    trait = rng.normal(size=(60, 1))
    data = pd.DataFrame(np.clip(np.round(3 + trait + rng.normal(size=(60, 6))), 1, 5))
    data.columns = ["a", "b", "c", "d", "e", "f"]
    data.loc[:29, "a"] = np.nan  # a answered only by the second half,
    data.loc[30:, "b"] = np.nan  # b only by the first: never together
    assert np.isnan(cronbach_alpha(data))
    assert np.isnan(standardized_alpha(data))
    # In the run's table: missing, with the reason.
    responses = pd.DataFrame(
        {item: data[col] for item, col in zip(reference.theme_items(2024)["BOR"], data.columns,
                                               strict=False)}
    ).assign(boelge=2024)  # fmt: skip
    row = reliability_table(responses).query("tema == 'BOR'").iloc[0]
    assert np.isnan(row["alpha"]) and row["aarsag"] == "to spørgsmål er aldrig besvaret sammen"


def test_standardised_alpha_pairwise_is_psychs_cov2cor():
    rng = np.random.default_rng(5)
    trait = rng.normal(size=(80, 1))
    data = pd.DataFrame(np.clip(np.round(3 + trait + rng.normal(size=(80, 5))), 1, 5))
    data = data.mask(rng.random(data.shape) < 0.2)
    cov = data.cov().to_numpy()  # pairwise covariances
    sd = np.sqrt(np.diag(cov))  # each item's SD over all its answers
    r = (cov / np.outer(sd, sd))[np.triu_indices(5, 1)].mean()
    assert standardized_alpha(data) == pytest.approx(5 * r / (1 + 4 * r), abs=1e-12)


def test_icc_against_an_independent_anova():
    from scipy import stats as sps

    from omstilling_analysis.reliability import icc1, icc2

    # Hand-computed two-group example: means 2 and 5, MSB = 13.5, MSW = 1, k = 3.
    x, g = np.array([1.0, 2, 3, 4, 5, 6]), np.array([1, 1, 1, 2, 2, 2])
    assert icc1(x, g) == pytest.approx(12.5 / 15.5, abs=1e-12)
    assert icc2(x, g) == pytest.approx(12.5 / 13.5, abs=1e-12)
    # Unequal groups: MSB and MSW from scipy's one-way ANOVA (F = MSB/MSW) and the sums of
    # squares computed directly.
    rng = np.random.default_rng(11)
    sizes = rng.integers(2, 40, 25)
    groups = np.repeat(np.arange(25), sizes)
    scores = rng.normal(size=25)[groups] * 0.5 + rng.normal(size=len(groups))
    parts = [scores[groups == j] for j in range(25)]
    msw = sum(((p - p.mean()) ** 2).sum() for p in parts) / (len(scores) - 25)
    f = sps.f_oneway(*parts).statistic
    msb = f * msw
    n = len(scores)
    k = (n - (sizes**2).sum() / n) / 24
    assert icc1(scores, groups) == pytest.approx((msb - msw) / (msb + (k - 1) * msw), abs=1e-9)
    assert icc2(scores, groups) == pytest.approx((msb - msw) / msb, abs=1e-9)
