"""National-scale benchmarks of ``omstilling`` (``make bench``, issue 15).

Every case is a process of its own, started from this script, in a temporary folder of its own
(``<tmp>/data/raw``, ``<tmp>/data/interim``, ``<tmp>/data/processed``, and the child's working
directory ``<tmp>``), so that no run sees another run's cache, wherever the pipeline keeps it:

- ``csv``: ``omstilling kør`` on one CSV wave of ``--respondenter`` rows (default 500,000);
- ``xlsx``: on one ``.xlsx`` export of ``--xlsx-raekker`` rows (default 50,000);
- ``tre_kold``: on three waves (2020 ``,`` Windows-1252, 2022 ``;`` Windows-1252, 2024 tab
  UTF-16), cold: fresh folders, and ``--uden-cache`` when ``omstilling kør --help`` lists it;
- ``tre_ny_boelge``: the raw folder with 2020 and 2022 analysed first (untimed; that run fills
  the cache), then 2024 added and the re-run timed; its target is a share of ``tre_kold``'s
  wall time in the same benchmark run (so ``tre_kold`` is measured too when it is asked for);
- ``rapport_alle``: ``omstilling rapport --alle`` (a feedback workbook per municipality) on the
  output of ``tre_kold`` (or of an untimed three-wave run when ``tre_kold`` is not measured);
- ``help``: ``omstilling --help`` (best of 5).

Wall time is from start to exit; peak memory is ``os.wait4``'s maximum resident set size of
exactly that child, and "all processes" the peak of the proportional set sizes (``Pss`` of
``/proc/<pid>/smaps_rollup``: a page shared by n processes counts 1/n in each) summed over the
child and every process it forked, sampled every ``TREE_SAMPLE_S`` seconds: the memory the run
takes from the machine. A memory target holds for both. The bare parse is pyarrow's CSV reader
on each wave's ``dataset.csv`` (summed over the waves of a case) or python-calamine reading every ``Dataset`` sheet, in a
child of its own, timed around the parse call. The runs print their progress lines
(``[  9.7 s] …``) on stderr; the script records them and samples the child's resident set size
from ``/proc/<pid>/status`` every ``SAMPLE_S`` seconds, which gives the time and the peak memory
of every stage (the stretch ending at a progress line, since the pipeline reports work done).

Prints a Markdown table and the stage profiles, writes them to ``benchmarks/results/latest.md``
and the measurements to ``latest.json``, and exits with 1 when a target is missed.

    .venv/bin/python benchmarks/run_benchmarks.py [--respondenter N] [--xlsx-raekker N]
        [--gentag N] [--tilfaelde csv xlsx tre_kold tre_ny_boelge rapport_alle help]
        [--maal CASE=SEKUNDER ...] [--uden-profil] [--omstilling KOMMANDO]

With ``--gentag N`` every measurement is repeated N times: the table shows the best (lowest)
wall time and parse time and the highest peak memory of the N runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
MIB = 1024 * 1024
#: Seconds between two samples of a child's resident set size (the stage profile).
SAMPLE_S = 0.05
#: Seconds between two samples of the summed PSS of a child's process tree: reading a large
#: process's ``smaps_rollup`` walks its page tables (1.5 ms for 1.6 GB), so less often.
TREE_SAMPLE_S = 0.25
#: The three waves of the multi-wave cases: one CSV dialect each (names of ``demo.DIALECTS``).
WAVES = {2020: "comma-cp1252", 2022: "semicolon-cp1252", 2024: "tab-utf16"}
#: The wave of the one-wave ``csv`` case (SurveyXact's default dialect) and the wave added last.
ONE_WAVE = 2022
NEW_WAVE = 2024


@dataclass(frozen=True)
class Target:
    """A case's limits: wall seconds (absolute, or ``share`` of another case's wall time in the
    same benchmark run) and peak memory in MiB."""

    wall_s: float | None = None
    peak_mib: float | None = None
    share: float | None = None
    share_of: str | None = None

    def describe(self) -> str:
        parts = []
        if self.wall_s is not None:
            parts.append(f"≤ {self.wall_s:g} s")
        if self.share is not None:
            parts.append(f"≤ {self.share:g} × {self.share_of}")
        if self.peak_mib is not None:
            parts.append(f"≤ {self.peak_mib / 1024:g} GB")
        return ", ".join(parts)


#: Targets of issue 15 on 2 cores (GB counted as GiB); ``rapport_alle`` is issue 14's.
TARGETS: dict[str, Target] = {
    "csv": Target(wall_s=6.0),
    "xlsx": Target(wall_s=5.0),
    "tre_kold": Target(wall_s=15.0, peak_mib=2 * 1024),
    "tre_ny_boelge": Target(share=0.5, share_of="tre_kold"),
    "rapport_alle": Target(wall_s=60.0),
    "help": Target(wall_s=0.5),
}
CASES = list(TARGETS)

# The bare parses, run as ``python -c`` in a child of their own. Each prints one JSON line.
_CSV_PARSE = r"""
import json, sys, time
import pyarrow.csv as pacsv
path, encoding, delimiter = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
table = pacsv.read_csv(
    path,
    read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 24),
    parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
)
seconds = time.perf_counter() - start
print(json.dumps({"parse_s": seconds, "rows": table.num_rows, "columns": table.num_columns}))
"""

_XLSX_PARSE = r"""
import json, re, sys, time
from python_calamine import CalamineWorkbook
path = sys.argv[1]
start = time.perf_counter()
book = CalamineWorkbook.from_path(path)
rows, cells = 0, 0
for name in book.sheet_names:
    if re.match(r"^dataset(\(\d+\))?$", name.strip(), re.IGNORECASE):
        data = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        rows = max(rows, len(data) - 1)
        cells += sum(len(row) for row in data)
seconds = time.perf_counter() - start
print(json.dumps({"parse_s": seconds, "rows": rows, "cells": cells}))
"""

_WRITE_WAVE = r"""
import sys
from omstilling_analysis.demo import write_national_csv
out, rows, seed, dialect, wave = sys.argv[1:6]
write_national_csv(out, int(rows), int(seed), dialect, int(wave))
"""

_PROGRESS = re.compile(r"^\[\s*([0-9.]+) s\] (.*)$")


@dataclass
class Stage:
    """The stretch of a run ending at one progress line (or at the exit)."""

    stage: str
    end_s: float
    seconds: float
    peak_mib: float | None


@dataclass
class ChildRun:
    """One child process: wall time, peak memory (its own, and summed over it and its
    children), exit code, its output and stage profile."""

    wall_s: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str
    stages: list[Stage] = field(default_factory=list)
    summed_mib: float | None = None


@dataclass
class Case:
    """One row of the results table."""

    key: str
    data: str
    target: Target
    rows: int | None = None
    wall_s: float | None = None
    peak_mib: float | None = None
    parse_s: float | None = None
    passed: bool = False
    summed_mib: float | None = None
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    summed: list[float] = field(default_factory=list)
    parses: list[float] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.wall_s is None or not self.parse_s:
            return None
        return self.wall_s / self.parse_s

    def add(self, run: ChildRun) -> None:
        # The profile of the fastest run, so that it adds up to the wall time shown.
        if not self.walls or run.wall_s < min(self.walls):
            self.stages = run.stages
        self.walls.append(run.wall_s)
        self.peaks.append(run.peak_mib)
        if run.summed_mib is not None:
            self.summed.append(run.summed_mib)


# --------------------------------------------------------------------------- processes


#: The command measured; ``--omstilling`` replaces it (e.g. another checkout's).
COMMAND: list[str] = []


def _omstilling() -> list[str]:
    """The ``omstilling`` command of the interpreter running this script."""
    if COMMAND:
        return COMMAND
    script = Path(sys.executable).parent / "omstilling"
    if script.exists():
        return [str(script)]
    found = shutil.which("omstilling")
    if found:
        return [found]
    return [sys.executable, "-m", "omstilling_analysis.cli"]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # A fixed key: a benchmark never creates the user's key file, nor needs it.
    env.setdefault("OMSTILLING_SALT", "benchmark-noegle-ikke-hemmelig-mindst-32-byte")
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    # The children run in their own folders: a relative PYTHONPATH must still name this tree.
    if env.get("PYTHONPATH"):
        paths = env["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths if p)
    return env


def _rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def _process_tree(pid: int) -> list[int]:
    """``pid`` and every process it forked, and they forked (Linux: ``/proc/<pid>/task/*/children``)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
                waiting += [int(child) for child in text.split()]
    return found


def _tree_pss_mib(pid: int) -> float | None:
    """The proportional set sizes of ``pid``'s process tree, summed (``None`` without
    ``/proc/<pid>/smaps_rollup``)."""
    total, seen = 0.0, False
    for member in _process_tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        if found:
            total, seen = total + int(found.group(1)) / 1024, True
    return total if seen else None


def stages_of(
    lines: list[tuple[float, str]], samples: list[tuple[float, float]], wall_s: float
) -> list[Stage]:
    """Cut a run at its progress lines: each stage ends at a line (named by it, since the
    pipeline reports work done) and holds the highest RSS sample taken in it; the stretch after
    the last line is the exit. Times are the parent's clock from the child's start."""
    # Lines printed together (one per wave after all were read) are one stage: no time and no
    # sample lies between them.
    merged: list[tuple[float, str, int]] = []
    for at, name in lines:
        if merged and at - merged[-1][0] < SAMPLE_S:
            merged[-1] = (at, merged[-1][1], merged[-1][2] + 1)
        else:
            merged.append((at, name, 0))
    stages, start = [], 0.0
    for end, name, more in [*merged, (wall_s, "afslutning", 0)]:
        inside = [rss for t, rss in samples if start < t <= end or (start == 0.0 and t == 0.0)]
        label = f"{name} (+ {more} more {'line' if more == 1 else 'lines'})" if more else name
        stages.append(Stage(label, end, end - start, max(inside) if inside else None))
        start = end
    return stages


def _stage_name(message: str) -> str:
    # Temporary paths differ from run to run; the stage is the same.
    return re.sub(r" til /\S+$", "", message.strip())


def run_child(
    command: list[str], cwd: Path = ROOT, profile: bool = False, tree: bool = False
) -> ChildRun:
    """Run ``command`` to its end: wall time and peak RSS of exactly that process (``wait4``);
    with ``profile``, its progress lines and RSS sampled every ``SAMPLE_S`` seconds; with
    ``profile`` or ``tree``, the peak of its process tree's summed PSS too."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.PIPE, env=_child_env(), cwd=cwd
        )
        chunks: list[bytes] = []
        lines: list[tuple[float, str]] = []

        def read_stderr() -> None:
            # Progress lines are stamped on arrival; tqdm's bars end in carriage returns.
            pending = b""
            for chunk in iter(lambda: process.stderr.read1(1 << 16), b""):
                now = time.perf_counter() - start
                chunks.append(chunk)
                pending += chunk
                *complete, pending = re.split(rb"[\r\n]", pending)
                for raw in complete:
                    match = _PROGRESS.match(raw.decode("utf-8", "replace"))
                    if match:
                        lines.append((now, _stage_name(match.group(2))))

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        samples: list[tuple[float, float]] = []
        summed: float | None = None
        sampling, next_tree = profile or tree, 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG if sampling else 0)
            if pid:
                break
            rss = _rss_mib(process.pid)
            if rss is not None:
                samples.append((time.perf_counter() - start, rss))
            if time.perf_counter() >= next_tree:
                next_tree = time.perf_counter() + TREE_SAMPLE_S
                total = _tree_pss_mib(process.pid)
                if total is not None:
                    summed = total if summed is None else max(summed, total)
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - start
        reader.join()
        process.stderr.close()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    stderr = b"".join(chunks).decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / MIB if sys.platform == "darwin" else usage.ru_maxrss / 1024
    # A run without progress lines (--stille, rapport) has no stages to tell apart.
    stages = stages_of(lines, samples, wall) if profile and lines else []
    return ChildRun(wall, peak, process.returncode, stdout, stderr, stages, summed)


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


_RUN_FLAGS: set[str] = set()


def run_flags() -> set[str]:
    """The long options ``omstilling kør --help`` lists (asked once): the cache's flags are
    used only where the command under test has them."""
    if not _RUN_FLAGS:
        result = run_child([*_omstilling(), "kør", "--help"])
        _RUN_FLAGS.update(re.findall(r"(--[a-z][a-z-]*)", result.stdout))
        _RUN_FLAGS.add("--help")
    return _RUN_FLAGS


# --------------------------------------------------------------------------- folders


class RunFolder:
    """A temporary ``data/raw``, ``data/interim`` and ``data/processed`` of one run, with the
    run's working directory above them: wherever the pipeline puts its cache (beside the raw
    folder, in ``data/interim`` of the working directory, or where ``--interim`` says), it is
    this run's own."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="koersel-", dir=root))
        self.raw = self.base / "data" / "raw"
        self.interim = self.base / "data" / "interim"
        self.out = self.base / "data" / "processed"
        self.raw.mkdir(parents=True)

    def add(self, source: Path) -> None:
        """Put ``source`` (an export folder or file) into the raw folder: hard links (no copy
        of hundreds of MB, and a real folder like the analyst's), a symlink across devices."""
        target = self.raw / source.name
        try:
            if source.is_dir():
                shutil.copytree(source, target, copy_function=os.link)
            else:
                os.link(source, target)
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            target.symlink_to(source.resolve(), target_is_directory=source.is_dir())

    def command(self, cold: bool, profile: bool) -> list[str]:
        flags = run_flags()
        command = [*_omstilling(), "kør", "--raw", str(self.raw), "--out", str(self.out)]
        if "--interim" in flags:
            command += ["--interim", str(self.interim)]
        if cold and "--uden-cache" in flags:
            command.append("--uden-cache")
        if not profile:
            command.append("--stille")
        return command

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


# --------------------------------------------------------------------------- data


def _made(marker: Path, fresh: bool) -> bool:
    return marker.exists() and not fresh


def national_waves(rows: int, seed: int, fresh: bool, data: Path) -> dict[int, Path]:
    """The three national CSV waves (one dialect each), made once and cached in ``data``;
    ``{wave: export folder}``."""
    folder = data / f"boelger_{rows}_{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    waves = {}
    for wave, dialect in WAVES.items():
        export = folder / f"selvevaluering_{wave}"
        marker = folder / f".komplet_{wave}"
        if not _made(marker, fresh):
            shutil.rmtree(export, ignore_errors=True)
            print(f"  laver data: bølge {wave}, {rows:,} respondenter, {dialect}", flush=True)
            command = [sys.executable, "-c", _WRITE_WAVE, str(folder), str(rows), str(seed)]
            result = run_child([*command, dialect, str(wave)])
            if result.returncode != 0:
                raise SystemExit(f"demodata fejlede:\n{_tail(result.stderr)}")
            marker.touch()
        waves[wave] = export
    return waves


def national_xlsx(rows: int, seed: int, fresh: bool, data: Path) -> Path:
    """One national ``.xlsx`` export, made once and cached in ``data``."""
    folder = data / f"xlsx_{rows}_{seed}"
    marker = folder / ".komplet"
    if not _made(marker, fresh):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        command = [*_omstilling(), "demodata", "--out", str(folder), "--national", str(rows)]
        command += ["--format", "xlsx", "--seed", str(seed)]
        print(f"  laver data: .xlsx, {rows:,} respondenter", flush=True)
        result = run_child(command)
        if result.returncode != 0:
            raise SystemExit(f"demodata fejlede:\n{_tail(result.stderr)}")
        marker.touch()
    return folder / "selvevaluering_2024.xlsx"


def external_export(path: Path) -> Path:
    """An export given by the user (a CSV export folder or an ``.xlsx``)."""
    path = path.resolve()
    if not path.exists():
        raise SystemExit(f"{path} findes ikke")
    if path.is_dir() and not any(p.name.lower() == "dataset.csv" for p in path.iterdir()):
        raise SystemExit(f"{path} er ikke en SurveyXact CSV-eksport (ingen dataset.csv)")
    return path


def parse_file(export: Path) -> Path:
    """The file the bare parse reads: ``dataset.csv`` of a CSV export, or the workbook."""
    if export.is_dir():
        return next(p for p in export.iterdir() if p.name.lower() == "dataset.csv")
    return export


# --------------------------------------------------------------------------- measurements


def sniff_csv(path: Path) -> tuple[str, str]:
    """Encoding and delimiter of a CSV file from its first bytes (as the loader detects them:
    UTF-16 by its BOM, else UTF-8 if it decodes, else Windows-1252; the delimiter that occurs
    most in the header). Kept here so that the parent process never imports pandas: a child's
    peak memory (``ru_maxrss``) starts from the parent's at the moment it is started."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as error:
            encoding = "cp1252" if error.start < len(head) - 3 else "utf-8"
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    line = text.splitlines()[0] if text.strip() else ""
    counts = {d: line.count(d) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ";"))
    return encoding, delimiter if counts[delimiter] else ";"


#: Bare parses already made in this benchmark run, per (file, repetition): the multi-wave cases
#: read the same files.
_PARSED: dict[tuple[Path, int], tuple[float, int]] = {}


def bare_parse(path: Path, repetition: int) -> tuple[float, int]:
    """Seconds of the bare parse of ``path`` (in a child of its own) and its rows."""
    key = (path, repetition)
    if key not in _PARSED:
        if path.suffix.lower() == ".csv":
            encoding, delimiter = sniff_csv(path)
            command = [sys.executable, "-c", _CSV_PARSE, str(path), encoding, delimiter]
        else:
            command = [sys.executable, "-c", _XLSX_PARSE, str(path)]
        result = run_child(command)
        if result.returncode != 0:
            raise RuntimeError(f"den rene indlæsning fejlede:\n{_tail(result.stderr)}")
        answer = json.loads(result.stdout.strip().splitlines()[-1])
        _PARSED[key] = (float(answer["parse_s"]), int(answer["rows"]))
    return _PARSED[key]


def _parse_all(case: Case, exports: list[Path], repetition: int) -> None:
    results = [bare_parse(parse_file(e), repetition) for e in exports]
    case.parses.append(sum(s for s, _ in results))
    case.rows = sum(r for _, r in results)
    print(f"  {case.key}: ren indlæsning {repetition + 1}: {case.parses[-1]:.2f} s", flush=True)


def _checked(case: Case, run: ChildRun, what: str) -> bool:
    if run.returncode != 0:
        case.error = f"{what}: exit {run.returncode}: {_tail(run.stderr)}"
        return False
    return True


def _say(case: Case, i: int, run: ChildRun) -> None:
    summed = "" if run.summed_mib is None else f" ({run.summed_mib:,.0f} MiB alle processer)"
    print(
        f"  {case.key}: kørsel {i + 1}: {run.wall_s:.1f} s, {run.peak_mib:,.0f} MiB{summed}",
        flush=True,
    )


def measure_run(
    case: Case, exports: list[Path], repeats: int, profile: bool, root: Path, keep: bool = False
) -> RunFolder | None:
    """A cold run on ``exports``, ``repeats`` times, each in fresh folders; with ``keep`` the
    last run's folder is returned (for ``rapport_alle``) and the caller removes it."""
    kept = None
    for i in range(repeats):
        folder = RunFolder(root)
        try:
            for export in exports:
                folder.add(export)
            run = run_child(
                folder.command(cold=True, profile=profile), folder.base, profile, tree=True
            )
            if not _checked(case, run, "kør"):
                return None
            case.add(run)
            _say(case, i, run)
            _parse_all(case, exports, i)
        except RuntimeError as error:
            case.error = str(error)
            return None
        finally:
            if keep and i == repeats - 1 and case.error is None:
                kept = folder
            else:
                folder.remove()
    return kept


def measure_new_wave(
    case: Case, old: list[Path], new: Path, repeats: int, profile: bool, root: Path
) -> None:
    """Analyse ``old`` (untimed; fills the cache), add ``new``, time the re-run."""
    for i in range(repeats):
        folder = RunFolder(root)
        try:
            for export in old:
                folder.add(export)
            first = run_child(folder.command(cold=False, profile=False), folder.base)
            if not _checked(case, first, "første kørsel"):
                return
            folder.add(new)
            run = run_child(
                folder.command(cold=False, profile=profile), folder.base, profile, tree=True
            )
            if not _checked(case, run, "kørsel med ny bølge"):
                return
            case.add(run)
            _say(case, i, run)
            _parse_all(case, [*old, new], i)
        except RuntimeError as error:
            case.error = str(error)
            return
        finally:
            folder.remove()


def measure_report(case: Case, analysed: RunFolder, repeats: int, profile: bool) -> None:
    """``omstilling rapport --alle`` on an analysed folder, into a fresh folder each time."""
    for i in range(repeats):
        target = analysed.base / f"tilbagemeldinger_{i}"
        command = [*_omstilling(), "rapport", "--alle", "--resultater", str(analysed.out)]
        run = run_child([*command, "--out", str(target)], analysed.base, profile, tree=True)
        if not _checked(case, run, "rapport --alle"):
            return
        case.add(run)
        case.rows = len(list(target.glob("*.xlsx")))
        _say(case, i, run)
        shutil.rmtree(target, ignore_errors=True)


def measure_help(case: Case, repeats: int) -> None:
    for _ in range(repeats):
        run = run_child([*_omstilling(), "--help"])
        if not _checked(case, run, "--help"):
            return
        case.add(run)


def settle(case: Case, measured: dict[str, Case]) -> Case:
    """Best wall and parse time, highest peak; pass when every limit of the target holds
    (a share of another case fails when that case has no wall time)."""
    if case.walls:
        case.wall_s = min(case.walls)
        case.peak_mib = max(case.peaks)
        case.summed_mib = max(case.summed) if case.summed else None
    if case.parses:
        case.parse_s = min(case.parses)
    case.passed = passes(case, case.target, measured)
    return case


def passes(case: Case, target: Target, measured: dict[str, Case]) -> bool:
    if case.error is not None or case.wall_s is None:
        return False
    limits = []
    if target.wall_s is not None:
        limits.append(case.wall_s <= target.wall_s)
    if target.share is not None:
        other = measured.get(target.share_of)
        base = None if other is None else other.wall_s
        limits.append(base is not None and case.wall_s <= target.share * base)
    if target.peak_mib is not None:
        limits.append(case.peak_mib is not None and case.peak_mib <= target.peak_mib)
        # The run's children take memory too: the limit holds for all of them together.
        limits.append(case.summed_mib is None or case.summed_mib <= target.peak_mib)
    return all(limits)


# --------------------------------------------------------------------------- report


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _seconds(value: float | None) -> str:
    return _number(value, 2 if value is not None and value < 10 else 1)


def markdown_table(cases: list[Case]) -> str:
    lines = [
        "| case | data | rows | wall s | peak MB | all processes MB | bare parse s | ratio "
        "| target | pass/fail |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for c in cases:
        rows = "–" if c.rows is None else f"{c.rows:,}"
        verdict = "pass" if c.passed else ("FAIL" if c.error is None else "FAIL (fejl)")
        ratio = "–" if c.ratio is None else f"{c.ratio:.1f}×"
        lines.append(
            f"| {c.key} | {c.data} | {rows} | {_seconds(c.wall_s)} | {_number(c.peak_mib, 0)} "
            f"| {_number(c.summed_mib, 0)} | {_number(c.parse_s, 2)} | {ratio} "
            f"| {c.target.describe()} | {verdict} |"
        )
    return "\n".join(lines)


def stage_tables(cases: list[Case]) -> str:
    """Time and peak memory per stage of every profiled case."""
    parts = []
    for c in cases:
        if not c.stages:
            continue
        parts += [
            f"**{c.key}** ({_seconds(c.wall_s)} s): time and peak memory up to each progress line",
            "",
            "| stage (ends with the line) | at s | s | peak MB |",
            "|---|---:|---:|---:|",
        ]
        parts += [
            f"| {s.stage} | {_seconds(s.end_s)} | {_seconds(s.seconds)} "
            f"| {_number(s.peak_mib, 0)} |"
            for s in c.stages
        ]
        parts.append("")
    return "\n".join(parts)


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        info["cpu"] = model.group(1).strip() if model else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    with contextlib.suppress(ValueError, OSError, AttributeError):
        info["ram_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    with contextlib.suppress(OSError):
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    from importlib import metadata

    for name in ("pandas", "numpy", "pyarrow", "python-calamine", "xlsxwriter", "matplotlib"):
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = None
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        info["git"] = commit or None
    except OSError:
        info["git"] = None
    return info


def write_results(
    cases: list[Case], info: dict, args: argparse.Namespace, table: str, results: Path
) -> None:
    results.mkdir(parents=True, exist_ok=True)
    when = datetime.now().astimezone().isoformat(timespec="seconds")
    command = "make bench" if len(sys.argv) == 1 else " ".join(["python", *sys.argv])
    flags = sorted(f for f in _RUN_FLAGS if f in ("--interim", "--uden-cache"))
    text = [
        f"# Benchmarks {when}",
        "",
        f"Command: `{command}`; every case a separate process in folders of its own; "
        f"{args.gentag} repetition(s): best wall and parse time, highest peak memory. "
        f"Cache flags of `omstilling kør` used: {', '.join(flags) or 'none (fresh folders)'}.",
        "",
        table,
        "",
        f"Machine: {info.get('cpu')}, {info.get('cpus')} logical CPUs, "
        f"{info.get('ram_gib')} GiB RAM, Python {info.get('python')}, "
        f"load average at start {info.get('load_average_at_start')}; git {info.get('git')}.",
        "",
    ]
    profile = stage_tables(cases)
    if profile:
        text += ["## Stages", "", profile]
    for c in cases:
        if c.error:
            text += [f"**{c.key}** failed: ```{c.error}```", ""]
    (results / "latest.md").write_text("\n".join(text), encoding="utf-8")
    payload = {
        "when": when,
        "command": command,
        "machine": info,
        "cache_flags": flags,
        "cases": [asdict(c) | {"ratio": c.ratio} for c in cases],
        "all_passed": all(c.passed for c in cases),
    }
    (results / "latest.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")


# --------------------------------------------------------------------------- main


def _target_override(text: str) -> tuple[str, float]:
    name, _, seconds = text.partition("=")
    if name not in TARGETS or not seconds:
        raise argparse.ArgumentTypeError(f"brug CASE=SEKUNDER med CASE blandt {', '.join(CASES)}")
    return name, float(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondenter", type=int, default=500_000, help="rækker pr. CSV-bølge")
    parser.add_argument("--xlsx-raekker", type=int, default=50_000, help="rækker i .xlsx-eksporten")
    parser.add_argument("--gentag", type=int, default=1, help="gentag hver måling N gange")
    parser.add_argument("--seed", type=int, default=20240101, help="seed til demodata")
    parser.add_argument("--ny", action="store_true", help="lav data på ny, selv om de findes")
    parser.add_argument("--csv-eksport", type=Path, help="csv: mål på denne CSV-eksport (mappe)")
    parser.add_argument("--xlsx-eksport", type=Path, help="xlsx: mål på denne .xlsx-eksport")
    parser.add_argument(
        "--tilfaelde", nargs="+", choices=CASES, default=CASES, help="hvilke målinger (alle)"
    )
    parser.add_argument(
        "--maal",
        nargs="+",
        type=_target_override,
        default=[],
        metavar="CASE=SEKUNDER",
        help="et andet tidsmål for en måling (fx til test); hukommelsesmålet står",
    )
    parser.add_argument("--uden-profil", action="store_true", help="ingen tid pr. trin (--stille)")
    parser.add_argument("--data", type=Path, default=DATA, help="mappe til data og kørsler")
    parser.add_argument("--resultater", type=Path, default=RESULTS, help="mappe til latest.*")
    parser.add_argument(
        "--omstilling", metavar="KOMMANDO", help="mål denne omstilling-kommando i stedet"
    )
    args = parser.parse_args(argv)
    if args.omstilling:
        found = Path(args.omstilling)
        COMMAND[:] = [str(found.resolve()) if found.exists() else args.omstilling]
    targets = dict(TARGETS)
    for name, seconds in args.maal:
        share = targets[name].share is not None
        targets[name] = replace(
            targets[name], wall_s=seconds, share=None if share else targets[name].share
        )
    wanted = set(args.tilfaelde)
    if "tre_ny_boelge" in wanted and targets["tre_ny_boelge"].share_of:
        wanted.add(targets["tre_ny_boelge"].share_of)  # its target is a share of that run
    repeats = max(1, args.gentag)
    profile = not args.uden_profil
    data: Path = args.data.resolve()
    runs = data / "koersler"
    info = machine()
    measured: dict[str, Case] = {}
    analysed: RunFolder | None = None
    try:
        if "csv" in wanted:
            if args.csv_eksport:
                export, label = external_export(args.csv_eksport), args.csv_eksport.name
            else:
                export = national_waves(args.respondenter, args.seed, args.ny, data)[ONE_WAVE]
                label = f"{ONE_WAVE}, {WAVES[ONE_WAVE]}"
            case = measured["csv"] = Case("csv", f"one CSV wave ({label})", targets["csv"])
            print(f"csv: {export}", flush=True)
            measure_run(case, [export], repeats, profile, runs)
        if "xlsx" in wanted:
            if args.xlsx_eksport:
                book, label = external_export(args.xlsx_eksport), args.xlsx_eksport.name
            else:
                book = national_xlsx(args.xlsx_raekker, args.seed, args.ny, data)
                label = "Dataset over two sheets"
            case = measured["xlsx"] = Case("xlsx", f".xlsx ({label})", targets["xlsx"])
            print(f"xlsx: {book}", flush=True)
            measure_run(case, [book], repeats, profile, runs)
        waves = {}
        if wanted & {"tre_kold", "tre_ny_boelge", "rapport_alle"}:
            waves = national_waves(args.respondenter, args.seed, args.ny, data)
        dialects = ", ".join(f"{w} {d}" for w, d in WAVES.items())
        if "tre_kold" in wanted:
            case = measured["tre_kold"] = Case(
                "tre_kold", f"three waves, cold ({dialects})", targets["tre_kold"]
            )
            print("tre_kold: tre bølger uden cache", flush=True)
            keep = "rapport_alle" in wanted
            analysed = measure_run(case, list(waves.values()), repeats, profile, runs, keep)
        if "tre_ny_boelge" in wanted:
            old = [e for w, e in waves.items() if w != NEW_WAVE]
            before = " and ".join(str(w) for w in WAVES if w != NEW_WAVE)
            case = measured["tre_ny_boelge"] = Case(
                "tre_ny_boelge",
                f"re-run after {NEW_WAVE} was added to analysed {before}",
                targets["tre_ny_boelge"],
            )
            print(f"tre_ny_boelge: to bølger, så {NEW_WAVE} tilføjet", flush=True)
            measure_new_wave(case, old, waves[NEW_WAVE], repeats, profile, runs)
        if "rapport_alle" in wanted:
            case = measured["rapport_alle"] = Case(
                "rapport_alle", "feedback workbooks, latest wave of three", targets["rapport_alle"]
            )
            if analysed is None and "tre_kold" not in wanted:
                print("rapport_alle: analyserer tre bølger først (ikke målt)", flush=True)
                helper = Case("hjælp", "", Target())
                analysed = measure_run(helper, list(waves.values()), 1, False, runs, keep=True)
            if analysed is None:
                case.error = "ingen analyseret resultatmappe (kørslen fejlede)"
            else:
                print("rapport_alle: omstilling rapport --alle", flush=True)
                measure_report(case, analysed, repeats, profile)
        if "help" in wanted:
            print("help: omstilling --help (bedste af 5)", flush=True)
            case = measured["help"] = Case("help", "omstilling --help", targets["help"])
            measure_help(case, max(5, repeats))
    finally:
        if analysed is not None:
            analysed.remove()
        with contextlib.suppress(OSError):
            runs.rmdir()  # only when empty: never another benchmark's folders
    cases = [settle(measured[key], measured) for key in CASES if key in measured]
    table = markdown_table(cases)
    print()
    print(table)
    profile_text = stage_tables(cases)
    if profile_text:
        print()
        print(profile_text)
    for c in cases:
        if c.error:
            print(f"\n{c.key} fejlede:\n{c.error}", file=sys.stderr)
    results: Path = args.resultater
    write_results(cases, info, args, table, results)
    print(f"Skrev {results / 'latest.md'} og {results / 'latest.json'}")
    return 0 if all(c.passed for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
