"""``omstilling validate``: what each raw file is and whether it can be used, in Danish."""

from __future__ import annotations

from pathlib import Path

from omstilling_analysis import clean, load, reference
from omstilling_analysis.pipeline import clean_source


def _is_csv_export(path: Path) -> bool:
    return path.is_dir() and any(child.name.lower() == "dataset.csv" for child in path.iterdir())


def expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files and CSV-export folders to check; a raw folder is replaced by its entries."""
    entries, notes = [], []
    for path in paths:
        if path.is_dir() and not _is_csv_export(path):
            found, ignored = load.list_raw_entries(path)
            entries.extend(found)
            notes.extend(f"{i.source}: ignoreret ({i.reason})" for i in ignored)
        else:
            entries.append(path)
    return entries, notes


def describe_source(cleaned: clean.CleanSource) -> list[str]:
    """The Danish summary lines of one cleaned survey source."""
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
        f"  kommuner genkendt: {codes.dropna().nunique()} (rækker uden genkendt kommune: {int(codes.isna().sum())})",
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


def describe_paths(paths: list[Path]) -> tuple[list[str], bool]:
    """Lines to print and whether every file can be used."""
    entries, lines = expand(paths)
    usable = True
    if not entries:
        return [*lines, "fejl: ingen rådatafiler fundet"], False
    for entry in entries:
        try:
            source = load.read_source(entry)
            if isinstance(source, load.OutcomeFile):
                table = source.table
                known = table["kommunekode"].isin(reference.municipalities()["kommunekode"])
                years = ", ".join(str(y) for y in sorted(table["aar"].unique()))
                lines += [
                    f"{source.source}: kan bruges",
                    f"  form: udfaldsfil; dialekt: {source.dialect}; år: {years}",
                    f"  rækker: {len(table)}; ukendte kommunekoder: {int((~known).sum())}",
                ]
            else:
                lines += describe_source(clean_source(source))
        except load.RawDataError as error:
            usable = False
            lines.append(f"fejl: {error}")
    return lines, usable
