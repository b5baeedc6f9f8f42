"""Code schemes, CSV dialects, label texts and the ways people type them.

The bottom layer of :mod:`omstilling_analysis.demo`: the answer scale and its code schemes
(:data:`SCALE_SCHEMES`), the CSV dialects of SurveyXact exports (:data:`DIALECTS`), roles,
status texts and question texts, the names and free texts written into exports, how one
SurveyXact export looks (:class:`ExportStyle`), and the text variants a loader must see through:
municipality name forms, stray spaces, label case, Excel serial times. Nothing here draws a
respondent; the functions take a generator where they vary a text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.roles import ROLES

__all__ = [
    "DIALECTS",
    "DONT_KNOW_TEXTS",
    "EMAIL_FIRST",
    "EMAIL_LAST",
    "FIRST_NAMES",
    "FORMULA_LIKE",
    "LAST_NAMES",
    "LIKERT",
    "NAME_FORMS",
    "NAME_FORM_P",
    "ROLES",
    "ROLE_OFFSET",
    "ROLE_P",
    "SCALE_SCHEMES",
    "STATUS",
    "THEME_QUESTIONS",
    "UNKNOWN_CELL_TEXTS",
    "UNKNOWN_MUNICIPALITY_LABELS",
    "ExportStyle",
    "cat",
    "fold",
    "free_texts",
    "int_column",
    "item_text",
    "item_variables",
    "label_variants",
    "name_form",
    "resolve_dialect",
    "stray_spaces",
    "time_cells",
    "typed_names",
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

# The instrument's roles have one home (roles.py); the demo draws them in that order.
ROLE_P = np.array([0.08, 0.15, 0.20, 0.30, 0.22, 0.05])
ROLE_OFFSET = np.array([0.2, 0.1, 0.0, 0.0, -0.15, -0.1])

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
DONT_KNOW_TEXTS = ("Ved ikke", "Ved ikke / ikke relevant", "Ikke relevant", "ved ikke")

_OLD_NAMES = {751: "Århus", 810: "Brønderslev-Dronninglund", 580: "Åbenrå", 820: "Vesthimmerland"}
NAME_FORMS = ("official", "short", "upper", "lower", "spaces", "nohyphen", "translit", "old")
NAME_FORM_P = np.array([0.35, 0.2, 0.08, 0.08, 0.1, 0.07, 0.07, 0.05])
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})

FIRST_NAMES = np.array(
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
LAST_NAMES = np.array(
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
EMAIL_FIRST = np.array([_n.translate(_ASCII).lower() for _n in FIRST_NAMES], dtype=object)
EMAIL_LAST = np.array([_n.translate(_ASCII).lower() for _n in LAST_NAMES], dtype=object)
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


_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")


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


def cat(*parts: object) -> np.ndarray:
    """Element-wise string concatenation of object arrays and scalars."""
    result = None
    for part in parts:
        piece = pd.Series(part, dtype=object) if isinstance(part, np.ndarray) else part
        result = piece if result is None else result + piece
    return np.asarray(result, dtype=object)


def fold(text: str) -> str:
    return text.translate(_ASCII)


def free_texts(
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
    out[personal] = cat("Ring til ", name[personal], " på ", email[personal])
    out[formula] = np.array(FORMULA_LIKE, dtype=object)[
        rng.integers(0, len(FORMULA_LIKE), formula.sum())
    ]
    return out


def item_variables(items: Sequence[str], style_names: str) -> list[str]:
    if style_names == "code":
        return [item.lower() for item in items]
    book = reference.codebook().set_index("item")
    position: dict[str, int] = {}
    names = []
    for item in items:
        theme = book.at[item, "tema"]
        position[theme] = position.get(theme, 0) + 1
        names.append(f"q_{reference.theme_codes().index(theme) + 1}_{position[theme]}")
    return names


def item_text(item: str, wave: int, old_wording: bool | None) -> str:
    row = reference.codebook().set_index("item").loc[item]
    old = wave < 2024 if old_wording is None else old_wording
    if old and row["tidligere_tekst"] is not None:
        return str(row["tidligere_tekst"])
    return str(row["tekst"])


def stray_spaces(rng: np.random.Generator, text: str) -> str:
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


def name_form(code: int, short: str, official: str, form: str) -> str:
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
        return fold(short)
    return _OLD_NAMES.get(code, official)


def time_cells(values: np.ndarray, how: str) -> object:
    if how == "text":
        text = np.datetime_as_string(values, unit="s").astype(object)
        text = pd.Series(text, dtype=object).str.replace("T", " ", regex=False)
        return text.where(~np.isnat(values), None).to_numpy(dtype=object)
    if how == "serial":
        return (values - _EXCEL_EPOCH) / np.timedelta64(1, "D")
    return values


def int_column(values: np.ndarray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def typed_names(code: int, short: str, official: str) -> list[str]:
    """How someone might type a municipality's name in an own sheet (all resolve to ``code``)."""
    candidates = [
        short,
        official,
        short.lower(),
        f" {short} ",
        official.upper(),
        fold(short),
        f"{short}  kommune",
    ]
    return [c for c in candidates if reference.resolve_municipality(c) == code]


def label_variants(rng: np.random.Generator, texts: np.ndarray) -> np.ndarray:
    """Label texts as typed: case changes and stray spaces (vectorised)."""
    s = pd.Series(texts, dtype=object)
    u = rng.random(len(s))
    s = s.where(~(u < 0.08), s.str.lower())
    s = s.where(~((u >= 0.08) & (u < 0.11)), s.str.upper())
    s = s.where(~((u >= 0.11) & (u < 0.19)), s + " ")
    s = s.where(~((u >= 0.19) & (u < 0.23)), " " + s)
    s = s.where(~((u >= 0.23) & (u < 0.27)), s.str.replace(" ", "  ", n=1, regex=False))
    return s.to_numpy(dtype=object)


def resolve_dialect(dialect: str) -> tuple[str, str]:
    name = _DIALECT_ALIASES.get(dialect, dialect)
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; choose one of {list(DIALECTS)}")
    return DIALECTS[name]
