"""The whole run, from ``data/raw`` to ``data/processed``, as the CLI and the notebooks call it.

:func:`load_raw` reads and cleans every raw source; :func:`analyse` computes every table;
:func:`write_outputs` writes them into a temporary folder that replaces the outputs only when
everything succeeded. :func:`run` does all three.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omstilling_analysis import clean, load, parallel, reference, score
from omstilling_analysis.cache import CACHE_MODES, SourceCache, cache_folder, checksum
from omstilling_analysis.demo.folder import is_demo_folder
from omstilling_analysis.memo import FOLDER as MEMO_FOLDER
from omstilling_analysis.memo import Memo, code_fingerprint
from omstilling_analysis.publish import (
    PublishedTables,
    index_shown_any,
    publish,
    published_scores,
    wave_key,
)
from omstilling_analysis.settings import Settings

__all__ = [
    "ANALYSIS_MODULES",
    "ProgressLog",
    "RawData",
    "READERS_AT_ONCE",
    "ROW_LEVEL_CSVS",
    "RawDataErrors",
    "RunResult",
    "SCHEMA_CHECK_VARIABLE",
    "analyse",
    "check_schemas",
    "clean_source",
    "cluster_tables",
    "combine_outcomes",
    "describe_run",
    "effect_tables",
    "import_analyses",
    "item_tables",
    "final_manifest",
    "load_raw",
    "reliability_tables",
    "robustness_tables",
    "run",
    "score_tables",
    "write_outputs",
    "write_run_files",
]


class ProgressLog:
    """Danish progress lines on stderr, and tqdm bars where the output is a terminal."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    def bar(self, iterable, description: str, total: int | None = None):
        if not self.enabled:
            return iterable
        from tqdm.auto import tqdm

        return tqdm(
            iterable, desc=description, total=total, file=sys.stderr, leave=False, unit="fil"
        )


@dataclass
class RawData:
    """Everything read from a raw folder: cleaned survey sources and outcome files."""

    raw_dir: Path
    sources: list[clean.CleanSource]
    outcomes: pd.DataFrame
    outcome_files: list[load.OutcomeFile]
    ignored: list[load.IgnoredFile]
    errors: list[load.RawDataError] = field(default_factory=list)
    outcome_problems: pd.DataFrame = field(default_factory=clean.empty_problems)
    #: The storing of the sources cleaned anew in the cache, while it goes on
    #: (:meth:`finish_caching`).
    caching: parallel.Background | None = field(default=None, repr=False, compare=False)

    def finish_caching(self) -> None:
        """Wait until the sources cleaned anew are in the cache (:func:`load_raw`)."""
        if self.caching is not None:
            caching, self.caching = self.caching, None
            caching.result()


@dataclass(frozen=True)
class RunResult:
    """Every result of a run, typed.

    Attributes
    ----------
    tables:
        The analyst's internal tables (full detail, pseudonymised), by the output file name
        they are written to in ``OUT/``.
    published:
        The publish stage's tables (:func:`omstilling_analysis.publish.publish`): everything
        that may leave KL, and the only source of the workbooks, figures and published CSVs.
    manifest:
        The run described (inputs with checksums, row counts, versions, settings, notes): the
        same for the same inputs. ``manifest.json`` adds the time, the command line and each
        output's checksum when the outputs are written (:func:`write_outputs`).
    raw:
        What was read from the raw folder.
    settings:
        The settings in force.
    clusters, effects:
        The :class:`~omstilling_analysis.clusters.ClusterResult` and
        :class:`~omstilling_analysis.effects.EffectsResult` (``None`` when not computed).
    notes:
        Danish remarks of the run (e.g. why the effects were not computed).
    reused:
        The per-wave analyses taken from an earlier run's memo (:mod:`omstilling_analysis.memo`),
        e.g. ``rang-2022``; ``manifest.json`` lists them (the workbooks do not: a run with and
        without the memo writes the same bytes).
    encoding:
        Parquet files of ``tables`` being encoded by forked children since their tables were
        made (``analyse(..., encode=True)``), by output name: :func:`write_run_files` writes
        their bytes.
    encoded:
        CSV files of ``tables`` already encoded (``analyse(..., encode=True)``: the
        :data:`ROW_LEVEL_CSVS`), by output name; written as they are.
    """

    tables: Mapping[str, pd.DataFrame]
    published: PublishedTables
    manifest: Mapping[str, Any]
    raw: RawData
    settings: Settings
    clusters: Any = None
    effects: Any = None
    notes: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    encoding: Mapping[str, parallel.Background[bytes]] = field(default_factory=dict)
    encoded: Mapping[str, bytes] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def summary(self) -> str:
        """The run in one Danish sentence: rows read, counted and left out."""
        rows = self.manifest["raekker"]
        return (
            f"Færdig: {rows['ind']} rækker læst, {rows['talt']} besvarelser talt, "
            f"{rows['udeladt']} udeladt."
        )

    def summary_data(self):
        """What the workbooks show (:class:`omstilling_analysis.report.SummaryData`): the
        published tables with every figure of the run ready to draw (``.figures``)."""
        from omstilling_analysis.report.videncenter import summary_data

        return summary_data(
            self.tables,
            self.manifest,
            published=self.published,
            clusters=self.clusters,
            effects=self.effects,
        )

    def figure_inputs(self):
        """What the figures are drawn from: a :class:`omstilling_analysis.plots.FigureInputs`
        of the published tables and the analyses' results."""
        from omstilling_analysis.plots import FigureInputs

        return FigureInputs(self.published, self.clusters, self.effects)


def clean_source(source: load.RawSource, key: bytes | None = None) -> clean.CleanSource:
    """Dispatch a read source to its shape's cleaner (``key``: the HMAC key)."""
    if isinstance(source, load.SurveyXactExport):
        return clean.clean_surveyxact(source, key)
    if isinstance(source, load.OwnSheet):
        return clean.clean_own_sheet(source, key)
    raise TypeError(type(source))


def read_and_clean(
    entry: Path, key: bytes | None = None, digest: str | None = None
) -> clean.CleanSource | load.OutcomeFile | load.RawDataError:
    """One raw entry read (:func:`load.read_source`) and, unless it is an outcome file,
    cleaned (with its checksum ``digest``, the cache's key); a file that cannot be used is
    returned as its :class:`load.RawDataError`."""
    try:
        source = load.read_source(entry)
        if isinstance(source, load.OutcomeFile):
            return source
        cleaned = clean_source(source, key)
    except load.RawDataError as error:
        return error
    del source  # the raw table is not needed beside its cleaned rows
    cleaned.sha256 = digest
    return cleaned


def import_analyses() -> None:
    """Import the modules of the analyses and the writing (pandas' and matplotlib's heavy
    parts among them) ahead of their first use, and read the map outlines: :func:`load_raw`
    does it while forked children read the sources, when this process would otherwise wait.
    The processes that draw the figures are forked from this one later and inherit both
    (each read the outlines again before: 0.4 s of a core)."""
    import importlib

    for module in ANALYSIS_MODULES:
        importlib.import_module(module)
    from omstilling_analysis.plots.maps import map_geometry

    map_geometry()


#: Sources read and cleaned by forked children at once. A national source takes about 600 MiB
#: while it is cleaned: three at once took the run's processes to 2.0-2.1 GiB together (two:
#: 1.45 GiB, below the analyses' 1.8), and on two cores a third at once is not faster.
READERS_AT_ONCE = 2

#: What :func:`import_analyses` imports: every module a run needs after the reading.
ANALYSIS_MODULES = (
    "omstilling_analysis.change",
    "omstilling_analysis.clusters",
    "omstilling_analysis.reliability",
    "omstilling_analysis.robustness",
    "omstilling_analysis.report.videncenter",
    "omstilling_analysis.plots",
)


def load_raw(
    raw_dir: str | Path | list[Path],
    progress: ProgressLog | None = None,
    cache: SourceCache | None = None,
    key: bytes | None = None,
) -> RawData:
    """Read and clean every entry of ``raw_dir``; collect the files that cannot be used.

    ``raw_dir`` is a raw folder, or a list of paths (``omstilling validate``): each a raw
    folder (its entries are read), a CSV export's folder or a file. Errors do not stop the
    reading, so that the analyst sees every broken file at once; the caller decides (``run``
    refuses to write anything when there are errors). With ``cache``
    (:class:`cache.SourceCache`) a source whose entry matches is taken from the cache instead
    of being read and cleaned, and a source cleaned anew is stored there. ``key`` is the HMAC
    key (by default the cache's, else :func:`privacy.hash_key`).
    """
    progress = progress or ProgressLog(False)
    key = key if key is not None else (cache.key if cache is not None else None)
    if isinstance(raw_dir, (list, tuple)):
        entries, ignored = [], []
        for path in map(Path, raw_dir):
            if path.is_dir() and not load.is_csv_export(path):
                found, skipped = load.list_raw_entries(path)
                entries += found
                ignored += skipped
            else:
                entries.append(path)
        folders = [Path(p) for p in raw_dir if Path(p).is_dir() and not load.is_csv_export(p)]
        base = folders[0] if len(folders) == 1 else Path(raw_dir[0]).parent if raw_dir else Path()
    else:
        entries, ignored = load.list_raw_entries(raw_dir)
        base = Path(raw_dir)
    digests: dict[Path, str | None] = {}
    in_cache: list[Path] = []
    # A source the cache has never seen (a new wave, or every source of a cold run) is
    # checksummed by its reader, which then starts without waiting for the others' checksums.
    checksummed_by_reader: set[Path] = set()
    for entry in entries:
        if cache is not None and not cache.knows(entry.name):
            checksummed_by_reader.add(entry)
        elif cache is not None:
            digests[entry] = _checksum_or_none(entry)
            if digests[entry] and cache.holds(entry.name, digests[entry]):
                in_cache.append(entry)

    def read(entry: Path) -> clean.CleanSource | load.OutcomeFile | load.RawDataError:
        digest = _checksum_or_none(entry) if entry in checksummed_by_reader else digests.get(entry)
        return read_and_clean(entry, key, digest)

    # Each source not in the cache is read and cleaned by a forked child (a core each), started
    # first: meanwhile this process reads the cached sources and imports the analyses' modules,
    # so that a run after one new wave does the old waves' part while the new one is read.
    unread = [entry for entry in entries if entry not in in_cache]
    fresh = parallel.forked_map(read, unread, processes=READERS_AT_ONCE)
    found: dict[Path, clean.CleanSource] = {}
    for entry in in_cache:
        # A damaged entry is a miss: the source is read here.
        found[entry] = cache.load(entry.name, digests[entry]) or read(entry)
    if unread and parallel.workers():  # (with nothing forked, importing now gains nothing)
        import_analyses()
    sources: list[clean.CleanSource] = []
    outcome_files: list[load.OutcomeFile] = []
    errors: list[load.RawDataError] = []
    for entry in progress.bar(entries, "Indlæser", total=len(entries)):
        item = found[entry] if entry in found else next(fresh)
        if isinstance(item, load.RawDataError):
            errors.append(item)
        elif isinstance(item, load.OutcomeFile):
            outcome_files.append(item)
        else:
            sources.append(item)
    for source in sources:
        progress.say(
            f"{source.source}: bølge {source.wave}, {source.n_rows} rækker, "
            f"{len(source.item_map)} spørgsmål genkendt"
            + (" (fra cachen)" if source.from_cache else "")
        )
    if cache is not None and sources:
        hits = sum(s.from_cache for s in sources)
        progress.say(
            f"cache i {cache.folder}: {hits} af {len(sources)} kilder derfra, "
            f"{len(sources) - hits} læst og renset"
            + (" (--uden-cache: cachen er skrevet på ny)" if cache.mode == "refresh" else "")
        )
    outcomes, outcome_problems = combine_outcomes(outcome_files)
    raw = RawData(base, sources, outcomes, outcome_files, ignored, errors, outcome_problems)
    cleaned_now = [source for source in sources if not source.from_cache]
    if cache is not None and cleaned_now:
        # Stored by a forked child while the run goes on (the next stages use one core at
        # first): writing a national source's entry takes most of a second, which the readers
        # would otherwise spend before sending their sources.
        raw.caching = parallel.in_background(lambda: cache.store_all(cleaned_now))
    return raw


def _checksum_or_none(entry: Path) -> str | None:
    try:
        return checksum(entry)
    except OSError:
        return None  # read_source names the problem


def combine_outcomes(files: list[load.OutcomeFile]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All outcome files in one table; unknown codes and repeated municipality-years listed.

    Rows of an unknown municipality code and repeats of a municipality-year are left out and
    each is listed in the data-quality table (the code shown only when it is a plausible one).
    """
    from omstilling_analysis.privacy import safe_cell_value

    columns = list(load.OUTCOME_COLUMNS)
    empty = pd.DataFrame(
        {c: pd.Series(dtype="int64" if c in ("kommunekode", "aar") else "float64") for c in columns}
    )
    if not files:
        return empty, clean.empty_problems()
    known = set(reference.municipalities()["kommunekode"])
    tables, problems = [], []
    for outcome in files:
        table = outcome.table.copy()
        table["kilde"] = outcome.source
        tables.append(table)
    stacked = pd.concat(tables, ignore_index=True)
    unknown = ~stacked["kommunekode"].isin(known)
    repeated = stacked.duplicated(["kommunekode", "aar"], keep="first") & ~unknown
    for mask, problem in ((unknown, "ukendt kommunekode"), (repeated, "kommune og år gentaget")):
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "kilde": stacked.loc[mask, "kilde"],
                        "kilde_raekke": stacked.loc[mask, "kilde_raekke"].astype("int64"),
                        "variabel": "kommunekode",
                        "vaerdi": stacked.loc[mask, "kommunekode"].map(safe_cell_value),
                        "problem": problem,
                    }
                )
            )
    kept = stacked.loc[~unknown & ~repeated, columns].reset_index(drop=True)
    if kept.empty:
        kept = empty
    quality = pd.concat(problems, ignore_index=True) if problems else clean.empty_problems()
    return kept, quality


def _versions() -> dict[str, str]:
    names = [
        "omstilling-analysis", "pandas", "numpy", "pyarrow", "python-calamine", "openpyxl",
        "xlsxwriter", "scikit-learn", "scipy", "statsmodels", "matplotlib", "seaborn",
    ]  # fmt: skip
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "ikke installeret"
    return versions


def describe_run(
    raw: RawData,
    tables: Mapping[str, pd.DataFrame],
    settings: Settings,
    notes: tuple[str, ...] = (),
) -> dict:
    """The run described: inputs with checksums, row counts in and out, versions, settings and
    notes. Nothing here depends on when or from where the run was started, so the same inputs
    give the same description (the workbooks show it)."""
    inputs = []
    for source in raw.sources:
        path = raw.raw_dir / source.source
        left_out = tables["udeladte.csv"]
        mine = left_out[left_out["kilde"] == source.source]
        inputs.append(
            {
                "kilde": source.source,
                "form": source.shape,
                "dialekt": source.dialect,
                "boelge": source.wave,
                "sha256": source.sha256 or checksum(path),
                "fra_cache": source.from_cache,
                "raekker_ind": source.n_rows,
                "raekker_talt": int(
                    (tables["besvarelser.parquet"]["kilde"] == source.source).sum()
                ),
                "raekker_udeladt": {
                    str(k): int(v) for k, v in mine["aarsag"].value_counts().items()
                },
                "spoergsmaal_genkendt": len(source.item_map),
                "celleproblemer": int((source.problems["kilde_raekke"] > 1).sum()),
            }
        )
    for outcome in raw.outcome_files:
        inputs.append(
            {
                "kilde": outcome.source,
                "form": "udfaldsfil",
                "dialekt": outcome.dialect,
                "sha256": checksum(outcome.path),
                "raekker_ind": len(outcome.table),
            }
        )
    rows_in = sum(s.n_rows for s in raw.sources)
    counted = len(tables["besvarelser.parquet"])
    left = len(tables["udeladte.csv"])
    return {
        "vaerktoej": "omstilling_analysis",
        # Synthetic demo data are marked as such in the manifest and on every sheet.
        "demodata": is_demo_folder(raw.raw_dir),
        "input": inputs,
        "ignoreret": [{"kilde": i.source, "aarsag": i.reason} for i in raw.ignored],
        "raekker": {
            "ind": rows_in,
            "talt": counted,
            "udeladt": left,
            "udeladt_efter_aarsag": {
                str(k): int(v) for k, v in tables["udeladte.csv"]["aarsag"].value_counts().items()
            },
            "alle_raekker_gjort_rede_for": rows_in == counted + left,
        },
        "output": {name: int(len(table)) for name, table in tables.items()},
        "versioner": _versions(),
        "indstillinger": settings.to_dict(),
        "bemaerkninger": list(notes),
    }


def analyse(
    raw: RawData,
    settings: Settings,
    progress: ProgressLog | None = None,
    memo: Memo | None = None,
    encode: bool = False,
) -> RunResult:
    """Every table of the run from the cleaned raw data, published (nothing is written here).

    ``memo`` keeps the per-wave analyses for the next run and reuses those of an earlier run
    whose inputs are unchanged (:mod:`omstilling_analysis.memo`); the tables are the same
    either way. With ``encode`` (the run's outputs are to be written) the respondent table's
    Parquet file is encoded by a forked child as soon as the table is made
    (``RunResult.encoding``)."""
    responses, left_out = clean.responses_and_left_out(raw.sources, settings)
    # The largest output (a second or more of a core) is encoded while this process scores
    # the waves, when the other core has least to do.
    encoding = (
        {"besvarelser.parquet": parallel.in_background(lambda: _parquet_bytes(responses))}
        if encode
        else {}
    )
    try:
        result = _analysed(raw, responses, left_out, settings, progress, memo, encode)
    except BaseException:
        for job in encoding.values():
            job.cancel()
        raise
    return dataclasses.replace(result, encoding=encoding)


def _parquet_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as the bytes of its Parquet output file."""
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as the bytes of its CSV output file (UTF-8, no index)."""
    return table.to_csv(index=False).encode("utf-8")


#: The CSV outputs with a row per raw row (about 230,000 rows for three national waves).
ROW_LEVEL_CSVS = ("udeladte.csv", "datakvalitet.csv")


def _analysed(
    raw: RawData,
    responses: pd.DataFrame,
    left_out: pd.DataFrame,
    settings: Settings,
    progress: ProgressLog | None,
    memo: Memo | None,
    encode: bool = False,
) -> RunResult:
    """:func:`analyse` after the respondent table is made."""
    from omstilling_analysis.privacy import hash_key, safe_cell_values
    from omstilling_analysis.verify import key_fingerprint

    progress = progress or ProgressLog(False)
    key, key_source = hash_key()
    quality = pd.concat(
        [s.problems for s in raw.sources] + [raw.outcome_problems], ignore_index=True
    ).loc[:, clean.QUALITY_COLUMNS]
    quality["vaerdi"] = safe_cell_values(quality["vaerdi"])
    progress.say(
        f"{len(responses)} besvarelser talt, {len(left_out)} rækker udeladt, "
        f"{int((quality['kilde_raekke'] > 1).sum())} celleproblemer"
    )
    tables: dict[str, pd.DataFrame] = {
        "besvarelser.parquet": responses,
        "udeladte.csv": left_out,
        "datakvalitet.csv": quality,
    }
    memo = memo or Memo(None, b"", "")
    respondent, municipal = wave_scores(responses, settings, memo)
    progress.say(f"scorer for {len(municipal)} kommuner × bølger")
    for frame in (responses, respondent):
        # The waves' rows and their fingerprints made once, here: the work forked below
        # inherits them.
        for rows in wave_slices(frame, memo).values():
            memo_key(memo, rows)
    shown = published_scores(municipal, settings)

    # The types of municipality, and the index robustness followed by the reliability, are
    # computed by two forked children (:mod:`omstilling_analysis.parallel`) while this process
    # computes the rank intervals, the change and the item statistics: all need only the
    # scores, and the three shares take about as long (about two seconds a wave each).
    clustering = parallel.in_background(
        lambda: memo.logged(lambda: cluster_tables(municipal, respondent, settings, memo))
    )
    robustness_work = parallel.in_background(
        lambda: memo.logged(
            lambda: (
                robustness_tables(responses, respondent, municipal, shown, settings, memo),
                reliability_tables(responses, respondent, settings, memo),
            )
        )
    )
    tables.update(score_tables(responses, respondent, municipal, settings, memo))
    items = item_tables(raw, responses, settings, memo)
    # This process waits for the children next (the clusters take longest): meanwhile it
    # encodes the row-level CSV files, which the writing then writes as they are.
    encoded = {name: _csv_bytes(tables[name]) for name in ROW_LEVEL_CSVS} if encode else {}
    robust, reliable = memo.absorb(robustness_work.result())
    tables.update(reliable | items)
    progress.say("rangintervaller, udvikling og reliabilitet beregnet")
    cluster_result, cluster_tables_ = memo.absorb(clustering.result())
    for row in cluster_result.chosen.itertuples(index=False):
        progress.say(f"bølge {row.boelge}: {row.k} klynger ({row.metode})")
    tables.update(cluster_tables_)
    effects_result, effect_tables_, notes = effect_tables(
        raw, tables["kommunescorer.parquet"], settings, progress
    )
    tables.update(effect_tables_)
    published = publish(tables, settings)
    if robust:
        progress.say(f"indeksets robusthed: {settings.robustness_draws} samtidige træk pr. bølge")
    tables.update(robust)
    published = dataclasses.replace(
        published,
        robustness=robust.get("indeksrobusthed.csv"),
        sensitivity=robust.get("indeksfoelsomhed.csv"),
        robustness_sentences=_robustness_sentences(robust.get("indeksfoelsomhed.csv")),
    )
    if os.environ.get(SCHEMA_CHECK_VARIABLE):
        check_schemas(tables, published)
    progress.say("offentliggørelse: små tal skjult, rang og udvikling blandt de viste kommuner")
    return RunResult(
        tables=tables,
        published=published,
        manifest=describe_run(raw, tables, settings, notes)
        | {"noegle": key_source, "noegle_fingeraftryk": key_fingerprint(key)},
        raw=raw,
        settings=settings,
        clusters=cluster_result,
        effects=effects_result,
        notes=notes,
        encoded=encoded,
    )


def wave_scores(
    responses: pd.DataFrame, settings: Settings, memo: Memo | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`score.respondent_scores` of ``responses`` and :func:`score.municipality_scores`
    of those, computed wave by wave (a wave's scores depend on its own rows only), each wave's
    from ``memo`` where its rows and the settings are unchanged: the same frames either way."""
    memo = memo or Memo(None, b"", "")
    answers = wave_slices(responses, memo)
    if not answers:
        respondent = score.respondent_scores(responses, settings)
        return respondent, score.municipality_scores(respondent, settings)

    def compute(rows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        themes = score.respondent_theme_scores(rows, settings)
        return themes, score.municipality_scores(score.respondent_frame(rows, themes), settings)

    parts = [
        memo.get(
            f"scorer-{wave}",
            (settings.to_dict(), memo_key(memo, rows)),
            lambda rows=rows: compute(rows),
        )
        for wave, rows in answers.items()
    ]
    # Each wave's rows back in their places (the waves need not follow one another).
    waves = responses["boelge"].to_numpy()
    themes = np.empty((len(responses), len(reference.theme_codes())))
    for wave, (wave_themes, _) in zip(answers, parts, strict=True):
        themes[waves == wave] = wave_themes
    return score.respondent_frame(responses, themes), _stacked([ms for _, ms in parts])


def robustness_tables(
    responses: pd.DataFrame,
    respondent_scores: pd.DataFrame,
    municipality_scores: pd.DataFrame,
    shown_scores: pd.DataFrame,
    settings: Settings,
    memo: Memo | None = None,
) -> dict[str, pd.DataFrame]:
    """How far each published rank moves with how the index is built (issue 16): the joint
    rank intervals and the Sobol indices, over the published municipalities only
    (``shown_scores``: :func:`publish.published_scores` of ``municipality_scores``); per wave
    (each wave draws from its own seeds), from ``memo`` where a wave is unchanged. ``{}`` when
    no index is published or the settings ask for no draws."""
    from omstilling_analysis import robustness

    if settings.robustness_draws == 0 or not index_shown_any(shown_scores):
        return {}
    memo = memo or Memo(None, b"", "")
    answers = wave_slices(responses, memo)
    scores = wave_slices(respondent_scores, memo)
    municipal = wave_slices(municipality_scores, memo)
    ranks, sensitivity = [], []
    for wave in answers:
        keys = shown_scores[shown_scores["boelge"] == wave].reset_index(drop=True)

        def compute(wave: int = wave, keys: pd.DataFrame = keys):
            result = robustness.index_robustness(
                answers[wave],
                published=keys,
                settings=settings,
                respondent_scores=scores[wave],
                municipality_scores=municipal[wave],
            )
            return result.ranks, result.sensitivity

        wave_ranks, wave_sensitivity = memo.get(
            f"indeksrobusthed-{wave}",
            (
                settings.to_dict(),
                memo_key(memo, answers[wave]),
                memo_key(memo, scores[wave]),
                municipal[wave],
                keys,
            ),
            compute,
        )
        ranks.append(wave_ranks)
        sensitivity.append(wave_sensitivity)
    return {
        "indeksrobusthed.csv": _stacked(ranks),
        "indeksfoelsomhed.csv": _stacked(sensitivity),
    }


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The waves' tables one after the other (an empty wave adds no rows)."""
    kept = [part for part in parts if len(part)] or parts[:1]
    return pd.concat(kept, ignore_index=True)


def _robustness_sentences(sensitivity: pd.DataFrame | None) -> dict[int, str]:
    from omstilling_analysis.robustness import robustness_sentence

    if sensitivity is None or sensitivity.empty:
        return {}
    return {
        int(w): robustness_sentence(sensitivity, int(w)) for w in sensitivity["boelge"].unique()
    }


#: Set this environment variable (to anything) to check every frame between the stages against
#: its pandera schema (:mod:`omstilling_analysis.schemas`); the test suite does.
SCHEMA_CHECK_VARIABLE = "OMSTILLING_SKEMAKONTROL"


def check_schemas(tables: Mapping[str, pd.DataFrame], published: PublishedTables) -> None:
    """Check the run's tables and the published scores against their schemas (raises one
    :class:`omstilling_analysis.schemas.SchemaValidationError` listing every failure)."""
    from omstilling_analysis import schemas

    schemas.validate_tables(tables)
    schemas.validate_frame(schemas.PublishedMunicipalityScores, published.scores)


def wave_slices(frame: pd.DataFrame, memo: Memo | None = None) -> dict[int, pd.DataFrame]:
    """``frame``'s rows per wave (in row order, index reset), by ascending wave; made once per
    frame in a run with ``memo`` (the same slices, so their fingerprints are taken once too)."""
    if memo is not None:
        return memo.once(frame, "wave_slices", lambda: score.wave_slices(frame))
    return score.wave_slices(frame)


def memo_key(memo: Memo, frame: pd.DataFrame | None) -> str | None:
    """What a memo key holds of a respondent-level frame: the fingerprint of everything but
    ``respondent_key`` (no result depends on the pseudonym's value, and hashing text is the
    slow part), once per frame."""
    return None if frame is None else memo.part(frame, without=("respondent_key",))


def per_wave(
    memo: Memo,
    name: str,
    inputs: Mapping[int, tuple],
    compute: Callable[..., pd.DataFrame],
    settings: Settings,
) -> pd.DataFrame:
    """``compute(*inputs[wave])`` for every wave, stacked in wave order; each wave's result from
    ``memo`` when its inputs and the settings are unchanged. For analyses whose result for a
    wave depends on that wave's rows only (rank intervals, reliability, item statistics)."""
    parts = [
        memo.get(
            f"{name}-{wave}",
            (settings.to_dict(), *(memo_key(memo, a) for a in args)),
            lambda a=args: compute(*a),
        )
        for wave, args in inputs.items()
    ]
    return _stacked(parts)


def score_tables(
    responses: pd.DataFrame,
    respondent: pd.DataFrame,
    municipal: pd.DataFrame,
    settings: Settings,
    memo: Memo | None = None,
) -> dict[str, pd.DataFrame]:
    """The theme scores (``respondent`` and ``municipal``: :func:`score.respondent_scores` and
    :func:`score.municipality_scores` of ``responses``) with benchmarks, rank intervals and
    change; the per-wave analyses from ``memo`` where a wave is unchanged since the run that
    kept them."""
    from omstilling_analysis import change

    memo = memo or Memo(None, b"", "")
    answers = wave_slices(responses, memo)
    scores = wave_slices(respondent, memo)
    municipal_by_wave = wave_slices(municipal, memo)

    def rank(rs: pd.DataFrame, ms: pd.DataFrame) -> pd.DataFrame:
        return score.rank_intervals(rs, settings, municipality_scores=ms)

    return {
        "respondentscorer.parquet": respondent,
        "kommunescorer.parquet": municipal,
        "benchmark.csv": score.benchmarks(municipal, settings),
        "rang.csv": per_wave(
            memo, "rang", {w: (scores[w], municipal_by_wave[w]) for w in scores}, rank, settings
        ),
        "udvikling.csv": _stacked(
            [
                # The change into a wave depends on that wave and the earlier ones only.
                memo.get(
                    f"udvikling-{wave}",
                    (
                        settings.to_dict(),
                        municipal[municipal["boelge"] <= wave].reset_index(drop=True),
                        *(memo_key(memo, answers[w]) for w in answers if w <= wave),
                    ),
                    lambda wave=wave: change.changes(municipal, settings, responses, waves=[wave]),
                )
                for wave in answers
            ]
        ),
    }


def reliability_tables(
    responses: pd.DataFrame,
    respondent: pd.DataFrame,
    settings: Settings,
    memo: Memo | None = None,
) -> dict[str, pd.DataFrame]:
    """The reliability of each theme per wave (from ``memo`` where a wave is unchanged);
    ``respondent`` is :func:`score.respondent_scores` of ``responses``."""
    from omstilling_analysis import reliability

    memo = memo or Memo(None, b"", "")
    answers = wave_slices(responses, memo)
    scores = wave_slices(respondent, memo)

    def reliable(rows: pd.DataFrame, rs: pd.DataFrame) -> pd.DataFrame:
        return reliability.reliability_table(rows, settings, respondent_scores=rs)

    return {
        "reliabilitet.csv": per_wave(
            memo, "reliabilitet", {w: (answers[w], scores[w]) for w in answers}, reliable, settings
        ),
    }


def item_tables(
    raw: RawData, responses: pd.DataFrame, settings: Settings, memo: Memo | None = None
) -> dict[str, pd.DataFrame]:
    """The statistics of each item per wave, with its share of Ved ikke (from the sources:
    :func:`clean.dont_know_mask`); from ``memo`` where a wave is unchanged."""
    from omstilling_analysis import reliability

    memo = memo or Memo(None, b"", "")
    answers = wave_slices(responses, memo)

    def items(rows: pd.DataFrame, flags: pd.DataFrame | None = None) -> pd.DataFrame:
        flags = clean.dont_know_mask(raw.sources, rows) if flags is None else flags
        return reliability.item_statistics(rows, settings, dont_know=flags)

    parts = []
    for wave, rows in answers.items():
        checksums = [source.sha256 for source in raw.sources if source.wave == wave]
        flags = None
        if not checksums or None in checksums:
            # Which answers were Ved ikke, when the raw files' checksums are not known.
            flags = clean.dont_know_mask(raw.sources, rows)
            checksums = [memo.part(flags)]
        # Else the rows (their sources' rows among them) and the raw files' checksums decide
        # the Ved ikke flags: they are found only for a wave computed now.
        parts.append(
            memo.get(
                f"itemstatistik-{wave}",
                (settings.to_dict(), memo_key(memo, rows), checksums),
                lambda rows=rows, flags=flags: items(rows, flags),
            )
        )
    return {"itemstatistik.csv": _stacked(parts)}


def cluster_tables(
    municipality_scores: pd.DataFrame,
    respondent_scores: pd.DataFrame,
    settings: Settings,
    memo: Memo | None = None,
) -> tuple[Any, dict[str, pd.DataFrame]]:
    """Types of municipality per wave, their profiles and the choice of k; each wave's fit
    from ``memo`` where the wave's scores and respondents are unchanged."""
    from omstilling_analysis import clusters

    memo = memo or Memo(None, b"", "")
    scores = wave_slices(respondent_scores, memo) if len(respondent_scores) else {}

    def fit_wave(raw, eligible_codes, respondents, wave, wave_settings):
        wave_rows = scores.get(wave)
        return memo.get(
            f"klynger-{wave}",
            (wave_settings.to_dict(), raw, eligible_codes, memo_key(memo, wave_rows)),
            lambda: clusters.fit_wave(raw, eligible_codes, wave_rows, wave, wave_settings),
        )

    result = clusters.cluster_municipalities(
        municipality_scores, respondent_scores, settings, fit_wave=fit_wave
    )
    return result, {
        "klynger.csv": result.assignments,
        "klyngeprofiler.csv": result.profiles,
        "klyngevalg.csv": result.selection,
    }


def effect_tables(
    raw: RawData,
    municipality_scores: pd.DataFrame,
    settings: Settings,
    progress: ProgressLog,
) -> tuple[Any, dict[str, pd.DataFrame], tuple[str, ...]]:
    """Theme–outcome links, when the raw folder holds outcome files (result, tables, notes)."""
    from omstilling_analysis import effects

    if raw.outcomes.empty:
        # The contract's file is still there, with its columns and no rows.
        empty = {"effekter.csv": pd.DataFrame(columns=effects.TABLE_COLUMNS)}
        why = (
            "udfaldsfilerne har ingen rækker for kendte kommuner: effekter er ikke beregnet"
            if raw.outcome_files
            else "ingen udfaldsfiler i rådata: effekter er ikke beregnet"
        )
        return None, empty, (why,)

    result = effects.estimate_effects(municipality_scores, raw.outcomes, settings)
    linked_years = sorted(set(wave_key(result.table)))
    progress.say(f"effekter beregnet for bølger: {', '.join(linked_years)}")
    return result, {"effekter.csv": result.table, "effekter_mangler.csv": result.missing}, ()


def write_run_files(result: RunResult, folder: str | Path, memo: Memo | None = None) -> list[Path]:
    """Write every output of ``result`` into ``folder`` (no manifest): the internal tables,
    ``til_videncenter/`` and, as the contract names them, ``opsummering_<bølge>.xlsx``. With
    ``memo`` the figures of unchanged waves are taken from the last run's (the same bytes)."""
    from omstilling_analysis.report.videncenter import FOLDER, write_videncenter

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    parquets = {name: table for name, table in result.tables.items() if name.endswith(".parquet")}

    encoding = dict(result.encoding)

    def write_parquets() -> None:
        for name, table in parquets.items():
            if name not in encoding:
                (target / name).write_bytes(_parquet_bytes(table))

    # The Parquet files (the respondent tables: a second or two) and the figures (most of the
    # stage) are written by forked children meanwhile, while this process writes the rest.
    writing = parallel.in_background(write_parquets)
    try:
        for name, job in encoding.items():
            (target / name).write_bytes(job.result())
        data = result.summary_data()
        data.draw_ahead(memo)
        written = [target / name for name in parquets]
        for name, table in result.tables.items():
            if name in parquets:
                continue
            if name == "effekter.csv" and len(table):
                # As the contract writes it: the pooled model's rows have boelge "samlet".
                table = table.assign(boelge=wave_key(table))
            (target / name).write_bytes(result.encoded.get(name) or _csv_bytes(table))
            written.append(target / name)
        written += write_videncenter(target, data)
        for wave in data.waves:
            # The contract's place of the summary; the same bytes as in til_videncenter/.
            name = f"opsummering_{wave}.xlsx"
            shutil.copyfile(target / FOLDER / name, target / name)
            written.append(target / name)
    except BaseException:
        writing.cancel()  # the run is not written: its Parquet files are not wanted either
        for job in encoding.values():
            job.cancel()
        raise
    writing.result()
    return written


def final_manifest(result: RunResult, folder: str | Path) -> dict:
    """``manifest.json``: the run's description, when and how it was started, and the SHA-256
    of every output file written into ``folder``."""
    root = Path(folder)
    outputs = {
        path.relative_to(root).as_posix(): checksum(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }
    return dict(result.manifest) | {
        "koert": pd.Timestamp.now(tz="Europe/Copenhagen").isoformat(timespec="seconds"),
        "kommando": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
        "raadata": str(Path(result.raw.raw_dir).resolve()),
        "analyser_genbrugt": list(result.reused),
        "output_sha256": outputs,
    }


def write_outputs(
    result: RunResult,
    out_dir: str | Path,
    progress: ProgressLog | None = None,
    memo: Memo | None = None,
) -> list[Path]:
    """Write every output of the run and make them ``out_dir`` as a whole.

    The run is written into a hidden folder beside ``out_dir`` (:func:`write_run_files`) and
    swapped in at once (:func:`outputs.replace_outputs`): ``out_dir`` is always either the old
    run or the new one, and no file of an earlier run remains beside the new manifest.
    ``manifest.json`` (:func:`final_manifest`) lists the run's files under ``filer`` with the
    SHA-256 of each. Returns the paths of the run's files and folders.
    """
    from omstilling_analysis import outputs

    progress = progress or ProgressLog(False)

    def write(folder: Path) -> None:
        write_run_files(result, folder, memo)
        names = sorted([*(p.name for p in folder.iterdir()), "manifest.json"])
        manifest = final_manifest(result, folder) | {"filer": names}
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )

    raw_dir = getattr(result.raw, "raw_dir", None)
    names = outputs.replace_outputs(out_dir, write, raw=raw_dir)
    progress.say(f"skrev {len(names)} filer til {out_dir}")
    return [Path(out_dir) / name for name in names]


def run(
    raw_dir: str | Path = "data/raw",
    out_dir: str | Path | None = "data/processed",
    settings: Settings | None = None,
    progress: bool | ProgressLog = False,
    cache: str = "use",
    cache_dir: str | Path | None = None,
) -> RunResult:
    """The whole pipeline.

    ``cache`` (:data:`cache.CACHE_MODES`): ``use`` takes unchanged sources from the cache of
    cleaned sources (:mod:`omstilling_analysis.cache`, by default the ``interim`` folder beside
    the raw folder, or ``cache_dir``) and unchanged waves' analyses from its ``analyser/``
    folder (:mod:`omstilling_analysis.memo`), and stores the others; ``refresh``
    (``--uden-cache``) computes everything anew and rewrites both; ``off`` neither reads nor
    writes them. A cache folder inside ``out_dir`` is never used. The outputs are the same
    bytes in every mode.

    Before anything is read: the raw folder must exist, ``out_dir`` must be able to take the
    results (:func:`outputs.check_folders`) and the key for ``respondent_key`` must be usable
    (:func:`privacy.hash_key`); each problem is a :class:`~omstilling_analysis.errors.UserError`.
    Raises :class:`RawDataErrors` when any raw file is unusable (``errors`` lists them all);
    nothing is written in any of these cases.
    """
    from omstilling_analysis import outputs, privacy

    settings = settings or Settings()
    log = progress if isinstance(progress, ProgressLog) else ProgressLog(bool(progress))
    if cache not in CACHE_MODES:
        raise ValueError(cache)
    outputs.check_folders(raw_dir, out_dir)
    key, _ = privacy.hash_key()
    folder = Path(cache_dir).resolve() if cache_dir is not None else cache_folder(raw_dir)
    if out_dir is not None and folder.is_relative_to(Path(out_dir).resolve()):
        log.say(f"cachen {folder} ville ligge i resultatmappen: den bruges ikke")
        cache = "off"
    store = None if cache == "off" else SourceCache(folder, key, settings, cache)
    raw = load_raw(raw_dir, log, cache=store, key=key)
    try:
        result = _analyse_and_write(raw, raw_dir, out_dir, settings, log, cache, folder, key)
    finally:
        raw.finish_caching()
    return result


def _analyse_and_write(
    raw: RawData,
    raw_dir: str | Path,
    out_dir: str | Path | None,
    settings: Settings,
    log: ProgressLog,
    cache: str,
    folder: Path,
    key: bytes,
) -> RunResult:
    """:func:`run` after the reading: its checks of the raw data, the analyses, the writing."""
    if raw.errors:
        raise RawDataErrors(raw.errors)
    if not raw.sources:
        raise RawDataErrors([load.RawDataError(raw_dir, "ingen besvarelser fundet i mappen")])
    memo = Memo(
        None if cache == "off" else folder / MEMO_FOLDER,
        key,
        json.dumps([code_fingerprint(), _versions()], sort_keys=True),
        reuse=cache == "use",
    )
    result = analyse(raw, settings, log, memo, encode=out_dir is not None)
    result = dataclasses.replace(result, reused=tuple(memo.reused))
    if memo.reused:
        log.say(f"genbrugt fra sidste kørsel: {len(memo.reused)} analyser af uændrede bølger")
    if out_dir is not None:
        try:
            write_outputs(result, out_dir, log, memo)
        finally:
            for job in result.encoding.values():  # not written (an error): not wanted either
                job.cancel()
    # After the writing: the figures kept for the next run are this run's too.
    memo.prune()
    return result


class RawDataErrors(Exception):
    """One or more unusable raw files; ``errors`` holds one :class:`load.RawDataError` each."""

    def __init__(self, errors: list[load.RawDataError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
