"""Tests of omstilling_analysis.clusters on synthetic municipality scores with a planted typology."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from omstilling_analysis import clusters, demo, reference
from omstilling_analysis.clusters import engine, stability, typology
from omstilling_analysis.plots import clusters as cluster_plots
from omstilling_analysis.settings import Settings

THEMES = reference.theme_codes()
WAVES = (2020, 2022, 2024)
#: Four planted types, about one point apart in two or three themes (BOR STR FOR STY TEK DAT).
PLANTED = np.array(
    [
        [3.0, 3.9, 3.0, 3.9, 2.7, 3.0],  # strong strategy and governance, weak foundation
        [3.6, 2.9, 3.0, 2.9, 3.8, 3.6],  # strong foundation, weak strategy and governance
        [2.5, 2.6, 2.4, 2.8, 2.8, 2.9],  # low everywhere
        [3.7, 3.8, 3.9, 3.7, 3.8, 3.9],  # high everywhere
    ]
)
#: Four types in two pairs: within a pair they differ by one point in two or three themes.
PAIRED = np.array(
    [
        [3.7, 3.7, 3.7, 2.7, 2.7, 2.7],
        [3.7, 3.7, 3.7, 1.7, 1.7, 2.7],
        [2.7, 2.7, 2.7, 3.7, 3.7, 3.7],
        [1.7, 1.7, 2.7, 3.7, 3.7, 3.7],
    ]
)
FAST = Settings(n_bootstrap=30)


def planted_scores(
    seed: int = 1,
    *,
    n: int = 95,
    waves: tuple[int, ...] = WAVES,
    sd: float = 0.25,
    respondents: bool = False,
    move: float = 0.15,
    growth: float = 0.15,
    centres: np.ndarray = PLANTED,
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """``municipality_scores`` (and ``respondent_scores``) of a planted 4-type typology.

    Municipalities keep their type between waves except a share ``move`` that draws a new one;
    all scores rise by ``growth`` per wave. With ``respondents`` the municipality scores are
    means of 1-25 simulated respondents (individual sd 0.6 plus a respondent's general level,
    sd 0.3), so the noise of a small municipality sample comes on top of the type's spread.
    Returns the frames and the truth (``boelge, kommunekode, type``).
    """
    rng = np.random.default_rng(seed)
    table = reference.municipalities()
    chosen = table.sample(n=n, random_state=seed).sort_values("kommunekode")
    codes = chosen["kommunekode"].to_numpy()
    types = rng.integers(0, len(centres), size=n)
    frames, answers, truth = [], [], []
    for i, wave in enumerate(waves):
        if i:
            movers = rng.random(n) < move
            types = np.where(movers, rng.integers(0, len(centres), size=n), types)
        true = centres[types] + rng.normal(0.0, sd, (n, 6)) + growth * i
        if respondents:
            count = rng.integers(1, 26, size=n)
            owner = np.repeat(np.arange(n), count)
            noise = rng.normal(0.0, 0.6, (len(owner), 6)) + rng.normal(0.0, 0.3, (len(owner), 1))
            answer = pd.DataFrame(np.clip(true[owner] + noise, 1.0, 5.0), columns=THEMES)
            answer.insert(0, "kommunekode", codes[owner])
            answer.insert(0, "boelge", wave)
            answer.insert(0, "respondent_key", [f"{wave}-{j}" for j in range(len(owner))])
            answers.append(answer)
            means = answer.groupby("kommunekode")[THEMES].mean().loc[codes].to_numpy()
        else:
            count = rng.integers(3, 26, size=n)
            means = np.clip(true, 1.0, 5.0)
        frame = pd.DataFrame(means, columns=THEMES)
        frame.insert(0, "n_respondenter", count)
        frame.insert(0, "region", chosen["region"].to_numpy())
        frame.insert(0, "kommune", chosen["kommune"].to_numpy())
        frame.insert(0, "kommunekode", codes)
        frame.insert(0, "boelge", wave)
        frame["modenhedsindeks"] = frame[THEMES].mean(axis=1)
        frames.append(frame)
        truth.append(pd.DataFrame({"boelge": wave, "kommunekode": codes, "type": types}))
    return (
        pd.concat(frames, ignore_index=True),
        pd.concat(answers, ignore_index=True) if respondents else None,
        pd.concat(truth, ignore_index=True),
    )


def recovery(result: clusters.ClusterResult, truth: pd.DataFrame) -> dict[int, float]:
    """ARI of the clusters against the planted types, per wave, on the clustered municipalities."""
    merged = result.assignments.dropna(subset=["klynge"]).merge(truth, on=["boelge", "kommunekode"])
    return {
        int(wave): adjusted_rand_score(group["type"], group["klynge"].astype(int))
        for wave, group in merged.groupby("boelge")
    }


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    scores, _, truth = planted_scores(seed=1)
    return scores, truth


@pytest.fixture(scope="module")
def result(planted) -> clusters.ClusterResult:
    return clusters.cluster_municipalities(planted[0], settings=FAST)


# --------------------------------------------------------------------------- recovery


def test_planted_typology_is_recovered(planted, result):
    scores, truth = planted
    assert (result.chosen["k"] == 4).all(), result.chosen
    for wave, ari in recovery(result, truth).items():
        assert ari >= 0.8, (wave, ari)


@pytest.mark.parametrize("seed", [3, 4])
def test_planted_typology_is_recovered_through_respondent_noise(seed):
    scores, answers, truth = planted_scores(seed=seed, respondents=True)
    result = clusters.cluster_municipalities(scores, answers, settings=FAST)
    assert (result.chosen["k"] == 4).all(), result.chosen
    for wave, ari in recovery(result, truth).items():
        assert ari >= 0.8, (wave, ari)
    assert result.profiles["jaccard"].between(0, 1).all()
    assert result.assignments["sikkerhed"].dropna().between(0, 1).all()


def test_types_in_pairs_are_not_merged():
    # the silhouette prefers the two pairs; the rule (larger of gap's and BIC's k) keeps four
    scores, _, truth = planted_scores(seed=11, centres=PAIRED)
    result = clusters.cluster_municipalities(scores, settings=Settings(n_bootstrap=0))
    assert (result.chosen["k"] == 4).all(), result.chosen
    assert (result.chosen["k_silhuet"] == 2).any()
    for wave, ari in recovery(result, truth).items():
        assert ari >= 0.8, (wave, ari)
    assert result.profiles["jaccard"].isna().all() and result.profiles["stabil"].isna().all()


def test_select_k_table_and_auto_k(planted):
    scores, _ = planted
    wave = scores[scores["boelge"] == 2020]
    raw = wave[THEMES].to_numpy()
    z = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
    table = clusters.select_k(z, seed=5)
    assert list(table.columns) == ["metode", "k", "silhuet", "gap", "gap_se", "bic"]
    assert len(table) == 3 * 8
    assert set(table["k"]) == set(range(1, 9))
    assert table.loc[table["metode"] == "gmm", "bic"].notna().all()
    assert table.loc[table["k"] == 1, "silhuet"].isna().all()
    assert table.loc[table["metode"] != "gmm", "bic"].isna().all()
    assert (table["gap_se"] > 0).all()
    choice = clusters.choose_solution(table)
    assert choice["k"] == 4
    assert choice["k_silhuet"] == choice["k_gap"] == choice["k_bic"] == 4
    assert choice["metode"] in clusters.METHODS
    # the silhouette of the chosen solution peaks at the planted k for every method
    for _, rows in table.groupby("metode"):
        assert rows.loc[rows["silhuet"].idxmax(), "k"] == 4


def test_small_waves_have_no_bic_where_the_mixture_has_too_many_parameters(planted):
    scores, _ = planted
    wave = scores[scores["boelge"] == 2020].head(40)
    raw = wave[THEMES].to_numpy()
    table = clusters.select_k((raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1), seed=1)
    mixture = table[table["metode"] == "gmm"].set_index("k")["bic"]
    # p = 7k + 20 parameters: below 40 for k = 1 and 2 only
    assert mixture.notna().to_dict() == {k: k <= 2 for k in range(1, 9)}
    choice = clusters.choose_solution(table, Settings(n_clusters=5))
    assert choice["metode"] == "kmeans" and choice["k"] == 5


def test_gap_rule_is_tibshiranis():
    table = pd.DataFrame(
        {"k": [2, 3, 4, 5], "gap": [0.5, 0.9, 0.95, 0.97], "gap_se": [0.05, 0.05, 0.08, 0.05]}
    )
    # gap(2) < gap(3) - s(3); gap(3) = 0.9 >= gap(4) - s(4) = 0.87
    assert clusters.gap_rule(table) == 3
    rising = table.assign(gap=[0.1, 0.3, 0.5, 0.7])
    assert clusters.gap_rule(rising) == 5


# --------------------------------------------------------------------------- names


def test_names_are_distinct_and_one_per_cluster(result):
    for _, wave in result.profiles.groupby("boelge"):
        assert wave["klyngenavn"].is_unique
        assert wave["klynge"].is_unique
    assigned = result.assignments.dropna(subset=["klynge"])
    per_cluster = assigned.groupby(["boelge", "klynge"])["klyngenavn"].nunique()
    assert (per_cluster == 1).all()


def test_names_follow_the_profile_with_danish_gender():
    profiles = pd.DataFrame(
        [
            [0.1, 0.2, 0.0, 1.2, -1.1, 0.0],
            [0.1, -0.9, 0.0, -0.3, 1.0, 0.2],
            [1.1, 1.0, 1.2, 1.1, 1.0, 1.0],
            [-1.0, -1.1, -0.9, -1.0, -1.1, -1.0],
            [0.05, -0.05, 0.1, 0.0, -0.1, 0.0],
            [1.0, 1.2, 1.1, 0.4, 1.3, 1.0],
            [-0.2, -0.8, -0.3, -0.5, 0.1, -0.4],
        ],
        index=[1, 2, 3, 4, 5, 6, 8],
        columns=THEMES,
    )
    names = clusters.name_clusters(profiles)
    assert names[1] == "Stærk styring, svagt fundament"
    assert names[2] == "Stærkt fundament, svag strategi"
    assert names[3] == "Høj modenhed på alle temaer"
    assert names[4] == "Lav modenhed på alle temaer"
    assert names[5] == "Gennemsnitlig"
    assert names[6] == "Høj modenhed, relativt svag styring"
    assert names[8] == "Lav modenhed, relativt stærkt fundament"
    # two high clusters: both are told apart by their weakest theme
    high = pd.DataFrame(
        [[1.1, 1.0, 1.2, 1.1, 1.0, 0.95], [0.9, 0.85, 1.31, 0.72, 0.87, 1.0]],
        index=[3, 7],
        columns=THEMES,
    )
    assert clusters.name_clusters(high.loc[[7]])[7] == "Høj modenhed på alle temaer"
    assert clusters.name_clusters(high).to_dict() == {
        3: "Høj modenhed på alle temaer, relativt svag datasikkerhed og etik",
        7: "Høj modenhed på alle temaer, relativt svag styring",
    }


def test_clashing_names_are_lengthened_deterministically():
    profiles = pd.DataFrame(
        [
            [0.6, 0.2, 0.0, 1.2, -1.1, 0.0],
            [0.0, 0.9, 0.1, 1.3, -1.0, -0.4],
            [0.0, 0.9, 0.1, 1.3, -1.0, -0.4],
        ],
        index=[4, 2, 7],
        columns=THEMES,
    )
    names = clusters.name_clusters(profiles)
    assert names.is_unique
    assert names[4].startswith("Stærk styring og stærkt borgerfokus")
    assert names[2] == "Stærk styring, svagt fundament (type 2)"
    assert names[7] == "Stærk styring, svagt fundament (type 7)"
    assert names.equals(clusters.name_clusters(profiles))


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_the_same_result(planted, result):
    again = clusters.cluster_municipalities(planted[0], settings=FAST)
    for name in ("assignments", "profiles", "selection", "chosen"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(again, name))


def test_row_order_does_not_matter(planted, result):
    shuffled = planted[0].sample(frac=1.0, random_state=7)
    again = clusters.cluster_municipalities(shuffled, settings=FAST)
    pd.testing.assert_frame_equal(result.assignments, again.assignments)
    pd.testing.assert_frame_equal(result.profiles, again.profiles)


# --------------------------------------------------------------------------- alignment


def test_align_clusters_follows_a_permutation():
    first = PLANTED + 0.1
    numbers = clusters.align_clusters(first)
    assert sorted(numbers) == [1, 2, 3, 4]
    assert numbers[3] == 1 and numbers[2] == 4  # descending mean: high first, low last
    previous = {int(number): first[i] for i, number in enumerate(numbers)}
    permutation = np.array([2, 0, 3, 1])
    later = PLANTED[permutation] + 0.4  # a general rise does not disturb the matching
    assert (clusters.align_clusters(later, previous) == numbers[permutation]).all()
    # a cluster without a partner gets a new number
    extra = np.vstack([later, np.full(6, 1.5)])
    assert clusters.align_clusters(extra, previous)[-1] == 5
    # fewer clusters: each keeps its type's number
    assert (clusters.align_clusters(later[:2], previous) == numbers[permutation][:2]).all()


def test_types_keep_their_numbers_across_waves(planted, result):
    _, truth = planted
    merged = result.assignments.dropna(subset=["klynge"]).merge(truth)
    majority = merged.groupby(["boelge", "type"])["klynge"].agg(lambda s: s.mode().iloc[0])
    per_type = majority.unstack("boelge")
    assert (per_type.nunique(axis=1) == 1).all(), per_type
    assert per_type.iloc[:, 0].is_unique


def test_alignment_holds_when_a_waves_cluster_order_is_permuted(planted, result, monkeypatch):
    fit = engine.fit
    permutation = np.array([3, 1, 0, 2])

    def permuted(method, X, weights, k, rng, n_init=clusters.N_INIT):
        labels = fit(method, X, weights, k, rng, n_init)
        return permutation[labels] if labels.shape[0] == 1 and k == 4 else labels

    monkeypatch.setattr(typology, "fit", permuted)
    again = clusters.cluster_municipalities(planted[0], settings=FAST)
    pd.testing.assert_frame_equal(result.assignments, again.assignments)
    pd.testing.assert_frame_equal(result.profiles, again.profiles)


# --------------------------------------------------------------------------- settings, gaps


def test_fixed_k_and_method_are_honoured(planted):
    scores, _ = planted
    two_waves = scores[scores["boelge"] < 2024]
    settings = Settings(n_clusters=3, cluster_method="ward", n_bootstrap=10)
    result = clusters.cluster_municipalities(two_waves, settings=settings)
    assert (result.chosen["k"] == 3).all()
    assert (result.chosen["metode"] == "ward").all()
    assert result.profiles.groupby("boelge").size().eq(3).all()
    assert result.chosen["begrundelse"].str.contains("fastsat af analytikeren").all()
    only_method = clusters.cluster_municipalities(
        two_waves, settings=Settings(cluster_method="gmm", n_bootstrap=10)
    )
    assert (only_method.chosen["metode"] == "gmm").all()
    assert (only_method.chosen["k"] == 4).all()
    with pytest.raises(ValueError, match="ukendt klyngemetode"):
        clusters.cluster_municipalities(two_waves, settings=Settings(cluster_method="pam"))


def test_unclusterable_municipalities_are_reported(planted):
    scores, _ = planted
    scores = scores[scores["boelge"] == 2022].copy()
    codes = scores["kommunekode"].to_numpy()
    scores.loc[scores["kommunekode"] == codes[0], "TEK"] = np.nan
    scores.loc[scores["kommunekode"] == codes[1], ["BOR", "DAT"]] = np.nan
    scores.loc[scores["kommunekode"] == codes[2], "n_respondenter"] = 2
    scores.loc[scores["kommunekode"] == codes[3], ["n_respondenter", "STR"]] = [1, np.nan]
    result = clusters.cluster_municipalities(scores, settings=Settings(n_bootstrap=10))
    out = result.assignments.set_index("kommunekode")
    assert len(out) == len(scores) and out.index.is_unique
    assert out.loc[codes[0], "aarsag"] == "mangler temascore (TEK)"
    assert out.loc[codes[1], "aarsag"] == "mangler temascore (BOR, DAT)"
    assert out.loc[codes[2], "aarsag"] == "færre end 3 besvarelser"
    assert out.loc[codes[3], "aarsag"] == "færre end 3 besvarelser"
    unassigned = out.loc[codes[:4]]
    assert unassigned["klynge"].isna().all() and unassigned["klyngenavn"].isna().all()
    assert unassigned["sikkerhed"].isna().all()
    rest = out.drop(index=codes[:4])
    assert rest["klynge"].notna().all() and rest["aarsag"].isna().all()
    assert result.chosen["n_kommuner"].iloc[0] == len(scores) - 4
    assert result.profiles["antal_kommuner"].sum() == len(scores) - 4


def test_too_few_municipalities_leave_the_wave_unclustered(planted):
    scores, _ = planted
    tiny = scores[scores["boelge"] == 2020].head(2)
    result = clusters.cluster_municipalities(tiny, settings=FAST)
    assert result.assignments["klynge"].isna().all()
    assert result.assignments["aarsag"].str.contains("for få kommuner").all()
    assert result.profiles.empty and result.chosen.empty


# --------------------------------------------------------------------------- stability


def test_bootstrap_separates_real_types_from_noise(planted, result):
    assert result.profiles["stabil"].all()
    assert (result.profiles["jaccard"] > 0.75).all()
    assert (result.profiles["ari_bootstrap"] > 0.7).all()
    rng = np.random.default_rng(0)
    noise = rng.normal(3.0, 0.5, (90, 6))
    labels = engine.fit("kmeans", (noise - noise.mean(0)) / noise.std(0), None, 5, rng)[0]
    noisy = clusters.bootstrap_stability(noise, labels, "kmeans", settings=FAST, seed=1)
    assert noisy.ari < 0.6
    assert (noisy.jaccard < 0.75).any()
    assert np.all((noisy.certainty >= 0) & (noisy.certainty <= 1))


def test_respondent_resampling_keeps_the_means_on_average():
    rng = np.random.default_rng(2)
    values = rng.normal(3.0, 0.7, (40, 6))
    values[3, 2] = np.nan
    sizes = np.array([1, 9, 10, 20])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    raw = np.stack(
        [np.nanmean(values[s : s + z], axis=0) for s, z in zip(starts, sizes, strict=True)]
    )
    means, valid = stability.resample_means(raw, (values, starts, sizes), 2000, rng)
    assert valid.all()
    assert np.allclose(means[:, 0], raw[0])  # one respondent: always the same mean
    assert np.allclose(means.mean(axis=0), raw, atol=0.03)
    assert means[:, 3].std(axis=0).mean() < means[:, 1].std(axis=0).mean()


def test_own_kmeans_matches_scikit_learn():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(c, 1.0, (30, 6)) for c in rng.normal(0, 3, (4, 6))])
    labels, inertia = engine.kmeans(X, None, 4, np.random.default_rng(0))
    reference_fit = KMeans(4, n_init=10, random_state=0).fit(X)
    assert inertia[0] <= reference_fit.inertia_ * (1 + 1e-9)
    assert adjusted_rand_score(labels[0], reference_fit.labels_) == 1.0
    # bootstrap weights are the same as duplicated rows
    counts = rng.multinomial(len(X), np.full(len(X), 1 / len(X)))
    weighted = engine.kmeans(X, counts, 4, np.random.default_rng(1))[1][0]
    duplicated = engine.kmeans(np.repeat(X, counts, axis=0), None, 4, np.random.default_rng(1))
    assert weighted == pytest.approx(duplicated[1][0])


# --------------------------------------------------------------------------- figures


def test_figures_build(planted, result):
    scores, _ = planted
    heatmap = cluster_plots.plot_profile_heatmap(result.profiles, 2022)
    selection = cluster_plots.plot_k_selection(result.selection, 2022, result.chosen)
    pca = cluster_plots.plot_pca_map(scores, result.assignments, 2022)
    for figure in (heatmap, selection, pca):
        assert isinstance(figure, Figure)
        figure.canvas.draw()
    axes = pca.axes[0]
    assert "% af variansen" in axes.get_xlabel()
    shown = sum(len(collection.get_offsets()) for collection in axes.collections)
    clustered = result.assignments.query("boelge == 2022")["klynge"].notna().sum()
    assert shown == clustered


def test_pca_map_never_shows_a_municipality_with_fewer_than_three_respondents(planted, result):
    scores, _ = planted
    scores = scores.copy()
    few = scores["boelge"].eq(2024) & scores["kommunekode"].isin(scores["kommunekode"].unique()[:5])
    scores.loc[few, "n_respondenter"] = 2
    figure = cluster_plots.plot_pca_map(scores, result.assignments, 2024)
    shown = sum(len(collection.get_offsets()) for collection in figure.axes[0].collections)
    clustered = result.assignments.query("boelge == 2024")["klynge"].notna().sum()
    assert shown == clustered - 5


# --------------------------------------------------------------------------- no clear types

#: synth's four planted types (one scale point stronger on "its" theme).
SYNTH_TYPES = demo.TYPE_PROFILES[THEMES].to_numpy()
#: A world without types: every municipality drawn around one profile.
ONE_PROFILE = np.full((1, 6), 3.0)


def test_a_world_without_types_gives_one_group_in_every_wave():
    scores, answers, _ = planted_scores(seed=21, centres=ONE_PROFILE, respondents=True)
    result = clusters.cluster_municipalities(scores, answers, settings=FAST)
    assert (result.chosen["k"] == 1).all(), result.chosen
    assert result.chosen["ingen_typer"].all()
    assert result.chosen["begrundelse"].str.contains("ingen tydelige typer").all()
    clustered = result.assignments.dropna(subset=["klynge"])
    assert len(clustered) == (result.assignments["aarsag"].isna()).sum() > 0
    assert (clustered["klynge"] == 1).all()
    assert (clustered["klyngenavn"] == clusters.NO_TYPES_NAME).all()
    assert clustered["sikkerhed"].isna().all()
    assert result.profiles.groupby("boelge").size().eq(1).all()
    assert result.profiles["jaccard"].isna().all() and result.profiles["stabil"].isna().all()
    assert result.profiles["stabilitet"].str.startswith("ikke beregnet").all()
    # the one profile is the wave's mean of the clustered municipalities
    for wave, rows in clustered.merge(scores, on=["boelge", "kommunekode"]).groupby("boelge"):
        profile = result.profiles[result.profiles["boelge"] == wave]
        np.testing.assert_allclose(profile[THEMES].to_numpy()[0], rows[THEMES].mean().to_numpy())
        assert profile["antal_kommuner"].iloc[0] == len(rows)


def test_a_world_without_types_but_a_general_level_gives_one_group():
    # a municipality's general level lifts all six themes (correlation 0.5): not a type
    rng = np.random.default_rng(5)
    correlation = np.full((6, 6), 0.5) + 0.5 * np.eye(6)
    frames = []
    for wave in WAVES:
        values = rng.multivariate_normal(np.full(6, 3.0), 0.3**2 * correlation, 98)
        frame = pd.DataFrame(values, columns=THEMES)
        frame.insert(0, "n_respondenter", rng.integers(3, 60, 98))
        frame.insert(0, "kommunekode", reference.municipalities()["kommunekode"].to_numpy())
        frame.insert(0, "boelge", wave)
        frames.append(frame)
    result = clusters.cluster_municipalities(
        pd.concat(frames, ignore_index=True), settings=Settings(n_bootstrap=0)
    )
    assert (result.chosen["k"] == 1).all(), result.chosen


def test_synths_planted_types_are_still_found():
    scores, answers, truth = planted_scores(seed=8, centres=SYNTH_TYPES, respondents=True)
    result = clusters.cluster_municipalities(scores, answers, settings=FAST)
    assert (result.chosen["k"] == 4).all(), result.chosen
    assert not result.chosen["ingen_typer"].any()
    for wave, ari in recovery(result, truth).items():
        assert ari >= 0.8, (wave, ari)
    assert result.profiles["jaccard_respondenter"].between(0, 1).all()
    # resampling respondents too adds their noise: on average no more stable than fpc's layer
    assert result.profiles["jaccard_respondenter"].mean() <= result.profiles["jaccard"].mean()


def test_weak_types_do_not_inflate_k():
    # four weak types: types half as far apart as PLANTED, noisy respondents
    weak = PLANTED.mean(axis=0) + 0.5 * (PLANTED - PLANTED.mean(axis=0))
    scores, answers, _ = planted_scores(seed=9, centres=weak, respondents=True)
    result = clusters.cluster_municipalities(scores, answers, settings=Settings(n_bootstrap=0))
    assert (result.chosen["k"] <= 4).all(), result.chosen


def test_the_rule_takes_the_bic_and_k_one_can_win():
    rows = []
    for k, gap, bic in [(1, 0.0, 100.0), (2, 0.5, 104.0), (3, 0.9, 103.0), (4, 0.95, 110.0)]:
        rows.append({"metode": "kmeans", "k": k, "silhuet": np.nan if k == 1 else 0.2,
                     "gap": gap, "gap_se": 0.05, "bic": np.nan})  # fmt: skip
        rows.append({"metode": "gmm", "k": k, "silhuet": np.nan, "gap": gap, "gap_se": 0.05,
                     "bic": bic})  # fmt: skip
    table = pd.DataFrame(rows)
    choice = clusters.choose_solution(table)
    assert (choice["k"], choice["k_bic"], choice["k_gap"]) == (1, 1, 3)
    assert "ingen tydelige typer" in choice["begrundelse"]
    # types must beat one normal by more than the margin (10)
    table.loc[(table["metode"] == "gmm") & (table["k"] == 3), "bic"] = 91.0
    assert clusters.choose_solution(table)["k"] == 1
    table.loc[(table["metode"] == "gmm") & (table["k"] == 3), "bic"] = 89.0
    assert clusters.choose_solution(table)["k"] == 3
    # without any BIC (too few municipalities) the gap statistic decides
    no_bic = table.assign(bic=np.nan)
    assert clusters.choose_solution(no_bic)["k"] == 3
    assert clusters.choose_solution(no_bic)["metode"] == "kmeans"


def test_the_analyst_can_force_one_group_or_types(planted):
    scores, _ = planted
    one_wave = scores[scores["boelge"] == 2020]
    forced = clusters.cluster_municipalities(one_wave, settings=Settings(n_clusters=1))
    assert forced.chosen["k"].tolist() == [1]
    assert forced.assignments["klyngenavn"].eq(clusters.NO_TYPES_NAME).all()
    assert forced.chosen["begrundelse"].str.contains("fastsat af analytikeren").all()
    no_types, _, _ = planted_scores(seed=21, centres=ONE_PROFILE, waves=(2020,))
    types = clusters.cluster_municipalities(
        no_types, settings=Settings(n_clusters=3, n_bootstrap=0)
    )
    assert types.chosen["k"].tolist() == [3] and len(types.profiles) == 3
    with pytest.raises(ValueError, match="klynge_k"):
        clusters.cluster_municipalities(one_wave, settings=Settings(n_clusters=0))


def test_figures_of_a_wave_without_types_build():
    scores, _, _ = planted_scores(seed=21, centres=ONE_PROFILE, waves=(2020,))
    result = clusters.cluster_municipalities(scores, settings=Settings(n_bootstrap=0))
    heatmap = cluster_plots.plot_profile_heatmap(result.profiles, 2020)
    assert "ingen tydelige typer" in heatmap.axes[0].get_title()
    for figure in (
        heatmap,
        cluster_plots.plot_k_selection(result.selection, 2020, result.chosen),
        cluster_plots.plot_pca_map(scores, result.assignments, 2020),
    ):
        figure.canvas.draw()


def test_jaccard_is_zero_for_a_cluster_missing_from_a_resample_as_fpc():
    # a one-point cluster is absent from about (1 - 1/n)^n of the resamples: Jaccard 0 there
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (29, 2)), [[40.0, 40.0]]])
    labels = np.r_[np.zeros(29, dtype=int), 1]
    result = clusters.bootstrap_stability(X, labels, "kmeans", settings=Settings(n_bootstrap=400))
    absent = (1 - 1 / 30) ** 30
    assert result.jaccard[1] == pytest.approx(1 - absent, abs=0.08)
    assert result.dissolved[1] == pytest.approx(absent, abs=0.08)
