"""Synthetic demo data in every shape and dialect of the contract, with a machine-readable truth.

:func:`generate` writes a complete demo raw folder, marked as demo by ``DEMODATA.md``
(:func:`is_demo_folder`), and returns a :class:`SynthTruth` that says what a correct loader must
make of every raw row. The helpers make one export in a chosen variation, for the loader's tests
(:func:`surveyxact_export`, :func:`own_sheet`, the writers), and :func:`write_national_csv` /
:func:`write_national_xlsx` make national-scale exports for benchmarks. Everything is vectorised
over respondents with numpy and reproducible from one seed (byte-identical files).

The modules, bottom up: :mod:`~omstilling_analysis.demo.encodings` (code schemes, dialects,
label texts and their variants), :mod:`~omstilling_analysis.demo.world` (the planted world, its
outcomes and truth; the worlds without types or links for the statistics tests),
:mod:`~omstilling_analysis.demo.exports` (respondents encoded as export tables),
:mod:`~omstilling_analysis.demo.defects` (planted duplicates, bad cells, row fates),
:mod:`~omstilling_analysis.demo.writers` (xlsx, CSV, own sheets, outcomes, truth),
:mod:`~omstilling_analysis.demo.folder` (the demo folder and its marker) and
:mod:`~omstilling_analysis.demo.national` (national scale).
"""

from omstilling_analysis.demo.defects import assign_fates, truth_for
from omstilling_analysis.demo.encodings import (
    DIALECTS,
    FORMULA_LIKE,
    LIKERT,
    ROLES,
    SCALE_SCHEMES,
    STATUS,
    THEME_QUESTIONS,
    UNKNOWN_CELL_TEXTS,
    UNKNOWN_MUNICIPALITY_LABELS,
    ExportStyle,
)
from omstilling_analysis.demo.exports import OwnSheet, SurveyXactExport
from omstilling_analysis.demo.folder import (
    DEMO_FOLDER,
    DEMO_MARKER,
    generate,
    is_demo_folder,
    own_sheet,
    surveyxact_export,
    write_demo_marker,
)
from omstilling_analysis.demo.national import write_national_csv, write_national_xlsx
from omstilling_analysis.demo.world import (
    OUTCOME_COLUMNS,
    OUTCOMES,
    PLANTED_EFFECTS,
    THEMES,
    TYPE_PROFILES,
    WEAK_SEPARATION,
    FateRates,
    SynthTruth,
    WorldSpec,
)
from omstilling_analysis.demo.writers import (
    TRUTH_FILES,
    write_outcomes,
    write_own_sheet,
    write_surveyxact_csv,
    write_surveyxact_xlsx,
    write_truth,
)

__all__ = [
    "DEMO_FOLDER",
    "DEMO_MARKER",
    "DIALECTS",
    "FORMULA_LIKE",
    "LIKERT",
    "OUTCOMES",
    "OUTCOME_COLUMNS",
    "PLANTED_EFFECTS",
    "ROLES",
    "SCALE_SCHEMES",
    "STATUS",
    "THEMES",
    "THEME_QUESTIONS",
    "TRUTH_FILES",
    "TYPE_PROFILES",
    "UNKNOWN_CELL_TEXTS",
    "UNKNOWN_MUNICIPALITY_LABELS",
    "WEAK_SEPARATION",
    "ExportStyle",
    "FateRates",
    "OwnSheet",
    "SurveyXactExport",
    "SynthTruth",
    "WorldSpec",
    "assign_fates",
    "generate",
    "is_demo_folder",
    "own_sheet",
    "surveyxact_export",
    "truth_for",
    "write_demo_marker",
    "write_national_csv",
    "write_national_xlsx",
    "write_outcomes",
    "write_own_sheet",
    "write_surveyxact_csv",
    "write_surveyxact_xlsx",
    "write_truth",
]
