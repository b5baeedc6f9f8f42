"""The analysis of issue 16: joint draws, the two tables and the Danish sentence (see
:mod:`omstilling_analysis.robustness`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from omstilling_analysis import reference, score
from omstilling_analysis.resampling import resampled_theme_means
from omstilling_analysis.robustness.bootstrap import (
    aggregate,
    descending_ranks,
)
from omstilling_analysis.robustness.sobol import SobolIndices, saltelli_design, sobol_indices
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number

__all__ = [
    "LOWER", "RANK_COLUMNS", "RULE_SHARES", "SENSITIVITY_COLUMNS", "SOURCES", "SOURCE_PHRASES",
    "TOP", "UPPER", "RobustnessResult", "RobustnessSettings", "WaveDraws", "index_robustness",
    "index_robustness_from_scores", "rank_text", "robustness_sentence", "robustness_settings",
]  # fmt: skip

#: The uncertain inputs, in the order of ``indeksfoelsomhed.csv`` (``kilde``).
SOURCES: tuple[str, ...] = ("stikprøve", "vægte", "aggregering", "halvdelsregel")
#: The half-of-items rule's variants: the share of a theme's items that must be answered.
RULE_SHARES: tuple[float, ...] = (0.5, 2 / 3)
#: How each source is named in the Danish sentence of the Metode sheet.
SOURCE_PHRASES: dict[str, str] = {
    "stikprøve": "stikprøven (hvilke medarbejdere der svarede)",
    "vægte": "temavægtene",
    "aggregering": "aggregeringen (aritmetisk eller geometrisk gennemsnit af temaerne)",
    "halvdelsregel": "halvdelsreglen (hvor stor en del af et temas spørgsmål der skal være besvaret)",
}
#: Columns of ``indeksrobusthed.csv``.
RANK_COLUMNS: tuple[str, ...] = (
    "boelge", "kommunekode", "rang", "rang_lav", "rang_hoej", "rang_lav_stikproeve",
    "rang_hoej_stikproeve", "median_rang", "andel_top10", "andel_bund10",
)  # fmt: skip
#: Columns of ``indeksfoelsomhed.csv``.
SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "boelge", "kilde", "foersteordens", "foersteordens_lav", "foersteordens_hoej", "total",
    "total_lav", "total_hoej",
)  # fmt: skip
#: Percentiles of the rank intervals (as :func:`omstilling_analysis.score.rank_intervals`).
LOWER, UPPER = 0.05, 0.95
#: Places counted as the top / bottom of the ranking.
TOP = 10
#: Resample counts held in memory at once per thread (a chunk of resamples × respondents).


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class RobustnessSettings:
    """The settings of the analysis, read from :class:`~omstilling_analysis.settings.Settings`.

    Attributes
    ----------
    concentration:
        ``robustness_concentration`` (``robusthed_koncentration``): the Dirichlet concentration
        ``kappa`` of the theme weights; larger is closer to the settings' weights. Default 50
        (with six equal weights each weight's standard deviation is 0.052 around 1/6).
    n_draws:
        ``robustness_draws`` (``robusthed_traek``): joint draws (and bootstrap resamples) per
        wave; the Sobol design uses the next power of two as its base sample. Default 1000.
    interval_width:
        ``robustness_interval_width`` (``robusthed_interval_bredde``): a rank whose combined
        interval spans more than this many places is shown as the interval (:func:`rank_text`).
        Default 10.
    """

    concentration: float = 50.0
    n_draws: int = 1000
    interval_width: int = 10


def robustness_settings(settings: Settings | None = None) -> RobustnessSettings:
    """The robustness settings in force (attributes that ``Settings`` lacks take the defaults).

    >>> robustness_settings()
    RobustnessSettings(concentration=50.0, n_draws=1000, interval_width=10)
    """
    s = settings if settings is not None else Settings()
    default = RobustnessSettings()
    out = RobustnessSettings(
        concentration=float(getattr(s, "robustness_concentration", default.concentration)),
        n_draws=int(getattr(s, "robustness_draws", default.n_draws)),
        interval_width=int(getattr(s, "robustness_interval_width", default.interval_width)),
    )
    if not out.concentration > 0 or out.n_draws < 1 or out.interval_width < 0:
        raise ValueError(f"robusthedsindstillingerne kan ikke bruges: {out}")
    return out


# --------------------------------------------------------------------------- the analysis


@dataclass(frozen=True)
class WaveDraws:
    """The draws behind one wave's rows (for diagnostics and tests).

    ``codes`` are the published municipalities (ascending), ``published_index``/``published_rank``
    their published index and rank; ``index``/``ranks`` are ``(n_draws, n_municipalities)`` over
    the joint draws, ``sampling_index``/``sampling_ranks`` over sampling alone; ``weights``
    ``(n_draws, n_themes)``, ``geometric`` and ``rule`` (index into ``rule_shares``) the joint
    draws' other inputs; ``shift`` the Sobol design's output (mean absolute rank shift).
    """

    codes: np.ndarray
    published_index: np.ndarray
    published_rank: np.ndarray
    index: np.ndarray
    ranks: np.ndarray
    sampling_index: np.ndarray
    sampling_ranks: np.ndarray
    weights: np.ndarray
    geometric: np.ndarray
    rule: np.ndarray
    rule_shares: tuple[float, ...]
    shift: np.ndarray
    sobol: SobolIndices


@dataclass(frozen=True)
class RobustnessResult:
    """Result of :func:`index_robustness`.

    Attributes
    ----------
    ranks : ``indeksrobusthed.csv`` (columns :data:`RANK_COLUMNS`)
    sensitivity : ``indeksfoelsomhed.csv`` (columns :data:`SENSITIVITY_COLUMNS`)
    sentences : wave → one Danish sentence for the Metode sheet
    draws : wave → :class:`WaveDraws`
    settings : the :class:`RobustnessSettings` used
    """

    ranks: pd.DataFrame
    sensitivity: pd.DataFrame
    sentences: dict[int, str] = field(default_factory=dict)
    draws: dict[int, WaveDraws] = field(default_factory=dict, repr=False)
    settings: RobustnessSettings = field(default_factory=RobustnessSettings)

    def sentence(self, wave: int) -> str:
        """The Danish sentence naming what the ranking of ``wave`` depends on most."""
        return self.sentences.get(int(wave), robustness_sentence(self.sensitivity, wave))


def _rule_states(baseline: float) -> tuple[float, ...]:
    """The rule variants drawn: the settings' share first, then the others of RULE_SHARES."""
    others = [s for s in RULE_SHARES if not math.isclose(s, baseline)]
    return (float(baseline), *others)


def _published_keys(
    published: pd.DataFrame | None, ms: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """``boelge, kommunekode`` of the published municipality-waves that have an index."""
    have = ms.loc[ms[score.INDEX].notna(), ["boelge", "kommunekode", "n_respondenter"]]
    if published is None:
        keys = have[have["n_respondenter"] >= settings.min_respondents_published]
    else:
        keys = published
        if score.INDEX in published:
            keys = published[published[score.INDEX].notna()]
        keys = keys[["boelge", "kommunekode"]].merge(have, on=["boelge", "kommunekode"])
    keys = keys[["boelge", "kommunekode"]].astype("int64").drop_duplicates()
    return keys.sort_values(["boelge", "kommunekode"]).reset_index(drop=True)


def index_robustness(
    responses: pd.DataFrame,
    published: pd.DataFrame | None = None,
    settings: Settings | None = None,
    respondent_scores: pd.DataFrame | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    sources: Collection[str] = SOURCES,
    municipality_scores: pd.DataFrame | None = None,
) -> RobustnessResult:
    """How far each published rank moves with sampling, weights, aggregation and the item rule.

    Parameters
    ----------
    responses : pandas.DataFrame
        The ``responses`` frame (``docs/interfaces.md``); the respondent scores under each
        variant of the half-of-items rule (:data:`RULE_SHARES`) are computed from it with
        :func:`omstilling_analysis.score.respondent_scores`.
    published : pandas.DataFrame, optional
        ``boelge, kommunekode`` of the published municipality-waves (at least
        ``min_respondents_published`` respondents); a row whose ``modenhedsindeks`` column (if
        present) is NaN is not published. Default: every municipality-wave with an index and at
        least ``min_respondents_published`` respondents.
    settings : Settings, optional
        ``theme_weights``, ``min_share_answered``, ``seed``, and the robustness settings
        (:func:`robustness_settings`).
    respondent_scores : pandas.DataFrame, optional
        The run's ``respondentscorer`` (the settings' rule), to avoid computing it again.
    n_draws, seed : override the settings' ``robusthed_traek`` and ``seed``.
    sources : which of :data:`SOURCES` vary in the joint draws (the others stay at the
        published choice); all four by default.
    municipality_scores : pandas.DataFrame, optional
        The run's ``kommunescorer`` (of ``respondent_scores``), to avoid computing it again.

    Returns
    -------
    RobustnessResult
        See :func:`index_robustness_from_scores`.
    """
    s = settings if settings is not None else Settings()
    scores: dict[float, pd.DataFrame] = {}
    for share in _rule_states(s.min_share_answered):
        if respondent_scores is not None and math.isclose(share, s.min_share_answered):
            scores[share] = respondent_scores
        else:
            scores[share] = score.respondent_scores(responses, replace(s, min_share_answered=share))
    return index_robustness_from_scores(
        scores, published, s, n_draws, seed, sources, municipality_scores
    )


def index_robustness_from_scores(
    scores: Mapping[float, pd.DataFrame],
    published: pd.DataFrame | None = None,
    settings: Settings | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    sources: Collection[str] = SOURCES,
    municipality_scores: pd.DataFrame | None = None,
) -> RobustnessResult:
    """:func:`index_robustness` from respondent scores already computed under each rule variant.

    Per wave, over the published municipalities only (rank 1 = highest index, ties share the
    best rank):

    1. the published index (:func:`omstilling_analysis.score.municipality_scores` with the
       settings) and its rank ``rang``;
    2. ``n_draws`` joint draws: draw ``j`` takes bootstrap resample ``j`` (respondents drawn with
       replacement within municipalities), weights from ``Dir(kappa * w / sum(w))``, the
       geometric or arithmetic mean (1/2 each) and a rule variant (uniformly); the
       sampling-only draw ``j`` takes the same resample ``j`` with the published choices. A
       municipality whose index is missing in a draw (a theme without a score) is left out of
       that draw's ranking;
    3. ``rang_lav, rang_hoej`` (and ``_stikproeve``): the 5 % quantile rounded down and the 95 %
       quantile rounded up to a drawn rank (as ``rang.csv``), ``median_rang``, ``andel_top10``
       and ``andel_bund10`` (share of the draws in which the municipality is ranked among the
       first / last 10 of those ranked);
    4. Sobol indices (:func:`sobol_indices` on :func:`saltelli_design`, base sample the next
       power of two above ``n_draws``) of ``Y = mean_m |rank_m - rang_m|``, the mean absolute
       rank shift. The inputs are four groups of uniform variables: ``stikprøve`` one variable
       choosing among the ``n_draws`` resamples, ``vægte`` one per theme with positive weight
       (gamma quantiles ``G_t = F^{-1}(u_t; kappa wbar_t)``, ``w = G / sum G``: a Dirichlet draw
       by inversion), ``aggregering`` and ``halvdelsregel`` one each. A source not in
       ``sources`` stays at its published choice and gets indices 0.

    Parameters
    ----------
    scores : mapping share → respondent scores
        One :func:`omstilling_analysis.score.respondent_scores` frame per rule variant (rows in
        the same order); must hold the settings' ``min_share_answered``. Variants in
        :data:`RULE_SHARES` missing from it are not drawn.

    Other parameters as :func:`index_robustness`.

    Returns
    -------
    RobustnessResult
        ``ranks`` (``indeksrobusthed.csv``: ``boelge, kommunekode, rang, rang_lav, rang_hoej,
        rang_lav_stikproeve, rang_hoej_stikproeve, median_rang`` (``Int64`` but the median,
        float), ``andel_top10, andel_bund10``; sorted by ``boelge, rang, kommunekode``),
        ``sensitivity`` (``indeksfoelsomhed.csv``: ``boelge, kilde, foersteordens,
        foersteordens_lav, foersteordens_hoej, total, total_lav, total_hoej``, clipped to
        [0, 1]), ``sentences``, ``draws``.
    """
    s = settings if settings is not None else Settings()
    rs_settings = robustness_settings(s)
    draws_n = int(n_draws) if n_draws is not None else rs_settings.n_draws
    rs_settings = replace(rs_settings, n_draws=draws_n)
    base_seed = int(seed) if seed is not None else int(s.seed)
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"ukendte kilder: {sorted(unknown)}; mulige: {list(SOURCES)}")
    baseline = float(s.min_share_answered)
    shares = [x for x in _rule_states(baseline) if any(math.isclose(x, k) for k in scores)]
    if not shares or not math.isclose(shares[0], baseline):
        raise ValueError(f"respondentscorer for min_andel_besvaret = {baseline} mangler")
    frames = [next(v for k, v in scores.items() if math.isclose(k, x)) for x in shares]
    base = frames[0].reset_index(drop=True)
    if any(len(f) != len(base) for f in frames):
        raise ValueError("respondentscorerne for reglens varianter har ikke de samme rækker")
    ms = (
        municipality_scores
        if municipality_scores is not None
        else score.municipality_scores(base, s)
    )
    keys = _published_keys(published, ms, s)
    themes = reference.theme_codes()
    weights = score.theme_weights(s).to_numpy()
    values = np.stack([f[themes].to_numpy(dtype=float) for f in frames], axis=1)
    rank_parts, sens_parts, sentences, all_draws = [], [], {}, {}
    wave_of = base["boelge"].to_numpy()
    code_of = base["kommunekode"].to_numpy()
    for wave, wave_keys in keys.groupby("boelge", sort=True):
        codes = wave_keys["kommunekode"].to_numpy()
        rows = np.flatnonzero((wave_of == wave) & np.isin(code_of, codes))
        point = ms[ms["boelge"] == wave].set_index("kommunekode")[score.INDEX]
        draws = _wave_draws(
            values[rows],
            np.searchsorted(codes, code_of[rows]),
            codes,
            point.reindex(codes).to_numpy(dtype=float),
            weights,
            tuple(shares),
            rs_settings,
            (base_seed, int(wave)),
            set(sources),
        )
        all_draws[int(wave)] = draws
        rank_parts.append(_rank_table(int(wave), draws))
        table = _sensitivity_table(int(wave), draws.sobol)
        sens_parts.append(table)
        sentences[int(wave)] = robustness_sentence(table, int(wave), draws.shift)
    ranks = _concat(rank_parts, RANK_COLUMNS)
    sensitivity = _concat(sens_parts, SENSITIVITY_COLUMNS)
    return RobustnessResult(ranks, sensitivity, sentences, all_draws, rs_settings)


def _concat(parts: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(parts, ignore_index=True)[list(columns)]


def _wave_draws(
    values: np.ndarray,
    group: np.ndarray,
    codes: np.ndarray,
    published_index: np.ndarray,
    weights: np.ndarray,
    shares: tuple[float, ...],
    rs_settings: RobustnessSettings,
    seed: tuple[int, int],
    sources: set[str],
) -> WaveDraws:
    """The joint, sampling-only and Sobol draws of one wave (see
    :func:`index_robustness_from_scores`)."""
    n_draws = rs_settings.n_draws
    n_rules = len(shares)
    seeds = [(*seed, int(code)) for code in codes]
    full, boot = resampled_theme_means(values, group, n_draws, seeds)
    published_rank = descending_ranks(published_index)
    positive = weights > 0
    centre = weights / weights.sum()
    alpha = rs_settings.concentration * centre[positive]
    rng = np.random.default_rng([*seed, 16])

    # Joint draws: resample j with drawn weights, aggregation and rule.
    resample = np.arange(n_draws)
    drawn = np.tile(centre, (n_draws, 1))
    if "vægte" in sources and positive.sum() > 1:
        drawn[:, positive] = rng.dirichlet(alpha, size=n_draws)
    geometric = rng.random(n_draws) < 0.5 if "aggregering" in sources else np.zeros(n_draws, bool)
    rule = (
        rng.integers(0, n_rules, size=n_draws)
        if "halvdelsregel" in sources
        else np.zeros(n_draws, int)
    )
    sampled = "stikprøve" in sources
    means = boot[rule, resample] if sampled else full[rule]
    index = aggregate(means, drawn, geometric)
    sampling_index = aggregate(boot[0], centre, False)

    # Sobol design over the same resamples.
    groups = ["stikprøve", *(["vægte"] * int(positive.sum())), "aggregering", "halvdelsregel"]
    n_base = 1 << max(1, math.ceil(math.log2(n_draws)))
    x = saltelli_design(groups, n_base, seed=np.random.default_rng([*seed, 17]))
    x = np.clip(x, 1e-12, 1 - 1e-12)  # finite gamma quantiles
    pick = np.minimum((x[:, 0] * n_draws).astype(int), n_draws - 1)
    sobol_weights = np.tile(centre, (len(x), 1))
    if "vægte" in sources and positive.sum() > 1:
        gammas = stats.gamma.ppf(x[:, 1 : 1 + positive.sum()], alpha)
        sobol_weights[:, positive] = gammas / gammas.sum(axis=1, keepdims=True)
    sobol_geometric = (x[:, -2] >= 0.5) if "aggregering" in sources else np.zeros(len(x), bool)
    sobol_rule = (
        np.minimum((x[:, -1] * n_rules).astype(int), n_rules - 1)
        if "halvdelsregel" in sources
        else np.zeros(len(x), int)
    )
    sobol_means = boot[sobol_rule, pick] if sampled else full[sobol_rule]
    sobol_ranks = descending_ranks(aggregate(sobol_means, sobol_weights, sobol_geometric))
    with np.errstate(invalid="ignore"):
        shift = np.nanmean(np.abs(sobol_ranks - published_rank), axis=1)
    shift = np.nan_to_num(shift, nan=0.0)
    sobol = sobol_indices(shift, groups, seed=np.random.default_rng([*seed, 18]))
    return WaveDraws(
        codes=codes,
        published_index=published_index,
        published_rank=published_rank,
        index=index,
        ranks=descending_ranks(index),
        sampling_index=sampling_index,
        sampling_ranks=descending_ranks(sampling_index),
        weights=drawn,
        geometric=geometric,
        rule=rule,
        rule_shares=shares,
        shift=shift,
        sobol=sobol,
    )


def _rank_table(wave: int, draws: WaveDraws) -> pd.DataFrame:
    """The rows of ``indeksrobusthed.csv`` of one wave."""
    ranks, sampling = draws.ranks, draws.sampling_ranks
    ranked = (~np.isnan(ranks)).sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"boelge": wave, "kommunekode": draws.codes.astype("int64")})
    frame["rang"] = draws.published_rank
    with np.errstate(invalid="ignore"):
        frame["rang_lav"] = _quantile(ranks, LOWER, "lower")
        frame["rang_hoej"] = _quantile(ranks, UPPER, "higher")
        frame["rang_lav_stikproeve"] = _quantile(sampling, LOWER, "lower")
        frame["rang_hoej_stikproeve"] = _quantile(sampling, UPPER, "higher")
        frame["median_rang"] = _quantile(ranks, 0.5, "linear")
        valid = (~np.isnan(ranks)).sum(axis=0)
        top = ((ranks <= TOP) & ~np.isnan(ranks)).sum(axis=0)
        bottom = ((ranks > ranked - TOP) & ~np.isnan(ranks)).sum(axis=0)
        frame["andel_top10"] = np.where(valid > 0, top / np.maximum(valid, 1), np.nan)
        frame["andel_bund10"] = np.where(valid > 0, bottom / np.maximum(valid, 1), np.nan)
    for column in RANK_COLUMNS[2:7]:
        frame[column] = frame[column].round().astype("Int64")
    return frame.sort_values(["rang", "kommunekode"], kind="stable").reset_index(drop=True)


def _quantile(ranks: np.ndarray, q: float, method: str) -> np.ndarray:
    out = np.full(ranks.shape[1], np.nan)
    has = (~np.isnan(ranks)).any(axis=0)
    if has.any():
        out[has] = np.nanquantile(ranks[:, has], q, axis=0, method=method)
    return out


def _sensitivity_table(wave: int, sobol: SobolIndices) -> pd.DataFrame:
    """The rows of ``indeksfoelsomhed.csv`` of one wave, in :data:`SOURCES` order."""
    at = {name: i for i, name in enumerate(sobol.groups)}
    rows = []
    for source in SOURCES:
        i = at[source]
        rows.append(
            {
                "boelge": wave,
                "kilde": source,
                "foersteordens": sobol.first[i],
                "foersteordens_lav": sobol.first_low[i],
                "foersteordens_hoej": sobol.first_high[i],
                "total": sobol.total[i],
                "total_lav": sobol.total_low[i],
                "total_hoej": sobol.total_high[i],
            }
        )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


# --------------------------------------------------------------------------- Danish text


def robustness_sentence(
    sensitivity: pd.DataFrame, wave: int, shift: np.ndarray | None = None
) -> str:
    """One plain Danish sentence: what the ranking of ``wave`` depends on most.

    The source with the largest total index is named, with its total and first-order shares
    of the variance of the mean rank shift (as whole percentages); with ``shift`` (the Sobol
    design's outputs) the average shift in places is added.

    >>> table = pd.DataFrame({"boelge": 2024, "kilde": list(SOURCES),
    ...     "foersteordens": [0.55, 0.3, 0.02, 0.01], "total": [0.62, 0.38, 0.03, 0.02]})
    >>> robustness_sentence(table, 2024)  # doctest: +NORMALIZE_WHITESPACE
    'Kommunernes rangering i bølge 2024 afhænger mest af stikprøven (hvilke medarbejdere der
    svarede): den forklarer alene 55 % og i alt, med samspil, 62 % af variationen i, hvor
    meget kommunerne flytter sig i rangeringen; derefter kommer temavægtene (i alt 38 %).'
    """
    table = sensitivity[sensitivity["boelge"] == wave]
    if table.empty or not (table["total"] > 0).any():
        return (
            f"Kommunernes rangering i bølge {wave} flytter sig ikke, når stikprøve, temavægte, "
            "aggregering og halvdelsregel varieres."
        )
    table = table.sort_values("total", ascending=False, kind="stable")
    first, second = table.iloc[0], table.iloc[1] if len(table) > 1 else None

    def pct(x: float) -> str:
        return f"{dk_number(100 * float(x), 0)} %"

    text = (
        f"Kommunernes rangering i bølge {wave} afhænger mest af {SOURCE_PHRASES[first['kilde']]}: "
        f"den forklarer alene {pct(first['foersteordens'])} og i alt, med samspil, "
        f"{pct(first['total'])} af variationen i, hvor meget kommunerne flytter sig i "
        "rangeringen"
    )
    if second is not None and second["total"] > 0:
        name = SOURCE_PHRASES[second["kilde"]].split(" (")[0]
        text += f"; derefter kommer {name} (i alt {pct(second['total'])})"
    if shift is not None and len(shift):
        text += (
            f". En kommune flytter sig i gennemsnit {dk_number(float(np.mean(shift)), 1)} "
            "pladser fra sin offentliggjorte rang"
        )
    return text + "."


def rank_text(rank: float, low: float, high: float, width: int = 10) -> str:
    """A rank as the workbook shows it: the place, or the interval when it spans more than
    ``width`` places (``high - low > width``); empty when the rank is missing.

    >>> rank_text(4, 2, 7), rank_text(40, 22, 61), rank_text(float("nan"), 1, 2)
    ('4', '22–61', '')
    """
    if rank is None or pd.isna(rank):
        return ""
    if not (pd.isna(low) or pd.isna(high)) and int(high) - int(low) > width:
        return f"{int(low)}–{int(high)}"
    return str(int(rank))
