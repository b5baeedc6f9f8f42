"""Scores: respondent and municipality theme scores, the maturity index and level, benchmarks,
rank intervals and changes between waves.

The rules are the contract's (``shared/contract/README.md`` §3); the settings that an analyst may
change (:class:`~omstilling_analysis.settings.Settings`: ``min_share_answered``,
``theme_weights``, ``level_thresholds``, ``n_bootstrap``, ``seed``) default to them.

- **Respondent theme score**: the mean of the respondent's 1-5 answers to the theme's items *of
  that wave* (:func:`omstilling_analysis.reference.theme_items`), reverse-keyed items scored as
  ``6 - answer``; missing unless at least ``ceil(min_share_answered * n_items)`` of them are
  answered. A value in a column of an item the wave did not ask is ignored.
- **Municipality theme score**: the mean of its respondents' theme scores (missing ones left
  out), with ``<TEMA>_n`` respondents and a 95 % *t*-interval
  ``mean ± t(0.975, n - 1) · sd / sqrt(n)`` (``sd`` with ``n - 1``; missing when ``n < 2``).
- **Maturity index**: the weighted mean of the six municipality theme scores with
  ``theme_weights`` (equal weights, i.e. the plain mean, by default); missing when a theme with a
  positive weight is missing.
- **Maturity level**: 1 Begynder [1, 1.8), 2 Afprøvende [1.8, 2.6), 3 Etableret [2.6, 3.4),
  4 Integreret [3.4, 4.2), 5 Førende [4.2, 5] (bounds from ``level_thresholds``).

Every function is a plain function from data frames to a data frame, vectorised over
respondents (the only Python loops run over waves, themes and municipalities).

Examples
--------
>>> import pandas as pd
>>> from omstilling_analysis import reference, score
>>> answers = {item: 4.0 for item in reference.all_items()}
>>> answers |= {item: 2.0 for item in reference.reverse_keyed_items()}  # scored 6 - 2 = 4
>>> answers["STY_06"] = 1.0  # not asked in 2024: ignored
>>> responses = pd.DataFrame([{"respondent_key": "a", "boelge": 2024, "kommunekode": 101}
...                           | answers])
>>> rs = score.respondent_scores(responses)
>>> rs
  respondent_key  boelge  kommunekode  BOR  STR  FOR  STY  TEK  DAT
0              a    2024          101  4.0  4.0  4.0  4.0  4.0  4.0
>>> ms = score.municipality_scores(rs)
>>> ms[["kommune", "n_respondenter", "modenhedsindeks", "modenhedsniveau_navn"]]
     kommune  n_respondenter  modenhedsindeks modenhedsniveau_navn
0  København               1              4.0           Integreret
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.settings import Settings

#: Name of the index column; used as a "theme" in long benchmark / change tables.
INDEX = "modenhedsindeks"
#: Confidence level of every interval in this module.
CONFIDENCE = 0.95
#: The one significance level of every published verdict ("Sikker ændring", effect findings).
SIGNIFICANCE_LEVEL = 0.05
#: An index this close below a level's lower bound counts as reaching it, so that floating-point
#: noise in a mean of means (e.g. 1.7999999999999998 for an exact 1.8) never lowers a level.
LEVEL_TOLERANCE = 1e-9

__all__ = [
    "CONFIDENCE", "INDEX", "LEVEL_TOLERANCE", "SIGNIFICANCE_LEVEL", "benchmarks",
    "maturity_level", "municipality_scores", "rank_intervals", "required_answers",
    "respondent_frame", "respondent_scores", "respondent_theme_scores", "theme_weights",
    "wave_slices",
]  # fmt: skip

_KEYS = ["boelge", "kommunekode"]


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings()


def wave_slices(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """``frame``'s rows per wave (``boelge``; in row order, index reset), by ascending wave.

    A wave's rows in one block (as a run gathers them, source by source) are a slice of
    ``frame``: with pandas' copy-on-write no data are copied, which matters at 500,000 rows a
    wave.

    >>> frame = pd.DataFrame({"boelge": [2020, 2020, 2022], "x": [1, 2, 3]})
    >>> {wave: rows["x"].tolist() for wave, rows in wave_slices(frame).items()}
    {2020: [1, 2], 2022: [3]}
    """
    waves = frame["boelge"].to_numpy()
    slices = {}
    for wave in sorted(pd.unique(waves)):
        rows = np.flatnonzero(waves == wave)
        contiguous = rows[-1] - rows[0] + 1 == len(rows)
        part = frame.iloc[rows[0] : rows[-1] + 1] if contiguous else frame.iloc[rows]
        slices[int(wave)] = part.reset_index(drop=True)
    return slices


def required_answers(n_items: int, share: float = 0.5) -> int:
    """How many of ``n_items`` must be answered under the "at least ``share``, rounded up" rule.

    The product is rounded to 9 decimals before rounding up, so that ``0.1 * 30`` (which is
    ``3.0000000000000004`` in floating point) asks for 3 answers, not 4.

    >>> [required_answers(n) for n in (1, 2, 3, 5, 6, 7)]
    [1, 1, 2, 3, 3, 4]
    """
    if n_items <= 0:
        return 0
    return max(1, math.ceil(round(share * n_items, 9)))


def theme_weights(settings: Settings | None = None) -> pd.Series:
    """The index weights of the six themes (theme order), from ``settings.theme_weights``.

    A theme missing from the mapping weighs 1 (as in :func:`~omstilling_analysis.settings.load_settings`).
    """
    s = _settings(settings)
    weights = pd.Series(
        {theme: float(s.theme_weights.get(theme, 1.0)) for theme in reference.theme_codes()}
    )
    if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError(f"temavaegte skal være ikke-negative med en positiv sum: {dict(weights)}")
    return weights


def maturity_level(
    index: pd.Series | np.ndarray, settings: Settings | None = None
) -> tuple[pd.Series, pd.Series]:
    """Level number (``Int64`` 1-5) and Danish name (``str``) of each index value; missing when
    the index is missing.

    Lower bounds are ``1`` and ``settings.level_thresholds``; an index within
    :data:`LEVEL_TOLERANCE` below a bound counts as reaching it.

    >>> number, name = maturity_level(pd.Series([1.0, 1.8, 2.59, 4.2, 5.0, float("nan")]))
    >>> number.tolist()
    [1, 2, 2, 5, 5, <NA>]
    >>> name.tolist()
    ['Begynder', 'Afprøvende', 'Afprøvende', 'Førende', 'Førende', nan]
    """
    s = _settings(settings)
    values = np.asarray(index, dtype=float)
    bounds = np.asarray(s.level_thresholds, dtype=float)
    reached = (values[:, None] + LEVEL_TOLERANCE) >= bounds[None, :]
    numbers = 1 + reached.sum(axis=1)
    missing = np.isnan(values)
    position = index.index if isinstance(index, pd.Series) else None
    number = pd.Series(numbers, index=position, dtype="Int64").mask(missing)
    names = {level: name for _, level, name in reference.LEVELS}
    name = pd.Series(
        [None if gone else names[int(n)] for n, gone in zip(numbers, missing, strict=True)],
        index=position,
        dtype="str",
    )
    return number, name


# --------------------------------------------------------------------------- respondents


def respondent_scores(
    responses: pd.DataFrame,
    settings: Settings | None = None,
    theme_items: Mapping[int, Mapping[str, list[str]]] | None = None,
) -> pd.DataFrame:
    """Theme scores of every counted response (``respondentscorer.parquet``).

    Parameters
    ----------
    responses : pandas.DataFrame
        The ``responses`` frame (``docs/interfaces.md``): ``respondent_key, boelge, kommunekode``
        and one column per item holding the answer as given (1-5, not reversed; NaN otherwise).
        Item columns a wave did not ask may be absent.
    settings : Settings, optional
        ``min_share_answered`` is the share of a theme's items (of that wave) that must be
        answered, rounded up (:func:`required_answers`); default 0.5.
    theme_items : mapping, optional
        Wave → theme → the items to score it on, instead of the wave's own (the common-item
        change of :func:`changes` scores two waves on the items both asked).

    Returns
    -------
    pandas.DataFrame
        ``respondent_key, boelge, kommunekode, BOR, STR, FOR, STY, TEK, DAT``, one row per row of
        ``responses`` in the same order (index reset). A theme score is the mean of the
        answered items of the theme asked in that wave, reverse-keyed items as ``6 - answer``,
        and NaN when fewer than ``ceil(share * n_items)`` are answered.

    Examples
    --------
    >>> import pandas as pd
    >>> responses = pd.DataFrame({"respondent_key": ["a", "b"], "boelge": [2020, 2020],
    ...     "kommunekode": [101, 101], "BOR_01": [5.0, 2.0], "BOR_02": [4.0, None],
    ...     "BOR_04": [1.0, None]})
    >>> respondent_scores(responses)[["respondent_key", "BOR"]]
      respondent_key       BOR
    0              a  4.666667
    1              b       NaN
    >>> # a: BOR_01 = 5, BOR_02 = 4, BOR_04 reversed 6 - 1 = 5; 3 of 6 answered: (5 + 4 + 5) / 3
    >>> # b: 1 of 6 answered, fewer than ceil(0.5 * 6) = 3: missing
    """
    return respondent_frame(responses, respondent_theme_scores(responses, settings, theme_items))


def respondent_theme_scores(
    responses: pd.DataFrame,
    settings: Settings | None = None,
    theme_items: Mapping[int, Mapping[str, list[str]]] | None = None,
) -> np.ndarray:
    """The theme scores of :func:`respondent_scores` as an array: a row per row of
    ``responses``, a column per theme (:func:`omstilling_analysis.reference.theme_codes`)."""
    s = _settings(settings)
    themes = reference.theme_codes()
    reverse = set(reference.reverse_keyed_items())
    scores = np.full((len(responses), len(themes)), np.nan)
    waves = responses["boelge"].to_numpy()
    for wave in pd.unique(waves):
        rows = np.flatnonzero(waves == wave)
        for j, theme in enumerate(themes):
            items = (
                theme_items[int(wave)][theme]
                if theme_items is not None
                else reference.theme_items(int(wave))[theme]
            )
            if not items:
                continue
            values = responses.reindex(columns=items).iloc[rows].to_numpy(dtype=float, copy=True)
            flip = np.array([item in reverse for item in items])
            values[:, flip] = 6.0 - values[:, flip]
            answered = ~np.isnan(values)
            count = answered.sum(axis=1)
            total = np.where(answered, values, 0.0).sum(axis=1)
            enough = count >= required_answers(len(items), s.min_share_answered)
            with np.errstate(invalid="ignore", divide="ignore"):
                scores[rows, j] = np.where(enough, total / np.maximum(count, 1), np.nan)
    return scores


def respondent_frame(responses: pd.DataFrame, theme_scores: np.ndarray) -> pd.DataFrame:
    """``respondentscorer``: the keys of ``responses`` beside their theme scores
    (:func:`respondent_theme_scores`, of these rows in this order)."""
    out = responses[["respondent_key", "boelge", "kommunekode"]].reset_index(drop=True).copy()
    for j, theme in enumerate(reference.theme_codes()):
        out[theme] = theme_scores[:, j]
    return out


# --------------------------------------------------------------------------- municipalities


def _t_quantile(degrees_of_freedom: np.ndarray) -> np.ndarray:
    """Student's *t* quantile of the two-sided ``CONFIDENCE`` interval. SciPy's statistics are
    imported here, not with the module: the processes that read the sources import this module
    and never need them (half a second less before the first reader starts)."""
    from scipy import stats

    return stats.t.ppf(0.5 + CONFIDENCE / 2, degrees_of_freedom)


def _t_halfwidth(sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Half-width of the two-sided t-interval of a mean; NaN when ``n < 2``."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tcrit = np.where(n >= 2, _t_quantile(np.maximum(n - 1, 1)), np.nan)
        return tcrit * np.asarray(sd, dtype=float) / np.sqrt(n)


def _index_variance(
    rs: pd.DataFrame, group: np.ndarray, n_groups: int, counts: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Sampling variance of the weighted mean of theme means per group (delta method).

    ``Var(sum_t w_t m_t) = sum_t sum_u w_t w_u n_tu s_tu / (n_t n_u)`` with ``s_tu`` the
    pairwise-complete covariance of the respondents' theme scores (``n_tu`` respondents having
    both), divided by ``(sum w)^2``. A pair with fewer than 2 common respondents adds nothing.
    """
    themes = reference.theme_codes()
    values = rs[themes].to_numpy(dtype=float)
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    variance = np.zeros(n_groups)
    for t in range(len(themes)):
        for u in range(t, len(themes)):
            if weights[t] == 0 or weights[u] == 0:
                continue
            both = present[:, t] & present[:, u]
            x, y = filled[:, t] * both, filled[:, u] * both
            n_tu = np.bincount(group, weights=both, minlength=n_groups)
            sx = np.bincount(group, weights=x, minlength=n_groups)
            sy = np.bincount(group, weights=y, minlength=n_groups)
            sxy = np.bincount(group, weights=x * y, minlength=n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                mx, my = sx / n_tu, sy / n_tu
                cov = (sxy - n_tu * mx * my) / (n_tu - 1)
                term = n_tu * cov / (counts[:, t] * counts[:, u])
            term = np.where(n_tu >= 2, term, 0.0)
            variance += (1 if t == u else 2) * weights[t] * weights[u] * term
    return variance / weights.sum() ** 2


def municipality_scores(
    respondent_scores: pd.DataFrame, settings: Settings | None = None
) -> pd.DataFrame:
    """Theme scores, maturity index and level per municipality and wave (``kommunescorer.parquet``).

    Parameters
    ----------
    respondent_scores : pandas.DataFrame
        Output of :func:`respondent_scores`.
    settings : Settings, optional
        ``theme_weights`` (index weights) and ``level_thresholds`` (level bounds).

    Returns
    -------
    pandas.DataFrame
        One row per municipality × wave with at least one counted respondent, sorted by
        ``boelge, kommunekode``:

        - ``boelge, kommunekode, kommune, region`` (short name and region from
          :func:`omstilling_analysis.reference.municipalities`), ``n_respondenter`` (counted
          respondents of that municipality and wave);
        - ``BOR … DAT``: the mean of the respondents' theme scores (missing ones left out);
        - ``modenhedsindeks``: weighted mean of the six theme scores (equal weights by default:
          the plain mean), NaN when a theme with positive weight is NaN;
        - ``modenhedsniveau`` (``Int64`` 1-5) and ``modenhedsniveau_navn`` (Begynder … Førende);
        - per theme ``<TEMA>_n`` (respondents with a theme score), ``<TEMA>_se`` (``sd/sqrt(n)``)
          and ``<TEMA>_ci_lav``, ``<TEMA>_ci_hoej``: the 95 % Student *t*-interval
          ``mean ± t(0.975, n-1) · sd/sqrt(n)`` on the respondents' theme scores (NaN when
          ``n < 2``; not clipped to [1, 5]);
        - ``modenhedsindeks_se``, ``modenhedsindeks_ci_lav``, ``modenhedsindeks_ci_hoej``: the
          index's standard error by the delta method with the pairwise covariances of the
          respondents' theme scores (the same respondents answer all themes), and the
          *t*-interval with ``min_t n_t - 1`` degrees of freedom.

    Examples
    --------
    >>> import pandas as pd
    >>> rs = pd.DataFrame({"respondent_key": ["a", "b"], "boelge": 2022, "kommunekode": 851,
    ...     "BOR": [2.0, 3.0], "STR": [2.0, 3.0], "FOR": [2.0, 3.0], "STY": [2.0, 3.0],
    ...     "TEK": [2.0, 3.0], "DAT": [2.0, float("nan")]})
    >>> ms = municipality_scores(rs)
    >>> ms[["kommune", "DAT", "DAT_n", "modenhedsindeks", "modenhedsniveau"]]
       kommune  DAT  DAT_n  modenhedsindeks  modenhedsniveau
    0  Aalborg  2.0      1         2.416667                2
    """
    s = _settings(settings)
    themes = reference.theme_codes()
    weights = theme_weights(s).to_numpy()
    rs = respondent_scores.reset_index(drop=True)
    grouped = rs.groupby(_KEYS, sort=True)
    means = grouped[themes].mean()
    sds = grouped[themes].std(ddof=1)
    counts = grouped[themes].count()
    out = means.index.to_frame(index=False).astype({"boelge": "int64", "kommunekode": "int64"})
    places = reference.municipalities().set_index("kommunekode")
    out["kommune"] = out["kommunekode"].map(places["kommune"])
    out["region"] = out["kommunekode"].map(places["region"])
    out["n_respondenter"] = grouped.size().to_numpy().astype("int64")
    theme_values = means.to_numpy(dtype=float)
    for j, theme in enumerate(themes):
        out[theme] = theme_values[:, j]

    positive = weights > 0
    # Row by row, not a matrix product: BLAS sums a row in an order that depends on where the
    # row lies in the matrix, and a municipality's index must not depend on the others.
    weighted = (np.where(positive, theme_values, 0.0) * weights).sum(axis=1) / weights.sum()
    index_missing = np.isnan(theme_values[:, positive]).any(axis=1)
    out[INDEX] = np.where(index_missing, np.nan, weighted)
    level, level_name = maturity_level(out[INDEX], s)
    out["modenhedsniveau"] = level
    out["modenhedsniveau_navn"] = level_name

    n = counts.to_numpy(dtype=float)
    sd = sds.to_numpy(dtype=float)
    half = _t_halfwidth(sd, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(n >= 2, sd / np.sqrt(n), np.nan)
    for j, theme in enumerate(themes):
        out[f"{theme}_n"] = counts[theme].to_numpy().astype("int64")
        out[f"{theme}_se"] = se[:, j]
        out[f"{theme}_ci_lav"] = theme_values[:, j] - half[:, j]
        out[f"{theme}_ci_hoej"] = theme_values[:, j] + half[:, j]

    group = grouped.ngroup().to_numpy()
    variance = _index_variance(rs, group, len(out), n, weights)
    df_min = np.where(positive, n, np.inf).min(axis=1)
    index_se = np.where(index_missing | (df_min < 2), np.nan, np.sqrt(np.maximum(variance, 0.0)))
    with np.errstate(invalid="ignore"):
        tcrit = _t_quantile(np.maximum(df_min - 1, 1))
    out[f"{INDEX}_se"] = index_se
    out[f"{INDEX}_ci_lav"] = out[INDEX] - tcrit * index_se
    out[f"{INDEX}_ci_hoej"] = out[INDEX] + tcrit * index_se
    return out


# The name under which functions with a ``municipality_scores`` argument reach the function.
_municipality_scores = municipality_scores


# --------------------------------------------------------------------------- benchmarks


def _long(municipality_scores: pd.DataFrame) -> pd.DataFrame:
    """One row per municipality × wave × measure (theme or index), with its respondent count."""
    themes = reference.theme_codes()
    frames = []
    for measure in [*themes, INDEX]:
        n_column = f"{measure}_n" if measure in themes else "n_respondenter"
        frame = municipality_scores[["boelge", "kommunekode", "region"]].copy()
        frame["maal"] = measure
        frame["vaerdi"] = municipality_scores[measure].to_numpy(dtype=float)
        frame["n"] = (
            municipality_scores[n_column].to_numpy(dtype=float)
            if n_column in municipality_scores
            else municipality_scores["n_respondenter"].to_numpy(dtype=float)
        )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def benchmarks(municipality_scores: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """National and regional benchmarks per wave for each theme and the maturity index.

    The statistics are *municipality-level*: each municipality with a score counts once,
    whatever its number of respondents (an analyst compares a municipality with other
    municipalities, not with the pooled respondents). Quartiles are pandas' linear
    interpolation (R's type 7).

    Parameters
    ----------
    municipality_scores : pandas.DataFrame
        Output of :func:`municipality_scores`.
    settings : Settings, optional
        Not used; accepted for a uniform signature.

    Returns
    -------
    pandas.DataFrame
        ``boelge, niveau`` (``"land"`` or ``"region"``), ``omraade`` (``"Hele landet"`` or the
        region's name), ``maal`` (theme code or ``"modenhedsindeks"``), ``n_kommuner``
        (municipalities with a value), ``n_respondenter`` (their respondents with a value: the
        sum of ``<TEMA>_n``, or of ``n_respondenter`` for the index), ``gennemsnit``, ``sd``,
        ``minimum``, ``kvartil_1``, ``median``, ``kvartil_3``, ``maksimum``.

    Examples
    --------
    >>> import pandas as pd
    >>> ms = pd.DataFrame({"boelge": 2024, "kommunekode": [101, 147, 851],
    ...     "region": ["Region Hovedstaden", "Region Hovedstaden", "Region Nordjylland"],
    ...     "n_respondenter": [4, 2, 3], "modenhedsindeks": [3.0, 4.0, 2.0]}
    ...     | {t: [3.0, 4.0, 2.0] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]})
    >>> b = benchmarks(ms)
    >>> b.loc[b["maal"] == "modenhedsindeks", ["omraade", "n_kommuner", "gennemsnit", "median"]]
                   omraade  n_kommuner  gennemsnit  median
    6          Hele landet           3         3.0     3.0
    13  Region Hovedstaden           2         3.5     3.5
    20  Region Nordjylland           1         2.0     2.0
    """
    del settings
    columns = [
        "boelge",
        "niveau",
        "omraade",
        "maal",
        "n_kommuner",
        "n_respondenter",
        "gennemsnit",
        "sd",
        "minimum",
        "kvartil_1",
        "median",
        "kvartil_3",
        "maksimum",
    ]
    if municipality_scores.empty:
        return pd.DataFrame(columns=columns)
    long = _long(municipality_scores)
    long = long[long["vaerdi"].notna()]
    long["omraade_land"] = "Hele landet"
    measure_order = {m: i for i, m in enumerate([*reference.theme_codes(), INDEX])}
    parts = []
    for level, area in (("land", "omraade_land"), ("region", "region")):
        grouped = long.groupby(["boelge", area, "maal"], sort=False)["vaerdi"]
        table = grouped.agg(
            n_kommuner="count", gennemsnit="mean", sd="std", minimum="min", maksimum="max"
        )
        table["n_respondenter"] = long.groupby(["boelge", area, "maal"], sort=False)["n"].sum()
        quartiles = grouped.quantile([0.25, 0.5, 0.75]).unstack()
        table["kvartil_1"] = quartiles[0.25]
        table["median"] = quartiles[0.5]
        table["kvartil_3"] = quartiles[0.75]
        table = table.reset_index().rename(columns={area: "omraade"})
        table["niveau"] = level
        parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    out["n_kommuner"] = out["n_kommuner"].astype("int64")
    out["n_respondenter"] = out["n_respondenter"].astype("int64")
    out["_niveau"] = (out["niveau"] == "region").astype(int)
    out["_maal"] = out["maal"].map(measure_order)
    out = out.sort_values(["boelge", "_niveau", "omraade", "_maal"], kind="stable")
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- rank intervals


def _bootstrap_indices(
    rs: pd.DataFrame, weights: np.ndarray, n_boot: int, seed: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap replicates of the index of each municipality of one wave.

    Respondents are resampled within their municipality (:mod:`omstilling_analysis.resampling`:
    exactly, or for large municipalities from the normal approximation of the resampled theme
    means); municipality ``m`` draws from ``default_rng([*seed, kommunekode])``.

    Returns the municipality codes (ascending) and a ``(n_boot, n_municipalities)`` array.
    """
    from omstilling_analysis.resampling import resampled_theme_means

    themes = reference.theme_codes()
    codes, group = np.unique(rs["kommunekode"].to_numpy(), return_inverse=True)
    seeds = [[*seed, int(code)] for code in codes]
    _, means = resampled_theme_means(rs[themes].to_numpy(dtype=float), group, n_boot, seeds)
    positive = weights > 0
    index = np.where(positive, means, 0.0) @ weights / weights.sum()
    return codes, np.where(np.isnan(means[..., positive]).any(axis=-1), np.nan, index)


def rank_intervals(
    respondent_scores: pd.DataFrame,
    settings: Settings | None = None,
    municipality_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each municipality's rank on the maturity index per wave, with a bootstrap rank interval.

    The rank interval is the 5th-95th percentile of the municipality's rank over
    ``settings.n_bootstrap`` resamples of respondents within municipalities (as COINr reports
    rank uncertainty). In each resample every municipality's ``n`` respondents are drawn with
    replacement from its own respondents (:mod:`omstilling_analysis.resampling`; above
    :data:`~omstilling_analysis.resampling.EXACT_MAX_RESPONDENTS` respondents the resampled
    theme means come from their normal approximation) and the index is recomputed by the
    contract's rules; the municipalities are then ranked (1 = highest index; ties share the
    best rank). A municipality whose resampled index is missing (a theme without scores) is left
    out of that resample's ranking. The random numbers come from
    ``numpy.random.default_rng([seed, wave, kommunekode])``, so a run is reproducible and each
    wave's and municipality's draws do not depend on the others.

    Parameters
    ----------
    respondent_scores : pandas.DataFrame
        Output of :func:`respondent_scores`.
    settings : Settings, optional
        ``n_bootstrap``, ``seed``, ``theme_weights``.
    municipality_scores : pandas.DataFrame, optional
        :func:`municipality_scores` of ``respondent_scores`` (the point index), when the caller
        has it already.

    Returns
    -------
    pandas.DataFrame
        ``boelge, kommunekode, modenhedsindeks, rang`` (``Int64``, among the ``n_kommuner``
        municipalities of the wave with an index), ``rang_p05``, ``rang_p95`` (``Int64``: the
        5 % quantile rounded down and the 95 % quantile rounded up to an observed rank),
        ``indeks_ci_lav``, ``indeks_ci_hoej`` (bootstrap percentile 95 % interval of the index),
        ``n_kommuner``, ``n_bootstrap``. Sorted by ``boelge, rang``; municipalities without an
        index come last with missing ranks.

    Examples
    --------
    >>> import pandas as pd
    >>> from omstilling_analysis.settings import Settings
    >>> rs = pd.DataFrame({"respondent_key": list("abcdef"), "boelge": 2024,
    ...     "kommunekode": [101, 101, 147, 147, 851, 851]}
    ...     | {t: [4.0, 5.0, 3.0, 3.5, 1.0, 2.0] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]})
    >>> r = rank_intervals(rs, Settings(n_bootstrap=50))
    >>> r[["kommunekode", "rang", "rang_p05", "rang_p95"]]
       kommunekode  rang  rang_p05  rang_p95
    0          101     1         1         1
    1          147     2         2         2
    2          851     3         3         3
    """
    s = _settings(settings)
    weights = theme_weights(s).to_numpy()
    columns = [
        "boelge",
        "kommunekode",
        INDEX,
        "rang",
        "rang_p05",
        "rang_p95",
        "indeks_ci_lav",
        "indeks_ci_hoej",
        "n_kommuner",
        "n_bootstrap",
    ]
    if respondent_scores.empty:
        return pd.DataFrame(columns=columns)
    if municipality_scores is None:
        municipality_scores = _municipality_scores(respondent_scores, s)
    point = municipality_scores[["boelge", "kommunekode", INDEX]]
    parts = []
    for wave, rs in respondent_scores.groupby("boelge", sort=True):
        codes, boot = _bootstrap_indices(rs, weights, int(s.n_bootstrap), [int(s.seed), int(wave)])
        table = point[point["boelge"] == wave].set_index("kommunekode").reindex(codes)
        observed = table[INDEX].to_numpy(dtype=float)
        has_index = ~np.isnan(observed)
        boot = np.where(has_index[None, :], boot, np.nan)
        ranks = pd.DataFrame(boot).rank(axis=1, ascending=False, method="min").to_numpy()
        frame = pd.DataFrame({"boelge": int(wave), "kommunekode": codes, INDEX: observed})
        frame["rang"] = pd.Series(observed).rank(ascending=False, method="min").to_numpy()
        if len(boot):
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
                frame["rang_p05"] = np.nanquantile(ranks, 0.05, axis=0, method="lower")
                frame["rang_p95"] = np.nanquantile(ranks, 0.95, axis=0, method="higher")
                frame["indeks_ci_lav"] = np.nanquantile(boot, 0.025, axis=0)
                frame["indeks_ci_hoej"] = np.nanquantile(boot, 0.975, axis=0)
        else:
            frame["rang_p05"] = frame["rang_p95"] = np.nan
            frame["indeks_ci_lav"] = frame["indeks_ci_hoej"] = np.nan
        frame["n_kommuner"] = int(has_index.sum())
        frame["n_bootstrap"] = int(s.n_bootstrap)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    for column in ("rang", "rang_p05", "rang_p95"):
        out[column] = out[column].round().astype("Int64")
    out = out.sort_values(["boelge", "rang", "kommunekode"], kind="stable", na_position="last")
    return out[columns].reset_index(drop=True)
