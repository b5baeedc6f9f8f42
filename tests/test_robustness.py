"""Uncertainty and sensitivity analysis of the maturity index (issue 16)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from omstilling_analysis import reference, robustness, score
from omstilling_analysis.plots.robustness import plot_rank_intervals
from omstilling_analysis.resampling import resampled_theme_means
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()
WAVE = 2024


def synthetic_wave(seed: int = 5, equal_code: int | None = None, top_code: int | None = None):
    """Respondent scores of one wave: 98 municipalities × 5-40 respondents, both rule variants.

    ``equal_code``: that municipality's respondents score the same on all six themes (and have
    every theme). ``top_code``: that municipality scores 5 on every theme (far above the rest).
    """
    rng = np.random.default_rng(seed)
    codes = reference.municipalities()["kommunekode"].to_numpy()
    sizes = rng.integers(5, 41, len(codes))
    group = np.repeat(np.arange(len(codes)), sizes)
    level = rng.normal(3.0, 0.3, len(codes))
    profile = rng.normal(0.0, 0.25, (len(codes), 6))
    x = np.clip(level[group, None] + profile[group] + rng.normal(0, 0.7, (len(group), 6)), 1, 5)
    miss_half = rng.random(x.shape) < 0.03
    miss_strict = miss_half | (rng.random(x.shape) < 0.07)
    code = codes[group]
    for special, value in ((equal_code, None), (top_code, 5.0)):
        if special is None:
            continue
        mine = code == special
        x[mine] = x[mine, :1] if value is None else value
        miss_half[mine] = miss_strict[mine] = False

    def frame(missing: np.ndarray) -> pd.DataFrame:
        out = pd.DataFrame(
            {"respondent_key": [f"r{i}" for i in range(len(group))], "boelge": WAVE,
             "kommunekode": code}
        )  # fmt: skip
        for j, theme in enumerate(THEMES):
            out[theme] = np.where(missing[:, j], np.nan, x[:, j])
        return out

    return {0.5: frame(miss_half), 2 / 3: frame(miss_strict)}


@pytest.fixture(scope="module")
def wave_result():
    scores = synthetic_wave()
    return scores, robustness.index_robustness_from_scores(scores, n_draws=300, seed=11)


# --------------------------------------------------------------------------- building blocks


def test_aggregate_matches_the_contract_index_and_scipy_gmean():
    rng = np.random.default_rng(1)
    means = rng.uniform(1, 5, (7, 6))
    means[2, 3] = np.nan
    weights = np.array([1.0, 2.0, 0.5, 1.0, 0.0, 1.5])
    arith = robustness.aggregate(means, weights, False)
    rs = pd.DataFrame({"respondent_key": list("abcdefg"), "boelge": WAVE,
                       "kommunekode": [101, 147, 151, 153, 155, 157, 159]}
                      | {t: means[:, j] for j, t in enumerate(THEMES)})  # fmt: skip
    s = Settings(theme_weights=dict(zip(THEMES, weights, strict=True)))
    expected = score.municipality_scores(rs, s)["modenhedsindeks"].to_numpy()
    np.testing.assert_allclose(arith, expected, rtol=1e-12)
    assert np.isnan(arith[2])
    geo = robustness.aggregate(means, weights, True)
    for i in (0, 1, 3, 6):
        assert geo[i] == pytest.approx(stats.gmean(means[i], weights=weights), rel=1e-12)
    # A theme of weight 0 that is missing does not make the index missing.
    means[4, 4] = np.nan
    assert np.isfinite(robustness.aggregate(means, weights, True)[4])


def test_descending_ranks_match_pandas_min_ranks():
    rng = np.random.default_rng(2)
    values = rng.integers(0, 6, (20, 15)).astype(float)
    values[rng.random(values.shape) < 0.1] = np.nan
    expected = pd.DataFrame(values).rank(axis=1, ascending=False, method="min").to_numpy()
    np.testing.assert_array_equal(robustness.descending_ranks(values), expected)


def test_bootstrap_full_sample_reproduces_municipality_scores():
    scores = synthetic_wave()
    rs = scores[0.5]
    codes = np.unique(rs["kommunekode"])
    group = np.searchsorted(codes, rs["kommunekode"].to_numpy())
    values = np.stack([f[THEMES].to_numpy() for f in scores.values()], axis=1)
    seeds = [(1, code) for code in codes]
    full, boot = resampled_theme_means(values, group, 50, seeds)
    # A municipality's draws depend on its own seed only.
    _, alone = resampled_theme_means(values[group == 3], np.zeros((group == 3).sum(), int), 50,
                                     [seeds[3]])  # fmt: skip
    np.testing.assert_array_equal(boot[:, :, 3], alone[:, :, 0])
    ms = score.municipality_scores(rs)
    np.testing.assert_allclose(full[0], ms[THEMES].to_numpy(), rtol=1e-12)
    ms_strict = score.municipality_scores(scores[2 / 3])
    np.testing.assert_allclose(full[1], ms_strict[THEMES].to_numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- Sobol indices


def test_sobol_indices_of_an_additive_model_equal_the_analytic_values():
    # Y = 2 X1 + (X2 + X3) + 0 X4, independent U(0, 1); {X2, X3} one group.
    # Var = 4/12 + 2/12: S_x1 = 2/3, S_g = 1/3, S_x4 = 0; additive, so total = first order.
    groups = ["x1", "g", "g", "x4"]
    x = robustness.saltelli_design(groups, 8192, seed=3)
    y = 2 * x[:, 0] + x[:, 1] + x[:, 2]
    s = robustness.sobol_indices(y, groups, n_boot=300, seed=4)
    assert s.groups == ("x1", "g", "x4")
    np.testing.assert_allclose(s.first, [2 / 3, 1 / 3, 0.0], atol=0.02)
    np.testing.assert_allclose(s.total, [2 / 3, 1 / 3, 0.0], atol=0.01)
    assert (s.first_low[:2] <= [2 / 3, 1 / 3]).all() and (s.first_high[:2] >= [2 / 3, 1 / 3]).all()
    assert (s.total_low[:2] <= [2 / 3, 1 / 3]).all() and (s.total_high[:2] >= [2 / 3, 1 / 3]).all()


def test_saltelli_design_is_salibs_and_salib_reproduces_the_indices_on_our_draws(wave_result):
    from SALib.analyze import sobol as salib_analyze
    from SALib.sample import sobol as salib_sample

    groups = ["stikprøve", *["vægte"] * 6, "aggregering", "halvdelsregel"]
    problem = {"num_vars": 9, "names": [f"u{i}" for i in range(9)], "groups": groups,
               "bounds": [[0.0, 1.0]] * 9}  # fmt: skip
    ours = robustness.saltelli_design(groups, 64, seed=7)
    theirs = salib_sample.sample(problem, 64, calc_second_order=False, seed=7)
    np.testing.assert_array_equal(ours, theirs)

    _, result = wave_result
    draws = result.draws[WAVE]
    salib = salib_analyze.analyze(
        problem, draws.shift, calc_second_order=False, num_resamples=1000, seed=5
    )
    np.testing.assert_allclose(draws.sobol.first_raw, salib["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(draws.sobol.total_raw, salib["ST"], rtol=1e-9, atol=1e-12)
    # Our percentile interval and SALib's normal half-width (z * bootstrap sd) agree in size.
    width = draws.sobol.total_high - draws.sobol.total_low
    ratio = width / (2 * np.asarray(salib["ST_conf"]))
    assert ((ratio > 0.6) & (ratio < 1.6)).all(), ratio


# --------------------------------------------------------------------------- the analysis


def test_ranks_table_on_a_synthetic_wave(wave_result):
    scores, result = wave_result
    ranks = result.ranks
    assert list(ranks.columns) == list(robustness.RANK_COLUMNS)
    ms = score.municipality_scores(scores[0.5])
    published = ms[ms["n_respondenter"] >= 3]
    assert len(ranks) == len(published) == 98
    expected = published.set_index("kommunekode")["modenhedsindeks"].rank(
        ascending=False, method="min"
    )
    got = ranks.set_index("kommunekode")["rang"]
    np.testing.assert_array_equal(got.sort_index(), expected.sort_index())
    inside = (ranks["rang_lav"] <= ranks["rang"]) & (ranks["rang"] <= ranks["rang_hoej"])
    assert inside.mean() >= 0.95
    combined = ranks["rang_hoej"] - ranks["rang_lav"]
    sampling = ranks["rang_hoej_stikproeve"] - ranks["rang_lav_stikproeve"]
    assert (combined >= sampling).mean() >= 0.90
    assert ((ranks["andel_top10"] >= 0) & (ranks["andel_top10"] <= 1)).all()
    # In every draw exactly 10 (ties aside) are in the top 10 and 10 in the bottom 10.
    assert ranks["andel_top10"].sum() == pytest.approx(10, abs=0.5)
    assert ranks["andel_bund10"].sum() == pytest.approx(10, abs=0.5)
    assert ranks["rang_lav"].min() == 1 and ranks["rang_hoej"].max() <= 98


def test_sensitivity_table_indices_in_unit_interval(wave_result):
    _, result = wave_result
    table = result.sensitivity
    assert list(table.columns) == list(robustness.SENSITIVITY_COLUMNS)
    assert table["kilde"].tolist() == list(robustness.SOURCES)
    values = table.drop(columns=["boelge", "kilde"]).to_numpy(dtype=float)
    assert ((values >= 0) & (values <= 1)).all()
    assert table["foersteordens"].sum() <= 1.05
    assert (table["foersteordens_lav"] <= table["foersteordens"]).all()
    assert (table["total"] <= table["total_hoej"]).all()
    # Sampling and weights move this wave's ranks; the first order of each is well above 0.
    assert (table.set_index("kilde").loc[["stikprøve", "vægte"], "foersteordens_lav"] > 0).all()


def test_sampling_only_draws_give_the_sampling_interval():
    scores = synthetic_wave(seed=8)
    result = robustness.index_robustness_from_scores(
        scores, n_draws=100, seed=3, sources=("stikprøve",)
    )
    ranks = result.ranks
    pd.testing.assert_series_equal(
        ranks["rang_lav"], ranks["rang_lav_stikproeve"], check_names=False
    )
    pd.testing.assert_series_equal(
        ranks["rang_hoej"], ranks["rang_hoej_stikproeve"], check_names=False
    )
    draws = result.draws[WAVE]
    np.testing.assert_array_equal(draws.index, draws.sampling_index)
    table = result.sensitivity.set_index("kilde")
    assert (table.loc[["vægte", "aggregering", "halvdelsregel"], "total"] == 0).all()
    assert table.loc["stikprøve", "total"] == pytest.approx(1.0, abs=0.05)


def test_equal_theme_scores_do_not_move_with_weights_or_aggregation():
    equal, top = 101, 851
    scores = synthetic_wave(seed=9, equal_code=equal, top_code=top)
    result = robustness.index_robustness_from_scores(scores, n_draws=200, seed=4)
    draws = result.draws[WAVE]
    assert draws.weights.std(axis=0).min() > 0.02  # the weights did vary
    assert draws.geometric.any() and not draws.geometric.all()
    for code in (equal, top):
        m = int(np.flatnonzero(draws.codes == code)[0])
        # With every input drawn, the index is the one from the resample alone.
        np.testing.assert_allclose(draws.index[:, m], draws.sampling_index[:, m], rtol=1e-13)
    fixed = robustness.index_robustness_from_scores(
        scores, n_draws=200, seed=4, sources=("vægte", "aggregering")
    )
    d = fixed.draws[WAVE]
    m = int(np.flatnonzero(d.codes == equal)[0])
    np.testing.assert_allclose(d.index[:, m], d.published_index[m], rtol=1e-13)
    row = result.ranks.set_index("kommunekode").loc[top]
    assert (row["rang"], row["rang_lav"], row["rang_hoej"], row["andel_top10"]) == (1, 1, 1, 1.0)


def test_only_published_municipalities_are_ranked():
    scores = synthetic_wave(seed=10)
    small = [147, 151]
    first = scores[0.5]
    keep = ~first["kommunekode"].isin(small) | (first.groupby("kommunekode").cumcount() < 2)
    scores = {share: frame[keep].reset_index(drop=True) for share, frame in scores.items()}
    result = robustness.index_robustness_from_scores(scores, n_draws=50, seed=1)
    assert not result.ranks["kommunekode"].isin(small).any()
    assert sorted(result.ranks["rang"]) == list(range(1, 97))
    chosen = pd.DataFrame({"boelge": WAVE, "kommunekode": [101, 147, 161, 165],
                           "modenhedsindeks": [3.0, 3.0, np.nan, 3.0]})  # fmt: skip
    result = robustness.index_robustness_from_scores(scores, chosen, n_draws=50, seed=1)
    # 147 has its index (two respondents) since the caller says it is published; 161 is not.
    assert sorted(result.ranks["kommunekode"]) == [101, 147, 165]
    assert result.ranks["rang_hoej"].max() <= 3


def test_index_robustness_from_responses_applies_both_rules():
    # Theme BOR of 2024 has 6 items: 3 answered is enough under 0.5 but not under 2/3.
    rng = np.random.default_rng(12)
    items = reference.theme_items(WAVE)
    rows = []
    for code in (101, 147, 151, 153):
        for i in range(6):
            answers = {item: float(rng.integers(1, 6)) for its in items.values() for item in its}
            if i == 0:
                for item in items["BOR"][3:]:
                    answers[item] = np.nan
            rows.append({"respondent_key": f"{code}-{i}", "boelge": WAVE, "kommunekode": code}
                        | answers)  # fmt: skip
    responses = pd.DataFrame(rows)
    result = robustness.index_robustness(responses, n_draws=40, seed=2)
    expected = robustness.index_robustness_from_scores(
        {share: score.respondent_scores(responses, Settings(min_share_answered=share))
         for share in (0.5, 2 / 3)},
        n_draws=40, seed=2,
    )  # fmt: skip
    pd.testing.assert_frame_equal(result.ranks, expected.ranks)
    assert result.draws[WAVE].rule_shares == (0.5, 2 / 3)
    strict = score.respondent_scores(responses, Settings(min_share_answered=2 / 3))
    assert strict["BOR"].isna().sum() == 4  # the 2/3 variant did drop those scores


def test_sentence_and_rank_text(wave_result):
    _, result = wave_result
    table = result.sensitivity
    text = result.sentence(WAVE)
    top = table.sort_values("total", ascending=False)["kilde"].iloc[0]
    assert text.startswith(f"Kommunernes rangering i bølge {WAVE} afhænger mest af")
    assert robustness.SOURCE_PHRASES[top] in text
    assert re.search(r"i gennemsnit \d+,\d pladser", text), text  # decimal comma
    assert robustness.rank_text(12, 8, 19, width=10) == "8–19"
    assert robustness.rank_text(12, 8, 18, width=10) == "12"
    flat = table.assign(total=0.0, foersteordens=0.0)
    assert "flytter sig ikke" in robustness.robustness_sentence(flat, WAVE)


def test_settings_are_read_with_defaults():
    class Custom(Settings):
        pass

    custom = Custom()
    object.__setattr__(custom, "robustness_concentration", 200.0)
    object.__setattr__(custom, "robustness_draws", 30)
    assert robustness.robustness_settings(custom) == robustness.RobustnessSettings(200.0, 30, 10)
    with pytest.raises(ValueError):
        robustness.index_robustness_from_scores(synthetic_wave(), sources=("vejret",))


# --------------------------------------------------------------------------- figure


def test_plot_rank_intervals(wave_result):
    _, result = wave_result
    fig = plot_rank_intervals(result.ranks, WAVE)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert f"bølge {WAVE}" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Offentliggjort rang" and "kun stikprøven" in legend[2]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    first = result.ranks.sort_values(["rang", "kommunekode"])["kommunekode"].iloc[0]
    assert labels[0] == reference.municipalities().set_index("kommunekode").loc[first, "kommune"]
    empty = plot_rank_intervals(result.ranks, 1999)
    assert "Ingen offentliggjorte" in empty.axes[0].texts[0].get_text()
