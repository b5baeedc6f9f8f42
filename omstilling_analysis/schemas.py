"""Schemas as code: the frames that pass between the stages, as pandera ``DataFrameModel`` s.

Each model states a table's columns with their exact dtype (``boelge`` an ``int64`` wave of the
codebook, ``kommunekode`` an ``int64`` among the 98 codes of :mod:`~omstilling_analysis.reference`),
the range of its values (scores in [1, 5], p in [0, 1], counts >= 0, levels 1-5), its unique
keys, where a missing value is legitimate, and the rules that tie columns together. The tables
of load and clean, and ``respondentscorer``, are ``strict`` (no other column, so no ``email``,
``name`` or free text); the analyses' tables allow further columns. Families of columns
(``BOR_01`` ..., ``<TEMA>_n``, ``<TEMA>_se``, ...) are matched by regular expression.

:data:`SCHEMAS` maps each output file of a run (the keys of ``RunResult.tables``) to its model;
:func:`validate_frame` checks one frame and :func:`validate_tables` every frame of a run at
once. A failure raises :class:`SchemaValidationError`, whose Danish message names the table, the
column, the rule and how many rows break it, never a cell's value (a value could be personal
data): the failing rows' positions are in :attr:`SchemaFailure.rows`.

Examples
--------
>>> import pandas as pd
>>> from omstilling_analysis import schemas
>>> left_out = pd.DataFrame({"kilde": ["selvevaluering_2024.xlsx"], "kilde_raekke": [7],
...                          "boelge": [2024], "aarsag": ["dublet"]})
>>> schemas.validate_frame("udeladte.csv", left_out) is left_out
True
>>> try:
...     schemas.validate_frame(schemas.LeftOutRows, left_out.assign(boelge=["2024"]))
... except schemas.SchemaValidationError as error:
...     print(error.failures[0].column, error.failures[0].check)
boelge dtype('int64')
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series

from omstilling_analysis import reference, text
from omstilling_analysis.settings import Settings

__all__ = [
    "SCHEMAS", "Benchmarks", "Changes", "ClusterAssignments", "ClusterProfiles", "DataQuality",
    "Effects", "LeftOutRows", "MunicipalityScores", "Outcomes", "PublishedMunicipalityScores",
    "Ranks", "Reliability", "RespondentScores", "Responses", "SchemaFailure",
    "SchemaValidationError", "validate_frame", "validate_tables", "ITEM_PATTERN", "MIN_PUBLISHED",
    "THEME_CI_PATTERN", "THEME_N_PATTERN", "THEME_SE_PATTERN", "TOLERANCE",
]  # fmt: skip

#: Slack of the equalities and orderings between computed floats.
TOLERANCE = 1e-9

_THEMES = "|".join(reference.theme_codes())
#: One column per codebook item: ``BOR_01`` ... ``DAT_06``.
ITEM_PATTERN = rf"^({_THEMES})_\d{{2}}$"
#: The per-theme families of ``kommunescorer``: ``<TEMA>_n``, ``<TEMA>_se``, ``<TEMA>_ci_*``.
THEME_N_PATTERN = rf"^({_THEMES})_n$"
THEME_SE_PATTERN = rf"^({_THEMES})_se$"
THEME_CI_PATTERN = rf"^({_THEMES})_ci_(lav|hoej)$"


# --------------------------------------------------------------------------- helpers, base models


def _wave(**kwargs) -> pa.Field:
    """A wave year of the codebook (2020, 2022, 2024)."""
    return pa.Field(isin=reference.waves(), **kwargs)


def _score(**kwargs) -> pa.Field:
    """A score on the answer scale: the mean of 1-5 answers lies in [1, 5]."""
    return pa.Field(ge=1, le=5, **kwargs)


def _optional(**kwargs) -> pa.Field:
    """A column checked when present, missing values allowed."""
    return pa.Field(nullable=True, required=False, **kwargs)


def _ordered(low: pd.Series, high: pd.Series) -> pd.Series:
    """``low <= high`` up to :data:`TOLERANCE`; true where either is missing."""
    low, high = low.astype("float64"), high.astype("float64")
    return (low <= high + TOLERANCE) | low.isna() | high.isna()


def _chain(frame: pd.DataFrame, *columns: str) -> pd.Series:
    """``frame[a] <= frame[b] <= ...`` row by row (:func:`_ordered` on each neighbouring pair)."""
    ok = pd.Series(True, index=frame.index)
    for low, high in zip(columns, columns[1:], strict=False):
        ok &= _ordered(frame[low], frame[high])
    return ok


def _same_missing(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.isna() == b.isna()


def _measures() -> list[str]:
    from omstilling_analysis.score import INDEX

    return [*reference.theme_codes(), INDEX]


class _Municipality(pa.DataFrameModel):
    """A table keyed (partly) by ``kommunekode``."""

    kommunekode: Series[int]

    @pa.check("kommunekode", name="kendt_kommunekode", error="en af de 98 kommunekoder")
    def _kommunekode_known(cls, codes: Series[int]) -> Series[bool]:
        return codes.isin(reference.municipalities()["kommunekode"])


class _WaveMunicipality(_Municipality):
    """A table keyed (partly) by wave and municipality."""

    boelge: Series[int] = _wave()


class _Themes(pa.DataFrameModel):
    """The six theme scores (or means of them), each in [1, 5], missing where there is none."""

    BOR: Series[float] = _score(nullable=True)
    STR: Series[float] = _score(nullable=True)
    FOR: Series[float] = _score(nullable=True)
    STY: Series[float] = _score(nullable=True)
    TEK: Series[float] = _score(nullable=True)
    DAT: Series[float] = _score(nullable=True)


class _ThemeScores(_WaveMunicipality, _Themes):
    """Theme scores per wave and municipality."""


# --------------------------------------------------------------------------- load and clean


class Responses(_WaveMunicipality):
    """``besvarelser.parquet`` (``clean.responses_and_left_out``): one row per counted response.

    The answers are as given (1-5, not reversed), as nullable ``Int8``: missing for blank, Ved
    ikke, a bad cell or an item the wave did not ask. ``respondent_key`` is the 16 hex digits
    of the keyed hash.
    """

    respondent_key: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{16}$")
    rolle: Series[pd.StringDtype] = pa.Field(nullable=True)
    kilde: Series[str] = pa.Field(str_length={"min_value": 1})
    kilde_raekke: Series[int] = pa.Field(ge=2)
    item: Series[pd.Int8Dtype] = pa.Field(
        alias=ITEM_PATTERN, regex=True, nullable=True, isin=[1, 2, 3, 4, 5]
    )
    antal_ved_ikke: Series[int] = pa.Field(ge=0, le=len(reference.all_items()))

    @pa.dataframe_check(error="en kolonne pr. spørgsmål i kodebogen")
    def _every_item(cls, frame: pd.DataFrame) -> bool:
        return set(reference.all_items()) <= set(frame.columns)

    @pa.dataframe_check(error="intet svar på et spørgsmål, bølgen ikke stillede")
    def _only_asked_items(cls, frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        items = [item for item in reference.all_items() if item in frame.columns]
        for wave in reference.waves():
            in_wave = frame["boelge"] == wave
            unasked = sorted(set(items) - set(reference.items_of_wave(wave)))
            if unasked and in_wave.any():
                ok &= ~(in_wave & frame[unasked].notna().any(axis=1))
        return ok

    @pa.dataframe_check(error="mindst ét svar 1-5 (ellers: ikke besvaret)")
    def _answered(cls, frame: pd.DataFrame) -> pd.Series:
        items = [item for item in reference.all_items() if item in frame.columns]
        return frame[items].notna().any(axis=1)

    class Config:
        strict = True
        unique = ["kilde", "kilde_raekke"]


class LeftOutRows(pa.DataFrameModel):
    """``udeladte.csv``: one row per raw row left out, with exactly one contract reason."""

    kilde: Series[str] = pa.Field(str_length={"min_value": 1})
    kilde_raekke: Series[int] = pa.Field(ge=2)
    boelge: Series[int] = _wave()
    aarsag: Series[str]

    @pa.check("aarsag", name="kendt_aarsag", error="en af kontraktens fire årsager")
    def _known_reason(cls, reasons: Series[str]) -> Series[bool]:
        from omstilling_analysis.clean import REASONS

        return reasons.isin(REASONS)

    class Config:
        strict = True
        unique = ["kilde", "kilde_raekke"]


class DataQuality(pa.DataFrameModel):
    """``datakvalitet.csv``: one row per cell-level problem (row 1 = a problem of the header).

    ``vaerdi`` is shown only as ``privacy.safe_cell_value`` lets it (an allow-list of codes and
    labels); the check here is the coarser rule: at most 40 characters,
    no e-mail address.
    """

    kilde: Series[str] = pa.Field(str_length={"min_value": 1})
    kilde_raekke: Series[int] = pa.Field(ge=1)
    variabel: Series[str]
    vaerdi: Series[str] = pa.Field(str_length={"max_value": 40})
    problem: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.check("vaerdi", name="ingen_email", error="ingen e-mailadresse i vaerdi")
    def _no_email(cls, values: Series[str]) -> Series[bool]:
        return ~values.astype(str).str.contains("@", regex=False)

    class Config:
        strict = True


class Outcomes(_Municipality):
    """The outcome files combined (``pipeline.combine_outcomes``): one row per municipality and
    year, unknown codes and repeated municipality-years already taken out."""

    aar: Series[int]
    piloter_igangsat: Series[float] = pa.Field(ge=0, nullable=True)
    piloter_i_drift: Series[float] = pa.Field(ge=0, nullable=True)
    piloter_skaleret: Series[float] = pa.Field(ge=0, nullable=True)
    gevinst_mio_kr: Series[float] = pa.Field(nullable=True)
    digital_selvbetjening_pct: Series[float] = pa.Field(ge=0, le=100, nullable=True)

    class Config:
        strict = True
        unique = ["kommunekode", "aar"]


# --------------------------------------------------------------------------- scores


class RespondentScores(_ThemeScores):
    """``respondentscorer.parquet``: the six theme scores of each counted response."""

    respondent_key: Series[str] = pa.Field(unique=True)

    class Config:
        strict = True


class _MunicipalityScoreColumns(_ThemeScores):
    """The columns of ``kommunescorer`` and the rules that hold with or without suppression."""

    kommune: Series[str]
    region: Series[str]
    n_respondenter: Series[int] = pa.Field(ge=1)
    modenhedsindeks: Series[float] = _score(nullable=True)
    modenhedsniveau: Series[pd.Int64Dtype] = pa.Field(ge=1, le=5, nullable=True)
    modenhedsniveau_navn: Series[str] = pa.Field(nullable=True)
    theme_n: Series[int] = pa.Field(alias=THEME_N_PATTERN, regex=True, ge=0)
    theme_se: Series[float] = pa.Field(alias=THEME_SE_PATTERN, regex=True, ge=0, nullable=True)
    theme_ci: Series[float] = pa.Field(alias=THEME_CI_PATTERN, regex=True, nullable=True)
    modenhedsindeks_se: Series[float] = pa.Field(ge=0, nullable=True)
    modenhedsindeks_ci_lav: Series[float] = pa.Field(nullable=True)
    modenhedsindeks_ci_hoej: Series[float] = pa.Field(nullable=True)

    @pa.dataframe_check(error="kommune og region som i referencen")
    def _names_from_reference(cls, frame: pd.DataFrame) -> pd.Series:
        places = reference.municipalities().set_index("kommunekode")
        return (frame["kommune"] == frame["kommunekode"].map(places["kommune"])) & (
            frame["region"] == frame["kommunekode"].map(places["region"])
        )

    @pa.dataframe_check(error="hvert tema har <TEMA>_n, _se, _ci_lav og _ci_hoej")
    def _theme_families(cls, frame: pd.DataFrame) -> bool:
        suffixes = ("n", "se", "ci_lav", "ci_hoej")
        wanted = {f"{t}_{s}" for t in reference.theme_codes() for s in suffixes}
        return wanted <= set(frame.columns)

    @pa.dataframe_check(error="<TEMA>_n højst n_respondenter")
    def _theme_n_within_respondents(cls, frame: pd.DataFrame) -> pd.Series:
        counts = frame[[f"{t}_n" for t in reference.theme_codes()]]
        return counts.le(frame["n_respondenter"], axis=0).all(axis=1)

    @pa.dataframe_check(error="modenhedsniveau mangler netop når modenhedsindeks mangler")
    def _level_with_index(cls, frame: pd.DataFrame) -> pd.Series:
        return _same_missing(frame["modenhedsniveau"], frame["modenhedsindeks"])

    @pa.dataframe_check(error="modenhedsniveau_navn svarer til modenhedsniveau")
    def _level_name(cls, frame: pd.DataFrame) -> pd.Series:
        names = frame["modenhedsniveau"].map(text.level_names(), na_action="ignore")
        same = frame["modenhedsniveau_navn"].astype(object) == names.astype(object)
        return same | (frame["modenhedsniveau_navn"].isna() & frame["modenhedsniveau"].isna())

    @pa.dataframe_check(error="<TEMA>_ci_lav <= <TEMA> <= <TEMA>_ci_hoej")
    def _value_within_interval(cls, frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        for measure in _measures():
            low, high = f"{measure}_ci_lav", f"{measure}_ci_hoej"
            if low in frame.columns and high in frame.columns:
                ok &= _chain(frame, low, measure, high)
        return ok

    class Config:
        unique = ["boelge", "kommunekode"]


class MunicipalityScores(_MunicipalityScoreColumns):
    """``kommunescorer.parquet`` (``score.municipality_scores``): one row per municipality ×
    wave with at least one counted respondent.

    A theme score is missing exactly when no respondent has one (``<TEMA>_n`` = 0); the index, a
    weighted mean of the theme scores, lies between the smallest and the largest of them.
    """

    @pa.dataframe_check(error="<TEMA> mangler netop når <TEMA>_n er 0")
    def _score_with_respondents(cls, frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        for theme in reference.theme_codes():
            ok &= frame[theme].isna() == (frame[f"{theme}_n"] == 0)
        return ok

    @pa.dataframe_check(error="modenhedsindeks ligger mellem temaernes mindste og største score")
    def _index_within_themes(cls, frame: pd.DataFrame) -> pd.Series:
        themes = frame[reference.theme_codes()]
        index = frame["modenhedsindeks"]
        return _ordered(themes.min(axis=1), index) & _ordered(index, themes.max(axis=1))


#: The fewest respondents a published figure may rest on (contract §3).
MIN_PUBLISHED = Settings().min_respondents_published


class PublishedMunicipalityScores(_MunicipalityScoreColumns):
    """The published municipality scores: a theme's value (and its SE and interval) is missing
    where ``<TEMA>_n`` < 3, and the index (with its SE, interval and level) wherever any theme's
    ``<TEMA>_n`` < 3, since the index rests on every theme (contract §3, small numbers)."""

    @pa.dataframe_check(error="ingen værdi hvor n < 3")
    def _suppressed(cls, frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        few_anywhere = pd.Series(False, index=frame.index)
        for measure in _measures():
            if measure in reference.theme_codes():
                few = frame[f"{measure}_n"] < MIN_PUBLISHED
                few_anywhere |= few
            else:
                few = few_anywhere | (frame["n_respondenter"] < MIN_PUBLISHED)
            shown = [f"{measure}{suffix}" for suffix in ("", "_se", "_ci_lav", "_ci_hoej")]
            if measure not in reference.theme_codes():
                shown += ["modenhedsniveau", "modenhedsniveau_navn"]
            present = [c for c in shown if c in frame.columns]
            ok &= ~(few & frame[present].notna().any(axis=1))
        return ok


class Benchmarks(pa.DataFrameModel):
    """``benchmark.csv`` (``score.benchmarks``): national and regional statistics of each theme
    and the index per wave, over municipalities (each counts once)."""

    boelge: Series[int] = _wave()
    niveau: Series[str] = pa.Field(isin=["land", "region"])
    omraade: Series[str]
    maal: Series[str]
    n_kommuner: Series[int] = pa.Field(ge=1)
    n_respondenter: Series[int] = pa.Field(ge=1)
    gennemsnit: Series[float] = _score()
    sd: Series[float] = pa.Field(ge=0, nullable=True)
    minimum: Series[float] = _score()
    kvartil_1: Series[float] = _score()
    median: Series[float] = _score()
    kvartil_3: Series[float] = _score()
    maksimum: Series[float] = _score()

    @pa.check("maal", name="kendt_maal", error="et tema eller modenhedsindeks")
    def _known_measure(cls, measures: Series[str]) -> Series[bool]:
        return measures.isin(_measures())

    @pa.dataframe_check(error="omraade er en region netop når niveau er region")
    def _area_of_level(cls, frame: pd.DataFrame) -> pd.Series:
        regions = set(reference.municipalities()["region"])
        return frame["omraade"].isin(regions) == (frame["niveau"] == "region")

    @pa.dataframe_check(error="minimum <= kvartil_1 <= median <= kvartil_3 <= maksimum")
    def _quantiles_ordered(cls, frame: pd.DataFrame) -> pd.Series:
        quartiles = _chain(frame, "minimum", "kvartil_1", "median", "kvartil_3", "maksimum")
        return quartiles & _chain(frame, "minimum", "gennemsnit", "maksimum")

    @pa.dataframe_check(error="n_respondenter mindst n_kommuner")
    def _respondents_per_municipality(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["n_respondenter"] >= frame["n_kommuner"]

    class Config:
        unique = ["boelge", "niveau", "omraade", "maal"]


class Ranks(_WaveMunicipality):
    """``rang.csv`` (``score.rank_intervals``): rank on the index per wave (1 = highest), with
    the bootstrap rank interval and the bootstrap interval of the index."""

    modenhedsindeks: Series[float] = _score(nullable=True)
    rang: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    rang_p05: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    rang_p95: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    indeks_ci_lav: Series[float] = _score(nullable=True)
    indeks_ci_hoej: Series[float] = _score(nullable=True)
    n_kommuner: Series[int] = pa.Field(ge=0)
    n_bootstrap: Series[int] = pa.Field(ge=0)

    @pa.dataframe_check(error="rang mangler netop når modenhedsindeks mangler")
    def _rank_with_index(cls, frame: pd.DataFrame) -> pd.Series:
        return _same_missing(frame["rang"], frame["modenhedsindeks"])

    @pa.dataframe_check(error="rang, rang_p05 og rang_p95 højst n_kommuner")
    def _rank_within_count(cls, frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        for column in ("rang", "rang_p05", "rang_p95"):
            ok &= _ordered(frame[column], frame["n_kommuner"])
        return ok

    @pa.dataframe_check(error="rang_p05 <= rang_p95 og indeks_ci_lav <= indeks_ci_hoej")
    def _intervals_ordered(cls, frame: pd.DataFrame) -> pd.Series:
        return _chain(frame, "rang_p05", "rang_p95") & _chain(
            frame, "indeks_ci_lav", "indeks_ci_hoej"
        )

    class Config:
        unique = ["boelge", "kommunekode"]


class Changes(_WaveMunicipality):
    """``udvikling.csv`` (``score.changes``, long format): the change of each theme and the index
    since the municipality's previous wave.

    The columns from ``df`` on are being added (issue 12); they are optional so that the schema
    fits the table with and without them, and checked whenever they are there.
    """

    forrige_boelge: Series[int] = _wave()
    maal: Series[str]
    vaerdi: Series[float] = _score(nullable=True)
    forrige_vaerdi: Series[float] = _score(nullable=True)
    aendring: Series[float] = pa.Field(ge=-4, le=4, nullable=True)
    se: Series[float] = pa.Field(ge=0, nullable=True)
    ci_lav: Series[float] = pa.Field(nullable=True)
    ci_hoej: Series[float] = pa.Field(nullable=True)
    p: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    # Optional (being added): numeric dtypes are coerced, so int64, Int64 or float64 all fit.
    df: Series[float] = _optional(ge=0, coerce=True)
    n: Series[float] = _optional(ge=0, coerce=True)
    forrige_n: Series[float] = _optional(ge=0, coerce=True)
    aendring_faelles: Series[float] = _optional(ge=-4, le=4)
    se_faelles: Series[float] = _optional(ge=0)
    ci_lav_faelles: Series[float] = _optional()
    ci_hoej_faelles: Series[float] = _optional()
    p_faelles: Series[float] = _optional(ge=0, le=1)
    df_faelles: Series[float] = _optional(ge=0, coerce=True)
    samme_spoergsmaal: Series[pd.BooleanDtype] = _optional(coerce=True)
    vist: Series[str] = _optional(isin=["alle spørgsmål", "fælles spørgsmål"])
    sikker_aendring: Series[pd.BooleanDtype] = _optional(coerce=True)

    @pa.check("maal", name="kendt_maal", error="et tema eller modenhedsindeks")
    def _known_measure(cls, measures: Series[str]) -> Series[bool]:
        return measures.isin(_measures())

    @pa.dataframe_check(error="forrige_boelge før boelge")
    def _previous_is_earlier(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["forrige_boelge"] < frame["boelge"]

    @pa.dataframe_check(error="aendring = vaerdi - forrige_vaerdi")
    def _change_is_difference(cls, frame: pd.DataFrame) -> pd.Series:
        difference = frame["vaerdi"] - frame["forrige_vaerdi"]
        close = (frame["aendring"] - difference).abs() <= TOLERANCE
        return close | (frame["aendring"].isna() & difference.isna())

    @pa.dataframe_check(error="ci_lav <= aendring <= ci_hoej")
    def _change_within_interval(cls, frame: pd.DataFrame) -> pd.Series:
        ok = _chain(frame, "ci_lav", "aendring", "ci_hoej")
        common = ["ci_lav_faelles", "aendring_faelles", "ci_hoej_faelles"]
        return ok & _chain(frame, *common) if set(common) <= set(frame.columns) else ok

    class Config:
        unique = ["boelge", "kommunekode", "maal"]


class Reliability(pa.DataFrameModel):
    """``reliabilitet.csv`` (``reliability.reliability_table``): one row per theme × wave.

    ``alpha`` has no lower bound (items that cancel out give -inf, as pingouin); ``k``,
    ``alpha_std`` and ``gns_inter_item_r`` are not in the contract and checked when present.
    """

    boelge: Series[int] = _wave()
    tema: Series[str] = pa.Field(isin=reference.theme_codes())
    n: Series[int] = pa.Field(ge=0)
    k: Series[int] = pa.Field(ge=1, required=False)
    alpha: Series[float] = pa.Field(le=1, nullable=True)
    alpha_std: Series[float] = _optional(le=1)
    alpha_ci_lav: Series[float] = pa.Field(le=1, nullable=True)
    alpha_ci_hoej: Series[float] = pa.Field(le=1, nullable=True)
    omega: Series[float] = pa.Field(le=1, nullable=True)
    gns_inter_item_r: Series[float] = _optional(ge=-1, le=1)

    @pa.dataframe_check(error="alpha_ci_lav <= alpha_ci_hoej")
    def _interval_ordered(cls, frame: pd.DataFrame) -> pd.Series:
        return _chain(frame, "alpha_ci_lav", "alpha_ci_hoej")

    class Config:
        unique = ["boelge", "tema"]


# --------------------------------------------------------------------------- analyses


class ClusterAssignments(_WaveMunicipality):
    """``klynger.csv``: the type (cluster) of each municipality × wave; a municipality without a
    cluster has the reason in ``aarsag``, one with a cluster has none."""

    klynge: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    klyngenavn: Series[str] = pa.Field(nullable=True)
    sikkerhed: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    aarsag: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="enten en klynge med navn eller en årsag")
    def _cluster_or_reason(cls, frame: pd.DataFrame) -> pd.Series:
        clustered = frame["klynge"].notna()
        return (
            (clustered == frame["klyngenavn"].notna())
            & (clustered != frame["aarsag"].notna())
            & (clustered | frame["sikkerhed"].isna())
        )

    class Config:
        unique = ["boelge", "kommunekode"]


class ClusterProfiles(_Themes):
    """``klyngeprofiler.csv``: one row per cluster × wave, its size, mean raw theme scores and
    index (scale 1-5), mean standardised scores (``<TEMA>_z``) and bootstrap stability."""

    boelge: Series[int] = _wave()
    klynge: Series[pd.Int64Dtype] = pa.Field(ge=1)
    klyngenavn: Series[str]
    antal_kommuner: Series[int] = pa.Field(ge=1)
    modenhedsindeks: Series[float] = _score(nullable=True)
    theme_z: Series[float] = pa.Field(alias=rf"^({_THEMES})_z$", regex=True, nullable=True)
    jaccard: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    andel_oploest: Series[float] = _optional(ge=0, le=1)
    stabil: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    ari_bootstrap: Series[float] = pa.Field(ge=-1, le=1, nullable=True)

    @pa.dataframe_check(error="stabil netop når jaccard >= 0,6")
    def _stable_by_jaccard(cls, frame: pd.DataFrame) -> pd.Series:
        from omstilling_analysis.clusters import JACCARD_STABLE

        stable = frame["stabil"].astype("boolean")
        expected = frame["jaccard"] >= JACCARD_STABLE
        return (stable == expected).fillna(False) | (stable.isna() & frame["jaccard"].isna())

    class Config:
        unique = ["boelge", "klynge"]


class Effects(pa.DataFrameModel):
    """``effekter.csv`` (``effects.estimate_effects``): one row per wave × outcome × theme, and
    one per outcome × theme for the model pooled over waves.

    TARGET STATE (issue 12, being changed in effects.py): ``boelge`` is a nullable ``Int64``
    wave, ``<NA>`` on the pooled model's rows, which have ``samlet`` True. Until that change is
    merged, ``effekter.csv`` carries ``boelge`` as text ("2020" ... "samlet") and fails here.
    A model that could not be estimated has its reason in ``model`` and no estimate.
    """

    boelge: Series[pd.Int64Dtype] = _wave(nullable=True)
    samlet: Series[bool]
    udfald: Series[str]
    tema: Series[str] = pa.Field(isin=reference.theme_codes())
    estimat: Series[float] = pa.Field(nullable=True)
    ci_lav: Series[float] = pa.Field(nullable=True)
    ci_hoej: Series[float] = pa.Field(nullable=True)
    p: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    p_justeret: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    n: Series[int] = pa.Field(ge=1)
    model: Series[str]
    r2: Series[float] = pa.Field(le=1, nullable=True)
    r2_cv: Series[float] = pa.Field(le=1, nullable=True)

    @pa.check("udfald", name="kendt_udfald", error="et af de fire udfald")
    def _known_outcome(cls, outcomes: Series[str]) -> Series[bool]:
        from omstilling_analysis.effects import OUTCOMES

        return outcomes.isin(OUTCOMES)

    @pa.dataframe_check(error="samlet netop når boelge mangler")
    def _pooled_without_wave(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["samlet"].astype(bool) == frame["boelge"].isna()

    @pa.dataframe_check(error="ci_lav <= estimat <= ci_hoej")
    def _estimate_within_interval(cls, frame: pd.DataFrame) -> pd.Series:
        return _chain(frame, "ci_lav", "estimat", "ci_hoej")

    @pa.dataframe_check(error="p_justeret >= p (Benjamini-Hochberg)")
    def _adjusted_not_smaller(cls, frame: pd.DataFrame) -> pd.Series:
        both = _same_missing(frame["p"], frame["p_justeret"])
        return _chain(frame, "p", "p_justeret") & both

    class Config:
        unique = ["boelge", "udfald", "tema"]


#: Output file name (a key of ``RunResult.tables``) → its model.
SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "besvarelser.parquet": Responses,
    "udeladte.csv": LeftOutRows,
    "datakvalitet.csv": DataQuality,
    "respondentscorer.parquet": RespondentScores,
    "kommunescorer.parquet": MunicipalityScores,
    "benchmark.csv": Benchmarks,
    "rang.csv": Ranks,
    "udvikling.csv": Changes,
    "reliabilitet.csv": Reliability,
    "klynger.csv": ClusterAssignments,
    "klyngeprofiler.csv": ClusterProfiles,
    "effekter.csv": Effects,
}


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class SchemaFailure:
    """One broken rule of one table: where it breaks, never a cell's value.

    ``column`` is ``None`` for a rule on the whole table or on several columns; ``check`` is
    pandera's name of the rule (``greater_than_or_equal_to(1)``, ``dtype('int64')``,
    ``column_in_dataframe``) or the Danish description of a table rule; ``n_rows`` counts the
    rows that break it (0 for a missing column or a wrong dtype), ``rows`` holds the index labels
    of the first 10; ``detail`` is the dtype found where another is required.
    """

    table: str
    column: str | None
    check: str
    n_rows: int
    rows: tuple[int, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        """The failure as one Danish line."""
        where = f"kolonne {self.column}" if self.column else "tabellen"
        line = f"{self.table}: {where}: {_danish_rule(self.check, self.detail)}"
        if self.n_rows:
            shown = ", ".join(str(r) for r in self.rows)
            line += f": {self.n_rows} {'række' if self.n_rows == 1 else 'rækker'} (indeks {shown}"
            line += ", …)" if self.n_rows > len(self.rows) else ")"
        return line


_RULES = {
    "column_in_dataframe": "kolonnen mangler",
    "column_in_schema": "kolonnen hører ikke til tabellen",
    "not_nullable": "må ikke mangle",
    "field_uniqueness": "værdierne skal være forskellige",
    "multiple_fields_uniqueness": "nøglen skal være entydig",
    "isin": "skal være en af de tilladte værdier",
    "str_matches": "teksten har ikke den krævede form",
    "str_length": "teksten har ikke den krævede længde",
}
_BOUNDS = {"greater_than_or_equal_to": ">=", "less_than_or_equal_to": "<="}


def _danish_rule(check: str, detail: str = "") -> str:
    """pandera's name of a built-in check in Danish; a table rule is Danish already."""
    name, _, argument = check.partition("(")
    argument = argument.rstrip(")").strip("'").replace(".", ",")
    if name in ("dtype", "coerce_dtype"):
        return f"skal have typen {argument}" + (f" (har {detail})" if detail else "")
    if name in _BOUNDS:
        return f"skal være {_BOUNDS[name]} {argument}"
    return _RULES.get(name, check)


class SchemaValidationError(ValueError):
    """One or more tables break their schema; ``failures`` lists every broken rule."""

    def __init__(self, failures: list[SchemaFailure]):
        self.failures = tuple(failures)
        tables = sorted({f.table for f in self.failures})
        verb = "tabeller opfylder ikke deres" if len(tables) > 1 else "tabel opfylder ikke sit"
        lines = [f"{len(tables)} {verb} skema: {', '.join(tables)}"]
        lines += [f"- {f.describe()}" for f in self.failures]
        super().__init__("\n".join(lines))


_COLUMN_CHECKS = ("column_in_dataframe", "column_in_schema")  # missing, or one too many
_DTYPE_CHECK = re.compile(r"^(coerce_)?dtype\(")
_MAX_ROWS = 10


def _failures(table: str, cases: pd.DataFrame, frame: pd.DataFrame) -> list[SchemaFailure]:
    """pandera's failure cases summarised per (column, check), without the failing values."""
    cases = cases.assign(column=cases["column"].astype(object), check=cases["check"].astype(str))
    missing = cases["check"].isin(_COLUMN_CHECKS)
    # A missing or extra column is named by its failure case (the column is the schema's name).
    cases.loc[missing, "column"] = cases.loc[missing, "failure_case"].astype(str)
    column_wide = missing | cases["check"].str.match(_DTYPE_CHECK)
    # A key is named by its columns; a table rule is reported once per row, not once per cell.
    key = cases["check"] == "multiple_fields_uniqueness"
    cases.loc[key, "column"] = ", ".join(pd.unique(cases.loc[key, "column"].astype(str)))
    table_wide = (cases["schema_context"] == "DataFrameSchema") & ~column_wide & ~key
    cases.loc[table_wide, "column"] = ""
    failures = []
    for (column, check), group in cases.fillna({"column": ""}).groupby(["column", "check"]):
        rows = [] if column_wide[group.index].any() else pd.unique(group["index"].dropna())
        typed = _DTYPE_CHECK.match(check) and column in frame.columns
        dtype = str(frame[column].dtype) if typed else ""
        labels = tuple(int(r) if isinstance(r, np.integer) else r for r in rows[:_MAX_ROWS])
        failures.append(SchemaFailure(table, column or None, check, len(rows), labels, dtype))
    return failures


def _typed_if_empty(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """A table without rows made by ``pd.DataFrame(columns=...)`` has object columns: there is no
    value to be wrong, so its columns take the schema's dtypes before the check."""
    if len(frame) or not len(frame.columns):
        return frame
    dtypes = {}
    for name in frame.columns:
        if frame[name].dtype != object:
            continue
        for key, column in schema.columns.items():
            matches = re.match(key, str(name)) if column.regex else key == name
            if matches and column.dtype is not None:
                dtypes[name] = column.dtype.type
                break
    return frame.astype(dtypes) if dtypes else frame


def _check(
    name_or_model: str | type[pa.DataFrameModel], frame: pd.DataFrame, lazy: bool
) -> list[SchemaFailure]:
    if isinstance(name_or_model, str) and name_or_model not in SCHEMAS:
        known = ", ".join(SCHEMAS)
        raise KeyError(f"intet skema for tabellen {name_or_model!r} (kendte: {known})")
    model = SCHEMAS[name_or_model] if isinstance(name_or_model, str) else name_or_model
    table = name_or_model if isinstance(name_or_model, str) else model.__name__
    schema = model.to_schema()
    try:
        schema.validate(_typed_if_empty(schema, frame), lazy=True)
    except pa.errors.SchemaErrors as errors:
        failures = _failures(table, errors.failure_cases, frame)
        return failures if lazy else failures[:1]
    return []


def validate_frame(
    name_or_model: str | type[pa.DataFrameModel], frame: pd.DataFrame, *, lazy: bool = True
) -> pd.DataFrame:
    """Check one frame against its schema; return it unchanged, or raise.

    Parameters
    ----------
    name_or_model : str or DataFrameModel subclass
        An output file name of :data:`SCHEMAS` (``"kommunescorer.parquet"``) or a model
        (``PublishedMunicipalityScores``).
    frame : pandas.DataFrame
        The table. A table without rows is checked for its columns only (see the module).
    lazy : bool
        Report every failure (default) or only the first.

    Raises
    ------
    SchemaValidationError
        With every broken rule (one with ``lazy=False``).
    KeyError
        When ``name_or_model`` is a name without a schema.
    """
    failures = _check(name_or_model, frame, lazy)
    if failures:
        raise SchemaValidationError(failures)
    return frame


def validate_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    """Check every table that has a schema (keys as :data:`SCHEMAS`: output file names).

    Tables without a schema are passed over. Raises one :class:`SchemaValidationError` listing
    the broken rules of all tables.
    """
    failures = []
    for name, frame in tables.items():
        if name in SCHEMAS:
            failures.extend(_check(name, frame, lazy=True))
    if failures:
        raise SchemaValidationError(failures)
