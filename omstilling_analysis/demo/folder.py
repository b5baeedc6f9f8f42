"""The demo raw folder: :func:`generate` and the single-export helpers for the loader's tests.

:func:`generate` writes a complete demo raw folder (three waves of SurveyXact exports,
municipalities' own spreadsheets and outcome files) and returns a :class:`SynthTruth` that says
what a correct loader must make of every raw row. It also writes the marker file
:data:`DEMO_MARKER` (``DEMODATA.md``), so that demo data are always recognisable
(:func:`is_demo_folder`). :func:`surveyxact_export` and :func:`own_sheet` make one export in a
chosen variation. Everything is vectorised over respondents with numpy and reproducible from
one seed (byte-identical files).

Files written by ``generate(out_dir)`` (default waves 2020, 2022, 2024)
-----------------------------------------------------------------------
======================================  =====  ==========================================================
file / folder                           shape  variation
======================================  =====  ==========================================================
``selvevaluering_2020.xlsx``            A      Dataset split column-wise into ``Dataset(1)``/``Dataset(2)``;
                                               items ``bor_01``; 1 = Helt uenig, Ved ikke = 6; closetim text;
                                               ``responde`` as text; old item wording
``skema_2020_<kommune>.csv``            C      ``;`` cp1252; headed by full item text (old wording, stray
                                               spaces); ``Dato`` as dd-mm-yyyy text
``selvevaluering_2022/``                B      ``semicolon-cp1252``; items ``q_<tema>_<n>``; 1 = Helt enig,
                                               Ved ikke = 9 (``Ved ikke / ikke relevant``); code 6 has no
                                               label (cell problems); Labels fully shuffled
``selvevaluering_2022_supplement/``     B      ``tab-utf16``; items ``bor_01``; 1 = Helt uenig, Ved ikke = 9
                                               (``Ikke relevant``); a few municipalities of its own plus
                                               duplicates of rows in ``selvevaluering_2022`` (other closetim)
``skema_2022_<kommune>.xlsx``           C      headed by item codes; ``Dato`` as date cells
``selvevaluering_2024.xlsx``            A      one ``Dataset`` sheet; items ``q_<tema>_<n>`` (found by
                                               Structure text only); 1 = Helt enig, Ved ikke = 6; code 0
                                               unlabelled; closetim as Excel serial day numbers; ``responde``
                                               as numbers; a non-breaking space in one questionText
``selvevaluering_2024_eftersendt/``     B      ``comma-cp1252``; items ``bor_01``; 1 = Helt uenig,
                                               Ved ikke = 6 (``Ved ikke / ikke relevant``); code 7 unlabelled
``skema_2024_<kommune>.xlsx``           C      headed by full item text (current wording, stray spaces)
``implementering_2021.xlsx``            out    sheet ``Data``
``implementering_2023.csv``             out    ``;``, decimal comma, cp1252
``implementering_2025.xlsx``            out    sheet ``Data``
``DEMODATA.md``                         -      the demo marker (Danish): synthetic demo data,
                                               how to remove them before adding real exports
======================================  =====  ==========================================================

Every CSV line ends in CRLF and every line of ``structure.csv`` with an extra delimiter. Labels come
without a header, partly with trailing spaces; municipality labels in official, short, upper,
lower, spaced, hyphen-less, transliterated (``Aeroe``, ``Taarnby``) and old (``Århus``) forms,
plus three labels that are no municipality or ambiguous (``Nykøbing``, ``Frederiks``,
``Vestegnen Kommune``). ``kommenta`` holds mostly nothing, sometimes personal data
(``Ring til Jens Hansen på jens.hansen@...``) or text a spreadsheet would run as a formula
(``=HYPERLINK(...)``, ``+45 12 34 56 78``, ``-1``, ``@SUM(A1)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.demo.defects import (
    assign_ids,
    duplicate_counts,
    end_with_complete_row,
    own_sheet_rates,
    plant_bad_cells,
    plant_duplicates,
    plant_patterns,
    truth_for,
)
from omstilling_analysis.demo.encodings import FORMULA_LIKE, ExportStyle, cat, fold
from omstilling_analysis.demo.exports import (
    OwnSheet,
    SurveyXactExport,
    encode_own_sheet,
    encode_surveyxact,
)
from omstilling_analysis.demo.world import (
    OUTCOME_COLUMNS,
    Block,
    FateRates,
    SynthTruth,
    World,
    WorldSpec,
    check_waves,
    derived_outcomes,
    effects_table,
    levels_frame,
    make_world,
    outcome_table,
    respondents_of,
    simulate,
    types_frame,
)
from omstilling_analysis.demo.writers import (
    write_outcomes,
    write_own_sheet,
    write_surveyxact_csv,
    write_surveyxact_xlsx,
)

__all__ = [
    "DEMO_FOLDER",
    "DEMO_MARKER",
    "generate",
    "is_demo_folder",
    "own_sheet",
    "surveyxact_export",
    "write_demo_marker",
]

#: The marker file that makes a raw folder recognisable as synthetic demo data.
DEMO_MARKER = "DEMODATA.md"
#: The subfolder of ``data/raw`` that ``make run`` fills with demo data when there are no exports.
DEMO_FOLDER = "demo"

_MARKER_TEXT = """\
# DEMODATA: syntetiske data

Filerne i denne mappe er **syntetiske demodata**, lavet af programmet
(`omstilling_analysis.demo.generate`, seed {seed}, typer: {types}, sammenhænge: {links}).
De ligner rigtige SurveyXact-eksporter, kommunernes egne skemaer og udfaldsfiler, men ingen
besvarelse, intet navn og ingen e-mailadresse i dem er ægte. Brug dem til at prøve analysen,
aldrig som grundlag for konklusioner om kommunerne.

## Sådan fjerner du demodata, før du lægger rigtige eksporter ind

1. Slet hele denne mappe (i standardopsætningen: slet mappen `data/raw/demo`).
2. Læg jeres egne eksporter direkte i `data/raw`.
3. Kør analysen igen: `make run`, eller `omstilling kør --raw data/raw --out data/processed`.

Så længe denne fil ligger i mappen, regnes mappen for demodata.
"""


def surveyxact_export(
    wave: int = 2024,
    *,
    style: ExportStyle | None = None,
    seed: int = 0,
    municipalities: Sequence[int] | None = None,
    respondents_per_municipality: tuple[int, int] = (8, 40),
    n_respondents: int | None = None,
    rates: FateRates | None = None,
    duplicates: bool = True,
) -> SurveyXactExport:
    """One SurveyXact export (tables + truth) in a chosen variation, nothing written.

    Parameters
    ----------
    wave:
        The wave; its items are ``reference.items_of_wave(wave)``.
    style:
        How the export looks (:class:`ExportStyle`); default: item codes, 1 = Helt uenig.
    municipalities:
        Municipality codes taking part (default: all 98).
    respondents_per_municipality, n_respondents:
        Respondents per municipality drawn uniformly from the range, or ``n_respondents`` in all
        (spread by the square root of population; duplicates come on top).
    rates:
        Planted patterns (:class:`FateRates`); ``FateRates(minimum=0, ...)`` with zero rates
        gives clean data.
    duplicates:
        Plant duplicate copies (appended at the end, as a merged export would hold them).

    Write it with :func:`write_surveyxact_xlsx` / :func:`write_surveyxact_csv` and get the truth
    with ``truth_for({kilde: export})``.
    """
    style = style or ExportStyle()
    rates = rates or FateRates()
    world = make_world(seed, [wave])
    rng = np.random.default_rng([seed, 4, wave])
    per, small = respondents_of(
        rng, world, municipalities, respondents_per_municipality, n_respondents
    )
    block = simulate(rng, world, wave, per, small, rates)
    block = block.take(rng.permutation(len(block)))
    assign_ids(rng, [block], wave, 7_000_000_000)
    plant_patterns(rng, block, rates)
    if duplicates:
        counts = duplicate_counts(round(rates.duplicates * len(block)), rates.minimum)
        copies = plant_duplicates(rng, block, counts)
        if copies is not None:
            block = Block.concat([block, copies])
    if style.unlabeled_code is not None:
        plant_bad_cells(rng, block, rates.bad_cell, rates.minimum)
    return encode_surveyxact(rng, world, end_with_complete_row(block), style)


def own_sheet(
    wave: int = 2024,
    kommunekode: int = 306,
    *,
    n_respondents: int = 15,
    header: Literal["code", "text"] = "code",
    seed: int = 0,
    old_wording: bool | None = None,
    date_style: Literal["iso", "dk", "date"] = "iso",
    rates: FateRates | None = None,
    unknown_names: Sequence[str | None] = ("Vestegnen Kommune", "Frederiks", None),
) -> OwnSheet:
    """A municipality's own spreadsheet (shape C) with planted patterns and bad cells.

    ``header="code"`` heads the item columns by item code, ``"text"`` by the item's full text
    (with stray spaces; the old wording when ``old_wording`` or, if None, when ``wave < 2024``).
    Cells hold label texts in varied case and spacing, the Ved ikke variants, blanks and a few
    unknown texts (``Måske``: cell problems). ``unknown_names`` are the names typed in rows
    planted as ``ukendt kommune`` (None = Kommune left blank). Write it with
    :func:`write_own_sheet`.
    """
    rates = rates or FateRates()
    world = make_world(seed, [wave])
    rng = np.random.default_rng([seed, 5, wave, kommunekode])
    per, _ = respondents_of(rng, world, [kommunekode], (n_respondents, n_respondents), None)
    block = simulate(rng, world, wave, per, np.zeros(len(per), dtype=bool), rates)
    plant_patterns(
        rng, block, own_sheet_rates(rates, len(block), len(unknown_names)), unknown_names
    )
    plant_bad_cells(rng, block, rates.bad_cell, max(rates.minimum, 1))
    return encode_own_sheet(rng, world, block, header, date_style, old_wording)


# --------------------------------------------------------------------------- generate

# Per wave position (wave index modulo 3): the main export's styles and forms, an extra export of
# the same wave and the own sheet.
_STYLES: list[dict[str, ExportStyle]] = [
    {
        "main": ExportStyle(
            item_names="code",
            scale="uenig1-vi6",
            dont_know_label="Ved ikke",
            closetim="text",
            responde="text",
            labels_order="within",
            kommune_names={
                101: "Københavns Kommune",
                751: "Århus",
                400: "Bornholms Regionskommune",
            },
        )
    },
    {
        "main": ExportStyle(
            item_names="q",
            scale="enig1-vi9",
            dont_know_label="Ved ikke / ikke relevant",
            unlabeled_code=6,
            labels_order="shuffled",
            shuffle_codes=True,
            kommune_names={169: "Høje Taastrup", 492: "Aeroe"},
        ),
        "extra": ExportStyle(
            item_names="code",
            scale="uenig1-vi9",
            dont_know_label="Ikke relevant",
            labels_order="within",
            kommune_names={185: "Taarnby", 101: "KØBENHAVN"},
        ),
    },
    {
        "main": ExportStyle(
            item_names="q",
            scale="enig1-vi6",
            dont_know_label="Ved ikke",
            unlabeled_code=0,
            closetim="serial",
            responde="number",
            labels_order="shuffled",
            kommune_names={400: "Bornholms Regionskommune", 751: "aarhus"},
            nbsp=True,
        ),
        "extra": ExportStyle(
            item_names="code",
            scale="uenig1-vi6",
            dont_know_label="Ved ikke / ikke relevant",
            unlabeled_code=7,
            labels_order="sorted",
            kommune_names={185: "  Tårnby  Kommune ", 492: "ÆRØ"},
        ),
    },
]


@dataclass(frozen=True)
class _Plan:
    main_form: str  # "xlsx" or a CSV dialect
    split: int | None  # Dataset sheets of the main xlsx
    extra_suffix: str | None  # a second export of the wave: folder name suffix
    extra_dialect: str | None
    extra_municipalities: int  # municipalities found only in the second export
    cross_duplicates: bool  # half of the wave's duplicate copies go to the second export
    own_ext: str
    own_header: Literal["code", "text"]
    own_dates: Literal["iso", "dk", "date"]
    own_unknown: tuple[str | None, ...]


_PLANS = [
    _Plan("xlsx", 2, None, None, 0, False, ".csv", "text", "dk", ("Vestegnen Kommune", None)),
    _Plan(
        "semicolon-cp1252",
        None,
        "_supplement",
        "tab-utf16",
        7,
        True,
        ".xlsx",
        "code",
        "date",
        ("Frederiks",),
    ),
    _Plan(
        "xlsx", None, "_eftersendt", "comma-cp1252", 5, False, ".xlsx", "text", "iso", ("Nykøbing",)
    ),
]


def _counts_per_municipality(
    rng: np.random.Generator, world: World, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Respondents per municipality in a wave (0 = not taking part) and the small ones.

    Larger municipalities tend to have more respondents; 2-4 municipalities take no part and
    three have only 1 or 2 respondents.
    """
    n = len(world.codes)
    rank = world.population.argsort().argsort() / (n - 1)
    counts = np.rint(lo + (hi - lo) * (0.7 * rank + 0.3 * rng.random(n))).astype(np.int64)
    counts = np.clip(counts, lo, hi)
    order = rng.permutation(n)
    absent = order[: rng.integers(2, 5)]
    small = order[len(absent) : len(absent) + 3]
    counts[absent] = 0
    counts[small] = rng.integers(1, 3, len(small))
    is_small = np.zeros(n, dtype=bool)
    is_small[small] = True
    return counts, is_small


def _block_of(
    rng: np.random.Generator,
    world: World,
    wave: int,
    municipalities: np.ndarray,
    counts: np.ndarray,
    is_small: np.ndarray,
    rates: FateRates,
) -> Block:
    per = np.repeat(municipalities, counts[municipalities])
    block = simulate(rng, world, wave, per, is_small[per], rates)
    return block.take(rng.permutation(len(block)))


def _force_comments(rng: np.random.Generator, block: Block) -> None:
    """Every formula-like text and one with personal data at least once."""
    ordinary = np.flatnonzero(block.cols["moenster"] == "regulær")
    chosen = rng.choice(ordinary, size=len(FORMULA_LIKE) + 1, replace=False)
    block.cols["kommenta"][chosen[:-1]] = np.array(FORMULA_LIKE, dtype=object)
    last = chosen[-1:]
    block.cols["kommenta"][last] = cat(
        "Ring til ", block.cols["name"][last], " på ", block.cols["email"][last]
    )


def _wave_exports(
    rng: np.random.Generator,
    world: World,
    wave: int,
    wave_position: int,
    lo: int,
    hi: int,
    rates: FateRates,
    out: Path,
) -> tuple[dict[str, SurveyXactExport | OwnSheet], np.ndarray]:
    """Write one wave's exports; returns ``{kilde: source}`` and which municipalities took part."""
    plan = _PLANS[wave_position % len(_PLANS)]
    styles = _STYLES[wave_position % len(_STYLES)]
    counts, is_small = _counts_per_municipality(rng, world, lo, hi)
    present = np.flatnonzero(counts > 0)
    regular = rng.permutation(present[~is_small[present]])
    own_m = int(regular[0])
    counts[own_m] = rng.integers(12, 19)
    extra_ms = np.sort(regular[1 : 1 + plan.extra_municipalities])
    main_ms = np.setdiff1d(present, np.concatenate([[own_m], extra_ms]))

    main = _block_of(rng, world, wave, main_ms, counts, is_small, rates)
    extra = (
        _block_of(rng, world, wave, extra_ms, counts, is_small, rates)
        if plan.extra_suffix
        else None
    )
    assign_ids(rng, [main] + ([extra] if extra is not None else []), wave, 7_000_000_000)
    plant_patterns(rng, main, rates)
    if wave_position == 0:
        _force_comments(rng, main)
    n_copies = round(rates.duplicates * len(main))
    if extra is not None:
        plant_patterns(rng, extra, rates)
    if extra is not None and plan.cross_duplicates:
        cross = plant_duplicates(rng, main, duplicate_counts(n_copies // 2, 1))
        within = plant_duplicates(rng, main, duplicate_counts(n_copies // 2, 1))
        if cross is not None:
            extra = Block.concat([extra, cross])
    else:
        within = plant_duplicates(rng, main, duplicate_counts(n_copies, 1))
    if within is not None:
        main = Block.concat([main, within])

    sources: dict[str, SurveyXactExport | OwnSheet] = {}
    if styles["main"].unlabeled_code is not None:
        plant_bad_cells(rng, main, rates.bad_cell, 2)
    main = end_with_complete_row(main)
    export = encode_surveyxact(rng, world, main, styles["main"])
    if plan.main_form == "xlsx":
        name = f"selvevaluering_{wave}.xlsx"
        order = (
            ("Dataset", "Labels", "Structure") if plan.split else ("Labels", "Dataset", "Structure")
        )
        write_surveyxact_xlsx(
            export.tables, out / name, split_columns=plan.split, sheet_order=order
        )
    else:
        name = f"selvevaluering_{wave}"
        write_surveyxact_csv(export.tables, out / name, plan.main_form)
    sources[name] = export

    if extra is not None:
        if styles["extra"].unlabeled_code is not None:
            plant_bad_cells(rng, extra, rates.bad_cell, 2)
        extra = end_with_complete_row(extra)
        export = encode_surveyxact(rng, world, extra, styles["extra"])
        name = f"selvevaluering_{wave}{plan.extra_suffix}"
        write_surveyxact_csv(export.tables, out / name, plan.extra_dialect)
        sources[name] = export

    own = _block_of(rng, world, wave, np.array([own_m]), counts, is_small, rates)
    own_rates = own_sheet_rates(rates, len(own), len(plan.own_unknown))
    plant_patterns(rng, own, own_rates, plan.own_unknown)
    plant_bad_cells(rng, own, rates.bad_cell, 2)
    sheet = encode_own_sheet(rng, world, own, plan.own_header, plan.own_dates)
    name = f"skema_{wave}_{fold(world.short[own_m]).lower().replace(' ', '_')}{plan.own_ext}"
    write_own_sheet(sheet, out / name)
    sources[name] = sheet
    return sources, counts > 0


def _wave_outcomes(
    rng: np.random.Generator, world: World, wave: int, wave_position: int, out: Path
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Write the outcomes of year ``wave + 1``; returns them, the missing ones and the file name."""
    outcomes = outcome_table(world, wave, rng)
    gone = rng.choice(len(outcomes), size=int(rng.integers(2, 4)), replace=False)
    blank = int(rng.choice(np.setdiff1d(np.arange(len(outcomes)), gone)))
    outcomes["piloter_skaleret"] = outcomes["piloter_skaleret"].astype("Int64")
    outcomes.loc[blank, "piloter_skaleret"] = pd.NA
    year = wave + 1
    missing = pd.DataFrame(
        {
            "aar": year,
            "kommunekode": np.append(
                outcomes.loc[gone, "kommunekode"].to_numpy(), outcomes.at[blank, "kommunekode"]
            ),
            "kolonne": ["alle"] * len(gone) + ["piloter_skaleret"],
        }
    )
    written = outcomes.drop(index=gone).reset_index(drop=True)
    if wave_position % 2 == 0:
        name = f"implementering_{year}.xlsx"
        columns = [c for c in OUTCOME_COLUMNS if c != "aar"] + ["aar"]
    else:
        name = f"implementering_{year}.csv"
        columns = list(OUTCOME_COLUMNS)
    write_outcomes(written[columns], out / name)
    return written, missing, name


def is_demo_folder(raw_dir: str | Path) -> bool:
    """Whether ``raw_dir`` holds synthetic demo data: true when its :data:`DEMO_MARKER` exists.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> is_demo_folder(folder)
    False
    >>> _ = write_demo_marker(folder)
    >>> is_demo_folder(folder)
    True
    """
    return (Path(raw_dir) / DEMO_MARKER).is_file()


def write_demo_marker(
    out_dir: str | Path, seed: int = 20240101, world: WorldSpec | None = None
) -> Path:
    """Write the Danish :data:`DEMO_MARKER` into ``out_dir`` (what the data are, how to remove
    them before adding real exports) and return its path."""
    world = world or WorldSpec()
    path = Path(out_dir) / DEMO_MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _MARKER_TEXT.format(seed=seed, types=world.types, links=world.links)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def generate(
    out_dir: str | Path,
    seed: int = 20240101,
    respondents_per_municipality: tuple[int, int] = (8, 40),
    waves: Sequence[int] = (2020, 2022, 2024),
    types: Literal["planted", "weak", "none"] = "planted",
    links: Literal["planted", "none"] = "planted",
) -> SynthTruth:
    """Write a complete demo raw folder to ``out_dir`` and return its truth.

    See the module docstring for the files and their variations, and
    :mod:`omstilling_analysis.demo.world` for the planted structure. ``types`` and ``links``
    choose the world (:class:`WorldSpec`): ``types="none"`` (no municipality types, profiles from
    one multivariate normal distribution) or ``"weak"`` (four overlapping types), and
    ``links="none"`` (outcomes independent of the themes) are for testing the statistics; the
    truth records the world (``SynthTruth.world``). The marker file ``DEMODATA.md`` is written
    too. Existing files of the same names are overwritten; nothing else in ``out_dir`` is
    touched. The same arguments give byte-identical files.
    """
    spec = WorldSpec(types=types, links=links)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    waves = check_waves(waves)
    lo, hi = (int(v) for v in respondents_per_municipality)
    if not 3 <= lo <= hi:
        raise ValueError("respondents_per_municipality must be (lo, hi) with 3 <= lo <= hi")
    world = make_world(seed, waves, spec)
    rates = FateRates()
    sources: dict[str, SurveyXactExport | OwnSheet] = {}
    participants, outcome_frames, missing, files = [], [], [], []
    for position, wave in enumerate(waves):
        rng = np.random.default_rng([seed, 2, wave])
        wave_sources, taking_part = _wave_exports(rng, world, wave, position, lo, hi, rates, out)
        sources.update(wave_sources)
        participants.append(
            pd.DataFrame(
                {"boelge": np.int64(wave), "kommunekode": world.codes, "deltager": taking_part}
            )
        )
        written, gone, name = _wave_outcomes(rng, world, wave, position, out)
        outcome_frames.append(written)
        missing.append(gone)
        files += [*wave_sources, name]

    truth = truth_for(sources)
    population = reference.municipalities().set_index("kommunekode")["indbyggere_2020"]
    truth.outcomes = derived_outcomes(pd.concat(outcome_frames, ignore_index=True), population)
    truth.missing_outcomes = (
        pd.concat(missing, ignore_index=True)
        .astype({"aar": "int64", "kommunekode": "int64"})
        .sort_values(["aar", "kommunekode"], ignore_index=True)
    )
    truth.levels = levels_frame(world)
    truth.municipality_types = types_frame(world).merge(
        pd.concat(participants, ignore_index=True), on=["boelge", "kommunekode"]
    )
    truth.effects = effects_table(truth.levels, truth.outcomes, spec)
    truth.type_profiles = spec.type_profiles()
    truth.world = spec
    truth.files = sorted(files)
    write_demo_marker(out, seed, spec)
    return truth
