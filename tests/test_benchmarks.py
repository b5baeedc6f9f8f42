"""``make bench`` (issue 15, 4): the table has the cases asked for, each target is judged by its
own limits (a share of another case's wall time too), the stage profile is cut at the progress
lines, and the exit code follows the targets. The end-to-end runs use tiny inputs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run_benchmarks.py"


def _load():
    spec = importlib.util.spec_from_file_location("run_benchmarks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load()


def _case(key, wall, peak=100.0, target=None, error=None):
    case = bench.Case(key, "", target or bench.TARGETS[key], wall_s=wall, peak_mib=peak)
    case.error = error
    return case


def test_every_case_has_a_target_in_one_place():
    assert bench.CASES == ["csv", "xlsx", "tre_kold", "tre_ny_boelge", "rapport_alle", "help"]
    assert bench.TARGETS["tre_kold"].describe() == "≤ 15 s, ≤ 2 GB"
    assert bench.TARGETS["tre_ny_boelge"].describe() == "≤ 0.5 × tre_kold"


def test_wall_and_memory_limits():
    target = bench.Target(wall_s=15.0, peak_mib=2048)
    assert bench.passes(_case("tre_kold", 15.0, 2048), target, {})
    assert not bench.passes(_case("tre_kold", 15.1, 100), target, {})
    assert not bench.passes(_case("tre_kold", 10.0, 2049), target, {})
    assert not bench.passes(_case("tre_kold", 1.0, error="exit 1"), target, {})
    assert not bench.passes(_case("tre_kold", None), target, {})
    # The limit holds for the run's processes together, not only for the largest.
    together = _case("tre_kold", 10.0, 1500)
    together.summed_mib = 2049.0
    assert not bench.passes(together, target, {})
    together.summed_mib = 2048.0
    assert bench.passes(together, target, {})


def test_share_of_another_case_measured_in_the_same_run():
    cold = _case("tre_kold", 20.0)
    target = bench.TARGETS["tre_ny_boelge"]
    assert bench.passes(_case("tre_ny_boelge", 10.0), target, {"tre_kold": cold})
    assert not bench.passes(_case("tre_ny_boelge", 10.1), target, {"tre_kold": cold})
    # Without the cold run's time there is nothing to compare with: a miss, not a pass.
    assert not bench.passes(_case("tre_ny_boelge", 1.0), target, {})
    failed = _case("tre_kold", None, error="exit 1")
    assert not bench.passes(_case("tre_ny_boelge", 1.0), target, {"tre_kold": failed})


def test_stages_end_at_progress_lines():
    lines = [(2.0, "a: bølge 2020"), (2.01, "b: bølge 2022"), (5.0, "skrev 19 filer")]
    samples = [(0.0, 20.0), (1.0, 300.0), (3.0, 500.0), (4.9, 450.0), (5.5, 400.0)]
    stages = bench.stages_of(lines, samples, 6.0)
    assert [s.stage for s in stages] == [
        "a: bølge 2020 (+ 1 more line)",
        "skrev 19 filer",
        "afslutning",
    ]
    assert [round(s.seconds, 2) for s in stages] == [2.01, 2.99, 1.0]
    assert [s.peak_mib for s in stages] == [300.0, 500.0, 400.0]
    assert bench._stage_name("skrev 19 filer til /tmp/x/data/processed") == "skrev 19 filer"


def _run(tmp_path, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, str(SCRIPT), "--data", str(tmp_path / "data")]
    command += ["--resultater", str(tmp_path / "res"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_tiny_run_writes_the_table_and_exits_by_the_targets(tmp_path):
    # Generous targets: a loaded test machine must not fail a test of the logic.
    done = _run(
        tmp_path, "--respondenter", "2000", "--tilfaelde", "csv", "help",
        "--maal", "csv=600", "help=600",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    table = (tmp_path / "res" / "latest.md").read_text(encoding="utf-8")
    assert "| csv | one CSV wave (2022, semicolon-cp1252) | 2,000 |" in table
    assert "| help | omstilling --help |" in table
    assert "## Stages" in table and "skrev" in table
    result = json.loads((tmp_path / "res" / "latest.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in result["cases"]] == ["csv", "help"]
    assert result["all_passed"] is True
    csv = result["cases"][0]
    assert csv["parse_s"] > 0 and csv["ratio"] > 1 and csv["peak_mib"] > 50
    # The run and its children together: at least the largest process's own peak, roughly.
    assert csv["summed_mib"] > 0.5 * csv["peak_mib"]
    assert not list((tmp_path / "data").glob("koersler*")), "run folders left behind"

    missed = _run(tmp_path, "--tilfaelde", "help", "--maal", "help=0")
    assert missed.returncode == 1
    assert "| help | omstilling --help |" in missed.stdout and "| FAIL |" in missed.stdout
