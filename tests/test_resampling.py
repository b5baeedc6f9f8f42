"""The respondent bootstrap of the theme means (omstilling_analysis.resampling): the exact draw
on small municipalities, and its normal approximation from sufficient statistics on large ones,
held to the exact bootstrap and to scipy's bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from omstilling_analysis.resampling import EXACT_MAX_RESPONDENTS, resampled_theme_means


def test_small_municipalities_are_resampled_exactly():
    # Municipality 0: scores {1, 2}: a resample's mean is 1, 1.5 or 2 with P = 1/4, 1/2, 1/4.
    # Municipality 1: one respondent with the theme, one without: P(no score) = 1/4.
    # The second rule variant drops respondent 1's score of municipality 0.
    x = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, 3.0], [np.nan, np.nan]])[:, :, None]
    group = np.array([0, 0, 1, 1])
    n = 20_000
    full, boot = resampled_theme_means(x, group, n, [[1], [2]])
    np.testing.assert_array_equal(full[:, :, 0], [[1.5, 3.0], [1.0, 3.0]])
    first = boot[0, :, 0, 0]
    for value, p in ((1.0, 0.25), (1.5, 0.5), (2.0, 0.25)):
        assert abs((first == value).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    # Under rule 2 only respondent 0 has a score: missing exactly when both draws are respondent 1.
    strict = boot[1, :, 0, 0]
    np.testing.assert_array_equal(np.isnan(strict), first == 2.0)
    assert set(np.unique(strict[~np.isnan(strict)])) == {1.0}
    missing = np.isnan(boot[0, :, 1, 0])
    assert abs(missing.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    assert set(np.unique(boot[0, ~missing, 1, 0])) == {3.0}
    # The same resample serves every rule variant: rule 2 is missing exactly when rule 1 is.
    np.testing.assert_array_equal(np.isnan(boot[1, :, 1, 0]), missing)


def _ratings(rng, n, missing=0.0):
    """n respondents' six theme scores (means of 1-5 ratings, correlated themes)."""
    level = rng.normal(0.0, 0.6, (n, 1))
    x = np.clip(np.round(3.2 + level + rng.normal(0, 0.8, (n, 6)), 1), 1, 5)
    x[rng.random(x.shape) < missing] = np.nan
    return x


def test_large_municipalities_get_the_exact_bootstrap_covariance():
    rng = np.random.default_rng(3)
    x = _ratings(rng, 3000, missing=0.05)
    group = np.zeros(len(x), int)
    n_boot = 4000
    full, approx = resampled_theme_means(x, group, n_boot, [[1]])
    _, exact = resampled_theme_means(x, group, n_boot, [[2]], exact_max=10**9)
    # Not the exact draw: values off the grid of resampled means.
    assert len(x) > EXACT_MAX_RESPONDENTS
    assert not np.array_equal(approx, exact)
    np.testing.assert_allclose(full[0], np.nanmean(x, axis=0), rtol=1e-12)
    # The covariance of the approximation is the linearised bootstrap covariance; the exact
    # resamples estimate the same matrix (Monte Carlo error of a covariance ~ sqrt(2 / B)).
    cov_approx = np.cov(approx[:, 0].T)
    cov_exact = np.cov(exact[:, 0].T)
    scale = np.sqrt(np.outer(np.diag(cov_exact), np.diag(cov_exact)))
    assert np.abs(cov_approx - cov_exact).max() / scale.max() < 6 * np.sqrt(2 / n_boot)
    # Complete data: the variance of a resampled mean is the plug-in variance over n.
    complete = x[:, 0][~np.isnan(x[:, 0])]
    full1, approx1 = resampled_theme_means(complete[:, None], np.zeros(len(complete), int),
                                           n_boot, [[4]])  # fmt: skip
    expected_sd = complete.std(ddof=0) / np.sqrt(len(complete))
    assert approx1[:, 0, 0].std() == pytest.approx(expected_sd, rel=4 / np.sqrt(2 * n_boot))
    assert approx1[:, 0, 0].mean() == pytest.approx(full1[0, 0], abs=4 * expected_sd / 60)


def test_normal_approximation_agrees_with_scipy_percentile_bootstrap():
    rng = np.random.default_rng(8)
    x = _ratings(rng, 1500)[:, 2]
    _, approx = resampled_theme_means(x[:, None], np.zeros(len(x), int), 20_000, [[5]])
    ours = np.quantile(approx[:, 0, 0], [0.025, 0.975])
    reference = stats.bootstrap(
        (x,), np.mean, n_resamples=20_000, method="percentile", random_state=1
    ).confidence_interval
    se = x.std() / np.sqrt(len(x))
    assert ours[0] == pytest.approx(reference.low, abs=0.05 * se)
    assert ours[1] == pytest.approx(reference.high, abs=0.05 * se)


def test_a_rare_theme_keeps_the_exact_draw_and_identical_rules_stay_identical():
    rng = np.random.default_rng(9)
    x = _ratings(rng, 1000)
    x[3:, 5] = np.nan  # three respondents have the last theme: its mean may go missing
    values = np.stack([x, x], axis=1)  # two rule variants with the same scores
    _, boot = resampled_theme_means(values, np.zeros(len(x), int), 3000, [[6]])
    np.testing.assert_array_equal(boot[0], boot[1])
    # Exact: the last theme's resampled mean is missing when none of the three is drawn,
    # P = (1 - 3/n)^n.
    p = (1 - 3 / len(x)) ** len(x)
    assert abs(np.isnan(boot[0, :, 0, 5]).mean() - p) < 4 * np.sqrt(p * (1 - p) / 3000)
    drawn = boot[0, :, 0, 5][~np.isnan(boot[0, :, 0, 5])]
    assert drawn.min() >= x[:3, 5].min() - 1e-12 and drawn.max() <= x[:3, 5].max() + 1e-12
    # The whole municipality is resampled exactly: a theme every respondent has stays on the
    # grid of exact means (ratings in tenths over 1,000 respondents: multiples of 1/10,000).
    grid = boot[0, :, 0, 0] * 10_000
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-6)
