"""National-scale benchmarks of ``omstilling run`` (``make bench``).

Makes national-scale SurveyXact exports with ``omstilling synth --national`` (cached in
``benchmarks/data/``), then times, each in a separate process:

- ``omstilling run --raw … --out … --stille`` on a CSV export of ``--respondenter`` rows
  (default 500,000) and on an ``.xlsx`` export of ``--xlsx-raekker`` rows (default 50,000):
  wall time and peak memory (maximum resident set size) of the child process, from
  ``os.wait4``'s resource usage of exactly that child;
- the bare parse of the same file: pyarrow's CSV reader on ``dataset.csv`` (with the file's
  encoding and delimiter), python-calamine reading every ``Dataset`` sheet. Its time is the
  parse call alone, measured inside the child (interpreter start and imports excluded);
- ``omstilling --help`` (best of 5).

Prints a Markdown table, writes it to ``benchmarks/results/latest.md`` and the measurements
to ``benchmarks/results/latest.json``, and exits with 1 when a target is missed.

    .venv/bin/python benchmarks/run_benchmarks.py [--respondenter N] [--xlsx-raekker N]
        [--gentag N] [--csv-eksport MAPPE] [--xlsx-eksport FIL] [--tilfaelde csv xlsx help]
        [--omstilling KOMMANDO]

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
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
MIB = 1024 * 1024

#: Targets of issue 8 on a 2-core, 24 GB machine.
CSV_WALL_S = 30.0
CSV_PEAK_MIB = 3 * 1024  # 3 GB, counted as GiB
XLSX_WALL_S = 15.0
HELP_WALL_S = 1.5

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


@dataclass
class ChildRun:
    """One child process: wall time, peak memory, exit code and the tail of its output."""

    wall_s: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Case:
    """One row of the results table."""

    case: str
    command: str
    rows: int | None = None
    wall_s: float | None = None
    peak_mib: float | None = None
    parse_s: float | None = None
    target: str = ""
    passed: bool = False
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    parses: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.wall_s is None or not self.parse_s:
            return None
        return self.wall_s / self.parse_s


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
    return env


def run_child(command: list[str]) -> ChildRun:
    """Run ``command`` to its end; wall time and peak RSS of exactly that process (``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=_child_env(), cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / MIB if sys.platform == "darwin" else usage.ru_maxrss / 1024
    return ChildRun(wall, peak, process.returncode, stdout, stderr)


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- data


def _synth(out: Path, rows: int, fmt: str, seed: int) -> None:
    command = [*_omstilling(), "synth", "--out", str(out), "--national", str(rows)]
    command += ["--format", fmt, "--seed", str(seed)]
    print(f"  laver data: {' '.join(command[-8:])}", flush=True)
    result = run_child(command)
    if result.returncode != 0:
        raise SystemExit(f"synth fejlede:\n{_tail(result.stderr)}")


def national_data(kind: str, rows: int, seed: int, fresh: bool) -> tuple[Path, Path]:
    """A raw folder holding one national export (``kind`` "csv" or "xlsx"), made once and
    cached; ``(raw folder, the file to parse)``."""
    raw = DATA / f"{kind}_{rows}_{seed}"
    marker = raw / ".komplet"
    if fresh or not marker.exists():
        shutil.rmtree(raw, ignore_errors=True)
        raw.mkdir(parents=True)
        _synth(raw, rows, kind, seed)
        marker.touch()
    if kind == "csv":
        return raw, raw / "selvevaluering_2024" / "dataset.csv"
    return raw, raw / "selvevaluering_2024.xlsx"


def external_data(path: Path) -> tuple[Path, Path]:
    """A raw folder for an export given by the user (a CSV export folder or an ``.xlsx``)."""
    path = path.resolve()
    if not path.exists():
        raise SystemExit(f"{path} findes ikke")
    raw = Path(tempfile.mkdtemp(prefix="ekstern-", dir=DATA))
    (raw / path.name).symlink_to(path, target_is_directory=path.is_dir())
    if path.is_dir():
        names = {child.name.lower(): child for child in path.iterdir()}
        if "dataset.csv" not in names:
            raise SystemExit(f"{path} er ikke en SurveyXact CSV-eksport (ingen dataset.csv)")
        return raw, names["dataset.csv"]
    return raw, path


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


def _parse_once(kind: str, path: Path) -> tuple[float, int]:
    if kind == "csv":
        encoding, delimiter = sniff_csv(path)
        command = [sys.executable, "-c", _CSV_PARSE, str(path), encoding, delimiter]
    else:
        command = [sys.executable, "-c", _XLSX_PARSE, str(path)]
    result = run_child(command)
    if result.returncode != 0:
        raise RuntimeError(f"den rene indlæsning fejlede:\n{_tail(result.stderr)}")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return float(answer["parse_s"]), int(answer["rows"])


def measure_run(case: Case, raw: Path, data_file: Path, kind: str, repeats: int) -> Case:
    out_root = Path(tempfile.mkdtemp(prefix="ud-", dir=DATA))
    try:
        for i in range(repeats):
            out = out_root / f"ud_{i}"
            command = [*_omstilling(), "run", "--raw", str(raw), "--out", str(out), "--stille"]
            result = run_child(command)
            if result.returncode != 0:
                case.error = f"exit {result.returncode}: {_tail(result.stderr)}"
                return case
            case.walls.append(result.wall_s)
            case.peaks.append(result.peak_mib)
            shutil.rmtree(out, ignore_errors=True)
            print(
                f"  {case.case}: kørsel {i + 1}: {result.wall_s:.1f} s, {result.peak_mib:,.0f} MiB",
                flush=True,
            )
            seconds, rows = _parse_once(kind, data_file)
            case.parses.append(seconds)
            case.rows = rows
            print(f"  {case.case}: ren indlæsning {i + 1}: {seconds:.2f} s", flush=True)
    except RuntimeError as error:
        case.error = str(error)
    finally:
        shutil.rmtree(out_root, ignore_errors=True)
    return case


def measure_help(repeats: int = 5) -> Case:
    command = [*_omstilling(), "--help"]
    case = Case("omstilling --help", "omstilling --help", target=f"≤ {HELP_WALL_S:g} s")
    for _ in range(repeats):
        result = run_child(command)
        if result.returncode != 0:
            case.error = f"exit {result.returncode}: {_tail(result.stderr)}"
            return case
        case.walls.append(result.wall_s)
        case.peaks.append(result.peak_mib)
    return case


def _settle(case: Case, wall_limit: float, peak_limit: float | None) -> Case:
    if case.walls:
        case.wall_s = min(case.walls)
        case.peak_mib = max(case.peaks)
    if case.parses:
        case.parse_s = min(case.parses)
    case.passed = (
        case.error is None
        and case.wall_s is not None
        and case.wall_s <= wall_limit
        and (peak_limit is None or case.peak_mib <= peak_limit)
    )
    return case


# --------------------------------------------------------------------------- report


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown_table(cases: list[Case]) -> str:
    lines = [
        "| case | rows | wall s | peak MB | bare parse s | ratio | target | pass/fail |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for c in cases:
        rows = "–" if c.rows is None else f"{c.rows:,}"
        verdict = "pass" if c.passed else ("FAIL" if c.error is None else "FAIL (fejl)")
        lines.append(
            f"| {c.case} | {rows} | {_number(c.wall_s, 2 if c.wall_s and c.wall_s < 10 else 1)} "
            f"| {_number(c.peak_mib, 0)} | {_number(c.parse_s, 2)} "
            f"| {'–' if c.ratio is None else f'{c.ratio:.1f}×'} | {c.target} | {verdict} |"
        )
    return "\n".join(lines)


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


def write_results(cases: list[Case], info: dict, args: argparse.Namespace, table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = datetime.now().astimezone().isoformat(timespec="seconds")
    command = "make bench" if len(sys.argv) == 1 else " ".join(["python", *sys.argv])
    text = [
        f"# Benchmarks {when}",
        "",
        f"Command: `{command}`; every case a separate process; "
        f"{args.gentag} repetition(s): best wall and parse time, highest peak memory.",
        "",
        table,
        "",
        f"Machine: {info.get('cpu')}, {info.get('cpus')} logical CPUs, "
        f"{info.get('ram_gib')} GiB RAM, Python {info.get('python')}, "
        f"load average at start {info.get('load_average_at_start')}; git {info.get('git')}.",
        "",
    ]
    for c in cases:
        if c.error:
            text += [f"**{c.case}** failed: ```{c.error}```", ""]
    (RESULTS / "latest.md").write_text("\n".join(text), encoding="utf-8")
    payload = {
        "when": when,
        "command": command,
        "machine": info,
        "cases": [asdict(c) | {"ratio": c.ratio} for c in cases],
        "all_passed": all(c.passed for c in cases),
    }
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondenter", type=int, default=500_000, help="rækker i CSV-eksporten")
    parser.add_argument("--xlsx-raekker", type=int, default=50_000, help="rækker i .xlsx-eksporten")
    parser.add_argument("--gentag", type=int, default=1, help="gentag hver måling N gange")
    parser.add_argument("--seed", type=int, default=20240101, help="seed til synth")
    parser.add_argument("--ny", action="store_true", help="lav data på ny, selv om de findes")
    parser.add_argument("--csv-eksport", type=Path, help="mål på denne CSV-eksport (mappe)")
    parser.add_argument("--xlsx-eksport", type=Path, help="mål på denne .xlsx-eksport")
    parser.add_argument(
        "--tilfaelde",
        nargs="+",
        choices=["csv", "xlsx", "help"],
        default=["csv", "xlsx", "help"],
        help="hvilke målinger (standard: alle)",
    )
    parser.add_argument(
        "--omstilling", metavar="KOMMANDO", help="mål denne omstilling-kommando i stedet"
    )
    args = parser.parse_args(argv)
    if args.omstilling:
        COMMAND[:] = [args.omstilling]
    repeats = max(1, args.gentag)
    DATA.mkdir(parents=True, exist_ok=True)
    info = machine()
    cases: list[Case] = []
    temporary: list[Path] = []
    try:
        if "csv" in args.tilfaelde:
            if args.csv_eksport:
                raw, dataset = external_data(args.csv_eksport)
                temporary.append(raw)
                name = f"CSV export ({args.csv_eksport.name})"
            else:
                raw, dataset = national_data("csv", args.respondenter, args.seed, args.ny)
                name = "SurveyXact CSV export"
            case = Case(
                name,
                "omstilling run --raw … --out … --stille",
                target=f"≤ {CSV_WALL_S:g} s, ≤ {CSV_PEAK_MIB // 1024} GB",
            )
            print(f"{name}: {dataset}", flush=True)
            measured = measure_run(case, raw, dataset, "csv", repeats)
            cases.append(_settle(measured, CSV_WALL_S, CSV_PEAK_MIB))
        if "xlsx" in args.tilfaelde:
            if args.xlsx_eksport:
                raw, book = external_data(args.xlsx_eksport)
                temporary.append(raw)
                name = f"xlsx export ({args.xlsx_eksport.name})"
            else:
                raw, book = national_data("xlsx", args.xlsx_raekker, args.seed, args.ny)
                name = "SurveyXact .xlsx export"
            case = Case(
                name, "omstilling run --raw … --out … --stille", target=f"≤ {XLSX_WALL_S:g} s"
            )
            print(f"{name}: {book}", flush=True)
            measured = measure_run(case, raw, book, "xlsx", repeats)
            cases.append(_settle(measured, XLSX_WALL_S, None))
        if "help" in args.tilfaelde:
            print("omstilling --help (bedste af 5)", flush=True)
            cases.append(_settle(measure_help(max(5, repeats)), HELP_WALL_S, None))
    finally:
        for path in temporary:
            shutil.rmtree(path, ignore_errors=True)
    table = markdown_table(cases)
    print()
    print(table)
    for c in cases:
        if c.error:
            print(f"\n{c.case} fejlede:\n{c.error}", file=sys.stderr)
    write_results(cases, info, args, table)
    print(f"\nSkrev {RESULTS / 'latest.md'} og {RESULTS / 'latest.json'}")
    return 0 if all(c.passed for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
