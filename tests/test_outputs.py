"""The output folder (issue 13, 1 and 2): checked before any work, replaced as a whole.

Fault injection: every rename, the exchange, the copy of kept files and the writing itself
are made to fail in turn; ``OUT`` must then be exactly the old run or exactly the new one,
and no stray folder may survive the next run.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omstilling_analysis import outputs
from omstilling_analysis.errors import OutputFolderError, RawFolderError, UserError

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (the independent picture of a folder)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _writer(tag: str, waves: tuple[int, ...] = (2020, 2022, 2024)):
    """A fake run: tables, a workbook per wave, figures in a subfolder, and the manifest."""

    def write(folder: Path) -> None:
        (folder / "besvarelser.parquet").write_bytes(f"parquet {tag}".encode())
        (folder / "udeladte.csv").write_text(f"udeladte {tag}", encoding="utf-8")
        for wave in waves:
            (folder / f"opsummering_{wave}.xlsx").write_text(f"{tag} {wave}", encoding="utf-8")
        (folder / "figurer").mkdir()
        for wave in waves:
            (folder / "figurer" / f"indeks_{wave}.png").write_text(tag, encoding="utf-8")
        names = sorted(p.name for p in folder.iterdir()) + ["manifest.json"]
        manifest = {"vaerktoej": "omstilling_analysis", "koersel": tag, "filer": names}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    return write


def _new_run(tag: str, waves: tuple[int, ...] = (2020, 2022, 2024)) -> dict[str, bytes]:
    """What OUT holds after a run ``tag`` (written once into a scratch folder)."""
    scratch = Path(os.environ["PYTEST_SCRATCH"]) / tag
    if not scratch.exists():
        scratch.mkdir(parents=True)
        _writer(tag, waves)(scratch)
    return _tree(scratch)


@pytest.fixture(autouse=True)
def _scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_SCRATCH", str(tmp_path / "scratch"))


@pytest.fixture
def old_out(tmp_path):
    """OUT holding a complete earlier run 'gammel' plus a README that no run wrote."""
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    outputs.replace_outputs(out, _writer("gammel"))
    (out / "README.md").write_text("behold mig", encoding="utf-8")
    return out


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


# --------------------------------------------------------------------------- the check


def test_output_folder_checks_name_the_path_as_typed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("fil.txt").write_text("x")
    Path("raw").mkdir()
    cases = {
        "fil.txt": "fil.txt: er en fil, ikke en mappe",
        "fil.txt/ud": "fil.txt/ud: fil.txt er en fil, så mappen kan ikke oprettes",
        "raw": "raw: resultatmappen må ikke være rådatamappen",
        "raw/ud": "raw/ud: resultatmappen må ikke ligge inde i rådatamappen raw",
        ".": ".: rådatamappen raw ligger inde i resultatmappen",
    }
    for typed, expected in cases.items():
        with pytest.raises(OutputFolderError) as caught:
            outputs.check_output_folder(typed, "raw")
        assert str(caught.value).startswith(expected), typed
        assert "\n" not in str(caught.value)
    with pytest.raises(OutputFolderError, match=r"^\.\./\w+: resultatmappen må ikke være eller"):
        outputs.check_output_folder(f"../{tmp_path.name}")
    with pytest.raises(OutputFolderError, match="roden"):
        outputs.check_output_folder("/")
    assert sorted(os.listdir(tmp_path)) == ["fil.txt", "raw"]  # nothing was made


def test_raw_inside_out_through_a_symlink(tmp_path):
    (tmp_path / "ud" / "raw").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "ud" / "raw")
    with pytest.raises(OutputFolderError, match="ligger inde i resultatmappen"):
        outputs.check_output_folder(tmp_path / "ud", tmp_path / "link")


def test_not_writable_and_read_only_file_system(tmp_path, monkeypatch):
    out = tmp_path / "ud"
    real_access = os.access
    monkeypatch.setattr(
        outputs.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode)
    )
    with pytest.raises(OutputFolderError, match=r"ud: ingen skriveadgang til mappen, den ligger i"):
        outputs.check_output_folder(out)
    out.mkdir()
    monkeypatch.setattr(
        outputs.os, "access", lambda p, mode: False if Path(p) == out else real_access(p, mode)
    )
    with pytest.raises(OutputFolderError, match=r"ud: ingen skriveadgang til mappen$"):
        outputs.check_output_folder(out)
    monkeypatch.setattr(outputs.os, "access", real_access)

    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(outputs.os, "statvfs", lambda path: ReadOnly())
    with pytest.raises(OutputFolderError, match=r"ud/ny: filsystemet er skrivebeskyttet$"):
        outputs.check_output_folder(out / "ny")
    assert not (out / "ny").exists()


def test_a_folder_of_other_files_is_refused(tmp_path):
    out = tmp_path / "dokumenter"
    out.mkdir()
    (out / "budget.csv").write_text("mine tal")
    (out / "noter.txt").write_text("x")
    with pytest.raises(OutputFolderError, match="1 filer, som ikke er fra en kørsel"):
        outputs.replace_outputs(out, _writer("ny"))
    assert _tree(out) == {"budget.csv": b"mine tal", "noter.txt": b"x"}
    # A folder of only other files (no run outputs) is fine: they are kept.
    (out / "budget.csv").unlink()
    outputs.replace_outputs(out, _writer("ny"))
    assert _tree(out) == {**_new_run("ny"), "noter.txt": b"x"}


def test_check_folders_raw_first(tmp_path):
    with pytest.raises(RawFolderError, match=r"^data/findes_ikke: mappen findes ikke$"):
        outputs.check_folders("data/findes_ikke", tmp_path / "ud")
    (tmp_path / "raw.csv").write_text("x")
    with pytest.raises(RawFolderError, match="er en fil"):
        outputs.check_folders(tmp_path / "raw.csv", None)
    assert issubclass(RawFolderError, UserError) and issubclass(OutputFolderError, UserError)


# --------------------------------------------------------------------------- the swap


def test_smaller_run_replaces_the_folder_wholly(old_out):
    (old_out / ".gitkeep").write_text("")
    (old_out / "notebooks").mkdir()
    (old_out / "notebooks" / "01.html").write_text("nb")
    (old_out / "rapport_751_2024.xlsx").write_text("forældet")
    os.chmod(old_out, 0o750)
    names = outputs.replace_outputs(old_out, _writer("ny", waves=(2024,)))
    assert names == sorted(_writer_names(waves=(2024,)))
    kept = {"README.md": b"behold mig", ".gitkeep": b"", "notebooks/01.html": b"nb"}
    assert _tree(old_out) == {**_new_run("ny", waves=(2024,)), **kept}
    assert not (old_out / "opsummering_2020.xlsx").exists()
    assert oct(old_out.stat().st_mode & 0o777) == oct(0o750)
    assert _siblings(old_out) == []


def _writer_names(waves):
    return [
        "besvarelser.parquet",
        "figurer",
        "manifest.json",
        *(f"opsummering_{w}.xlsx" for w in waves),
        "udeladte.csv",
    ]


def test_a_failing_or_interrupted_write_leaves_the_old_run(old_out):
    before = _tree(old_out)
    for failure in (ValueError("fejl i en beregning"), KeyboardInterrupt()):

        def write(folder, failure=failure):
            _writer("ny")(folder)
            raise failure

        with pytest.raises(type(failure)):
            outputs.replace_outputs(old_out, write)
        assert _tree(old_out) == before
        assert _siblings(old_out) == []


def test_a_full_disk_is_a_user_error_and_changes_nothing(old_out):
    before = _tree(old_out)

    def write(folder):
        (folder / "besvarelser.parquet").write_bytes(b"halv")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputFolderError, match="ikke mere plads på disken; resultatmappen er"):
        outputs.replace_outputs(old_out, write)
    assert _tree(old_out) == before and _siblings(old_out) == []


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x").write_text("a")
    (second / "y").write_text("b")
    if not outputs.exchange_folders(first, second):
        pytest.skip("this system cannot exchange folders; the rename fallback is tested below")
    assert _tree(first) == {"y": b"b"} and _tree(second) == {"x": b"a"}


def test_a_failing_exchange_leaves_the_old_run(old_out, monkeypatch):
    before = _tree(old_out)

    def broken(first, second):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(outputs, "exchange_folders", broken)
    with pytest.raises(OSError, match="I/O"):
        outputs.replace_outputs(old_out, _writer("ny"))
    assert _tree(old_out) == before and _siblings(old_out) == []


@pytest.mark.parametrize("failing", [1, 2, (2, 3)])
def test_rename_fallback_fails_at_each_step(old_out, monkeypatch, failing):
    """Without an atomic exchange: rename 1 (OUT aside), 2 (new in), 3 (the rollback)."""
    before = _tree(old_out)
    monkeypatch.setattr(outputs, "exchange_folders", lambda a, b: False)
    failing = {failing} if isinstance(failing, int) else set(failing)
    real_rename, calls = os.rename, []

    def rename(source, destination):
        calls.append((Path(source).name, Path(destination).name))
        if len(calls) in failing:
            raise OSError(errno.EIO, "I/O error")
        real_rename(source, destination)

    monkeypatch.setattr(outputs.os, "rename", rename)
    with pytest.raises(OSError):
        outputs.replace_outputs(old_out, _writer("ny"))
    monkeypatch.setattr(outputs.os, "rename", real_rename)
    if failing == {2, 3}:
        # Both the move and its rollback failed: OUT is missing, the old run waits aside and
        # the next run puts it back before anything else.
        assert not old_out.exists()
        assert [n.startswith(".out.gammel-") for n in _siblings(old_out)] == [True]
        outputs.remove_stale_folders(old_out.parent, old_out.name)
    assert _tree(old_out) == before
    assert _siblings(old_out) == []
    # And the next run goes through.
    monkeypatch.setattr(outputs, "exchange_folders", lambda a, b: False)
    outputs.replace_outputs(old_out, _writer("ny"))
    assert _tree(old_out) == {**_new_run("ny"), "README.md": b"behold mig"}
    assert _siblings(old_out) == []


def test_fallback_holds_back_ctrl_c_between_the_renames(old_out, monkeypatch):
    # Ctrl-C as a user's shell delivers it: Python's default handler, whatever an earlier test
    # in this worker process left installed (a library may leave its own while it runs).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setattr(outputs, "exchange_folders", lambda a, b: False)
    real_rename, calls = os.rename, []

    def rename(source, destination):
        calls.append(source)
        real_rename(source, destination)
        if len(calls) == 1:  # Ctrl-C right after OUT went aside
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(outputs.os, "rename", rename)
    try:
        with pytest.raises(KeyboardInterrupt):
            outputs.replace_outputs(old_out, _writer("ny"))
    finally:
        signal.signal(signal.SIGINT, previous)
    # The interrupt came only after the second rename: OUT is wholly the new run.
    assert _tree(old_out) == {**_new_run("ny"), "README.md": b"behold mig"}
    assert _siblings(old_out) == []


def test_a_failing_copy_of_kept_files_leaves_the_old_run(old_out, monkeypatch):
    before = _tree(old_out)

    def broken(source, destination):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(outputs.os, "link", broken)
    monkeypatch.setattr(outputs.shutil, "copy2", broken)
    with pytest.raises(OSError):
        outputs.replace_outputs(old_out, _writer("ny"))
    assert _tree(old_out) == before and _siblings(old_out) == []


def test_stale_folders_are_removed_but_a_live_run_is_left_alone(old_out):
    parent = old_out.parent
    for stale in (".out.ny-dead1", ".out.gammel-dead2"):
        (parent / stale / "figurer").mkdir(parents=True)
        (parent / stale / "besvarelser.parquet").write_text("gammel")
    (parent / ".andet.ny-x").mkdir()  # another folder's: not ours to remove
    live = parent / ".out.ny-live"
    live.mkdir()
    fcntl = pytest.importorskip("fcntl")
    descriptor = os.open(live, os.O_RDONLY)  # a live run holds a lock on its folder
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        outputs.replace_outputs(old_out, _writer("ny"))
    finally:
        os.close(descriptor)
    assert _siblings(old_out) == [".andet.ny-x", ".out.ny-live"]
    assert outputs.remove_stale_folders(parent, "out") == [".out.ny-live"]


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from omstilling_analysis import outputs

def write(folder):
    (folder / "besvarelser.parquet").write_text("halv")
    print("skriver", flush=True)
    time.sleep(60)

outputs.replace_outputs(Path(sys.argv[1]), write)
"""


def test_a_killed_run_leaves_the_old_run_and_an_ignored_folder(old_out):
    before = _tree(old_out)
    process = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(old_out)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True,
    )
    assert process.stdout.readline().strip() == "skriver"
    process.kill()
    process.wait(timeout=30)
    assert _tree(old_out) == before
    (stale,) = _siblings(old_out)
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", f"data/{stale}/besvarelser.parquet"],
        cwd=REPO,
        capture_output=True,
    )
    assert ignored.returncode == 0
    outputs.replace_outputs(old_out, _writer("ny"))
    assert _siblings(old_out) == []


def _concurrent_run(out: str, tag: str, start: float) -> None:
    while time.time() < start:
        time.sleep(0.001)
    outputs.replace_outputs(Path(out), _writer(tag))


def test_concurrent_runs_end_with_one_whole_run(tmp_path):
    out = tmp_path / "work" / "out"
    start = time.time() + 1.0
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_concurrent_run, args=(str(out), f"k{i}", start)) for i in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    winner = json.loads((out / "manifest.json").read_text())["koersel"]
    assert _tree(out) == _new_run(winner)
    assert _siblings(out) == []


def test_a_symlinked_output_folder_stays_a_symlink(tmp_path):
    real = tmp_path / "disk" / "resultater"
    real.parent.mkdir()
    outputs.replace_outputs(real, _writer("gammel"))
    link = tmp_path / "work" / "out"
    link.parent.mkdir()
    link.symlink_to(real)
    outputs.replace_outputs(link, _writer("ny", waves=(2024,)))
    assert link.is_symlink() and _tree(link) == _new_run("ny", waves=(2024,))
    assert sorted(os.listdir(real.parent)) == ["resultater"]


def test_write_outputs_writes_the_run_and_lists_its_files(tmp_path):
    import types

    import pandas as pd

    from omstilling_analysis import pipeline, publish
    from omstilling_analysis.settings import Settings

    raw = tmp_path / "raw"
    raw.mkdir()
    table = pd.DataFrame({"kilde": ["a.xlsx", "b.xlsx"], "kilde_raekke": [2, 5]})
    tables = {"udeladte.csv": table, "besvarelser.parquet": table}
    result = pipeline.RunResult(
        tables=tables,
        published=publish.publish(tables, Settings()),
        manifest={"vaerktoej": "omstilling_analysis"},
        raw=types.SimpleNamespace(raw_dir=raw),
        settings=Settings(),
    )
    out = tmp_path / "out"
    paths = pipeline.write_outputs(result, out)
    assert sorted(p.name for p in paths) == [
        "besvarelser.parquet",
        "manifest.json",
        "til_videncenter",
        "udeladte.csv",
    ]
    pd.testing.assert_frame_equal(pd.read_csv(out / "udeladte.csv"), table)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "besvarelser.parquet"), table)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["filer"] == sorted(p.name for p in paths)
    assert "filer" not in result.manifest  # the run's own manifest is not changed
    with pytest.raises(OutputFolderError, match="rådatamappen"):
        pipeline.write_outputs(result, raw / "ud")
