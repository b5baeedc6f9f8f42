"""``omstilling validate``: what each raw file is and whether it can be used, in Danish.

It reads the files exactly as ``run`` does (:func:`pipeline.load_raw`), and decides every
row's fate over all the files together (duplicates across files included), so its counts are
the counts of ``run`` and it never calls usable what ``run`` refuses. Its messages name files,
rows and columns, never a cell's content.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from omstilling_analysis import clean, load, reference
from omstilling_analysis.pipeline import RawData, load_raw
from omstilling_analysis.settings import Settings

__all__ = ["describe_outcome", "describe_paths", "describe_raw", "describe_source", "fates"]


def fates(sources: list[clean.CleanSource], settings: Settings | None = None) -> pd.Series:
    """The fate of every row of ``sources`` as ``run`` decides it (over all of them at once):
    ``None`` for counted, else the reason; indexed like the sources' candidates stacked."""
    if not sources:
        return pd.Series([], dtype=object)
    candidates = pd.concat([s.candidates for s in sources], ignore_index=True)
    return clean.assign_fates(candidates, settings)


def describe_source(cleaned: clean.CleanSource, reasons: pd.Series | None = None) -> list[str]:
    """The Danish summary lines of one cleaned survey source; ``reasons`` are its rows' fates
    (from :func:`fates` over every file; by default over this file alone)."""
    if reasons is None:
        reasons = clean.assign_fates(cleaned.candidates)
    counts = reasons.value_counts()
    wave_items = reference.items_of_wave(cleaned.wave)
    found = [item for item in cleaned.item_map.values() if item in wave_items]
    codes = cleaned.candidates["kommunekode"]
    cell_problems = cleaned.problems[cleaned.problems["kilde_raekke"] > 1]
    left = ", ".join(f"{reason} {int(counts.get(reason, 0))}" for reason in clean.REASONS)
    lines = [
        f"{cleaned.source}: kan bruges",
        f"  form: {cleaned.shape}; dialekt: {cleaned.dialect}; bølge: {cleaned.wave}",
        f"  rækker: {cleaned.n_rows}, heraf talt: {int(reasons.isna().sum())}",
        f"  spørgsmål genkendt: {len(found)} af bølgens {len(wave_items)}",
        f"  kommuner genkendt: {codes.dropna().nunique()} (rækker uden genkendt kommune: "
        f"{int(codes.isna().sum())})",
        f"  udeladt: {left}",
        f"  celleproblemer: {len(cell_problems)}",
    ]
    if cleaned.unmapped:
        lines.append(f"  kolonner uden spørgsmål: {len(cleaned.unmapped)}")
    missing = sorted(set(wave_items) - set(found))
    if missing:
        lines.append(f"  bølgens spørgsmål som mangler: {', '.join(missing)}")
    if cleaned.dropped_columns:
        lines.append(
            f"  personoplysninger/fritekst ikke indlæst: {', '.join(cleaned.dropped_columns)}"
        )
    return lines


def describe_outcome(outcome: load.OutcomeFile, problems: pd.DataFrame) -> list[str]:
    """The Danish summary lines of one outcome file (``problems``: the run's outcome rows)."""
    table = outcome.table
    mine = problems[problems["kilde"] == outcome.source]
    years = ", ".join(str(y) for y in sorted(table["aar"].unique())) or "ingen"
    unknown = int((mine["problem"] == "ukendt kommunekode").sum())
    repeated = int((mine["problem"] == "kommune og år gentaget").sum())
    return [
        f"{outcome.source}: kan bruges",
        f"  form: udfaldsfil; dialekt: {outcome.dialect}; år: {years}",
        f"  rækker: {len(table)}; ukendte kommunekoder: {unknown}; gentaget kommune og år: "
        f"{repeated}",
    ]


def describe_raw(raw: RawData, settings: Settings | None = None) -> tuple[list[str], bool]:
    """Lines for what :func:`pipeline.load_raw` read, and whether ``run`` would use it all."""
    lines = [f"{i.source}: ignoreret ({i.reason})" for i in raw.ignored]
    reasons = fates(raw.sources, settings)
    start = 0
    described: dict[str, list[str]] = {}
    for source in raw.sources:
        mine = reasons.iloc[start : start + source.n_rows].reset_index(drop=True)
        start += source.n_rows
        described[source.source] = describe_source(source, mine)
    for outcome in raw.outcome_files:
        described[outcome.source] = describe_outcome(outcome, raw.outcome_problems)
    for error in raw.errors:
        described.setdefault(error.source, []).append(f"fejl: {error}")
    for name in sorted(described):
        lines += described[name]
    usable = not raw.errors and bool(raw.sources)
    if not raw.errors and not raw.sources:
        lines.append("fejl: ingen besvarelser fundet: run har intet at tælle")
    return lines, usable


def describe_paths(paths: list[Path], settings: Settings | None = None) -> tuple[list[str], bool]:
    """Lines to print and whether ``run`` would use every file (``paths``: raw folders, CSV
    exports or files, read together as one raw folder)."""
    try:
        raw = load_raw([Path(p) for p in paths])
    except load.RawDataError as error:
        return [f"fejl: {error}"], False
    if not raw.sources and not raw.outcome_files and not raw.errors:
        return [
            *(f"{i.source}: ignoreret ({i.reason})" for i in raw.ignored),
            "fejl: ingen rådatafiler fundet",
        ], False
    return describe_raw(raw, settings)
