"""Planted defects: blank, broken-off and edge rows, duplicates, bad cells, and the row fates.

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
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.demo.encodings import UNKNOWN_MUNICIPALITY_LABELS
from omstilling_analysis.demo.exports import OwnSheet, SurveyXactExport
from omstilling_analysis.demo.world import Block, FateRates, SynthTruth

__all__ = [
    "assign_fates",
    "assign_ids",
    "count_copies",
    "duplicate_counts",
    "end_with_complete_row",
    "own_sheet_rates",
    "plant_bad_cells",
    "plant_duplicates",
    "plant_patterns",
    "truth_for",
]


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


def plant_patterns(
    rng: np.random.Generator,
    block: Block,
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


def duplicate_counts(n_copies: int, minimum: int) -> dict[str, int]:
    """Origins per duplicate kind so that the copies add up to about ``n_copies``."""
    counts = {kind: max(minimum, round(share * n_copies)) for kind, share in _DUPLICATE_KINDS}
    return counts


def count_copies(counts: Mapping[str, int]) -> int:
    return sum(counts.values()) + counts.get("tredobbelt", 0)


def plant_duplicates(
    rng: np.random.Generator, block: Block, counts: Mapping[str, int]
) -> Block | None:
    """Copies of some respondents (same ``responde``), to append to this or another export."""
    n, k = block.state.shape
    h = math.ceil(k / 2)
    regular = np.flatnonzero((block.cols["moenster"] == "regulær") & ~block.cols["small"])
    unknown = np.flatnonzero(block.cols["moenster"] == "ukendt kommune")
    regular = rng.permutation(regular)
    unknown = rng.permutation(unknown)
    copies: list[Block] = []
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
    merged = Block.concat(copies)
    return merged.take(rng.permutation(len(merged)))


def _shifted(block: Block, shift: np.ndarray, pattern: str) -> Block:
    block.cols["starttim"] = block.cols["starttim"] + shift
    block.cols["closetim"] = block.cols["closetim"] + shift
    block.cols["moenster"][:] = pattern
    return block


def _redraw(rng: np.random.Generator, block: Block) -> None:
    """A second submission: some answers moved one step."""
    change = (rng.random(block.values.shape) < 0.15) & (block.state == 0)
    step = rng.choice(np.array([-1.0, 1.0]), size=block.values.shape)
    block.values[:] = np.where(change, np.clip(block.values + step, 1, 5), block.values)


def plant_bad_cells(rng: np.random.Generator, block: Block, rate: float, minimum: int) -> None:
    """Turn a few answered cells of ordinary rows into bad cells (state 3)."""
    regular = (block.cols["moenster"] == "regulær") & ~block.cols["small"]
    candidates = np.flatnonzero(((block.state == 0) & regular[:, None]).ravel())
    if len(candidates) == 0:
        return
    count = min(len(candidates), max(minimum, round(rate * len(candidates))))
    chosen = rng.choice(candidates, size=count, replace=False)
    block.state.ravel()[chosen] = 3


def end_with_complete_row(block: Block) -> Block:
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


def assign_ids(rng: np.random.Generator, blocks: Sequence[Block], wave: int, base: int) -> None:
    """Ascending respondent ids (10 digits), unique over the wave's exports."""
    total = sum(len(b) for b in blocks)
    ids = base + (wave - 2000) * 50_000_000 + np.cumsum(rng.integers(1, 100, total))
    pos = 0
    for block in blocks:
        block.cols["responde"][:] = ids[pos : pos + len(block)]
        pos += len(block)


# --------------------------------------------------------------------------- encoding


def own_sheet_rates(rates: FateRates, n: int, n_unknown: int) -> FateRates:
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
