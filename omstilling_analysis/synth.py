"""Synthetic raw data in every shape and dialect of the contract, with a machine-readable truth.

:func:`generate` writes a complete demo ``data/raw`` folder (three waves of SurveyXact exports,
municipalities' own spreadsheets and outcome files) and returns a :class:`SynthTruth` that says
what a correct loader must make of every raw row. The helpers below it make one export in a
chosen variation, for the loader's tests, and :func:`write_national_csv` /
:func:`write_national_xlsx` make national-scale exports for benchmarks. Everything is
vectorised over respondents with numpy and reproducible from one seed (byte-identical files).

Files written by ``generate(out_dir)`` (default waves 2020, 2022, 2024)
-----------------------------------------------------------------------
======================================  =====  ==========================================================
file / folder                           shape  variation
======================================  =====  ==========================================================
``selvevaluering_2020.xlsx``            A      Dataset split column-wise into ``Dataset(1)``/``Dataset(2)``;
                                               items ``bor_01``; 1 = Helt uenig, Ved ikke = 6; closetim text;
                                               ``responde`` as text; old item wording
``skema_2020_<kommune>.csv``            C      ``;`` cp1252; headed by full item text (old wording, stray
                                               spaces); ``Dato`` as dd-mm-yyyy text
``selvevaluering_2022/``                B      ``semicolon-cp1252``; items ``q_<tema>_<n>``; 1 = Helt enig,
                                               Ved ikke = 9 (``Ved ikke / ikke relevant``); code 6 has no
                                               label (cell problems); Labels fully shuffled
``selvevaluering_2022_supplement/``     B      ``tab-utf16``; items ``bor_01``; 1 = Helt uenig, Ved ikke = 9
                                               (``Ikke relevant``); a few municipalities of its own plus
                                               duplicates of rows in ``selvevaluering_2022`` (other closetim)
``skema_2022_<kommune>.xlsx``           C      headed by item codes; ``Dato`` as date cells
``selvevaluering_2024.xlsx``            A      one ``Dataset`` sheet; items ``q_<tema>_<n>`` (found by
                                               Structure text only); 1 = Helt enig, Ved ikke = 6; code 0
                                               unlabelled; closetim as Excel serial day numbers; ``responde``
                                               as numbers; a non-breaking space in one questionText
``selvevaluering_2024_eftersendt/``     B      ``comma-cp1252``; items ``bor_01``; 1 = Helt uenig,
                                               Ved ikke = 6 (``Ved ikke / ikke relevant``); code 7 unlabelled
``skema_2024_<kommune>.xlsx``           C      headed by full item text (current wording, stray spaces)
``implementering_2021.xlsx``            out    sheet ``Data``
``implementering_2023.csv``             out    ``;``, decimal comma, cp1252
``implementering_2025.xlsx``            out    sheet ``Data``
======================================  =====  ==========================================================

Every CSV line ends in CRLF and every line of ``structure.csv`` with an extra delimiter. Labels come
without a header, partly with trailing spaces; municipality labels in official, short, upper,
lower, spaced, hyphen-less, transliterated (``Aeroe``, ``Taarnby``) and old (``Århus``) forms,
plus three labels that are no municipality or ambiguous (``Nykøbing``, ``Frederiks``,
``Vestegnen Kommune``). ``kommenta`` holds mostly nothing, sometimes personal data
(``Ring til Jens Hansen på jens.hansen@...``) or text a spreadsheet would run as a formula
(``=HYPERLINK(...)``, ``+45 12 34 56 78``, ``-1``, ``@SUM(A1)``).

Row fates (``SynthTruth.rows.aarsag``)
--------------------------------------
Planted patterns (``SynthTruth.rows.moenster``) at realistic rates, never in municipalities with
only 1-2 respondents: ``tom`` (nothing answered), ``kun ved ikke``, ``afbrudt`` (broke off after
1 .. ceil(n/2)-2 items), ``kant under`` (exactly ceil(n/2)-1 answers 1-5 plus some Ved ikke:
left out), ``kant på`` (exactly ceil(n/2) answers 1-5: counted), ``ukendt kommune``, and duplicate
copies of a respondent (later, earlier or the same closetim, a blank or broken-off later copy, a
respondent three times, a duplicate with an unknown municipality; within a file and across the
two files of 2022). The reason of every row is then *computed* by :func:`assign_fates` from the
contract's rules, with this precedence: ``ikke besvaret`` (no 1-5 answer), ``for ufuldstændig``
(fewer than ceil(n/2) answers 1-5 to the wave's n items; bad cells are no answers), ``dublet``
(among rows that passed the first two, per wave and ``responde``: the latest closetim counts; ties:
the first in reading order, files sorted by name, rows top-down), ``ukendt kommune``.
Own sheets have no ``responde``, so no duplicates.

Planted structure
-----------------
Four municipality types with distinct six-theme profiles (true theme levels on the 1-5 scale):

====  ===============  ====  ====  ====  ====  ====  ====
type  typenavn          BOR   STR   FOR   STY   TEK   DAT
====  ===============  ====  ====  ====  ====  ====  ====
1     Strategidrevet   3.15  3.90  2.90  2.90  2.90  2.85
2     Teknologidrevet  2.85  2.90  2.90  2.90  3.90  3.15
3     Forankret        3.15  2.90  3.90  2.90  2.90  3.15
4     Styringsdrevet   2.85  2.90  2.90  3.90  2.90  2.85
====  ===============  ====  ====  ====  ====  ====  ====

Each type is one scale point stronger than the others on "its" theme (STR, TEK, FOR or STY, the
themes linked to outcomes); arranged so, the four linked themes correlate only -1/3 across types.
The 98 municipalities are split evenly; each keeps its type across waves except a few movers (4
in the second wave, 3 in the third). A municipality's true level of a theme in a wave is its type's profile + a fixed
municipality deviation (sd 0.22) + a wave deviation (sd 0.10) + a common trend of +0.08 per wave
(within-type sd about 0.25). A respondent's latent answer to an item is the level + a role offset
(Direktion +0.2 ... Medarbejder -0.15) + a respondent bias (sd 0.3) + a respondent-theme
deviation (sd 0.3) + a fixed item offset (sd 0.15, centred per theme) + noise (sd 0.7), rounded and
clipped to 1-5; a reverse-keyed item is written as 6 - that answer. Municipality means of the
theme scores recover the types clearly (see ``SynthTruth.levels`` for the true levels).

Outcomes of year W + 1 are made from the true levels of wave W, standardised over the 98
municipalities (z), for every municipality but a few missing ones:

* ``piloter_igangsat`` ~ Poisson(max(3, 4 + 2.5 ln(population / 5000))), at least 2
* ``andel_i_drift``: ``piloter_i_drift`` ~ Binomial(igangsat, expit(0.45 z_STY))
* ``andel_skaleret``: ``piloter_skaleret`` ~ Binomial(i_drift, expit(-0.7 + 0.65 z_FOR))
* ``gevinst_kr_pr_indbygger`` = max(0, 60 + 15 z_STR + 26 e); ``gevinst_mio_kr`` = that x population / 1e6
* ``digital_selvbetjening_pct`` = 72 + 4 z_TEK + 7 e, clipped to 0-100

so each linked pair has a standardised effect of about 0.5 (``SynthTruth.effects``, which also
gives the realised correlation of every theme with every outcome); all other pairs have no effect
in the generating model. The effects are partial: the type structure makes the four linked themes
correlate about -0.25 across municipalities (BOR and DAT about ±0.2 with them), so an analysis of
one theme at a time sees weak spurious associations (|r| about 0.1-0.3, see ``korrelation``). A
model with all six observed municipality theme scores recovers the planted links (in checks over
seeds: power about 0.95 per wave at p < 0.05, false positives about 6 %).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xlsxwriter

from omstilling_analysis import load, reference

__all__ = [
    "DIALECTS",
    "FORMULA_LIKE",
    "LIKERT",
    "OUTCOMES",
    "PLANTED_EFFECTS",
    "ROLES",
    "SCALE_SCHEMES",
    "THEME_QUESTIONS",
    "TYPE_PROFILES",
    "UNKNOWN_CELL_TEXTS",
    "UNKNOWN_MUNICIPALITY_LABELS",
    "ExportStyle",
    "FateRates",
    "OwnSheet",
    "SurveyXactExport",
    "SynthTruth",
    "assign_fates",
    "generate",
    "own_sheet",
    "surveyxact_export",
    "truth_for",
    "write_truth",
    "write_national_csv",
    "write_national_xlsx",
    "write_outcomes",
    "write_own_sheet",
    "write_surveyxact_csv",
    "write_surveyxact_xlsx",
]

# --------------------------------------------------------------------------- constants

#: The answer labels of the scale, value 1 ... 5 (the contract's 'Helt uenig = 1' scale).
LIKERT: tuple[str, ...] = (
    "Helt uenig",
    "Overvejende uenig",
    "Hverken enig eller uenig",
    "Overvejende enig",
    "Helt enig",
)

#: Answer code schemes: name -> (codes of the values 1..5, code of Ved ikke).
SCALE_SCHEMES: dict[str, tuple[tuple[int, ...], int]] = {
    "uenig1-vi6": ((1, 2, 3, 4, 5), 6),
    "uenig1-vi9": ((1, 2, 3, 4, 5), 9),
    "enig1-vi6": ((5, 4, 3, 2, 1), 6),
    "enig1-vi9": ((5, 4, 3, 2, 1), 9),
}

#: CSV dialects of SurveyXact exports: name -> (delimiter, encoding).
DIALECTS: dict[str, tuple[str, str]] = {
    "semicolon-cp1252": (";", "cp1252"),
    "comma-cp1252": (",", "cp1252"),
    "tab-utf16": ("\t", "utf-16"),
}
_DIALECT_ALIASES = {";": "semicolon-cp1252", ",": "comma-cp1252", "\t": "tab-utf16"}

ROLES: tuple[str, ...] = (
    "Direktion",
    "Digitaliseringschef eller -konsulent",
    "Fagchef",
    "Leder",
    "Medarbejder",
    "Andet",
)
_ROLE_P = np.array([0.08, 0.15, 0.20, 0.30, 0.22, 0.05])
_ROLE_OFFSET = np.array([0.2, 0.1, 0.0, 0.0, -0.15, -0.1])

#: SurveyXact's overall status (stato_1 ... stato_5).
STATUS: tuple[str, ...] = ("Ny", "Distribueret", "Delvist besvaret", "Gennemført", "Frafaldet")

_THEME_QUESTION = {
    "BOR": "borgernes behov og forventninger",
    "STR": "strategi og opbakning",
    "FOR": "ledelse, kompetencer og mindset",
    "STY": "styring og governance",
    "TEK": "det digitale fundament",
    "DAT": "data, sikkerhed og etik",
}
THEME_QUESTIONS: dict[str, str] = {
    theme: f"Hvor enig eller uenig er du i følgende udsagn om {text}?"
    for theme, text in _THEME_QUESTION.items()
}

#: Municipality labels that are no municipality or could be more than one.
UNKNOWN_MUNICIPALITY_LABELS: tuple[str, ...] = ("Nykøbing", "Frederiks", "Vestegnen Kommune")
#: Cell texts in own sheets that are no label of the scale (cell problems).
UNKNOWN_CELL_TEXTS: tuple[str, ...] = ("Måske", "Delvist enig")
_DONT_KNOW_TEXTS = ("Ved ikke", "Ved ikke / ikke relevant", "Ikke relevant", "ved ikke")

_OLD_NAMES = {751: "Århus", 810: "Brønderslev-Dronninglund", 580: "Åbenrå", 820: "Vesthimmerland"}
_NAME_FORMS = ("official", "short", "upper", "lower", "spaces", "nohyphen", "translit", "old")
_NAME_FORM_P = np.array([0.35, 0.2, 0.08, 0.08, 0.1, 0.07, 0.07, 0.05])
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})

_FIRST_NAMES = np.array(
    [
        "Anne",
        "Mette",
        "Søren",
        "Jens",
        "Kirsten",
        "Lars",
        "Hanne",
        "Peter",
        "Louise",
        "Mads",
        "Camilla",
        "Rasmus",
        "Ida",
        "Niels",
        "Birgitte",
        "Jørgen",
        "Maja",
        "Frederik",
        "Sofie",
        "Anders",
        "Lone",
        "Henrik",
        "Tove",
        "Bo",
        "Signe",
        "Ole",
        "Karen",
        "Mikkel",
        "Line",
        "Thomas",
    ],
    dtype=object,
)
_LAST_NAMES = np.array(
    [
        "Jensen",
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
        "Petersen",
        "Madsen",
        "Kristensen",
        "Olsen",
        "Thomsen",
        "Christiansen",
        "Poulsen",
        "Johansen",
        "Møller",
        "Mortensen",
        "Knudsen",
        "Jakobsen",
        "Mikkelsen",
        "Østergaard",
        "Dahl",
    ],
    dtype=object,
)
_EMAIL_FIRST = np.array([_n.translate(_ASCII).lower() for _n in _FIRST_NAMES], dtype=object)
_EMAIL_LAST = np.array([_n.translate(_ASCII).lower() for _n in _LAST_NAMES], dtype=object)
_COMMENTS = np.array(
    [
        "Godt initiativ!",
        "Svært at svare for hele kommunen; svarene gælder mit fagområde.",
        'Vi har svaret "ved ikke", hvor vi ikke har overblik.',
        "Vi er i gang med en ny digitaliseringsstrategi, så billedet ændrer sig i år.",
        "Spørgsmålene om data og etik var svære at vurdere.",
        "Tak for en god undersøgelse",
    ],
    dtype=object,
)
#: Free texts a spreadsheet would run as a formula.
FORMULA_LIKE: tuple[str, ...] = (
    '=HYPERLINK("http://x","klik")',
    "+45 12 34 56 78",
    "-1",
    "@SUM(A1)",
    "=1+1",
)

THEMES: list[str] = reference.theme_codes()

#: The four planted municipality types: profile of true theme levels.
TYPE_PROFILES: pd.DataFrame = pd.DataFrame(
    {
        "type": [1, 2, 3, 4],
        "typenavn": ["Strategidrevet", "Teknologidrevet", "Forankret", "Styringsdrevet"],
        "beskrivelse": [
            "Stærk strategi og borgerfokus, svagere forankring, styring og digitalt fundament",
            "Stærkt digitalt fundament og datasikkerhed, svag strategi og borgerfokus",
            "Stærk forankring blandt ledere og medarbejdere, borgerfokus og etik",
            "Stærk styring og governance, svagere borgerfokus og etik",
        ],
        "BOR": [3.15, 2.85, 3.15, 2.85],
        "STR": [3.90, 2.90, 2.90, 2.90],
        "FOR": [2.90, 2.90, 3.90, 2.90],
        "STY": [2.90, 2.90, 2.90, 3.90],
        "TEK": [2.90, 3.90, 2.90, 2.90],
        "DAT": [2.85, 3.15, 3.15, 2.85],
    }
)

#: Planted theme -> outcome links: (theme, outcome, coefficient per sd of the theme, scale).
PLANTED_EFFECTS: tuple[tuple[str, str, float, str], ...] = (
    ("STY", "andel_i_drift", 0.45, "logit"),
    ("FOR", "andel_skaleret", 0.65, "logit"),
    ("STR", "gevinst_kr_pr_indbygger", 15.0, "kr. pr. indbygger"),
    ("TEK", "digital_selvbetjening_pct", 4.0, "procentpoint"),
)
OUTCOMES: tuple[str, ...] = tuple(e[1] for e in PLANTED_EFFECTS)
#: The outcome files' columns, as the loader requires them.
OUTCOME_COLUMNS: tuple[str, ...] = load.OUTCOME_COLUMNS

_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")
_CREATED = dt.datetime(2024, 1, 1)  # fixed workbook metadata: byte-identical files


# --------------------------------------------------------------------------- public types


@dataclass
class FateRates:
    """Shares of raw rows planted with each pattern, and of cells with each state.

    Pattern rows are drawn only from municipalities with more than two respondents; each
    pattern gets at least ``minimum`` rows when the export is big enough (30+ eligible rows).
    """

    blank: float = 0.02  #: nothing answered
    only_dont_know: float = 0.006  #: only Ved ikke (and blanks)
    broke_off: float = 0.025  #: 1 .. ceil(n/2)-2 answers 1-5
    edge_below: float = 0.006  #: exactly ceil(n/2)-1 answers 1-5 (left out)
    edge_at: float = 0.006  #: exactly ceil(n/2) answers 1-5 (counted)
    unknown_municipality: float = 0.015
    duplicates: float = 0.025  #: extra copies of a respondent, as a share of rows
    dont_know_cell: float = 0.04
    blank_cell: float = 0.015
    bad_cell: float = 0.002  #: share of answered cells with an unlabelled code / unknown text
    comment: float = 0.08
    minimum: int = 1


@dataclass
class ExportStyle:
    """How one SurveyXact export looks.

    Attributes
    ----------
    item_names:
        ``"code"``: items named by lower-case item code (``bor_01``); ``"q"``: by the survey tool
        (``q_<theme number>_<position in theme>``), found only through Structure's text.
    scale:
        A key of :data:`SCALE_SCHEMES`.
    dont_know_label:
        Label text of the Ved ikke code (``Ved ikke``, ``Ved ikke / ikke relevant``, ``Ikke relevant``).
    unlabeled_code:
        A code without a label, planted in a few item cells (cell problems); ``None``: none.
    closetim:
        ``"text"`` (``YYYY-MM-DD HH:MM:SS``), ``"serial"`` (Excel serial day numbers, float) or
        ``"datetime"`` (date cells in xlsx). Applies to starttim too.
    responde:
        ``"text"`` or ``"number"`` (cell type in xlsx; CSV is text anyway).
    labels_order:
        ``"sorted"``, ``"within"`` (codes shuffled within each variable) or ``"shuffled"``.
    shuffle_codes:
        Kommune and rolle codes in a random order (else 1.. in the order of the municipality list).
    old_wording:
        Use the codebook's ``tidligere_tekst`` in Structure; ``None``: in waves before 2024.
    kommune_names:
        Forced label texts for some municipality codes (checked to resolve to that code).
    nbsp:
        Put a non-breaking space into one item's questionText.
    """

    item_names: Literal["code", "q"] = "code"
    scale: str = "uenig1-vi6"
    dont_know_label: str = "Ved ikke"
    unlabeled_code: int | None = None
    closetim: Literal["text", "serial", "datetime"] = "text"
    responde: Literal["text", "number"] = "text"
    labels_order: Literal["sorted", "within", "shuffled"] = "within"
    shuffle_codes: bool = False
    old_wording: bool | None = None
    kommune_names: Mapping[int, str] = field(default_factory=dict)
    nbsp: bool = False

    def __post_init__(self) -> None:
        if self.scale not in SCALE_SCHEMES:
            raise ValueError(f"unknown scale {self.scale!r}; choose one of {list(SCALE_SCHEMES)}")
        codes, dont_know = SCALE_SCHEMES[self.scale]
        if self.unlabeled_code is not None and self.unlabeled_code in (*codes, dont_know):
            raise ValueError(f"code {self.unlabeled_code} has a label in scale {self.scale}")
        if reference.normalise_label(self.dont_know_label) not in reference.DONT_KNOW:
            raise ValueError(f"{self.dont_know_label!r} is no Ved ikke label")


@dataclass
class SurveyXactExport:
    """One SurveyXact export: its tables and the truth about its rows.

    ``tables`` has ``Dataset``, ``Labels`` (columns variable, value, label; written without
    header) and ``Structure``. ``rows`` and ``cell_problems`` are as in :class:`SynthTruth`
    but without ``kilde`` and ``aarsag`` (see :func:`truth_for`).
    """

    wave: int
    style: ExportStyle
    tables: dict[str, pd.DataFrame]
    rows: pd.DataFrame
    cell_problems: pd.DataFrame


@dataclass
class OwnSheet:
    """A municipality's own spreadsheet (shape C): ``table`` holds what is written."""

    wave: int
    header: Literal["code", "text"]
    table: pd.DataFrame
    rows: pd.DataFrame
    cell_problems: pd.DataFrame


@dataclass
class SynthTruth:
    """What a correct loader must make of the synthetic raw data.

    Attributes
    ----------
    rows:
        One row per raw data row written: ``kilde, kilde_raekke, boelge, aarsag`` (None when
        counted), ``kommunekode`` (Int64, NA when the name is unknown), ``rolle`` (label text or
        None), ``responde`` (text, NA in own sheets), ``closetim``, ``kommune_tekst`` (the name
        as written), ``moenster`` (planted pattern), ``antal_svar`` (answers 1-5),
        ``antal_ved_ikke``, then one float column per codebook item (1-5 on the 'Helt uenig = 1'
        scale, as given, not reversed; NaN for blank, Ved ikke, a bad cell or an item not asked).
    cell_problems:
        ``kilde, kilde_raekke, variabel`` (a SurveyXact variable as named in the file, e.g.
        ``q_2_3``; in own sheets the item code, as their headers may be full item texts),
        ``item`` (the codebook item), ``vaerdi`` (the raw value as text: the code or the cell text).
    municipality_types:
        ``boelge, kommunekode, kommune, type, typenavn, flytter, deltager`` and the type's
        profile per theme.
    levels:
        ``boelge, kommunekode`` and the municipality's true level per theme.
    effects:
        ``tema, udfald, retning`` (+1 or 0), ``koefficient`` (per sd of the theme's true level,
        on ``skala``), ``std_effekt`` (planted, about 0.5 or 0), ``korrelation`` (realised,
        true level vs outcome over municipality-years).
    outcomes:
        The outcome rows written (``aar`` = W + 1) with the derived measures.
    missing_outcomes:
        ``aar, kommunekode, kolonne`` (``alle`` for a missing row, else the blank column).
    files:
        Names of the files and folders written.
    """

    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    cell_problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    municipality_types: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    type_profiles: pd.DataFrame = field(default_factory=lambda: TYPE_PROFILES.copy())
    files: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the world


@dataclass
class _World:
    """Municipality-level truth: types and true theme levels per wave."""

    waves: tuple[int, ...]
    codes: np.ndarray  # (98,)
    short: list[str]
    official: list[str]
    population: np.ndarray
    types: np.ndarray  # (98, W) 0..3
    levels: np.ndarray  # (98, W, 6)
    item_offset: dict[str, float]

    def wave_index(self, wave: int) -> int:
        return self.waves.index(int(wave))


def _check_waves(waves: Sequence[int]) -> tuple[int, ...]:
    result = tuple(sorted({int(w) for w in waves}))
    unknown = set(result) - set(reference.waves())
    if not result or unknown:
        raise ValueError(f"waves must be among {reference.waves()}, got {list(waves)}")
    return result


def _make_world(seed: int, waves: Sequence[int]) -> _World:
    rng = np.random.default_rng([seed, 1])
    waves = _check_waves(waves)
    table = reference.municipalities()
    n, n_waves = len(table), len(waves)
    first = rng.permutation(np.resize(np.arange(4), n))
    types = np.repeat(first[:, None], n_waves, axis=1)
    movers: set[int] = set()
    for wi in range(1, n_waves):
        pool = np.array([m for m in range(n) if m not in movers])
        chosen = rng.choice(pool, size=4 if wi == 1 else 3, replace=False)
        movers.update(int(m) for m in chosen)
        types[chosen, wi:] = ((types[chosen, wi - 1] + rng.integers(1, 4, len(chosen))) % 4)[
            :, None
        ]
    profiles = TYPE_PROFILES[THEMES].to_numpy()
    deviation = rng.normal(0.0, 0.22, (n, 6))
    wave_noise = rng.normal(0.0, 0.10, (n, n_waves, 6))
    trend = 0.08 * np.arange(n_waves)
    levels = profiles[types] + deviation[:, None, :] + wave_noise + trend[None, :, None]
    levels = np.clip(levels, 1.3, 4.7)
    book = reference.codebook()
    offset = rng.normal(0.0, 0.15, len(book))
    offset = (
        offset - pd.Series(offset).groupby(book["tema"].to_numpy()).transform("mean").to_numpy()
    )
    return _World(
        waves=waves,
        codes=table["kommunekode"].to_numpy(),
        short=table["kommune"].tolist(),
        official=table["officielt_navn"].tolist(),
        population=table["indbyggere_2020"].to_numpy().astype(float),
        types=types,
        levels=levels,
        item_offset=dict(zip(book["item"], offset, strict=True)),
    )


# --------------------------------------------------------------------------- respondent blocks


@dataclass
class _Block:
    """Respondents of one export before encoding; ``values`` on the 1-5 scale as written
    (reverse-keyed items already reversed), ``state`` 0 answer, 1 blank, 2 Ved ikke, 3 bad cell."""

    wave: int
    items: list[str]
    cols: dict[str, np.ndarray]
    values: np.ndarray
    state: np.ndarray

    def __len__(self) -> int:
        return self.values.shape[0]

    def take(self, index: np.ndarray) -> _Block:
        cols = {name: col[index] for name, col in self.cols.items()}
        return _Block(self.wave, self.items, cols, self.values[index], self.state[index])

    @staticmethod
    def concat(blocks: Sequence[_Block]) -> _Block:
        first = blocks[0]
        cols = {name: np.concatenate([b.cols[name] for b in blocks]) for name in first.cols}
        return _Block(
            first.wave,
            first.items,
            cols,
            np.vstack([b.values for b in blocks]),
            np.vstack([b.state for b in blocks]),
        )


def _simulate(
    rng: np.random.Generator,
    world: _World,
    wave: int,
    municipality_index: np.ndarray,
    small: np.ndarray,
    rates: FateRates,
) -> _Block:
    """Respondents of the given municipalities (one entry per respondent), all 'regulær'."""
    items = reference.items_of_wave(wave)
    book = reference.codebook().set_index("item").loc[items]
    theme_idx = np.array([THEMES.index(t) for t in book["tema"]])
    reverse = book["omvendt"].to_numpy()
    n, k = len(municipality_index), len(items)
    wi = world.wave_index(wave)

    role = rng.choice(len(ROLES), size=n, p=_ROLE_P)
    no_role = rng.random(n) < 0.02
    # float32 and in-place steps keep national-scale data small in memory.
    f32 = np.float32
    values = world.levels[:, wi][:, theme_idx].astype(f32)[municipality_index]
    person = np.where(no_role, 0.0, _ROLE_OFFSET[role]) + 0.3 * rng.standard_normal(n)
    values += person.astype(f32)[:, None]
    values += (0.3 * rng.standard_normal((n, 6), dtype=f32))[:, theme_idx]
    values += np.array([world.item_offset[i] for i in items], dtype=f32)[None, :]
    noise = rng.standard_normal((n, k), dtype=f32)
    noise *= f32(0.7)
    values += noise
    del noise
    np.rint(values, out=values)
    np.clip(values, 1, 5, out=values)
    values[:, reverse] = 6 - values[:, reverse]
    u = rng.random((n, k), dtype=f32)
    state = np.zeros((n, k), dtype=np.int8)
    state[u < rates.blank_cell + rates.dont_know_cell] = 2
    state[u < rates.blank_cell] = 1
    del u

    start = np.datetime64(f"{wave}-03-01T07:00:00", "s") + rng.integers(0, 40 * 86400, n).astype(
        "timedelta64[s]"
    )
    duration = np.clip(rng.lognormal(np.log(900), 0.6, n), 120, 4 * 3600).astype(np.int64)
    close = start + duration.astype("timedelta64[s]")

    first = rng.integers(0, len(_FIRST_NAMES), n)
    last = rng.integers(0, len(_LAST_NAMES), n)
    name = _cat(_FIRST_NAMES[first], " ", _LAST_NAMES[last])
    domains = np.array(
        [_fold(s).lower().replace(" ", "") + ".dk" for s in world.short], dtype=object
    )
    email = _cat(_EMAIL_FIRST[first], ".", _EMAIL_LAST[last], "@", domains[municipality_index])
    comments = _comments(rng, n, name, email, rates.comment)
    status = np.where((state == 0).all(axis=1), 4, 3).astype(np.int8)
    return _Block(
        wave=wave,
        items=items,
        cols={
            "responde": np.zeros(n, dtype=np.int64),
            "m": municipality_index.astype(np.int64),
            "kommune_text": np.full(n, None, dtype=object),
            "rolle": np.where(no_role, None, np.array(ROLES, dtype=object)[role]),
            "email": email,
            "name": name,
            "starttim": start,
            "closetim": close,
            "status": status,
            "kommenta": comments,
            "moenster": np.full(n, "regulær", dtype=object),
            "small": small.astype(bool),
        },
        values=values,
        state=state,
    )


def _cat(*parts: object) -> np.ndarray:
    """Element-wise string concatenation of object arrays and scalars."""
    result = None
    for part in parts:
        piece = pd.Series(part, dtype=object) if isinstance(part, np.ndarray) else part
        result = piece if result is None else result + piece
    return np.asarray(result, dtype=object)


def _fold(text: str) -> str:
    return text.translate(_ASCII)


def _comments(
    rng: np.random.Generator, n: int, name: np.ndarray, email: np.ndarray, rate: float
) -> np.ndarray:
    """Free text: mostly empty, some ordinary, some with personal data, some formula-like."""
    out = np.full(n, "", dtype=object)
    has = rng.random(n) < rate
    kind = rng.random(n)
    plain = has & (kind < 0.6)
    personal = has & (kind >= 0.6) & (kind < 0.8)
    formula = has & (kind >= 0.8)
    out[plain] = _COMMENTS[rng.integers(0, len(_COMMENTS), plain.sum())]
    out[personal] = _cat("Ring til ", name[personal], " på ", email[personal])
    out[formula] = np.array(FORMULA_LIKE, dtype=object)[
        rng.integers(0, len(FORMULA_LIKE), formula.sum())
    ]
    return out


def _ranks(rng: np.random.Generator, rows: int, k: int) -> np.ndarray:
    """Random permutation ranks 0..k-1 per row."""
    return rng.random((rows, k)).argsort(axis=1).argsort(axis=1)


_PATTERN_FIELDS = (
    ("tom", "blank"),
    ("kun ved ikke", "only_dont_know"),
    ("afbrudt", "broke_off"),
    ("kant under", "edge_below"),
    ("kant på", "edge_at"),
    ("ukendt kommune", "unknown_municipality"),
)


def _plant_patterns(
    rng: np.random.Generator,
    block: _Block,
    rates: FateRates,
    unknown_names: Sequence[str | None] = UNKNOWN_MUNICIPALITY_LABELS,
) -> None:
    """Give some rows a planted fate pattern (in place)."""
    n, k = block.state.shape
    h = math.ceil(k / 2)
    eligible = rng.permutation(np.flatnonzero(~block.cols["small"]))
    minimum = rates.minimum if len(eligible) >= 30 else 0
    pos = 0
    for pattern, attr in _PATTERN_FIELDS:
        count = max(minimum, round(getattr(rates, attr) * n))
        rows = eligible[pos : pos + count]
        pos += len(rows)
        c = len(rows)
        if c == 0:
            continue
        block.cols["moenster"][rows] = pattern
        if pattern == "ukendt kommune":
            # None (a blank name) is kept as "" here, so that it is not filled in later.
            names = np.array(["" if x is None else x for x in unknown_names], dtype=object)
            block.cols["kommune_text"][rows] = np.resize(names, c)  # each name in turn
            continue
        ranks = _ranks(rng, c, k)
        if pattern == "tom":
            state = np.ones((c, k), dtype=np.int8)
            status = rng.choice(np.array([1, 2], dtype=np.int8), size=c, p=[0.3, 0.7])
            never = rng.random(c) < 0.7
            block.cols["starttim"][rows[never]] = np.datetime64("NaT")
            block.cols["closetim"][rows[never]] = np.datetime64("NaT")
            block.cols["rolle"][rows] = None
            block.cols["kommenta"][rows] = ""
        elif pattern == "kun ved ikke":
            m = rng.integers(1, k + 1, c)
            state = np.where(ranks < m[:, None], 2, 1)
            status = np.full(c, 3)
        elif pattern == "afbrudt":
            kk = rng.integers(1, max(h - 1, 2), c)
            state = np.where(np.arange(k)[None, :] < kk[:, None], 0, 1)
            status = np.full(c, 3)
        else:
            answered = h - 1 if pattern == "kant under" else h
            extra = rng.integers(1 if pattern == "kant under" else 0, 4, c)
            state = np.where(ranks < answered, 0, np.where(ranks < answered + extra[:, None], 2, 1))
            status = np.full(c, 3)
        block.state[rows] = state.astype(np.int8)
        block.cols["status"][rows] = np.asarray(status, dtype=np.int8)


_DUPLICATE_KINDS = (
    ("senere kopi", 0.38),
    ("tidligere kopi", 0.2),
    ("samme closetim", 0.1),
    ("tom kopi", 0.1),
    ("afbrudt kopi", 0.1),
    ("tredobbelt", 0.06),
    ("ukendt kommune", 0.06),
)


def _duplicate_counts(n_copies: int, minimum: int) -> dict[str, int]:
    """Origins per duplicate kind so that the copies add up to about ``n_copies``."""
    counts = {kind: max(minimum, round(share * n_copies)) for kind, share in _DUPLICATE_KINDS}
    return counts


def _n_copies(counts: Mapping[str, int]) -> int:
    return sum(counts.values()) + counts.get("tredobbelt", 0)


def _plant_duplicates(
    rng: np.random.Generator, block: _Block, counts: Mapping[str, int]
) -> _Block | None:
    """Copies of some respondents (same ``responde``), to append to this or another export."""
    n, k = block.state.shape
    h = math.ceil(k / 2)
    regular = np.flatnonzero((block.cols["moenster"] == "regulær") & ~block.cols["small"])
    unknown = np.flatnonzero(block.cols["moenster"] == "ukendt kommune")
    regular = rng.permutation(regular)
    unknown = rng.permutation(unknown)
    copies: list[_Block] = []
    pos = 0
    for kind, _share in _DUPLICATE_KINDS:
        want = counts.get(kind, 0)
        if kind == "ukendt kommune":
            origin = unknown[:want]
        else:
            origin = regular[pos : pos + want]
            pos += len(origin)
        c = len(origin)
        if c == 0:
            continue
        block.cols["moenster"][origin] = f"original ({kind})"
        shift = rng.integers(3600, 10 * 86400, c).astype("timedelta64[s]")
        if kind == "tredobbelt":
            later = _shifted(block.take(origin), shift, "tredobbelt: senere kopi")
            earlier = _shifted(block.take(origin), -shift // 2, "tredobbelt: tidligere kopi")
            _redraw(rng, later)
            _redraw(rng, earlier)
            copies += [later, earlier]
            continue
        if kind == "tidligere kopi":
            copy = _shifted(block.take(origin), -shift, f"dublet: {kind}")
        elif kind == "samme closetim":
            copy = _shifted(block.take(origin), shift * 0, f"dublet: {kind}")
        else:
            copy = _shifted(block.take(origin), shift, f"dublet: {kind}")
        if kind == "tom kopi":
            copy.state[:] = 1
            copy.cols["status"][:] = 2
            copy.cols["kommenta"][:] = ""
        elif kind == "afbrudt kopi":
            kk = rng.integers(1, max(h - 1, 2), c)
            copy.state[:] = np.where(np.arange(k)[None, :] < kk[:, None], 0, 1)
            copy.cols["status"][:] = 3
        elif kind != "samme closetim":
            _redraw(rng, copy)
        copies.append(copy)
    if not copies:
        return None
    merged = _Block.concat(copies)
    return merged.take(rng.permutation(len(merged)))


def _shifted(block: _Block, shift: np.ndarray, pattern: str) -> _Block:
    block.cols["starttim"] = block.cols["starttim"] + shift
    block.cols["closetim"] = block.cols["closetim"] + shift
    block.cols["moenster"][:] = pattern
    return block


def _redraw(rng: np.random.Generator, block: _Block) -> None:
    """A second submission: some answers moved one step."""
    change = (rng.random(block.values.shape) < 0.15) & (block.state == 0)
    step = rng.choice(np.array([-1.0, 1.0]), size=block.values.shape)
    block.values[:] = np.where(change, np.clip(block.values + step, 1, 5), block.values)


def _plant_bad_cells(rng: np.random.Generator, block: _Block, rate: float, minimum: int) -> None:
    """Turn a few answered cells of ordinary rows into bad cells (state 3)."""
    regular = (block.cols["moenster"] == "regulær") & ~block.cols["small"]
    candidates = np.flatnonzero(((block.state == 0) & regular[:, None]).ravel())
    if len(candidates) == 0:
        return
    count = min(len(candidates), max(minimum, round(rate * len(candidates))))
    chosen = rng.choice(candidates, size=count, replace=False)
    block.state.ravel()[chosen] = 3


def _end_with_complete_row(block: _Block) -> _Block:
    """Move the last fully answered ordinary row to the end.

    Spreadsheet readers drop trailing rows without any cell, so a split Dataset sheet whose
    last respondent answered nothing would read back shorter than its sibling sheets. Ending
    every export with a complete row keeps the parts equally long (blank rows inside are kept).
    """
    complete = np.flatnonzero(
        (block.state == 0).all(axis=1) & (block.cols["moenster"] == "regulær")
    )
    if len(complete) == 0 or complete[-1] == len(block) - 1:
        return block
    order = np.append(np.delete(np.arange(len(block)), complete[-1]), complete[-1])
    return block.take(order)


def _assign_ids(rng: np.random.Generator, blocks: Sequence[_Block], wave: int, base: int) -> None:
    """Ascending respondent ids (10 digits), unique over the wave's exports."""
    total = sum(len(b) for b in blocks)
    ids = base + (wave - 2000) * 50_000_000 + np.cumsum(rng.integers(1, 100, total))
    pos = 0
    for block in blocks:
        block.cols["responde"][:] = ids[pos : pos + len(block)]
        pos += len(block)


# --------------------------------------------------------------------------- encoding


def _item_variables(items: Sequence[str], style_names: str) -> list[str]:
    if style_names == "code":
        return [item.lower() for item in items]
    book = reference.codebook().set_index("item")
    position: dict[str, int] = {}
    names = []
    for item in items:
        theme = book.at[item, "tema"]
        position[theme] = position.get(theme, 0) + 1
        names.append(f"q_{THEMES.index(theme) + 1}_{position[theme]}")
    return names


def _item_text(item: str, wave: int, old_wording: bool | None) -> str:
    row = reference.codebook().set_index("item").loc[item]
    old = wave < 2024 if old_wording is None else old_wording
    if old and row["tidligere_tekst"] is not None:
        return str(row["tidligere_tekst"])
    return str(row["tekst"])


def _stray_spaces(rng: np.random.Generator, text: str) -> str:
    """The same text with stray spaces (double, leading or trailing)."""
    choice = rng.integers(0, 5)
    if choice == 0:
        return text + " "
    if choice == 1:
        return " " + text
    if choice == 2:
        words = text.split(" ")
        at = int(rng.integers(1, len(words))) if len(words) > 1 else 0
        return " ".join(words[:at]) + "  " + " ".join(words[at:])
    if choice == 3:
        return text.replace(" ", "  ", 1) + " "
    return text


def _name_form(code: int, short: str, official: str, form: str) -> str:
    if form == "official":
        return official
    if form == "short":
        return short
    if form == "upper":
        return official.upper()
    if form == "lower":
        return short.lower()
    if form == "spaces":
        return "  " + official.replace(" ", "  ") + " "
    if form == "nohyphen":
        return short.replace("-", " ")
    if form == "translit":
        return _fold(short)
    return _OLD_NAMES.get(code, official)


def _kommune_labels(rng: np.random.Generator, world: _World, style: ExportStyle) -> pd.DataFrame:
    """The export's kommune labels: ``code, label, kommunekode`` (NA for the unknown ones)."""
    forms = rng.choice(len(_NAME_FORMS), size=len(world.codes), p=_NAME_FORM_P)
    labels = []
    for i, code in enumerate(world.codes):
        code = int(code)
        label = style.kommune_names.get(code) or _name_form(
            code, world.short[i], world.official[i], _NAME_FORMS[forms[i]]
        )
        if reference.resolve_municipality(label) != code:
            if code in style.kommune_names:
                raise ValueError(f"{label!r} does not resolve to municipality {code}")
            label = world.official[i]
        labels.append(label)
    for label in UNKNOWN_MUNICIPALITY_LABELS:
        assert reference.resolve_municipality(label) is None, label
    labels += list(UNKNOWN_MUNICIPALITY_LABELS)
    kommunekode = list(world.codes) + [None] * len(UNKNOWN_MUNICIPALITY_LABELS)
    codes = np.arange(1, len(labels) + 1)
    if style.shuffle_codes:
        codes = rng.permutation(codes)
    return pd.DataFrame(
        {"code": codes, "label": labels, "kommunekode": pd.array(kommunekode, dtype="Int64")}
    )


def _times(values: np.ndarray, how: str) -> object:
    if how == "text":
        text = np.datetime_as_string(values, unit="s").astype(object)
        text = pd.Series(text, dtype=object).str.replace("T", " ", regex=False)
        return text.where(~np.isnat(values), None).to_numpy(dtype=object)
    if how == "serial":
        return (values - _EXCEL_EPOCH) / np.timedelta64(1, "D")
    return values


def _int_column(values: np.ndarray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _truth_frame(block: _Block, kommune_text: np.ndarray, kommunekode: object) -> pd.DataFrame:
    """Truth rows of a block (without kilde and aarsag)."""
    n = len(block)
    all_items = reference.all_items()
    matrix = np.full((n, len(all_items)), np.nan)
    positions = [all_items.index(item) for item in block.items]
    matrix[:, positions] = np.where(block.state == 0, block.values, np.nan)
    responde = block.cols["responde"]
    frame = pd.DataFrame(
        {
            "kilde_raekke": np.arange(2, n + 2, dtype=np.int64),
            "boelge": np.full(n, block.wave, dtype=np.int64),
            "kommunekode": pd.array(kommunekode, dtype="Int64"),
            "rolle": pd.Series(block.cols["rolle"], dtype=object),
            "responde": pd.Series(
                np.where(responde > 0, responde.astype(str).astype(object), None), dtype=object
            ),
            "closetim": block.cols["closetim"],
            "kommune_tekst": pd.Series(kommune_text, dtype=object),
            "moenster": pd.Series(block.cols["moenster"], dtype=object),
            "antal_svar": (block.state == 0).sum(axis=1).astype(np.int64),
            "antal_ved_ikke": (block.state == 2).sum(axis=1).astype(np.int64),
        }
    )
    items = pd.DataFrame(matrix, columns=all_items)
    return pd.concat([frame, items], axis=1)


def _encode_surveyxact(
    rng: np.random.Generator,
    world: _World,
    block: _Block,
    style: ExportStyle,
    with_truth: bool = True,
) -> SurveyXactExport:
    wave, items = block.wave, block.items
    variables = _item_variables(items, style.item_names)
    value_codes, dont_know_code = SCALE_SCHEMES[style.scale]
    n = len(block)

    kommune = _kommune_labels(rng, world, style)
    code_of_municipality = kommune["code"].to_numpy()[: len(world.codes)]
    kommune_code = code_of_municipality[block.cols["m"]]
    override = block.cols["kommune_text"]
    for label in sorted(set(override[pd.notna(override)].tolist())):
        row = kommune.index[kommune["label"] == label]
        if len(row) != 1:
            raise ValueError(f"unknown label {label!r} is not in the export's Labels")
        kommune_code = np.where(override == label, kommune.at[row[0], "code"], kommune_code)
    label_of_code = dict(zip(kommune["code"], kommune["label"], strict=True))
    resolved_of_code = dict(zip(kommune["code"], kommune["kommunekode"], strict=True))
    kommune_text = pd.Series(kommune_code).map(label_of_code).to_numpy(dtype=object)
    kommunekode = pd.Series(kommune_code).map(resolved_of_code).astype("Int64")
    true_code = world.codes[block.cols["m"]]
    known = kommunekode.notna().to_numpy()
    if not (kommunekode.to_numpy(dtype=np.int64, na_value=0)[known] == true_code[known]).all():
        raise AssertionError("a kommune label resolves to the wrong municipality")

    role_codes = np.arange(1, len(ROLES) + 1)
    if style.shuffle_codes:
        role_codes = rng.permutation(role_codes)
    role_code_of = dict(zip(ROLES, role_codes, strict=True))
    rolle = pd.Series(block.cols["rolle"], dtype=object).map(role_code_of).to_numpy(dtype=float)

    codes = np.array([np.nan, *value_codes], dtype=np.float32)[block.values.astype(np.int8)]
    codes[block.state == 1] = np.nan
    codes[block.state == 2] = dont_know_code
    if (block.state == 3).any():
        if style.unlabeled_code is None:
            raise ValueError("bad cells need ExportStyle.unlabeled_code")
        codes[block.state == 3] = style.unlabeled_code

    status = block.cols["status"]
    start, close = block.cols["starttim"], block.cols["closetim"]
    difftime = np.round((close - start) / np.timedelta64(1, "s") + 0.123, 3)
    responde = block.cols["responde"]
    dataset: dict[str, object] = {
        "responde": responde.astype(str).astype(object) if style.responde == "text" else responde,
        "email": block.cols["email"],
        "name": block.cols["name"],
        "starttim": _times(start, style.closetim),
        "closetim": _times(close, style.closetim),
        "difftime": difftime,
    }
    for j in range(1, 6):
        dataset[f"stato_{j}"] = (status == j).astype(np.int64)
    dataset["kommune"] = kommune_code.astype(np.int64)
    dataset["rolle"] = _int_column(rolle)
    for j, name in enumerate(variables):
        dataset[name] = _int_column(codes[:, j])
    comment = block.cols["kommenta"]
    dataset["kommenta"] = pd.Series(np.where(comment == "", None, comment), dtype=object)
    dataset_frame = pd.DataFrame(dataset)

    labels = _labels_table(rng, kommune, role_code_of, variables, style)
    structure = _structure_table(rng, items, variables, wave, style)

    rows = _truth_frame(block, kommune_text, kommunekode) if with_truth else pd.DataFrame()
    bad_r, bad_c = np.nonzero(block.state == 3)
    problems = pd.DataFrame(
        {
            "kilde_raekke": (bad_r + 2).astype(np.int64),
            "variabel": np.array(variables, dtype=object)[bad_c],
            "item": np.array(items, dtype=object)[bad_c],
            "vaerdi": np.full(len(bad_r), str(style.unlabeled_code), dtype=object),
        }
    )
    assert len(dataset_frame) == n
    return SurveyXactExport(
        wave=wave,
        style=style,
        tables={"Dataset": dataset_frame, "Labels": labels, "Structure": structure},
        rows=rows,
        cell_problems=problems,
    )


def _labels_table(
    rng: np.random.Generator,
    kommune: pd.DataFrame,
    role_code_of: Mapping[str, int],
    variables: Sequence[str],
    style: ExportStyle,
) -> pd.DataFrame:
    value_codes, dont_know_code = SCALE_SCHEMES[style.scale]
    blocks: list[list[tuple[str, int, str]]] = []
    for j in range(1, 6):
        blocks.append([(f"stato_{j}", 0, "Ikke valgt"), (f"stato_{j}", 1, "Valgt")])
    kommune_sorted = kommune.sort_values("code")
    blocks.append(
        [
            ("kommune", int(c), str(lab))
            for c, lab in zip(kommune_sorted["code"], kommune_sorted["label"], strict=True)
        ]
    )
    blocks.append(
        sorted([("rolle", int(c), role) for role, c in role_code_of.items()], key=lambda r: r[1])
    )
    for name in variables:
        rows = [(name, value_codes[v], LIKERT[v]) for v in range(5)]
        rows.append((name, dont_know_code, style.dont_know_label))
        rows.sort(key=lambda r: r[1])
        spaced = rng.random(len(rows)) < 0.25
        blocks.append(
            [(v, c, lab + " " if s else lab) for (v, c, lab), s in zip(rows, spaced, strict=True)]
        )
    if style.labels_order == "within":
        blocks = [[b[i] for i in rng.permutation(len(b))] for b in blocks]
    flat = [row for b in blocks for row in b]
    if style.labels_order == "shuffled":
        flat = [flat[i] for i in rng.permutation(len(flat))]
    return pd.DataFrame(flat, columns=["variable", "value", "label"])


def _structure_table(
    rng: np.random.Generator,
    items: Sequence[str],
    variables: Sequence[str],
    wave: int,
    style: ExportStyle,
) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = []
    for j, status in enumerate(STATUS, start=1):
        rows.append(("statoverall", f"stato_{j}", "Closed", "Multiple", "Samlet status", j, status))
    rows.append(
        ("kommune", "kommune", "Closed", "Single", "Hvilken kommune besvarer du for?", None, None)
    )
    rows.append(("rolle", "rolle", "Closed", "Single", "Hvad er din rolle?", None, None))
    book = reference.codebook().set_index("item")
    nbsp_at = int(rng.integers(0, len(items))) if style.nbsp else -1
    for j, (item, name) in enumerate(zip(items, variables, strict=True)):
        theme = book.at[item, "tema"]
        text = _item_text(item, wave, style.old_wording)
        if j == nbsp_at:
            text = text.replace(" ", "\u00a0", 1)
        question = _stray_spaces(rng, f"{THEME_QUESTIONS[theme]} - {text}")
        question_name = name if style.item_names == "code" else name.rsplit("_", 1)[0]
        rows.append((question_name, name, "Closed", "Single", question, None, None))
    rows.append(
        (
            "kommenta",
            "kommenta",
            "Open",
            "String",
            "Har du kommentarer til besvarelsen?",
            None,
            None,
        )
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "questionName",
            "variableName",
            "questionType",
            "subType",
            "questionText",
            "choiceValue",
            "choiceText",
        ],
    )
    frame["choiceValue"] = frame["choiceValue"].astype("Int64")
    return frame


def _typed_names(code: int, short: str, official: str) -> list[str]:
    """How someone might type a municipality's name in an own sheet (all resolve to ``code``)."""
    candidates = [
        short,
        official,
        short.lower(),
        f" {short} ",
        official.upper(),
        _fold(short),
        f"{short}  kommune",
    ]
    return [c for c in candidates if reference.resolve_municipality(c) == code]


def _label_variants(rng: np.random.Generator, texts: np.ndarray) -> np.ndarray:
    """Label texts as typed: case changes and stray spaces (vectorised)."""
    s = pd.Series(texts, dtype=object)
    u = rng.random(len(s))
    s = s.where(~(u < 0.08), s.str.lower())
    s = s.where(~((u >= 0.08) & (u < 0.11)), s.str.upper())
    s = s.where(~((u >= 0.11) & (u < 0.19)), s + " ")
    s = s.where(~((u >= 0.19) & (u < 0.23)), " " + s)
    s = s.where(~((u >= 0.23) & (u < 0.27)), s.str.replace(" ", "  ", n=1, regex=False))
    return s.to_numpy(dtype=object)


def _encode_own_sheet(
    rng: np.random.Generator,
    world: _World,
    block: _Block,
    header: Literal["code", "text"],
    date_style: Literal["iso", "dk", "date"],
    old_wording: bool | None = None,
) -> OwnSheet:
    items = block.items
    n, k = block.state.shape
    m = block.cols["m"]
    typed = block.cols["kommune_text"].copy()
    need = pd.isna(typed)
    for mi in np.unique(m[need]):
        variants = np.array(
            _typed_names(int(world.codes[mi]), world.short[mi], world.official[mi]), dtype=object
        )
        rows = np.flatnonzero(need & (m == mi))
        typed[rows] = variants[rng.integers(0, len(variants), len(rows))]
    typed = np.where(typed == "", None, typed)
    kommunekode = reference.resolve_municipalities(pd.Series(typed, dtype=object))
    known = kommunekode.notna().to_numpy()
    if not (kommunekode.to_numpy(dtype=np.int64, na_value=0)[known] == world.codes[m][known]).all():
        raise AssertionError("a typed name resolves to the wrong municipality")

    cells = np.full((n, k), None, dtype=object)
    answered = block.state == 0
    cells[answered] = _label_variants(
        rng, np.array(LIKERT, dtype=object)[block.values[answered].astype(int) - 1]
    )
    dont_know = block.state == 2
    cells[dont_know] = np.array(_DONT_KNOW_TEXTS, dtype=object)[
        rng.integers(0, len(_DONT_KNOW_TEXTS), dont_know.sum())
    ]
    bad = block.state == 3
    cells[bad] = np.array(UNKNOWN_CELL_TEXTS, dtype=object)[
        rng.integers(0, len(UNKNOWN_CELL_TEXTS), bad.sum())
    ]

    if header == "code":
        headers = list(items)
    else:
        headers = [_stray_spaces(rng, _item_text(item, block.wave, old_wording)) for item in items]
    start = block.cols["starttim"]
    date = np.where(np.isnat(start), np.datetime64(f"{block.wave}-03-15T00:00:00", "s"), start)
    date = date.astype("datetime64[D]")
    if date_style == "date":
        dates: object = date.astype("datetime64[s]")
    else:
        iso = np.datetime_as_string(date, unit="D").astype(object)
        if date_style == "iso":
            dates = iso
        else:
            parts = pd.Series(iso, dtype=object).str.split("-", expand=True)
            dates = (parts[2] + "-" + parts[1] + "-" + parts[0]).to_numpy(dtype=object)
    table = pd.DataFrame({"Kommune": typed, "Rolle": block.cols["rolle"], "Dato": dates})
    table = pd.concat([table, pd.DataFrame(cells, columns=headers)], axis=1)

    block.cols["responde"][:] = 0
    block.cols["closetim"][:] = np.datetime64("NaT")
    rows = _truth_frame(block, typed, kommunekode)
    bad_r, bad_c = np.nonzero(bad)
    problems = pd.DataFrame(
        {
            "kilde_raekke": (bad_r + 2).astype(np.int64),
            "variabel": np.array(items, dtype=object)[bad_c],  # the header may be a long text
            "item": np.array(items, dtype=object)[bad_c],
            "vaerdi": cells[bad_r, bad_c],
        }
    )
    return OwnSheet(wave=block.wave, header=header, table=table, rows=rows, cell_problems=problems)


# --------------------------------------------------------------------------- public helpers


def _respondents_of(
    rng: np.random.Generator,
    world: _World,
    codes: Sequence[int] | None,
    respondents_per_municipality: tuple[int, int],
    n_respondents: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality index per respondent and the 'small' flag."""
    index = np.arange(len(world.codes))
    if codes is not None:
        index = np.searchsorted(world.codes, np.asarray(codes))
        if not (world.codes[index] == np.asarray(codes)).all():
            raise ValueError("unknown municipality code")
    if n_respondents is not None:
        weight = np.sqrt(world.population[index])
        counts = rng.multinomial(n_respondents, weight / weight.sum())
    else:
        lo, hi = respondents_per_municipality
        counts = rng.integers(lo, hi + 1, len(index))
    per = np.repeat(index, counts)
    return per, np.repeat(counts <= 2, counts)


def surveyxact_export(
    wave: int = 2024,
    *,
    style: ExportStyle | None = None,
    seed: int = 0,
    municipalities: Sequence[int] | None = None,
    respondents_per_municipality: tuple[int, int] = (8, 40),
    n_respondents: int | None = None,
    rates: FateRates | None = None,
    duplicates: bool = True,
) -> SurveyXactExport:
    """One SurveyXact export (tables + truth) in a chosen variation, nothing written.

    Parameters
    ----------
    wave:
        The wave; its items are ``reference.items_of_wave(wave)``.
    style:
        How the export looks (:class:`ExportStyle`); default: item codes, 1 = Helt uenig.
    municipalities:
        Municipality codes taking part (default: all 98).
    respondents_per_municipality, n_respondents:
        Respondents per municipality drawn uniformly from the range, or ``n_respondents`` in all
        (spread by the square root of population; duplicates come on top).
    rates:
        Planted patterns (:class:`FateRates`); ``FateRates(minimum=0, ...)`` with zero rates
        gives clean data.
    duplicates:
        Plant duplicate copies (appended at the end, as a merged export would hold them).

    Write it with :func:`write_surveyxact_xlsx` / :func:`write_surveyxact_csv` and get the truth
    with ``truth_for({kilde: export})``.
    """
    style = style or ExportStyle()
    rates = rates or FateRates()
    world = _make_world(seed, [wave])
    rng = np.random.default_rng([seed, 4, wave])
    per, small = _respondents_of(
        rng, world, municipalities, respondents_per_municipality, n_respondents
    )
    block = _simulate(rng, world, wave, per, small, rates)
    block = block.take(rng.permutation(len(block)))
    _assign_ids(rng, [block], wave, 7_000_000_000)
    _plant_patterns(rng, block, rates)
    if duplicates:
        counts = _duplicate_counts(round(rates.duplicates * len(block)), rates.minimum)
        copies = _plant_duplicates(rng, block, counts)
        if copies is not None:
            block = _Block.concat([block, copies])
    if style.unlabeled_code is not None:
        _plant_bad_cells(rng, block, rates.bad_cell, rates.minimum)
    return _encode_surveyxact(rng, world, _end_with_complete_row(block), style)


def own_sheet(
    wave: int = 2024,
    kommunekode: int = 306,
    *,
    n_respondents: int = 15,
    header: Literal["code", "text"] = "code",
    seed: int = 0,
    old_wording: bool | None = None,
    date_style: Literal["iso", "dk", "date"] = "iso",
    rates: FateRates | None = None,
    unknown_names: Sequence[str | None] = ("Vestegnen Kommune", "Frederiks", None),
) -> OwnSheet:
    """A municipality's own spreadsheet (shape C) with planted patterns and bad cells.

    ``header="code"`` heads the item columns by item code, ``"text"`` by the item's full text
    (with stray spaces; the old wording when ``old_wording`` or, if None, when ``wave < 2024``).
    Cells hold label texts in varied case and spacing, the Ved ikke variants, blanks and a few
    unknown texts (``Måske``: cell problems). ``unknown_names`` are the names typed in rows
    planted as ``ukendt kommune`` (None = Kommune left blank). Write it with
    :func:`write_own_sheet`.
    """
    rates = rates or FateRates()
    world = _make_world(seed, [wave])
    rng = np.random.default_rng([seed, 5, wave, kommunekode])
    per, _ = _respondents_of(rng, world, [kommunekode], (n_respondents, n_respondents), None)
    block = _simulate(rng, world, wave, per, np.zeros(len(per), dtype=bool), rates)
    _plant_patterns(
        rng, block, _own_sheet_rates(rates, len(block), len(unknown_names)), unknown_names
    )
    _plant_bad_cells(rng, block, rates.bad_cell, max(rates.minimum, 1))
    return _encode_own_sheet(rng, world, block, header, date_style, old_wording)


def _own_sheet_rates(rates: FateRates, n: int, n_unknown: int) -> FateRates:
    """Small sheets: one row per pattern (one per unknown name) when the sheet has 10+ rows."""
    if n < 10:
        return dataclasses.replace(rates, minimum=0)
    share = {attr: 1.0 / n for _pattern, attr in _PATTERN_FIELDS}
    share["unknown_municipality"] = n_unknown / n
    return dataclasses.replace(rates, minimum=1, **share)


def assign_fates(rows: pd.DataFrame) -> pd.Series:
    """Each raw row's fate by the contract's rules: None (counted) or the reason.

    Needs ``kilde, kilde_raekke, boelge, responde, closetim, antal_svar, kommunekode``.
    Precedence: ``ikke besvaret`` (no answer 1-5), ``for ufuldstændig`` (fewer than
    ceil(n/2) answers 1-5 of the wave's n items), ``dublet`` (among rows that passed the first
    two, per wave and responde: the latest closetim counts; a missing closetim is the earliest;
    ties: the first in reading order, files sorted by name, rows top-down), ``ukendt kommune``.
    """
    n_items = {w: len(reference.items_of_wave(w)) for w in rows["boelge"].unique()}
    need = np.ceil(rows["boelge"].map(n_items).to_numpy() / 2)
    answered = rows["antal_svar"].to_numpy()
    blank = answered == 0
    incomplete = ~blank & (answered < need)
    passing = ~blank & ~incomplete
    candidates = rows.loc[passing & rows["responde"].notna().to_numpy()]
    ordered = candidates.sort_values(
        ["boelge", "responde", "closetim", "kilde", "kilde_raekke"],
        ascending=[True, True, False, True, True],
        na_position="last",
        kind="stable",
    )
    duplicate = rows.index.isin(
        ordered.index[ordered.duplicated(["boelge", "responde"], keep="first")]
    )
    unknown = passing & ~duplicate & rows["kommunekode"].isna().to_numpy()
    reason = np.select(
        [blank, incomplete, duplicate, unknown],
        ["ikke besvaret", "for ufuldstændig", "dublet", "ukendt kommune"],
        default="",
    ).astype(object)
    reason[reason == ""] = None
    return pd.Series(reason, index=rows.index, name="aarsag", dtype=object)


def truth_for(sources: Mapping[str, SurveyXactExport | OwnSheet]) -> SynthTruth:
    """The truth about raw files: ``{kilde: export or own sheet}`` → rows with fates.

    ``kilde`` is the file name as written (a CSV export's folder name). Fates are assigned over
    all sources together, so duplicates across files of a wave are found.
    """
    frames, problems = [], []
    for kilde, source in sources.items():
        frames.append(source.rows.assign(kilde=kilde))
        problems.append(source.cell_problems.assign(kilde=kilde))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.sort_values(["kilde", "kilde_raekke"], kind="stable", ignore_index=True)
    rows["aarsag"] = assign_fates(rows)
    first = ["kilde", "kilde_raekke", "boelge", "aarsag"]
    rows = rows[first + [c for c in rows.columns if c not in first]]
    cells = pd.concat(problems, ignore_index=True)
    cells = cells[["kilde", "kilde_raekke", "variabel", "item", "vaerdi"]]
    cells = cells.sort_values(["kilde", "kilde_raekke", "variabel"], ignore_index=True)
    return SynthTruth(rows=rows, cell_problems=cells)


#: File names of :func:`write_truth`: attribute of :class:`SynthTruth` -> file.
TRUTH_FILES: dict[str, str] = {
    "rows": "raekker.csv",
    "cell_problems": "celleproblemer.csv",
    "municipality_types": "kommunetyper.csv",
    "type_profiles": "typeprofiler.csv",
    "levels": "sande_niveauer.csv",
    "effects": "effekter.csv",
    "outcomes": "udfald.csv",
    "missing_outcomes": "manglende_udfald.csv",
}


def write_truth(truth: SynthTruth, folder: str | Path) -> Path:
    """Write the truth (the 'facit') as UTF-8 CSV files, one per table (see :data:`TRUTH_FILES`),
    plus ``filer.txt`` with the raw files written. Empty tables are skipped."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for attribute, name in TRUTH_FILES.items():
        table = getattr(truth, attribute)
        if len(table.columns):
            table.to_csv(folder / name, index=False, encoding="utf-8", lineterminator="\n")
    (folder / "filer.txt").write_text(
        "".join(f"{name}\n" for name in truth.files), encoding="utf-8"
    )
    return folder


# --------------------------------------------------------------------------- writers


def _workbook(path: Path) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
        },
    )
    book.set_properties({"created": _CREATED, "author": "omstilling_analysis.synth"})
    return book


def _cells(series: pd.Series) -> list[object]:
    """A column as Python cell values (None for missing) for xlsxwriter."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.to_numpy().astype("datetime64[us]").astype(object).tolist()
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float)
        cells = values.astype(object)
        cells[np.isnan(values)] = None
        return cells.tolist()
    cells = series.to_numpy(dtype=object)
    missing = pd.isna(cells) | (cells == "")
    cells = cells.copy()
    cells[missing] = None
    return cells.tolist()


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, header: bool = True
) -> None:
    sheet = book.add_worksheet(name)
    row = 0
    if header:
        sheet.write_row(0, 0, [str(c) for c in frame.columns])
        row = 1
    columns = [_cells(frame[c]) for c in frame.columns]
    for values in zip(*columns, strict=True):
        sheet.write_row(row, 0, values)
        row += 1


def _split(columns: Sequence[str], split_columns: int | Sequence[int] | None) -> list[list[str]]:
    columns = list(columns)
    if split_columns is None or split_columns == 1:
        return [columns]
    if isinstance(split_columns, int):
        bounds = np.linspace(0, len(columns), split_columns + 1).round().astype(int)
        sizes = np.diff(bounds).tolist()
    else:
        sizes = list(split_columns)
        if sum(sizes) != len(columns):
            raise ValueError("split_columns must add up to the number of Dataset columns")
    parts, pos = [], 0
    for size in sizes:
        parts.append(columns[pos : pos + size])
        pos += size
    return parts


def write_surveyxact_xlsx(
    tables: Mapping[str, pd.DataFrame] | SurveyXactExport,
    path: str | Path,
    split_columns: int | Sequence[int] | None = None,
    sheet_order: Sequence[str] = ("Labels", "Dataset", "Structure"),
) -> Path:
    """Write a SurveyXact export as ``.xlsx`` (shape A).

    ``split_columns``: None for one ``Dataset`` sheet; an int k splits the columns into k
    ``Dataset(1)``, ``Dataset(2)``, ... sheets of about equal width; a list gives the widths.
    Every split sheet has its own header row and the same rows. Strings are written as text,
    never as formulas or links; datetime columns as date cells. Note that readers drop trailing
    rows without any cell: the generators end every export with a fully answered row.
    """
    if isinstance(tables, SurveyXactExport):
        tables = tables.tables
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = _workbook(path)
    dataset = tables["Dataset"]
    parts = _split(dataset.columns, split_columns)
    for name in sheet_order:
        if name == "Dataset":
            if len(parts) == 1:
                _write_sheet(book, "Dataset", dataset)
            else:
                for i, part in enumerate(parts, start=1):
                    _write_sheet(book, f"Dataset({i})", dataset[part])
        elif name == "Labels":
            _write_sheet(book, "Labels", tables["Labels"], header=False)
        else:
            _write_sheet(book, name, tables[name])
    book.close()
    return path


def _dialect(dialect: str) -> tuple[str, str]:
    name = _DIALECT_ALIASES.get(dialect, dialect)
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; choose one of {list(DIALECTS)}")
    return DIALECTS[name]


def _write_csv(
    frame: pd.DataFrame,
    path: Path,
    sep: str,
    encoding: str,
    header: bool = True,
    decimal: str = ".",
) -> None:
    """Write a table as CSV with CRLF line ends, streamed to disk; UTF-16 as LE with a BOM."""
    with path.open("wb") as raw:
        if encoding == "utf-16":
            raw.write(b"\xff\xfe")
            encoding = "utf-16-le"
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
            frame.to_csv(
                text,
                sep=sep,
                index=False,
                header=header,
                lineterminator="\r\n",
                na_rep="",
                decimal=decimal,
                chunksize=50_000,
            )


def write_surveyxact_csv(
    tables: Mapping[str, pd.DataFrame] | SurveyXactExport, folder: str | Path, dialect: str
) -> Path:
    """Write a SurveyXact CSV export (shape B): ``folder/dataset.csv, labels.csv, structure.csv``.

    ``dialect`` is ``"semicolon-cp1252"``, ``"comma-cp1252"`` or ``"tab-utf16"`` (also ``";"``,
    ``","``, ``"\\t"``). Lines end in CRLF, ``labels.csv`` has no header, and every line of
    ``structure.csv`` ends with a delimiter. UTF-16 is little-endian with a BOM. Fields holding
    the delimiter or quotes are quoted.
    """
    if isinstance(tables, SurveyXactExport):
        tables = tables.tables
    sep, encoding = _dialect(dialect)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(tables["Dataset"], folder / "dataset.csv", sep, encoding)
    _write_csv(tables["Labels"], folder / "labels.csv", sep, encoding, header=False)
    structure = tables["Structure"].assign(**{"": ""})
    _write_csv(structure, folder / "structure.csv", sep, encoding)
    return folder


def write_own_sheet(
    sheet: OwnSheet | pd.DataFrame, path: str | Path, sheet_name: str = "Besvarelser"
) -> Path:
    """Write an own sheet: ``.xlsx`` (one sheet, ``sheet_name``) or ``.csv`` (``;``, cp1252, CRLF)."""
    table = sheet.table if isinstance(sheet, OwnSheet) else sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        _write_csv(table, path, ";", "cp1252")
    else:
        book = _workbook(path)
        _write_sheet(book, sheet_name, table)
        book.close()
    return path


def write_outcomes(table: pd.DataFrame, path: str | Path) -> Path:
    """Write an outcome file: ``.xlsx`` (sheet ``Data``) or ``.csv`` (``;``, decimal comma, cp1252)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        _write_csv(table, path, ";", "cp1252", decimal=",")
    else:
        book = _workbook(path)
        _write_sheet(book, "Data", table)
        book.close()
    return path


# --------------------------------------------------------------------------- outcomes


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _outcome_table(world: _World, wave: int, rng: np.random.Generator) -> pd.DataFrame:
    """Outcomes of year ``wave + 1`` for all 98 municipalities from the true levels of ``wave``."""
    wi = world.wave_index(wave)
    levels = world.levels[:, wi, :]
    z = (levels - levels.mean(axis=0)) / levels.std(axis=0)
    zt = {theme: z[:, THEMES.index(theme)] for theme in THEMES}
    effect = {outcome: (theme, coef) for theme, outcome, coef, _ in PLANTED_EFFECTS}
    n = len(world.codes)
    started = np.maximum(
        2, rng.poisson(np.clip(4 + 2.5 * np.log(world.population / 5000), 3, None))
    )
    theme, coef = effect["andel_i_drift"]
    running = rng.binomial(started, _expit(coef * zt[theme]))
    theme, coef = effect["andel_skaleret"]
    scaled = rng.binomial(running, _expit(-0.7 + coef * zt[theme]))
    theme, coef = effect["gevinst_kr_pr_indbygger"]
    per_inhabitant = np.maximum(0.0, 60 + coef * zt[theme] + 26 * rng.normal(size=n))
    theme, coef = effect["digital_selvbetjening_pct"]
    selfservice = np.clip(72 + coef * zt[theme] + 7 * rng.normal(size=n), 0, 100).round(1)
    return pd.DataFrame(
        {
            "kommunekode": world.codes.astype(np.int64),
            "aar": np.full(n, wave + 1, dtype=np.int64),
            "piloter_igangsat": pd.array(started, dtype="Int64"),
            "piloter_i_drift": pd.array(running, dtype="Int64"),
            "piloter_skaleret": pd.array(scaled, dtype="Int64"),
            "gevinst_mio_kr": (per_inhabitant * world.population / 1e6).round(3),
            "digital_selvbetjening_pct": selfservice,
        }
    )


def _derived(outcomes: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    started = outcomes["piloter_igangsat"].astype(float)
    running = outcomes["piloter_i_drift"].astype(float)
    scaled = outcomes["piloter_skaleret"].astype(float)
    pop = outcomes["kommunekode"].map(population).astype(float)
    return outcomes.assign(
        andel_i_drift=(running / started).where(started > 0),
        andel_skaleret=(scaled / running).where(running > 0),
        gevinst_kr_pr_indbygger=outcomes["gevinst_mio_kr"] * 1e6 / pop,
    )


def _effects_table(levels: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    linked = {(t, o): (c, s) for t, o, c, s in PLANTED_EFFECTS}
    scales = {o: s for _t, o, _c, s in PLANTED_EFFECTS}
    joined = levels.assign(aar=levels["boelge"] + 1).merge(outcomes, on=["kommunekode", "aar"])
    rows = []
    for outcome in OUTCOMES:
        for theme in THEMES:
            coef, _scale = linked.get((theme, outcome), (0.0, scales[outcome]))
            pair = joined[[theme, outcome]].dropna()
            rows.append(
                {
                    "tema": theme,
                    "udfald": outcome,
                    "retning": 1 if coef > 0 else 0,
                    "koefficient": coef,
                    "skala": scales[outcome],
                    "std_effekt": 0.5 if coef > 0 else 0.0,
                    "korrelation": float(np.corrcoef(pair[theme], pair[outcome])[0, 1]),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- generate

# Per wave position (wave index modulo 3): the main export's styles and forms, an extra export of
# the same wave and the own sheet.
_STYLES: list[dict[str, ExportStyle]] = [
    {
        "main": ExportStyle(
            item_names="code",
            scale="uenig1-vi6",
            dont_know_label="Ved ikke",
            closetim="text",
            responde="text",
            labels_order="within",
            kommune_names={
                101: "Københavns Kommune",
                751: "Århus",
                400: "Bornholms Regionskommune",
            },
        )
    },
    {
        "main": ExportStyle(
            item_names="q",
            scale="enig1-vi9",
            dont_know_label="Ved ikke / ikke relevant",
            unlabeled_code=6,
            labels_order="shuffled",
            shuffle_codes=True,
            kommune_names={169: "Høje Taastrup", 492: "Aeroe"},
        ),
        "extra": ExportStyle(
            item_names="code",
            scale="uenig1-vi9",
            dont_know_label="Ikke relevant",
            labels_order="within",
            kommune_names={185: "Taarnby", 101: "KØBENHAVN"},
        ),
    },
    {
        "main": ExportStyle(
            item_names="q",
            scale="enig1-vi6",
            dont_know_label="Ved ikke",
            unlabeled_code=0,
            closetim="serial",
            responde="number",
            labels_order="shuffled",
            kommune_names={400: "Bornholms Regionskommune", 751: "aarhus"},
            nbsp=True,
        ),
        "extra": ExportStyle(
            item_names="code",
            scale="uenig1-vi6",
            dont_know_label="Ved ikke / ikke relevant",
            unlabeled_code=7,
            labels_order="sorted",
            kommune_names={185: "  Tårnby  Kommune ", 492: "ÆRØ"},
        ),
    },
]


@dataclass(frozen=True)
class _Plan:
    main_form: str  # "xlsx" or a CSV dialect
    split: int | None  # Dataset sheets of the main xlsx
    extra_suffix: str | None  # a second export of the wave: folder name suffix
    extra_dialect: str | None
    extra_municipalities: int  # municipalities found only in the second export
    cross_duplicates: bool  # half of the wave's duplicate copies go to the second export
    own_ext: str
    own_header: Literal["code", "text"]
    own_dates: Literal["iso", "dk", "date"]
    own_unknown: tuple[str | None, ...]


_PLANS = [
    _Plan("xlsx", 2, None, None, 0, False, ".csv", "text", "dk", ("Vestegnen Kommune", None)),
    _Plan(
        "semicolon-cp1252",
        None,
        "_supplement",
        "tab-utf16",
        7,
        True,
        ".xlsx",
        "code",
        "date",
        ("Frederiks",),
    ),
    _Plan(
        "xlsx", None, "_eftersendt", "comma-cp1252", 5, False, ".xlsx", "text", "iso", ("Nykøbing",)
    ),
]


def _counts_per_municipality(
    rng: np.random.Generator, world: _World, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Respondents per municipality in a wave (0 = not taking part) and the small ones.

    Larger municipalities tend to have more respondents; 2-4 municipalities take no part and
    three have only 1 or 2 respondents.
    """
    n = len(world.codes)
    rank = world.population.argsort().argsort() / (n - 1)
    counts = np.rint(lo + (hi - lo) * (0.7 * rank + 0.3 * rng.random(n))).astype(np.int64)
    counts = np.clip(counts, lo, hi)
    order = rng.permutation(n)
    absent = order[: rng.integers(2, 5)]
    small = order[len(absent) : len(absent) + 3]
    counts[absent] = 0
    counts[small] = rng.integers(1, 3, len(small))
    is_small = np.zeros(n, dtype=bool)
    is_small[small] = True
    return counts, is_small


def _block_of(
    rng: np.random.Generator,
    world: _World,
    wave: int,
    municipalities: np.ndarray,
    counts: np.ndarray,
    is_small: np.ndarray,
    rates: FateRates,
) -> _Block:
    per = np.repeat(municipalities, counts[municipalities])
    block = _simulate(rng, world, wave, per, is_small[per], rates)
    return block.take(rng.permutation(len(block)))


def _force_comments(rng: np.random.Generator, block: _Block) -> None:
    """Every formula-like text and one with personal data at least once."""
    ordinary = np.flatnonzero(block.cols["moenster"] == "regulær")
    chosen = rng.choice(ordinary, size=len(FORMULA_LIKE) + 1, replace=False)
    block.cols["kommenta"][chosen[:-1]] = np.array(FORMULA_LIKE, dtype=object)
    last = chosen[-1:]
    block.cols["kommenta"][last] = _cat(
        "Ring til ", block.cols["name"][last], " på ", block.cols["email"][last]
    )


def _wave_exports(
    rng: np.random.Generator,
    world: _World,
    wave: int,
    wave_position: int,
    lo: int,
    hi: int,
    rates: FateRates,
    out: Path,
) -> tuple[dict[str, SurveyXactExport | OwnSheet], np.ndarray]:
    """Write one wave's exports; returns ``{kilde: source}`` and which municipalities took part."""
    plan = _PLANS[wave_position % len(_PLANS)]
    styles = _STYLES[wave_position % len(_STYLES)]
    counts, is_small = _counts_per_municipality(rng, world, lo, hi)
    present = np.flatnonzero(counts > 0)
    regular = rng.permutation(present[~is_small[present]])
    own_m = int(regular[0])
    counts[own_m] = rng.integers(12, 19)
    extra_ms = np.sort(regular[1 : 1 + plan.extra_municipalities])
    main_ms = np.setdiff1d(present, np.concatenate([[own_m], extra_ms]))

    main = _block_of(rng, world, wave, main_ms, counts, is_small, rates)
    extra = (
        _block_of(rng, world, wave, extra_ms, counts, is_small, rates)
        if plan.extra_suffix
        else None
    )
    _assign_ids(rng, [main] + ([extra] if extra is not None else []), wave, 7_000_000_000)
    _plant_patterns(rng, main, rates)
    if wave_position == 0:
        _force_comments(rng, main)
    n_copies = round(rates.duplicates * len(main))
    if extra is not None:
        _plant_patterns(rng, extra, rates)
    if extra is not None and plan.cross_duplicates:
        cross = _plant_duplicates(rng, main, _duplicate_counts(n_copies // 2, 1))
        within = _plant_duplicates(rng, main, _duplicate_counts(n_copies // 2, 1))
        if cross is not None:
            extra = _Block.concat([extra, cross])
    else:
        within = _plant_duplicates(rng, main, _duplicate_counts(n_copies, 1))
    if within is not None:
        main = _Block.concat([main, within])

    sources: dict[str, SurveyXactExport | OwnSheet] = {}
    if styles["main"].unlabeled_code is not None:
        _plant_bad_cells(rng, main, rates.bad_cell, 2)
    main = _end_with_complete_row(main)
    export = _encode_surveyxact(rng, world, main, styles["main"])
    if plan.main_form == "xlsx":
        name = f"selvevaluering_{wave}.xlsx"
        order = (
            ("Dataset", "Labels", "Structure") if plan.split else ("Labels", "Dataset", "Structure")
        )
        write_surveyxact_xlsx(
            export.tables, out / name, split_columns=plan.split, sheet_order=order
        )
    else:
        name = f"selvevaluering_{wave}"
        write_surveyxact_csv(export.tables, out / name, plan.main_form)
    sources[name] = export

    if extra is not None:
        if styles["extra"].unlabeled_code is not None:
            _plant_bad_cells(rng, extra, rates.bad_cell, 2)
        extra = _end_with_complete_row(extra)
        export = _encode_surveyxact(rng, world, extra, styles["extra"])
        name = f"selvevaluering_{wave}{plan.extra_suffix}"
        write_surveyxact_csv(export.tables, out / name, plan.extra_dialect)
        sources[name] = export

    own = _block_of(rng, world, wave, np.array([own_m]), counts, is_small, rates)
    own_rates = _own_sheet_rates(rates, len(own), len(plan.own_unknown))
    _plant_patterns(rng, own, own_rates, plan.own_unknown)
    _plant_bad_cells(rng, own, rates.bad_cell, 2)
    sheet = _encode_own_sheet(rng, world, own, plan.own_header, plan.own_dates)
    name = f"skema_{wave}_{_fold(world.short[own_m]).lower().replace(' ', '_')}{plan.own_ext}"
    write_own_sheet(sheet, out / name)
    sources[name] = sheet
    return sources, counts > 0


def _wave_outcomes(
    rng: np.random.Generator, world: _World, wave: int, wave_position: int, out: Path
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Write the outcomes of year ``wave + 1``; returns them, the missing ones and the file name."""
    outcomes = _outcome_table(world, wave, rng)
    gone = rng.choice(len(outcomes), size=int(rng.integers(2, 4)), replace=False)
    blank = int(rng.choice(np.setdiff1d(np.arange(len(outcomes)), gone)))
    outcomes["piloter_skaleret"] = outcomes["piloter_skaleret"].astype("Int64")
    outcomes.loc[blank, "piloter_skaleret"] = pd.NA
    year = wave + 1
    missing = pd.DataFrame(
        {
            "aar": year,
            "kommunekode": np.append(
                outcomes.loc[gone, "kommunekode"].to_numpy(), outcomes.at[blank, "kommunekode"]
            ),
            "kolonne": ["alle"] * len(gone) + ["piloter_skaleret"],
        }
    )
    written = outcomes.drop(index=gone).reset_index(drop=True)
    if wave_position % 2 == 0:
        name = f"implementering_{year}.xlsx"
        columns = [c for c in OUTCOME_COLUMNS if c != "aar"] + ["aar"]
    else:
        name = f"implementering_{year}.csv"
        columns = list(OUTCOME_COLUMNS)
    write_outcomes(written[columns], out / name)
    return written, missing, name


def generate(
    out_dir: str | Path,
    seed: int = 20240101,
    respondents_per_municipality: tuple[int, int] = (8, 40),
    waves: Sequence[int] = (2020, 2022, 2024),
) -> SynthTruth:
    """Write a complete demo raw folder to ``out_dir`` and return its truth.

    See the module docstring for the files, their variations and the planted structure.
    Existing files of the same names are overwritten; nothing else in ``out_dir`` is touched.
    The same arguments give byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    waves = _check_waves(waves)
    lo, hi = (int(v) for v in respondents_per_municipality)
    if not 3 <= lo <= hi:
        raise ValueError("respondents_per_municipality must be (lo, hi) with 3 <= lo <= hi")
    world = _make_world(seed, waves)
    rates = FateRates()
    sources: dict[str, SurveyXactExport | OwnSheet] = {}
    participants, outcome_frames, missing, files = [], [], [], []
    for position, wave in enumerate(waves):
        rng = np.random.default_rng([seed, 2, wave])
        wave_sources, taking_part = _wave_exports(rng, world, wave, position, lo, hi, rates, out)
        sources.update(wave_sources)
        participants.append(
            pd.DataFrame(
                {"boelge": np.int64(wave), "kommunekode": world.codes, "deltager": taking_part}
            )
        )
        written, gone, name = _wave_outcomes(rng, world, wave, position, out)
        outcome_frames.append(written)
        missing.append(gone)
        files += [*wave_sources, name]

    truth = truth_for(sources)
    population = reference.municipalities().set_index("kommunekode")["indbyggere_2020"]
    truth.outcomes = _derived(pd.concat(outcome_frames, ignore_index=True), population)
    truth.missing_outcomes = (
        pd.concat(missing, ignore_index=True)
        .astype({"aar": "int64", "kommunekode": "int64"})
        .sort_values(["aar", "kommunekode"], ignore_index=True)
    )
    truth.levels = _levels_frame(world)
    truth.municipality_types = _types_frame(world).merge(
        pd.concat(participants, ignore_index=True), on=["boelge", "kommunekode"]
    )
    truth.effects = _effects_table(truth.levels, truth.outcomes)
    truth.files = sorted(files)
    return truth


def _levels_frame(world: _World) -> pd.DataFrame:
    frames = []
    for wi, wave in enumerate(world.waves):
        frame = pd.DataFrame(world.levels[:, wi, :], columns=THEMES)
        frame.insert(0, "kommunekode", world.codes.astype(np.int64))
        frame.insert(0, "boelge", np.int64(wave))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _types_frame(world: _World) -> pd.DataFrame:
    frames = []
    profiles = TYPE_PROFILES.set_index("type")
    for wi, wave in enumerate(world.waves):
        types = world.types[:, wi] + 1
        frame = pd.DataFrame(
            {
                "boelge": np.int64(wave),
                "kommunekode": world.codes.astype(np.int64),
                "kommune": world.short,
                "type": types.astype(np.int64),
                "typenavn": profiles.loc[types, "typenavn"].to_numpy(),
                "flytter": types != world.types[:, 0] + 1,
            }
        )
        profile = profiles.loc[types, THEMES].reset_index(drop=True)
        frames.append(pd.concat([frame, profile], axis=1))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- national scale


# In CSV, datetime and number columns are written as the same text as "text" timestamps and
# ids; keeping them typed until to_csv formats them chunk by chunk saves memory.
_NATIONAL_CSV_STYLE = ExportStyle(
    item_names="q",
    scale="enig1-vi9",
    dont_know_label="Ved ikke / ikke relevant",
    unlabeled_code=6,
    closetim="datetime",
    responde="number",
    labels_order="shuffled",
    shuffle_codes=True,
)
_NATIONAL_XLSX_STYLE = ExportStyle(
    item_names="code",
    scale="uenig1-vi6",
    closetim="serial",
    responde="number",
    unlabeled_code=0,
)


def _national(
    n_respondents: int, seed: int, wave: int, style: ExportStyle, with_truth: bool
) -> SurveyXactExport:
    rates = FateRates(minimum=1)
    counts = _duplicate_counts(round(rates.duplicates * n_respondents), 1)
    base = n_respondents - _n_copies(counts)
    if base < 100:
        raise ValueError("n_respondents must be at least a few hundred")
    world = _make_world(seed, [wave])
    rng = np.random.default_rng([seed, 6, wave])
    per, small = _respondents_of(rng, world, None, (1, 1), base)
    block = _simulate(rng, world, wave, per, small, rates)
    block = block.take(rng.permutation(len(block)))
    _assign_ids(rng, [block], wave, 7_000_000_000)
    _plant_patterns(rng, block, rates)
    copies = _plant_duplicates(rng, block, counts)
    if copies is not None:
        block = _Block.concat([block, copies])
    if style.unlabeled_code is not None:
        _plant_bad_cells(rng, block, rates.bad_cell, 1)
    return _encode_surveyxact(rng, world, _end_with_complete_row(block), style, with_truth)


def write_national_csv(
    out_dir: str | Path,
    n_respondents: int = 500_000,
    seed: int = 20240101,
    dialect: str = ";",
    wave: int = 2024,
    return_truth: bool = False,
) -> Path | tuple[Path, SynthTruth]:
    """One national SurveyXact CSV export (shape B) of ``n_respondents`` raw rows, for benchmarks.

    Writes the folder ``out_dir/selvevaluering_<wave>/`` (so ``out_dir`` is a raw folder) in
    ``dialect`` (a name of :data:`DIALECTS`, or ``";"``, ``","``, ``"\\t"``); items named
    ``q_<tema>_<n>``, 1 = Helt enig, Ved ikke = 9, code 6 unlabelled, all planted patterns.
    Returns the folder, and with ``return_truth`` also its :class:`SynthTruth` (rows and cell
    problems only).
    """
    _dialect(dialect)
    export = _national(n_respondents, seed, wave, _NATIONAL_CSV_STYLE, return_truth)
    folder = write_surveyxact_csv(export.tables, Path(out_dir) / f"selvevaluering_{wave}", dialect)
    if return_truth:
        return folder, truth_for({folder.name: export})
    return folder


def write_national_xlsx(
    path: str | Path,
    n_respondents: int = 50_000,
    seed: int = 20240101,
    wave: int = 2024,
    split_columns: int | None = 2,
    return_truth: bool = False,
) -> Path | tuple[Path, SynthTruth]:
    """One national SurveyXact ``.xlsx`` export (shape A) at ``path``, for benchmarks.

    Written with xlsxwriter in constant-memory mode; items named ``bor_01``, closetim as Excel
    serial numbers, ``responde`` as numbers, code 0 unlabelled, Dataset split in
    ``split_columns`` sheets. ``path`` should contain the wave year (e.g.
    ``selvevaluering_2024.xlsx``). Returns the path (and the truth with ``return_truth``).
    """
    export = _national(n_respondents, seed, wave, _NATIONAL_XLSX_STYLE, return_truth)
    path = write_surveyxact_xlsx(export.tables, path, split_columns=split_columns)
    if return_truth:
        return path, truth_for({path.name: export})
    return path
