"""Municipality names and the instrument: property-based tests of name resolution."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omstilling_analysis import reference

MUNICIPALITIES = reference.municipalities()
ROWS = list(MUNICIPALITIES.itertuples(index=False))


def _transliterate(name: str) -> str:
    return (
        name.replace("æ", "ae")
        .replace("ø", "oe")
        .replace("å", "aa")
        .replace("Æ", "Ae")
        .replace("Ø", "Oe")
        .replace("Å", "Aa")
    )


@st.composite
def name_variants(draw):
    """A municipality and one way someone might write its name."""
    row = draw(st.sampled_from(ROWS))
    name = draw(st.sampled_from([row.kommune, row.officielt_navn]))
    if draw(st.booleans()):
        name = _transliterate(name)
    if draw(st.booleans()):
        name = name.replace("-", draw(st.sampled_from([" ", ""])))
    case = draw(st.sampled_from([str.upper, str.lower, str.title, lambda s: s]))
    name = case(name)
    left = draw(st.sampled_from(["", " ", "  ", "\t"]))
    right = draw(st.sampled_from(["", " ", "   "]))
    inner = draw(st.sampled_from([" ", "  "]))
    return int(row.kommunekode), left + name.replace(" ", inner) + right


@given(name_variants())
@settings(max_examples=400, deadline=None)
def test_every_written_form_resolves_to_its_municipality(variant):
    code, name = variant
    assert reference.resolve_municipality(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Københavns Kommune", 101),
        ("Bornholms Regionskommune", 400),
        ("Høje Taastrup", 169),
        ("Århus", 751),
        ("Århus Kommune", 751),
        ("Aeroe", 492),
        ("Taarnby", 185),
        ("  lyngby-taarbæk  ", 173),
        ("RINGKØBING SKJERN KOMMUNE", 760),
        ("Brønderslev-Dronninglund Kommune", 810),
        ("Nordfyn", 480),
        ("Vesthimmerland", 820),
    ],
)
def test_contract_examples_of_names(name, code):
    assert reference.resolve_municipality(name) == code


@pytest.mark.parametrize(
    "name",
    ["Frederiks", "Nykøbing", "Vestegnen Kommune", "", None, "Region Hovedstaden", "Kommune"],
)
def test_unknown_or_ambiguous_names_are_never_guessed(name):
    assert reference.resolve_municipality(name) is None


ALIASES = set(reference._name_index())


@given(st.text(min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_text_that_is_no_alias_never_resolves(text):
    if reference.normalise_name(text) not in ALIASES:
        assert reference.resolve_municipality(text) is None


def test_ambiguous_alias_is_refused(monkeypatch):
    # If two municipalities shared a name, the name must resolve to neither.
    reference._name_index.cache_clear()
    monkeypatch.setitem(reference.OLD_NAMES, "Ishøj", 101)
    try:
        assert reference.resolve_municipality("Ishøj") is None
        assert reference.resolve_municipality("København") == 101
    finally:
        monkeypatch.undo()
        reference._name_index.cache_clear()
    assert reference.resolve_municipality("Ishøj") == 183


def test_vectorised_resolution_matches_scalar():
    names = pd.Series(["Aeroe", None, "Frederiks", "ODENSE", "Aeroe"])
    codes = reference.resolve_municipalities(names)
    assert codes.tolist() == [492, pd.NA, pd.NA, 461, 492]
    assert str(codes.dtype) == "Int64"


def test_instrument():
    assert len(MUNICIPALITIES) == 98
    assert reference.theme_codes() == ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]
    assert len(reference.items_of_wave(2020)) == 34
    assert "STY_07" in reference.items_of_wave(2024) and "STY_07" not in reference.items_of_wave(
        2022
    )
    assert reference.reverse_keyed_items() == ["BOR_04", "STR_06", "FOR_05"]
    assert reference.municipality(101)["region"] == "Region Hovedstaden"
    assert [lower for lower, _, _ in reference.LEVELS] == [1.0, 1.8, 2.6, 3.4, 4.2]
