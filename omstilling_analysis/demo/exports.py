"""Encoding respondents into export tables: SurveyXact's Dataset/Labels/Structure, own sheets.

:func:`encode_surveyxact` turns a :class:`~omstilling_analysis.demo.world.Block` of
respondents into the three tables of a SurveyXact export in a chosen
:class:`~omstilling_analysis.demo.encodings.ExportStyle` (code scheme, item names, label order,
municipality name forms, time cells), and :func:`encode_own_sheet` into a municipality's own
spreadsheet; both return the truth about every row written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.demo.encodings import (
    DONT_KNOW_TEXTS,
    LIKERT,
    NAME_FORM_P,
    NAME_FORMS,
    ROLES,
    SCALE_SCHEMES,
    STATUS,
    THEME_QUESTIONS,
    UNKNOWN_CELL_TEXTS,
    UNKNOWN_MUNICIPALITY_LABELS,
    ExportStyle,
    int_column,
    item_text,
    item_variables,
    label_variants,
    name_form,
    stray_spaces,
    time_cells,
    typed_names,
)
from omstilling_analysis.demo.world import Block, World

__all__ = ["OwnSheet", "SurveyXactExport", "encode_own_sheet", "encode_surveyxact"]


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


def _kommune_labels(rng: np.random.Generator, world: World, style: ExportStyle) -> pd.DataFrame:
    """The export's kommune labels: ``code, label, kommunekode`` (NA for the unknown ones)."""
    forms = rng.choice(len(NAME_FORMS), size=len(world.codes), p=NAME_FORM_P)
    labels = []
    for i, code in enumerate(world.codes):
        code = int(code)
        label = style.kommune_names.get(code) or name_form(
            code, world.short[i], world.official[i], NAME_FORMS[forms[i]]
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


def _truth_frame(block: Block, kommune_text: np.ndarray, kommunekode: object) -> pd.DataFrame:
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


def encode_surveyxact(
    rng: np.random.Generator,
    world: World,
    block: Block,
    style: ExportStyle,
    with_truth: bool = True,
) -> SurveyXactExport:
    wave, items = block.wave, block.items
    variables = item_variables(items, style.item_names)
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
        "starttim": time_cells(start, style.closetim),
        "closetim": time_cells(close, style.closetim),
        "difftime": difftime,
    }
    for j in range(1, 6):
        dataset[f"stato_{j}"] = (status == j).astype(np.int64)
    dataset["kommune"] = kommune_code.astype(np.int64)
    dataset["rolle"] = int_column(rolle)
    for j, name in enumerate(variables):
        dataset[name] = int_column(codes[:, j])
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
        text = item_text(item, wave, style.old_wording)
        if j == nbsp_at:
            text = text.replace(" ", "\u00a0", 1)
        question = stray_spaces(rng, f"{THEME_QUESTIONS[theme]} - {text}")
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


def encode_own_sheet(
    rng: np.random.Generator,
    world: World,
    block: Block,
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
            typed_names(int(world.codes[mi]), world.short[mi], world.official[mi]), dtype=object
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
    cells[answered] = label_variants(
        rng, np.array(LIKERT, dtype=object)[block.values[answered].astype(int) - 1]
    )
    dont_know = block.state == 2
    cells[dont_know] = np.array(DONT_KNOW_TEXTS, dtype=object)[
        rng.integers(0, len(DONT_KNOW_TEXTS), dont_know.sum())
    ]
    bad = block.state == 3
    cells[bad] = np.array(UNKNOWN_CELL_TEXTS, dtype=object)[
        rng.integers(0, len(UNKNOWN_CELL_TEXTS), bad.sum())
    ]

    if header == "code":
        headers = list(items)
    else:
        headers = [stray_spaces(rng, item_text(item, block.wave, old_wording)) for item in items]
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
