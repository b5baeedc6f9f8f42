"""Clean: from raw tables to counted responses, left-out rows and cell problems (contract §3).

- A code means what its label in ``Labels`` says (codes differ between waves).
- Items are found by variable name (``bor_01``) or by the Structure's question text (current or
  earlier wording, stray spaces ignored).
- Municipality names are resolved by :func:`reference.resolve_municipalities` and never guessed.
- Every raw row ends in exactly one place: counted, or left out with one reason, decided in
  this order: ``ikke besvaret`` (no 1–5 answer), ``for ufuldstændig`` (1–5 answers to fewer than
  half the wave's items, rounded up), ``dublet`` (a repeated ``responde`` among the rows still
  in: the latest ``closetim`` counts, ties go to the first in reading order), ``ukendt kommune``.
- A bad cell (a code without a label, an unknown label text) becomes missing and is listed in
  the data-quality table; it does not by itself drop the row.
- Only the instrument's vocabulary is published: a role is one of :data:`roles.ROLES` (typed
  variants and synonyms accepted, anything else :data:`roles.UNKNOWN_ROLE`), the data-quality table
  shows a cell only when it is a plausible code or label (:func:`privacy.safe_cell_value`) and
  a header only when it cannot be personal (:func:`privacy.safe_header`).
- A code that ``Labels`` gives two different texts means neither: its cells become missing and
  are listed (``kode uden label``), and the variable gets a row saying why.

All steps are vectorised over respondents: per column, never per row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.load import (
    METADATA,
    OwnSheet,
    RawDataError,
    SurveyXactExport,
    code_text,
    wave_from_name,
)
from omstilling_analysis.privacy import WITHHELD, safe_cell_value, safe_header
from omstilling_analysis.roles import UNKNOWN_ROLE, canonical_role
from omstilling_analysis.settings import Settings
from omstilling_analysis.timestamps import parse_timestamps

__all__ = [
    "CLEANING_SETTINGS",
    "DONT_KNOW_PREFIX",
    "LEFT_OUT_COLUMNS",
    "QUALITY_COLUMNS",
    "REASONS",
    "FATE_COLUMNS",
    "CleanSource",
    "assign_fates",
    "classify_labels",
    "clean_own_sheet",
    "clean_surveyxact",
    "decode_coded_item",
    "decode_items",
    "decode_label_item",
    "dont_know_mask",
    "empty_problems",
    "labels_by_variable",
    "map_items",
    "match_item_text",
    "min_answers",
    "response_columns",
    "responses_and_left_out",
]

#: The settings the cleaning of one source reads (part of the cache key): none, since the
#: half rule and the duplicates are decided across sources, after the cache. A setting that
#: the cleaning comes to read must be named here.
CLEANING_SETTINGS: tuple[str, ...] = ()
#: Candidate columns holding where an item was answered Ved ikke (split off before output).
DONT_KNOW_PREFIX = "_vi_"
REASONS = ("ikke besvaret", "for ufuldstændig", "dublet", "ukendt kommune")
QUALITY_COLUMNS = ["kilde", "kilde_raekke", "variabel", "vaerdi", "problem"]
LEFT_OUT_COLUMNS = ["kilde", "kilde_raekke", "boelge", "aarsag"]

_STATUS = re.compile(r"^stato_\d+$", re.IGNORECASE)
_DATE_COLUMN = re.compile(r"^(dato|date|tidspunkt|besvaret|indsendt|tidsstempel)", re.IGNORECASE)
_ID_COLUMN = re.compile(r"^(responde|respondent(_?id)?|id)$", re.IGNORECASE)

# Cell classes while mapping codes: an answer is 1-5; these are the other outcomes.
_DONT_KNOW = 0.0
_NO_LABEL = -1.0
_UNKNOWN_LABEL = -2.0
_BAD_CODE = -3.0


@dataclass
class CleanSource:
    """One raw source after cleaning, before the rules that need all sources (duplicates).

    ``candidates`` has one row per raw row and holds nothing personal (it is what
    :mod:`omstilling_analysis.cache` stores): ``kilde`` (categorical), ``kilde_raekke``,
    ``boelge``, ``kommunekode`` (``Int16``), ``rolle`` (categorical), ``_noegle`` (the keyed
    hash of wave and id as a number, 0 for a row without an answer), ``_har_id`` (the row had
    a respondent id), ``_closed`` (closetim read as a time), one ``Int8`` column per item
    (1-5, missing otherwise), ``antal_ved_ikke``, the Ved ikke flags and ``_besvaret``.
    """

    source: str
    shape: str
    dialect: str
    wave: int
    candidates: pd.DataFrame
    problems: pd.DataFrame
    item_map: dict[str, str]
    unmapped: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    #: SHA-256 of the raw file(s) (:func:`cache.checksum`), when the run computed it.
    sha256: str | None = None
    #: Whether the source came from the cache of cleaned sources (``data/interim``).
    from_cache: bool = False

    @property
    def n_rows(self) -> int:
        return len(self.candidates)


# --------------------------------------------------------------------------- items


def _item_texts() -> list[tuple[str, str]]:
    """(normalised wording, item) for current and earlier wording, longest first."""
    book = reference.codebook()
    pairs = []
    for row in book.itertuples(index=False):
        for text in (row.tekst, row.tidligere_tekst):
            if text:
                pairs.append((reference.normalise_text(text), row.item))
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def match_item_text(text: object) -> str | None:
    """The item whose wording ends ``text`` (``"<theme question> - <item text>"`` or the
    item text alone); white space and case do not matter.

    >>> match_item_text("Hvor enig ... ?  -  Vi har retningslinjer for brug af kunstig intelligens. ")
    'DAT_06'
    """
    key = reference.normalise_text(text)
    if not key:
        return None
    for wording, item in _item_texts():
        if key.endswith(wording):
            return item
    return None


def map_items(
    columns: list[str], structure: pd.DataFrame | None
) -> tuple[dict[str, str], list[str]]:
    """Variable → item code, by name (``bor_01``) or by the Structure's question text.

    Returns the mapping and the variables that are neither metadata nor an item.
    """
    codes = set(reference.all_items())
    texts: dict[str, str] = {}
    if structure is not None and len(structure):
        names = structure["variableName"].astype("string").str.strip().str.lower()
        for name, text in zip(names, structure["questionText"], strict=True):
            if isinstance(name, str) and name not in texts:
                texts[name] = text
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    for column in columns:
        lowered = column.strip().lower()
        if lowered in METADATA or _STATUS.match(lowered):
            continue
        item = column.strip().upper() if column.strip().upper() in codes else None
        if item is None:
            item = match_item_text(texts.get(lowered, column))
        if item is None or item in mapping.values():
            unmapped.append(column)
        else:
            mapping[column] = item
    return mapping, unmapped


# --------------------------------------------------------------------------- cells


def _problem_rows(source: str, rows: np.ndarray, variable: str, values, problem) -> pd.DataFrame:
    """Data-quality rows; the values pass :func:`privacy.safe_cell_value` (an allow-list)."""
    cells = np.asarray(values, dtype=object).ravel()
    # Each distinct value through the allow-list once (a bad column repeats a handful).
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    allowed = np.array([safe_cell_value(u) for u in uniques] + [""], dtype=object)
    shown = list(allowed[codes])
    missing = codes < 0
    if missing.any():  # None, NaN, NaT: as the allow-list shows each of them
        for i in np.flatnonzero(missing):
            shown[i] = safe_cell_value(cells[i])
    return pd.DataFrame(
        {
            "kilde": source,
            "kilde_raekke": rows.astype("int64"),
            "variabel": variable,
            "vaerdi": shown if len(shown) == len(rows) else shown * len(rows),
            "problem": problem,
        }
    )


def _notes_rows(source: str, notes: list[tuple[int, str, str]]) -> list[pd.DataFrame]:
    """The problems the loader found (cells without a header) as data-quality rows."""
    if not notes:
        return []
    rows, variables, problems = zip(*notes, strict=True)
    return [
        pd.DataFrame(
            {
                "kilde": source,
                "kilde_raekke": np.array(rows, dtype="int64"),
                "variabel": list(variables),
                "vaerdi": "",
                "problem": list(problems),
            }
        )
    ]


def _column_name(column: object, position: int) -> str:
    """What the data-quality table calls a column: its header if that cannot be personal."""
    return safe_header(column) or f"kolonne {position}"


def _as_text(values: pd.Series) -> pd.Series:
    """Raw cells as canonical text ('' for blank); numbers without a trailing .0.

    Typed columns (as pyarrow reads a CSV) are converted column-wise, each distinct number
    once (a column of codes holds a handful); only mixed object columns (as a spreadsheet
    gives them) go value by value.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        codes, uniques = pd.factorize(values)  # missing values get code -1
        numbers = pd.Series(uniques).astype("float64")
        whole = numbers.notna() & (numbers % 1 == 0)
        text = pd.Series("", index=numbers.index, dtype=object)
        text[whole] = numbers[whole].astype("int64").astype(str)
        rest = numbers.notna() & ~whole
        text[rest] = numbers[rest].astype(str)
        lookup = np.append(text.to_numpy(dtype=object), "")  # code -1 → lookup[-1] = ""
        return pd.Series(lookup[codes], index=values.index, dtype=object)
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values.str.strip().fillna("").astype(object)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "floating", "integer", "mixed-integer-float", "string", "empty"
    ):  # fmt: skip
        # Each distinct value once. No booleans here, which would share a slot with 1 and 0;
        # missing cells (of whatever kind) go value by value as before.
        codes, uniques = pd.factorize(values)
        text = np.array([code_text(u) for u in uniques] + [""], dtype=object)
        result = text[codes]
        missing = codes < 0
        if missing.any():
            result[missing] = [code_text(v) for v in values.to_numpy()[missing]]
        return pd.Series(result, index=values.index, dtype=object)
    return values.map(code_text).astype(object)


def _map_text(texts: pd.Series, func) -> pd.Series:
    """``texts.map(func)`` for a column of text (e.g. from :func:`_as_text`), calling ``func``
    once per distinct text: a column of codes holds a handful among 500,000 rows."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=False)
    mapped = pd.Series(uniques, dtype=object).map(func)
    return pd.Series(mapped.array.take(codes), index=texts.index)


def classify_labels(labels: dict[str, str]) -> dict[str, tuple[float, str]]:
    """Code → (class, label) for one variable: class 1-5 for the scale, 0 Ved ikke, else unknown."""
    classes = {}
    for code, label in labels.items():
        key = reference.normalise_label(label)
        if key in reference.SCALE:
            classes[code] = (float(reference.SCALE[key]), label)
        elif key in reference.DONT_KNOW:
            classes[code] = (_DONT_KNOW, label)
        else:
            classes[code] = (_UNKNOWN_LABEL, label)
    return classes


def decode_coded_item(
    values: pd.Series, labels: dict[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answer codes → ``(answer 1-5 or NaN, is_dont_know, problem class or NaN)``.

    Vectorised: one comparison per code of the variable (a handful), not one per respondent.
    """
    classes = classify_labels(labels)
    blank = values.isna().to_numpy()
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "floating", "integer", "mixed-integer-float", "empty"
    ):  # fmt: skip
        # A spreadsheet column of numbers and blanks only: nothing to parse, no blank text.
        numeric = values.to_numpy(dtype="float64", na_value=np.nan)
    else:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if values.dtype == object:
            # Each distinct cell once: only text can be blank, and text never equals a number.
            codes, uniques = pd.factorize(values)
            empty = np.array([isinstance(v, str) and not v.strip() for v in uniques], dtype=bool)
            blank = blank | np.append(empty, False)[codes]
    # Each distinct number is classed once (a column of codes holds a handful), then spread.
    number_of_row, numbers = pd.factorize(numeric, use_na_sentinel=True)
    per_number = np.full(len(numbers), _NO_LABEL)
    for code, (cls, _label) in classes.items():
        try:
            code_number = float(code.replace(",", "."))
        except ValueError:
            continue
        per_number[numbers == code_number] = cls
    outcome = np.append(per_number, np.nan)[number_of_row]
    outcome[(number_of_row < 0) & ~blank] = _BAD_CODE
    answer = np.where(outcome >= 1, outcome, np.nan)
    dont_know = outcome == _DONT_KNOW
    problem = np.where(outcome < 0, outcome, np.nan)
    return answer, dont_know, problem


def decode_label_item(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label texts (own sheets) → ``(answer, is_dont_know, problem class)``."""
    uniques = values.dropna().unique()
    lookup = {}
    for value in uniques:
        key = reference.normalise_label(value)
        if not key:
            lookup[value] = np.nan
        elif key in reference.SCALE:
            lookup[value] = float(reference.SCALE[key])
        elif key in reference.DONT_KNOW:
            lookup[value] = _DONT_KNOW
        else:
            lookup[value] = _UNKNOWN_LABEL
    outcome = values.map(lookup).to_numpy(dtype="float64", na_value=np.nan)
    answer = np.where(outcome >= 1, outcome, np.nan)
    return answer, outcome == _DONT_KNOW, np.where(outcome < 0, outcome, np.nan)


_PROBLEM_TEXT = {
    _NO_LABEL: "kode uden label",
    _UNKNOWN_LABEL: "ukendt svartekst",
    _BAD_CODE: "ugyldig kode",
}


def _wave_of(source: str, dates: list[pd.Series]) -> int:
    wave = wave_from_name(source)
    if wave is None:
        years = pd.concat([parse_timestamps(d).dt.year for d in dates]) if dates else pd.Series()
        years = years.dropna()
        if len(years):
            wave = int(years.mode().iloc[0])
    if wave is None:
        raise RawDataError(source, "kan ikke afgøre bølgen: intet årstal i navnet og ingen datoer")
    if wave not in reference.waves():
        known = ", ".join(str(w) for w in reference.waves())
        raise RawDataError(
            source, f"bølgen {wave} findes ikke i kodebogen (kendte bølger: {known})"
        )
    return wave


def empty_problems() -> pd.DataFrame:
    """A data-quality table without rows, with its columns and types."""
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "kilde_raekke" else object) for c in QUALITY_COLUMNS}
    )


def _as_int8(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Answers 1-5 (NaN where none) as a nullable ``Int8`` column: exact, an eighth of float64."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int8"), missing)


def _build_candidates(
    source: str,
    wave: int,
    n: int,
    item_values: dict[str, np.ndarray],
    dont_know: dict[str, np.ndarray],
    municipality_codes: pd.Series,
    roles: pd.Series,
    ids: pd.Series,
    closed: pd.Series,
    key: bytes | None,
) -> pd.DataFrame:
    """One source's candidate rows, pseudonymised and in narrow types (see :class:`CleanSource`).

    The respondent id is replaced here by its keyed hash (``_noegle``, the 64-bit number of
    ``respondent_key``) for the rows with an answer; a row without one is never counted nor a
    duplicate, so its id is not hashed (key 0).
    """
    from omstilling_analysis.privacy import respondent_key_numbers

    wave_items = set(reference.items_of_wave(wave))
    answered = np.zeros(n, dtype="int16")
    items: dict[str, object] = {}
    for item in reference.all_items():
        values = item_values.get(item)
        if values is None or item not in wave_items:
            items[item] = pd.arrays.IntegerArray(np.zeros(n, "int8"), np.ones(n, dtype=bool))
            continue
        items[item] = _as_int8(values)
        answered += ~np.isnan(values)

    rows = np.arange(2, n + 2, dtype="int64")
    ids = ids.reset_index(drop=True)
    has_id = ids.notna().to_numpy()
    keyed = answered > 0
    numbers = np.zeros(n, dtype="uint64")
    prefix = f"{wave}:"
    with_id = keyed & has_id
    if with_id.any():
        numbers[with_id] = respondent_key_numbers(ids.to_numpy(dtype=object)[with_id], key, prefix)
    # Shape C rows have no respondent id: they are keyed by where they stand.
    without_id = keyed & ~has_id
    if without_id.any():
        places = [f"{source}#{row}" for row in rows[without_id]]
        numbers[without_id] = respondent_key_numbers(places, key, prefix)

    columns: dict[str, object] = {
        "kilde": pd.Categorical.from_codes(np.zeros(n, dtype="int8"), categories=[source]),
        "kilde_raekke": rows,
        "boelge": np.full(n, wave, dtype="int16"),
        "kommunekode": municipality_codes.reset_index(drop=True).astype("Int16"),
        "rolle": pd.Categorical(roles.reset_index(drop=True).astype(object)),
        "_noegle": numbers,
        "_har_id": has_id,
        "_closed": parse_timestamps(closed.reset_index(drop=True)).to_numpy(),
        **items,
    }
    columns["antal_ved_ikke"] = (
        np.sum(list(dont_know.values()), axis=0, dtype="int8") if dont_know else np.zeros(n, "int8")
    )
    for item, mask in dont_know.items():
        columns[DONT_KNOW_PREFIX + item] = mask
    columns["_besvaret"] = answered
    return pd.DataFrame(columns)


def clean_surveyxact(export: SurveyXactExport, key: bytes | None = None) -> CleanSource:
    """Shape A or B → candidate rows (one per raw row), cell problems and the item map;
    ``key`` is the HMAC key of ``respondent_key`` (by default :func:`privacy.hash_key`)."""
    dataset = export.dataset
    source = export.source
    n = len(dataset)
    lower = {c.strip().lower(): c for c in dataset.columns}
    for needed in ("kommune",):
        if needed not in lower:
            raise RawDataError(source, f"datasættet mangler variablen '{needed}'")
    dates = [dataset[lower[c]] for c in ("closetim", "starttim") if c in lower]
    wave = _wave_of(source, dates)
    mapping, unmapped = map_items(list(dataset.columns), export.structure)
    if not mapping:
        raise RawDataError(source, "ingen variable kunne knyttes til spørgeskemaets spørgsmål")

    labels, conflicts = labels_by_variable(export.labels)
    problems = _notes_rows(source, export.notes)
    for variable, code in conflicts:
        column = next((c for c in dataset.columns if c.strip().lower() == variable), variable)
        problems.append(
            _problem_rows(
                source,
                np.array([1]),
                _column_name(column, list(dataset.columns).index(column) + 1)
                if column in dataset.columns
                else (safe_header(variable) or "Labels"),
                [code],
                "koden har to forskellige tekster i Labels: cellerne med koden er sat til manglende",
            )
        )

    rows = np.arange(2, n + 2)
    item_values, dont_know, item_problems = decode_items(
        source,
        wave,
        mapping,
        decode=lambda column: decode_coded_item(
            dataset[column], labels.get(column.strip().lower(), {})
        ),
        bad_cells=lambda column, bad: _as_text(dataset[column][bad]).to_numpy(),
        variable_name=lambda column, item: _column_name(
            column, list(dataset.columns).index(column) + 1
        ),
    )
    problems.extend(item_problems)
    for column in unmapped:
        problems.append(
            _problem_rows(
                source,
                np.array([1]),
                _column_name(column, list(dataset.columns).index(column) + 1),
                [""],
                _unmapped_problem(column, mapping),
            )
        )

    municipality_codes = _decode_names(dataset[lower["kommune"]], labels.get("kommune", {}))
    if "rolle" in lower:
        roles, role_problems = _decode_role(
            dataset[lower["rolle"]],
            labels.get("rolle", {}),
            source,
            rows,
            lower["rolle"],
        )
        problems.extend(role_problems)
    else:
        roles = pd.Series([None] * n, dtype=object)
    ids = (
        _as_text(dataset[lower["responde"]]).replace("", None)
        if "responde" in lower
        else pd.Series([None] * n, dtype=object)
    )
    closed = (
        dataset[lower["closetim"]] if "closetim" in lower else pd.Series([None] * n, dtype=object)
    )
    candidates = _build_candidates(
        source,
        wave,
        n,
        item_values,
        dont_know,
        municipality_codes,
        roles,
        ids,
        closed,
        key,
    )
    return CleanSource(
        source,
        export.shape,
        export.dialect,
        wave,
        candidates,
        pd.concat(problems, ignore_index=True) if problems else empty_problems(),
        mapping,
        [_column_name(c, list(dataset.columns).index(c) + 1) for c in unmapped],
        export.dropped_columns,
    )


def labels_by_variable(
    labels: pd.DataFrame,
) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """``Labels`` as variable (lower case) → code → text, and the (variable, code) pairs that
    carry two different texts (compared as :func:`reference.normalise_label` does): those
    codes are left out of the mapping, so that their cells are not guessed.

    >>> table = pd.DataFrame({"variable": ["bor_01", "bor_01", "bor_01"], "value": ["1", "1", "2"],
    ...                       "label": ["Helt enig", "Helt uenig", "Ved ikke"]})
    >>> labels_by_variable(table)
    ({'bor_01': {'2': 'Ved ikke'}}, [('bor_01', '1')])
    """
    mapping: dict[str, dict[str, str]] = {}
    conflicts: list[tuple[str, str]] = []
    for variable, value, label in labels.itertuples(index=False):
        codes = mapping.setdefault(str(variable).strip().lower(), {})
        if value not in codes:
            codes[value] = label
        elif reference.normalise_label(codes[value]) != reference.normalise_label(label):
            pair = (str(variable).strip().lower(), value)
            if pair not in conflicts:
                conflicts.append(pair)
    for variable, value in conflicts:
        mapping[variable].pop(value, None)
    return mapping, conflicts


def _unmapped_problem(column: object, mapping: dict[str, str]) -> str:
    item = str(column).strip().upper()
    if item in mapping.values() or match_item_text(column) in mapping.values():
        return "spørgsmålet står også i en anden kolonne: denne kolonne er ikke læst"
    return "kolonnen kunne ikke knyttes til et spørgsmål"


def decode_items(
    source: str,
    wave: int,
    mapping: dict[str, str],
    decode: Callable[[str], tuple[np.ndarray, np.ndarray, np.ndarray]],
    bad_cells: Callable[[str, np.ndarray], np.ndarray],
    variable_name: Callable[[str, str], str],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[pd.DataFrame]]:
    """Decode every mapped item column of a source, the same way for every shape.

    ``decode(column)`` gives ``(answer, is_dont_know, problem class)``; ``bad_cells`` the raw
    values of the bad cells as shown in the data-quality table; ``variable_name`` what the
    table calls the column. Items the wave did not ask are listed (at the header row, 1) and
    left out. Returns answers and Ved ikke masks by item, and the problem rows.
    """
    wave_items = set(reference.items_of_wave(wave))
    item_values: dict[str, np.ndarray] = {}
    dont_know: dict[str, np.ndarray] = {}
    problems: list[pd.DataFrame] = []
    for column, item in mapping.items():
        name = variable_name(column, item)
        if item not in wave_items:
            problems.append(
                _problem_rows(
                    source, np.array([1]), name, [item], "spørgsmålet hører ikke til bølgen"
                )
            )
            continue
        answer, is_dk, problem = decode(column)
        item_values[item] = answer
        dont_know[item] = is_dk
        bad = ~np.isnan(problem)
        if bad.any():
            problems.append(
                _problem_rows(
                    source,
                    np.flatnonzero(bad) + 2,
                    name,
                    bad_cells(column, bad),
                    [_PROBLEM_TEXT[p] for p in problem[bad]],
                )
            )
    return item_values, dont_know, problems


def _decode_names(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Kommune codes → names via Labels (text cells are taken as names) → municipality codes.

    Each distinct code is looked up and resolved once, then spread to the rows.
    """
    codes, uniques = pd.factorize(_as_text(values), use_na_sentinel=False)
    names = pd.Series(uniques, dtype=object).map(
        lambda c: labels.get(c, c if c and not c.isdigit() else None)
    )
    resolved = reference.resolve_municipalities(names)
    return pd.Series(resolved.array.take(codes), index=values.index, dtype="Int64")


def _decode_role(values, labels, source, rows, column) -> tuple[pd.Series, list[pd.DataFrame]]:
    """Role codes (or texts) → the instrument's roles; a code without a label becomes missing,
    a text that is no role :data:`UNKNOWN_ROLE`; both are listed, the text withheld."""
    codes = _as_text(values)
    roles = _map_text(
        codes,
        lambda c: (
            canonical_role(labels[c])
            if c in labels
            else (canonical_role(c) if c and not c.isdigit() else None)
        ),
    )
    return roles, _role_problems(source, rows, column, codes, roles)


def _role_problems(source, rows, column, codes, roles) -> list[pd.DataFrame]:
    problems = []
    missing_label = ((codes != "") & roles.isna()).to_numpy()
    if missing_label.any():
        problems.append(
            _problem_rows(
                source, rows[missing_label], column, codes[missing_label].to_numpy(),
                "kode uden label",
            )
        )  # fmt: skip
    unknown = (roles == UNKNOWN_ROLE).to_numpy()
    if unknown.any():
        problems.append(
            _problem_rows(
                source, rows[unknown], column, [WITHHELD] * int(unknown.sum()),
                "ukendt rolle: rollen er ikke en af spørgeskemaets",
            )
        )  # fmt: skip
    return problems


def clean_own_sheet(sheet: OwnSheet, key: bytes | None = None) -> CleanSource:
    """Shape C → candidate rows: label texts in the cells, typed municipality names
    (``key`` as for :func:`clean_surveyxact`)."""
    table = sheet.table
    source = sheet.source
    n = len(table)
    lower = {str(c).strip().lower(): c for c in table.columns}
    date_columns = [c for c in table.columns if _DATE_COLUMN.match(str(c).strip())]
    id_columns = [c for c in table.columns if _ID_COLUMN.match(str(c).strip())]
    wave = _wave_of(source, [table[c] for c in date_columns])
    meta = {lower["kommune"], *date_columns, *id_columns}
    if "rolle" in lower:
        meta.add(lower["rolle"])
    item_columns = [c for c in table.columns if c not in meta]
    mapping, unmapped = map_items([str(c) for c in item_columns], None)
    if not mapping:
        raise RawDataError(source, "ingen kolonner kunne knyttes til spørgeskemaets spørgsmål")
    positions = sheet.positions or {str(c): i for i, c in enumerate(table.columns, start=1)}
    problems = _notes_rows(source, sheet.notes)
    # Own sheets' headers may be whole item texts: problems name the item code instead.
    item_values, dont_know, item_problems = decode_items(
        source,
        wave,
        mapping,
        decode=lambda column: decode_label_item(table[column]),
        bad_cells=lambda column, bad: table[column][bad].to_numpy(dtype=object),
        variable_name=lambda column, item: item,
    )
    problems.extend(item_problems)
    for column in unmapped:
        # A header is named only when it cannot be personal, else by its position.
        problems.append(
            _problem_rows(
                source,
                np.array([1]),
                _column_name(column, positions.get(str(column), 0)),
                [""],
                _unmapped_problem(column, mapping),
            )
        )
    municipality_codes = reference.resolve_municipalities(table[lower["kommune"]])
    rows = np.arange(2, n + 2)
    if "rolle" in lower:
        typed = table[lower["rolle"]].reset_index(drop=True)
        roles = _map_text(_as_text(typed), canonical_role)
        problems.extend(_role_problems(source, rows, "Rolle", _as_text(typed), roles))
    else:
        roles = pd.Series([None] * n, dtype=object)
    ids = (
        _as_text(table[id_columns[0]]).replace("", None)
        if id_columns
        else pd.Series([None] * n, dtype=object)
    )
    closed = table[date_columns[0]] if date_columns else pd.Series([None] * n, dtype=object)
    candidates = _build_candidates(
        source,
        wave,
        n,
        item_values,
        dont_know,
        municipality_codes,
        roles,
        ids,
        closed,
        key,
    )
    return CleanSource(
        source,
        "C (kommunens eget skema)",
        sheet.dialect,
        wave,
        candidates,
        pd.concat(problems, ignore_index=True) if problems else empty_problems(),
        mapping,
        [_column_name(c, positions.get(str(c), 0)) for c in unmapped],
        sheet.dropped_columns,
    )


# --------------------------------------------------------------------------- rules across sources


def min_answers(wave: int, settings: Settings | None = None) -> int:
    """The fewest 1–5 answers a counted response needs: ceil(share × the wave's items)."""
    share = (settings or Settings()).min_share_answered
    return math.ceil(share * len(reference.items_of_wave(wave)) - 1e-9)


def assign_fates(candidates: pd.DataFrame, settings: Settings | None = None) -> pd.Series:
    """The reason each candidate row is left out (``None`` = counted), by the contract's order.

    ``candidates`` are all sources' rows in reading order (sources by name, rows top-down).
    """
    n = len(candidates)
    reason = np.full(n, None, dtype=object)
    answered = candidates["_besvaret"].to_numpy()
    # One threshold per wave (a handful), spread to the rows: never a Python call per row.
    waves, wave_of_row = np.unique(candidates["boelge"].to_numpy(), return_inverse=True)
    thresholds = np.array([min_answers(int(w), settings) for w in waves], dtype="int64")
    thresholds = thresholds[wave_of_row]
    reason[answered == 0] = REASONS[0]
    reason[(answered > 0) & (answered < thresholds)] = REASONS[1]

    # Duplicates among the rows still in: same wave and responde (by its keyed hash, which is
    # one number per wave and id); the latest closetim wins.
    still_in = pd.isna(reason)
    keys = candidates["_noegle"]
    has_id = still_in & candidates["_har_id"].to_numpy(dtype=bool)
    among = pd.Series(keys.to_numpy()[has_id])
    repeated = np.zeros(n, dtype=bool)
    repeated[has_id] = among.duplicated(keep=False).to_numpy()
    if repeated.any():
        subset = pd.DataFrame(
            {
                "boelge": candidates["boelge"].to_numpy()[repeated],
                "_noegle": keys.to_numpy()[repeated],
                "_order": np.flatnonzero(repeated),
                "_closed": candidates["_closed"].to_numpy()[repeated],
            }
        )
        # Sort by latest close time first, then reading order; the first of each group counts.
        subset = subset.sort_values(
            ["boelge", "_noegle", "_closed", "_order"],
            ascending=[True, True, False, True],
            na_position="last",
        )
        losers = subset.duplicated(["boelge", "_noegle"], keep="first")
        reason[subset.loc[losers, "_order"].to_numpy()] = REASONS[2]

    still_in = pd.isna(reason)
    unknown = candidates["kommunekode"].isna().to_numpy()
    reason[still_in & unknown] = REASONS[3]
    return pd.Series(reason, index=candidates.index, dtype=object)


def response_columns() -> list[str]:
    """The columns of ``besvarelser`` (contract §4), in order."""
    fixed = ["respondent_key", "boelge", "kommunekode", "rolle", "kilde", "kilde_raekke"]
    return [*fixed, *reference.all_items(), "antal_ved_ikke"]


#: The candidate columns the rules across sources read (:func:`assign_fates`).
FATE_COLUMNS = ["boelge", "_besvaret", "_noegle", "_har_id", "_closed", "kommunekode"]


def responses_and_left_out(
    sources: list[CleanSource], settings: Settings | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All sources → (``besvarelser``, ``udeladte``), per the contract's §4 columns.

    Only the few columns the fates need are stacked; each output column is then gathered
    from the sources' counted rows once, in its output type (the answers as nullable
    ``Int8``, missing ``<NA>``), so the respondent table is made once, not copied.
    """
    from omstilling_analysis.privacy import key_texts

    ordered = response_columns()
    if not sources:
        empty = pd.DataFrame(columns=ordered)
        return empty, pd.DataFrame(columns=LEFT_OUT_COLUMNS)
    facts = pd.concat([s.candidates[FATE_COLUMNS] for s in sources], ignore_index=True)
    reason = assign_fates(facts, settings).to_numpy()
    del facts
    counted = pd.isna(reason)
    bounds = np.cumsum([0] + [s.n_rows for s in sources])
    masks = [counted[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    # Where each source's counted rows go in the output.
    counts = [int(m.sum()) for m in masks]
    ends = np.cumsum(counts)
    places = [slice(int(e) - n, int(e)) for e, n in zip(ends, counts, strict=True)]
    rows = [np.flatnonzero(m) for m in masks]

    def gather(column: str, dtype=None, na_value=None, out=None) -> np.ndarray:
        for source, taken, place in zip(sources, rows, places, strict=True):
            values = source.candidates[column]
            if na_value is not None:
                values = values.to_numpy(dtype=dtype, na_value=na_value)
            else:
                values = values.to_numpy(dtype=dtype)
            if out is None:
                out = np.empty(int(ends[-1]), dtype=values.dtype)
            # Straight into the output: a boolean index and a concatenation copied it twice.
            # (np.take, not np.compress: with ``out`` compress took ten times as long.)
            np.take(values, taken, out=out[place])
        return out

    columns: dict[str, object] = {
        "respondent_key": key_texts(gather("_noegle")),
        "boelge": gather("boelge", "int64"),
        "kommunekode": gather("kommunekode", "int64", na_value=0),
        "rolle": _gathered_text(
            [s.candidates["rolle"] for s in sources], masks, pd.StringDtype("pyarrow")
        ),
        "kilde": _source_names(sources, masks),
        "kilde_raekke": gather("kilde_raekke", "int64"),
    }
    # The answers as nullable Int8 (exact, and an eighth of float64: 50 MB, not 400, for a
    # national run of three waves), each gathered straight into its row of one block of
    # values and one of missing flags, which the frame's columns take over without a copy.
    items = reference.all_items()
    values = np.empty((len(items), int(counted.sum())), dtype="int8")
    missing = np.empty((len(items), int(counted.sum())), dtype=bool)
    for item, value_row, missing_row in zip(items, values, missing, strict=True):
        gather(item, "int8", na_value=0, out=value_row)
        for source, taken, place in zip(sources, rows, places, strict=True):
            np.take(source.candidates[item].isna().to_numpy(), taken, out=missing_row[place])
    answers = {
        item: pd.arrays.IntegerArray(value_row, missing_row)
        for item, value_row, missing_row in zip(items, values, missing, strict=True)
    }
    responses = pd.DataFrame(
        columns | answers | {"antal_ved_ikke": gather("antal_ved_ikke", "int64")}, copy=False
    )

    left = ~counted
    left_out = pd.DataFrame(
        {
            "kilde": _source_names(sources, [~m for m in masks]),
            "kilde_raekke": np.concatenate(
                [
                    s.candidates["kilde_raekke"].to_numpy()[~m]
                    for s, m in zip(sources, masks, strict=True)
                ]
            ),
            "boelge": np.concatenate(
                [
                    s.candidates["boelge"].to_numpy(dtype="int64")[~m]
                    for s, m in zip(sources, masks, strict=True)
                ]
            ),
            "aarsag": reason[left],
        }
    )
    return responses, left_out


def _gathered_text(
    values: list[pd.Series], masks: list[np.ndarray], dtype
) -> pd.api.extensions.ExtensionArray:
    """The rows of ``masks`` of each text (or categorical) column, one after the other, as
    pandas' text array of ``dtype``: taken and cast by pyarrow, no Python string per row."""
    import pyarrow as pa

    parts = []
    for column, mask in zip(values, masks, strict=True):
        taken = pa.array(column.array, from_pandas=True).filter(pa.array(mask))
        if pa.types.is_dictionary(taken.type):
            taken = taken.dictionary_decode()
        parts.append(taken.cast(pa.large_string()))
    return pd.array(pa.chunked_array(parts, type=pa.large_string()), dtype=dtype)


def _source_names(sources: list[CleanSource], masks: list[np.ndarray]):
    """Each source's name on each of its rows in ``masks`` (``kilde``), as the ``str`` type."""
    names = [
        pd.Series(pd.Categorical.from_codes(np.zeros(len(m), dtype=np.int8), [s.source]))
        for s, m in zip(sources, masks, strict=True)
    ]
    return _gathered_text(names, masks, pd.StringDtype("pyarrow", na_value=np.nan))


def dont_know_mask(sources: list[CleanSource], responses: pd.DataFrame) -> pd.DataFrame:
    """Where each counted response answered Ved ikke: a boolean frame, one column per item,
    in the row order of ``responses`` (for the item statistics' share of Ved ikke).

    A response is found in its source by ``kilde`` and ``kilde_raekke`` (its row in the
    source); a response found in no source has no Ved ikke."""
    items = reference.all_items()
    flags = np.zeros((len(items), len(responses)), dtype=bool)  # pandas' layout: row per item
    source_of_row, names = pd.factorize(responses["kilde"])
    rows_of = {name: np.flatnonzero(source_of_row == i) for i, name in enumerate(names)}
    row_numbers = responses["kilde_raekke"].to_numpy(dtype="int64")
    for source in sources:
        frame = source.candidates
        for name in pd.unique(frame["kilde"].astype(object)):
            rows = rows_of.get(name)
            if rows is None:
                continue
            in_source = np.flatnonzero((frame["kilde"] == name).to_numpy(dtype=bool))
            index = pd.Index(frame["kilde_raekke"].to_numpy(dtype="int64")[in_source])
            position = index.get_indexer(row_numbers[rows])
            found = position >= 0
            taken, rows = in_source[position[found]], rows[found]
            if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
                rows = slice(rows[0], rows[-1] + 1)  # a source's rows in one block: no scatter
            for flag, item in zip(flags, items, strict=True):
                column = DONT_KNOW_PREFIX + item
                if column in frame:
                    flag[rows] = frame[column].to_numpy(dtype=bool, na_value=False)[taken]
    return pd.DataFrame(flags.T, columns=items, copy=False)
