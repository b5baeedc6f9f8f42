"""Reference data: the instrument (codebook, themes, answer scale) and the 98 municipalities.

Every other module asks this one, so that the codebook is read in one place. The CSV files
are copies of the customer's contract (``shared/contract``) and of Statistics Denmark's list
of municipalities, shipped inside the package so that an installed workbench needs nothing else.

Examples
--------
>>> from omstilling_analysis import reference
>>> reference.items_of_wave(2024)[:3]
['BOR_01', 'BOR_02', 'BOR_03']
>>> reference.resolve_municipality("  høje taastrup ")
169
>>> reference.resolve_municipality("Aeroe Kommune")
492
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

import pandas as pd

__all__ = [
    "all_items",
    "codebook",
    "items_of_wave",
    "municipalities",
    "municipality",
    "normalise_label",
    "normalise_name",
    "normalise_text",
    "resolve_municipalities",
    "resolve_municipality",
    "reverse_keyed_items",
    "theme_codes",
    "theme_items",
    "themes",
    "waves",
]


#: The answer scale of every item. Keys are normalised label texts (see :func:`normalise_label`).
SCALE: dict[str, int] = {
    "helt uenig": 1,
    "overvejende uenig": 2,
    "hverken enig eller uenig": 3,
    "overvejende enig": 4,
    "helt enig": 5,
}
#: Labels that are no point on the scale: they become missing and are counted as "Ved ikke".
DONT_KNOW: frozenset[str] = frozenset({"ved ikke", "ved ikke/ikke relevant", "ikke relevant"})

#: Maturity levels: (lower bound, number, Danish name); the index is in [1, 5].
LEVELS: tuple[tuple[float, int, str], ...] = (
    (1.0, 1, "Begynder"),
    (1.8, 2, "Afprøvende"),
    (2.6, 3, "Etableret"),
    (3.4, 4, "Integreret"),
    (4.2, 5, "Førende"),
)

#: Names municipalities no longer carry, or spellings the normalisation cannot reach.
#: The key is the old name, the value the municipality code.
OLD_NAMES: dict[str, int] = {
    "Brønderslev-Dronninglund": 810,
    "Brønderslev-Dronninglund Kommune": 810,
}


def _read(name: str) -> pd.DataFrame:
    with resources.files("omstilling_analysis.data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, encoding="utf-8")


@cache
def _codebook() -> pd.DataFrame:
    book = _read("codebook.csv")
    book["omvendt"] = book["omvendt"].astype(bool)
    book["boelger"] = book["boelger"].astype(str).map(lambda s: tuple(int(w) for w in s.split(";")))
    book["tidligere_tekst"] = (
        book["tidligere_tekst"].astype(object).where(book["tidligere_tekst"].notna(), None)
    )
    return book


def codebook() -> pd.DataFrame:
    """The codebook: one row per item (``item, tema, omvendt, boelger, tekst, tidligere_tekst``).

    ``boelger`` holds a tuple of the wave years that asked the item.
    """
    return _codebook().copy()


@cache
def _themes() -> pd.DataFrame:
    return _read("themes.csv")


def themes() -> pd.DataFrame:
    """The six themes (``tema, navn, beskrivelse``) in the instrument's order."""
    return _themes().copy()


@cache
def _municipalities() -> pd.DataFrame:
    table = _read("kommuner.csv")
    return table.astype(
        {"kommunekode": "int64", "regionskode": "int64", "indbyggere_2020": "int64"}
    )


def municipalities() -> pd.DataFrame:
    """The 98 municipalities: ``kommunekode, kommune, officielt_navn, regionskode, region,
    indbyggere_2020`` (population on 1 January 2020, Statistics Denmark FOLK1A)."""
    return _municipalities().copy()


def theme_codes() -> list[str]:
    """The six theme codes in the instrument's order: BOR, STR, FOR, STY, TEK, DAT."""
    return _themes()["tema"].tolist()


def all_items() -> list[str]:
    """Every item code of the codebook, in codebook order."""
    return _codebook()["item"].tolist()


def waves() -> list[int]:
    """The waves the codebook knows, ascending."""
    return sorted({w for ws in _codebook()["boelger"] for w in ws})


def items_of_wave(wave: int) -> list[str]:
    """The items asked in ``wave``, in codebook order."""
    book = _codebook()
    return book.loc[book["boelger"].map(lambda ws: int(wave) in ws), "item"].tolist()


def theme_items(wave: int) -> dict[str, list[str]]:
    """The items of each theme asked in ``wave``: ``{"BOR": ["BOR_01", ...], ...}``."""
    book = _codebook()
    asked = book[book["boelger"].map(lambda ws: int(wave) in ws)]
    return {theme: asked.loc[asked["tema"] == theme, "item"].tolist() for theme in theme_codes()}


def reverse_keyed_items() -> list[str]:
    """Items scored as 6 - answer."""
    book = _codebook()
    return book.loc[book["omvendt"], "item"].tolist()


def municipality(code: int) -> pd.Series:
    """One municipality's row by its code; ``KeyError`` if there is none."""
    table = _municipalities().set_index("kommunekode")
    return table.loc[int(code)]


# --------------------------------------------------------------------------- normalisation

_SPACES = re.compile(r"\s+")


def normalise_label(text: object) -> str:
    """A label text as compared: case-folded, spaces collapsed, ``/`` without spaces around it."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    folded = unicodedata.normalize("NFC", str(text)).casefold()
    folded = _SPACES.sub(" ", folded).strip()
    return re.sub(r"\s*/\s*", "/", folded)


def normalise_text(text: object) -> str:
    """Item wording as compared: case-folded with every white space removed.

    Removing white space (not collapsing it) makes stray spaces anywhere harmless, also
    before punctuation, and two different items never differ only in their spaces.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFC", str(text)).casefold())


_NAME_SUFFIXES = re.compile(r"(regionskommune|kommune)$")
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})


def normalise_name(name: object) -> str:
    """A municipality name as compared.

    Case, white space, hyphens and dots vanish, the Danish letters are transliterated
    (æ → ae, ø → oe, å → aa, so ``Århus`` meets ``Aarhus`` and ``Aeroe`` meets ``Ærø``) and a
    trailing ``Kommune`` or ``Regionskommune`` is dropped.

    >>> normalise_name(" Høje  Taastrup Kommune")
    'hoejetaastrup'
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = unicodedata.normalize("NFC", str(name)).casefold().translate(_FOLD)
    text = re.sub(r"[\s\-‐‑–—._,']+", "", text)
    return _NAME_SUFFIXES.sub("", text)


@cache
def _name_index() -> dict[str, int | None]:
    """Normalised alias → code; ``None`` marks an alias two municipalities share."""
    aliases: dict[str, set[int]] = {}

    def add(alias: str, code: int) -> None:
        key = normalise_name(alias)
        if key:
            aliases.setdefault(key, set()).add(code)

    for row in _municipalities().itertuples(index=False):
        code = int(row.kommunekode)
        for name in (row.kommune, row.officielt_navn):
            add(name, code)
            # Genitive forms: "Nordfyns" / "Nordfyn", "Københavns" / "København".
            key = normalise_name(name)
            if key.endswith("s"):
                add(key[:-1], code)
        add(str(code), code)
    for name, code in OLD_NAMES.items():
        add(name, code)
    return {
        alias: (next(iter(codes)) if len(codes) == 1 else None) for alias, codes in aliases.items()
    }


def resolve_municipality(name: object) -> int | None:
    """The municipality code a typed name stands for, or ``None`` when unknown or ambiguous.

    Never guesses: only a name that normalises (:func:`normalise_name`) to exactly one
    municipality's short, official or old name, or to its code, resolves.
    """
    if isinstance(name, (int,)) and not isinstance(name, bool):
        name = str(name)
    return _name_index().get(normalise_name(name))


def resolve_municipalities(names: pd.Series) -> pd.Series:
    """Vectorised :func:`resolve_municipality`: codes as nullable ``Int64`` (``<NA>`` unresolved).

    Each distinct name is resolved once, so a national export costs 98-odd look-ups.
    """
    uniques = pd.Series(names.dropna().unique())
    mapping = {value: resolve_municipality(value) for value in uniques}
    return names.map(mapping).astype("Int64")
