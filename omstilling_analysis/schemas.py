"""Schemas as code: the frames that pass between the stages, as pandera ``DataFrameModel`` s.

Each model states a table's columns with their exact dtype (``boelge`` is an ``int64`` wave year
of the codebook, ``kommunekode`` an ``int64`` among the 98 codes of
:func:`omstilling_analysis.reference.municipalities`), the range of its values (scores in
[1, 5], p-values in [0, 1], counts >= 0, levels 1-5), the keys that must be unique, where a
missing value is legitimate, and the rules that tie columns together (a level without an index,
a cluster without a reason, ...). Tables with families of per-theme columns are ``strict=False``
and match the families by regular expression (``<TEMA>_n``, ``<TEMA>_se``, ...).

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
    "SCHEMAS",
    "Benchmarks",
    "Changes",
    "ClusterAssignments",
    "ClusterProfiles",
    "DataQuality",
    "Effects",
    "LeftOutRows",
    "MunicipalityScores",
    "Outcomes",
    "PublishedMunicipalityScores",
    "Ranks",
    "Reliability",
    "RespondentScores",
    "Responses",
    "SchemaFailure",
    "SchemaValidationError",
    "validate_frame",
    "validate_tables",
]

#: Slack of the equalities and orderings between computed floats.
TOLERANCE = 1e-9

_THEMES = "|".join(reference.theme_codes())
#: One column per codebook item: ``BOR_01`` ... ``DAT_06``.
ITEM_PATTERN = rf"^({_THEMES})_\d{{2}}$"
#: The per-theme families of ``kommunescorer``: ``<TEMA>_n``, ``<TEMA>_se``, ``<TEMA>_ci_*``.
THEME_N_PATTERN = rf"^({_THEMES})_n$"
THEME_SE_PATTERN = rf"^({_THEMES})_se$"
THEME_CI_PATTERN = rf"^({_THEMES})_ci_(lav|hoej)$"
#: Columns that would carry personal data (contract §3); no table may have them.
PERSONAL_COLUMNS = ("email", "name", "kommenta", "responde")


# --------------------------------------------------------------------------- field helpers


def _wave(**kwargs) -> pa.Field:
    """A wave year of the codebook (2020, 2022, 2024)."""
    return pa.Field(isin=reference.waves(), **kwargs)


def _score(**kwargs) -> pa.Field:
    """A score on the answer scale: the mean of 1-5 answers lies in [1, 5]."""
    return pa.Field(ge=1, le=5, **kwargs)


def _share(**kwargs) -> pa.Field:
    """A probability or share in [0, 1]."""
    return pa.Field(ge=0, le=1, **kwargs)


def _count(**kwargs) -> pa.Field:
    return pa.Field(ge=0, **kwargs)


def _ordered(low: pd.Series, high: pd.Series) -> pd.Series:
    """``low <= high`` up to :data:`TOLERANCE`; true where either is missing."""
    low, high = low.astype("float64"), high.astype("float64")
    return (low <= high + TOLERANCE) | low.isna() | high.isna()


def _same_missing(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.isna() == b.isna()


def _known_municipality(codes: pd.Series) -> pd.Series:
    return codes.isin(reference.municipalities()["kommunekode"])


def _measures() -> list[str]:
    from omstilling_analysis.score import INDEX

    return [*reference.theme_codes(), INDEX]


# --------------------------------------------------------------------------- base models


class _Municipality(pa.DataFrameModel):
    """A table keyed (partly) by ``kommunekode``."""

    kommunekode: Series[int]

    @pa.check("kommunekode", name="kendt_kommunekode", error="en af de 98 kommunekoder")
    def _kommunekode_known(cls, codes: Series[int]) -> Series[bool]:
        return _known_municipality(codes)

    class Config:
        strict = False


class _WaveMunicipality(_Municipality):
    """A table keyed (partly) by wave and municipality."""

    boelge: Series[int] = _wave()


class _ThemeScores(_WaveMunicipality):
    """The six theme scores, each in [1, 5] and missing where there is no score."""

    BOR: Series[float] = _score(nullable=True)
    STR: Series[float] = _score(nullable=True)
    FOR: Series[float] = _score(nullable=True)
    STY: Series[float] = _score(nullable=True)
    TEK: Series[float] = _score(nullable=True)
    DAT: Series[float] = _score(nullable=True)


# --------------------------------------------------------------------------- load and clean


class Responses(_WaveMunicipality):
    """``besvarelser.parquet`` (``clean.responses_and_left_out``): one row per counted response.

    The answers are as given (1-5, not reversed), NaN for blank, Ved ikke, a bad cell or an item
    the wave did not ask. ``respondent_key`` is the 16 hex digits of the keyed hash.
    """

    respondent_key: Series[str] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{16}$")
    rolle: Series[pd.StringDtype] = pa.Field(nullable=True)
    kilde: Series[str] = pa.Field(str_length={"min_value": 1})
    kilde_raekke: Series[int] = pa.Field(ge=2)
    item: Series[float] = pa.Field(
        alias=ITEM_PATTERN, regex=True, nullable=True, isin=[1.0, 2.0, 3.0, 4.0, 5.0]
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

    @pa.dataframe_check(error="ingen kolonne med personoplysninger")
    def _no_personal_columns(cls, frame: pd.DataFrame) -> bool:
        return not set(PERSONAL_COLUMNS) & {str(c).lower() for c in frame.columns}

    class Config:
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
        strict = False
        unique = ["kilde", "kilde_raekke"]


class DataQuality(pa.DataFrameModel):
    """``datakvalitet.csv``: one row per cell-level problem (row 1 = a problem of the header).

    ``vaerdi`` is shown only as ``pipeline.safe_cell_value`` lets it: at most 40 characters,
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
        strict = False


class Outcomes(_Municipality):
    """The outcome files combined (``pipeline.combine_outcomes``): one row per municipality and
    year, unknown codes and repeated municipality-years already taken out."""

    aar: Series[int]
    piloter_igangsat: Series[float] = _count(nullable=True)
    piloter_i_drift: Series[float] = _count(nullable=True)
    piloter_skaleret: Series[float] = _count(nullable=True)
    gevinst_mio_kr: Series[float] = pa.Field(nullable=True)
    digital_selvbetjening_pct: Series[float] = pa.Field(ge=0, le=100, nullable=True)

    class Config:
        unique = ["kommunekode", "aar"]


# --------------------------------------------------------------------------- scores


class RespondentScores(_ThemeScores):
    """``respondentscorer.parquet``: the six theme scores of each counted response."""

    respondent_key: Series[str] = pa.Field(unique=True)


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
                ok &= _ordered(frame[low], frame[measure]) & _ordered(frame[measure], frame[high])
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
        order = ["minimum", "kvartil_1", "median", "kvartil_3", "maksimum"]
        ok = pd.Series(True, index=frame.index)
        for low, high in zip(order, order[1:], strict=False):
            ok &= _ordered(frame[low], frame[high])
        return (
            ok
            & _ordered(frame["minimum"], frame["gennemsnit"])
            & _ordered(frame["gennemsnit"], frame["maksimum"])
        )

    @pa.dataframe_check(error="n_respondenter mindst n_kommuner")
    def _respondents_per_municipality(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["n_respondenter"] >= frame["n_kommuner"]

    class Config:
        strict = False
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
    n_kommuner: Series[int] = _count()
    n_bootstrap: Series[int] = _count()

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
        return _ordered(frame["rang_p05"], frame["rang_p95"]) & _ordered(
            frame["indeks_ci_lav"], frame["indeks_ci_hoej"]
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
    p: Series[float] = _share(nullable=True)
    # Optional (being added): numeric dtypes are coerced, so int64, Int64 or float64 all fit.
    df: Series[float] = pa.Field(ge=0, nullable=True, required=False, coerce=True)
    n: Series[float] = pa.Field(ge=0, nullable=True, required=False, coerce=True)
    forrige_n: Series[float] = pa.Field(ge=0, nullable=True, required=False, coerce=True)
    aendring_faelles: Series[float] = pa.Field(ge=-4, le=4, nullable=True, required=False)
    se_faelles: Series[float] = pa.Field(ge=0, nullable=True, required=False)
    ci_lav_faelles: Series[float] = pa.Field(nullable=True, required=False)
    ci_hoej_faelles: Series[float] = pa.Field(nullable=True, required=False)
    p_faelles: Series[float] = _share(nullable=True, required=False)
    df_faelles: Series[float] = pa.Field(ge=0, nullable=True, required=False, coerce=True)
    samme_spoergsmaal: Series[pd.BooleanDtype] = pa.Field(
        nullable=True, required=False, coerce=True
    )
    vist: Series[pd.BooleanDtype] = pa.Field(nullable=True, required=False, coerce=True)
    sikker_aendring: Series[pd.BooleanDtype] = pa.Field(nullable=True, required=False, coerce=True)

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
        ok = _ordered(frame["ci_lav"], frame["aendring"]) & _ordered(
            frame["aendring"], frame["ci_hoej"]
        )
        if {"ci_lav_faelles", "aendring_faelles", "ci_hoej_faelles"} <= set(frame.columns):
            ok &= _ordered(frame["ci_lav_faelles"], frame["aendring_faelles"])
            ok &= _ordered(frame["aendring_faelles"], frame["ci_hoej_faelles"])
        return ok

    class Config:
        unique = ["boelge", "kommunekode", "maal"]


class Reliability(pa.DataFrameModel):
    """``reliabilitet.csv`` (``reliability.reliability_table``): one row per theme × wave.

    ``alpha`` has no lower bound (items that cancel out give -inf, as pingouin); ``k``,
    ``alpha_std`` and ``gns_inter_item_r`` are not in the contract and checked when present.
    """

    boelge: Series[int] = _wave()
    tema: Series[str] = pa.Field(isin=reference.theme_codes())
    n: Series[int] = _count()
    k: Series[int] = pa.Field(ge=1, required=False)
    alpha: Series[float] = pa.Field(le=1, nullable=True)
    alpha_std: Series[float] = pa.Field(le=1, nullable=True, required=False)
    alpha_ci_lav: Series[float] = pa.Field(le=1, nullable=True)
    alpha_ci_hoej: Series[float] = pa.Field(le=1, nullable=True)
    omega: Series[float] = pa.Field(le=1, nullable=True)
    gns_inter_item_r: Series[float] = pa.Field(ge=-1, le=1, nullable=True, required=False)

    @pa.dataframe_check(error="alpha_ci_lav <= alpha_ci_hoej")
    def _interval_ordered(cls, frame: pd.DataFrame) -> pd.Series:
        return _ordered(frame["alpha_ci_lav"], frame["alpha_ci_hoej"])

    class Config:
        strict = False
        unique = ["boelge", "tema"]


# --------------------------------------------------------------------------- analyses


class ClusterAssignments(_WaveMunicipality):
    """``klynger.csv``: the type (cluster) of each municipality × wave; a municipality without a
    cluster has the reason in ``aarsag``, one with a cluster has none."""

    klynge: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    klyngenavn: Series[str] = pa.Field(nullable=True)
    sikkerhed: Series[float] = _share(nullable=True)
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


class ClusterProfiles(pa.DataFrameModel):
    """``klyngeprofiler.csv``: one row per cluster × wave, its size, mean raw theme scores and
    index (scale 1-5), mean standardised scores (``<TEMA>_z``) and bootstrap stability."""

    boelge: Series[int] = _wave()
    klynge: Series[pd.Int64Dtype] = pa.Field(ge=1)
    klyngenavn: Series[str]
    antal_kommuner: Series[int] = pa.Field(ge=1)
    BOR: Series[float] = _score(nullable=True)
    STR: Series[float] = _score(nullable=True)
    FOR: Series[float] = _score(nullable=True)
    STY: Series[float] = _score(nullable=True)
    TEK: Series[float] = _score(nullable=True)
    DAT: Series[float] = _score(nullable=True)
    modenhedsindeks: Series[float] = _score(nullable=True)
    theme_z: Series[float] = pa.Field(alias=rf"^({_THEMES})_z$", regex=True, nullable=True)
    jaccard: Series[float] = _share(nullable=True)
    andel_oploest: Series[float] = _share(nullable=True, required=False)
    stabil: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    ari_bootstrap: Series[float] = pa.Field(ge=-1, le=1, nullable=True)

    @pa.dataframe_check(error="stabil netop når jaccard >= 0,6")
    def _stable_by_jaccard(cls, frame: pd.DataFrame) -> pd.Series:
        from omstilling_analysis.clusters import JACCARD_STABLE

        stable = frame["stabil"].astype("boolean")
        expected = frame["jaccard"] >= JACCARD_STABLE
        return (stable == expected).fillna(False) | (stable.isna() & frame["jaccard"].isna())

    class Config:
        strict = False
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
    p: Series[float] = _share(nullable=True)
    p_justeret: Series[float] = _share(nullable=True)
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
        return _ordered(frame["ci_lav"], frame["estimat"]) & _ordered(
            frame["estimat"], frame["ci_hoej"]
        )

    @pa.dataframe_check(error="p_justeret >= p (Benjamini-Hochberg)")
    def _adjusted_not_smaller(cls, frame: pd.DataFrame) -> pd.Series:
        return _ordered(frame["p"], frame["p_justeret"]) & _same_missing(
            frame["p"], frame["p_justeret"]
        )

    class Config:
        strict = False
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
    """One broken rule of one table: no cell value, only where it breaks.

    Attributes
    ----------
    table : str
        The output file name, or the model's name when validated by model.
    column : str or None
        The column, or ``None`` for a rule on the whole table or on several columns.
    check : str
        The rule: pandera's name (``greater_than_or_equal_to(1)``, ``dtype('int64')``,
        ``column_in_dataframe``, ...) or the Danish description of a table rule.
    n_rows : int
        How many rows break it (0 for a rule on the table or column as such: a missing column,
        a wrong dtype).
    rows : tuple of int
        The index labels of the first failing rows (at most 10).
    detail : str
        For a wrong dtype, the dtype found; otherwise empty.
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
            line += f": {self.n_rows} {'række' if self.n_rows == 1 else 'rækker'} (række {shown}"
            line += ", …)" if self.n_rows > len(self.rows) else ")"
        return line


_RULES = {
    "column_in_dataframe": "kolonnen mangler",
    "not_nullable": "må ikke mangle",
    "field_uniqueness": "værdierne skal være forskellige",
    "multiple_fields_uniqueness": "nøglen skal være entydig",
    "column_in_schema": "kolonnen er ikke i skemaet",
}
_BOUNDS = {
    "greater_than_or_equal_to": ">=",
    "less_than_or_equal_to": "<=",
    "greater_than": ">",
    "less_than": "<",
}


def _danish_rule(check: str, detail: str = "") -> str:
    """pandera's name of a built-in check in Danish; a table rule is Danish already."""
    if check in _RULES:
        return _RULES[check]
    name, _, argument = check.partition("(")
    argument = argument.rstrip(")")
    if name in ("dtype", "coerce_dtype"):
        found = f" (har {detail})" if detail else ""
        return f"skal have typen {argument.strip(chr(39))}{found}"
    if name in _BOUNDS:
        return f"skal være {_BOUNDS[name]} {argument.replace('.', ',')}"
    if name == "in_range":
        return f"skal ligge i [{argument.replace(', ', '; ').replace('.', ',')}]"
    if name == "isin":
        return "skal være en af de tilladte værdier"
    if name in ("str_matches", "str_length"):
        return "teksten har ikke den krævede form"
    return check


class SchemaValidationError(ValueError):
    """One or more tables break their schema; ``failures`` lists every broken rule."""

    def __init__(self, failures: list[SchemaFailure]):
        self.failures = tuple(failures)
        tables = sorted({f.table for f in self.failures})
        lines = [f"{len(tables)} tabel(ler) opfylder ikke deres skema: {', '.join(tables)}"]
        super().__init__("\n".join([*lines, *(f"- {f.describe()}" for f in self.failures)]))


_MISSING_COLUMN = "column_in_dataframe"
_DTYPE_CHECK = re.compile(r"^(coerce_)?dtype\(")
_MAX_ROWS = 10


def _failures(table: str, cases: pd.DataFrame, frame: pd.DataFrame) -> list[SchemaFailure]:
    """pandera's failure cases summarised per (column, check), without the failing values.

    Only what is no cell value is kept as detail: the name of a missing column and the dtype
    the frame has where another is required.
    """
    cases = cases.assign(
        column=cases["column"].astype(object).where(cases["column"].notna(), None),
        check=cases["check"].astype(str),
    )
    missing = cases["check"] == _MISSING_COLUMN
    # A missing column is named by its failure case (the column is the schema's name there).
    cases.loc[missing, "column"] = cases.loc[missing, "failure_case"].astype(str)
    table_wide = (cases["schema_context"] == "DataFrameSchema") & ~missing
    table_wide &= ~cases["check"].str.match(_DTYPE_CHECK)
    # A table rule is reported once per row, not once per cell of the row.
    cases.loc[table_wide, "column"] = None
    failures = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        column = None if column is None or column != column else str(column)
        column_wide = check == _MISSING_COLUMN or bool(_DTYPE_CHECK.match(check))
        rows = [] if column_wide else list(pd.unique(group["index"].dropna()))
        detail = ""
        if _DTYPE_CHECK.match(check) and column in frame.columns:
            detail = str(frame[column].dtype)
        failures.append(
            SchemaFailure(
                table=table,
                column=column,
                check=check,
                n_rows=len(rows),
                rows=tuple(int(r) if isinstance(r, np.integer) else r for r in rows[:_MAX_ROWS]),
                detail=detail,
            )
        )
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


def _model_of(name_or_model: str | type[pa.DataFrameModel]) -> tuple[str, type[pa.DataFrameModel]]:
    if isinstance(name_or_model, str):
        if name_or_model not in SCHEMAS:
            known = ", ".join(SCHEMAS)
            raise KeyError(f"intet skema for tabellen {name_or_model!r} (kendte: {known})")
        return name_or_model, SCHEMAS[name_or_model]
    return name_or_model.__name__, name_or_model


def _check(
    name_or_model: str | type[pa.DataFrameModel], frame: pd.DataFrame, lazy: bool
) -> list[SchemaFailure]:
    table, model = _model_of(name_or_model)
    schema = model.to_schema()
    try:
        schema.validate(_typed_if_empty(schema, frame), lazy=lazy)
    except pa.errors.SchemaErrors as errors:
        return _failures(table, errors.failure_cases, frame)
    except pa.errors.SchemaError as error:
        cases = error.failure_cases
        if not isinstance(cases, pd.DataFrame):
            cases = pd.DataFrame({"index": [None], "failure_case": [cases]})
        column = getattr(error, "column_name", None)
        check = error.check
        check_name = getattr(check, "error", None) or getattr(check, "name", None) or str(check)
        if getattr(error, "reason_code", None) is not None and check is None:
            check_name = str(error.reason_code.name).lower()
        cases = cases.assign(
            schema_context="Column" if column else "DataFrameSchema",
            column=column,
            check=str(check_name),
        )
        return _failures(table, cases, frame)
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
        Collect every failure (default) or stop at the first.

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
