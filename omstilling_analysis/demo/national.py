"""National-scale SurveyXact exports (hundreds of thousands of rows) for the benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from omstilling_analysis.demo.defects import (
    assign_ids,
    count_copies,
    duplicate_counts,
    end_with_complete_row,
    plant_bad_cells,
    plant_duplicates,
    plant_patterns,
    truth_for,
)
from omstilling_analysis.demo.encodings import ExportStyle, resolve_dialect
from omstilling_analysis.demo.exports import SurveyXactExport, encode_surveyxact
from omstilling_analysis.demo.world import (
    Block,
    FateRates,
    SynthTruth,
    make_world,
    respondents_of,
    simulate,
)
from omstilling_analysis.demo.writers import write_surveyxact_csv, write_surveyxact_xlsx

__all__ = ["write_national_csv", "write_national_xlsx"]

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
    counts = duplicate_counts(round(rates.duplicates * n_respondents), 1)
    base = n_respondents - count_copies(counts)
    if base < 100:
        raise ValueError("n_respondents must be at least a few hundred")
    world = make_world(seed, [wave])
    rng = np.random.default_rng([seed, 6, wave])
    per, small = respondents_of(rng, world, None, (1, 1), base)
    block = simulate(rng, world, wave, per, small, rates)
    block = block.take(rng.permutation(len(block)))
    assign_ids(rng, [block], wave, 7_000_000_000)
    plant_patterns(rng, block, rates)
    copies = plant_duplicates(rng, block, counts)
    if copies is not None:
        block = Block.concat([block, copies])
    if style.unlabeled_code is not None:
        plant_bad_cells(rng, block, rates.bad_cell, 1)
    return encode_surveyxact(rng, world, end_with_complete_row(block), style, with_truth)


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
    resolve_dialect(dialect)
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
