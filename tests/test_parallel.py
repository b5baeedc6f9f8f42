"""Work in forked children (``parallel.py``): results, errors and dead children as if the work
were done in the calling process, and a run that gives the same bytes with and without them."""

from __future__ import annotations

import os
import pickle

import pytest

from omstilling_analysis import demo, load, parallel, pipeline
from omstilling_analysis.memo import Memo

needs_fork = pytest.mark.skipif(parallel.workers() == 0, reason="ingen fork eller én kerne")


@needs_fork
def test_the_result_comes_from_a_child():
    parent = os.getpid()
    job = parallel.in_background(lambda: (os.getpid(), [n * n for n in range(5)]))
    pid, squares = job.result()
    assert pid != parent
    assert squares == [0, 1, 4, 9, 16]


@needs_fork
def test_an_error_in_the_child_is_raised_in_the_parent():
    def fails():
        raise ValueError("forkert værdi i bølge 2024")

    job = parallel.in_background(fails)
    with pytest.raises(ValueError, match="forkert værdi i bølge 2024"):
        job.result()


@needs_fork
def test_a_raw_data_error_crosses_the_pipe_whole():
    error = load.RawDataError("/sti/til/eksport.csv", "filen er tom")
    back = pickle.loads(pickle.dumps(error))
    assert (back.source, back.problem, str(back)) == ("eksport.csv", "filen er tom", str(error))

    def fails():
        raise error

    with pytest.raises(load.RawDataError) as raised:
        parallel.in_background(fails).result()
    assert str(raised.value) == "eksport.csv: filen er tom"


@needs_fork
def test_a_child_that_dies_has_its_work_done_by_the_parent():
    parent = os.getpid()

    def dies_in_a_child():
        if os.getpid() != parent:
            os._exit(9)  # as if killed: nothing is sent
        return "gjort her"

    assert parallel.in_background(dies_in_a_child).result() == "gjort her"


@needs_fork
def test_an_exception_that_cannot_be_pickled_is_raised_by_the_parent_itself():
    parent = os.getpid()

    class Local(Exception):  # a local class cannot be pickled
        pass

    def fails():
        raise Local(f"fra {'barnet' if os.getpid() != parent else 'forælderen'}")

    with pytest.raises(Local, match="fra forælderen"):
        parallel.in_background(fails).result()


def test_forked_map_keeps_the_order_and_limits_the_children():
    pids = list(parallel.forked_map(lambda n: (n, os.getpid()), range(7), processes=3))
    assert [n for n, _ in pids] == list(range(7))
    if parallel.workers():
        assert os.getpid() not in {pid for _, pid in pids}
    assert list(parallel.forked_map(len, ["a", "bb"], processes=1)) == [1, 2]


@needs_fork
def test_a_child_of_forked_map_shares_the_cores_with_its_siblings():
    cores = len(os.sched_getaffinity(0))

    def forks_in_turn(_):
        return parallel.workers(), parallel.in_background(os.getpid).result() != os.getpid()

    # As many children as cores: each has less than two cores' share and forks nothing more.
    assert (
        list(parallel.forked_map(forks_in_turn, range(cores), processes=cores))
        == [(0, False)] * cores
    )
    # One child alone has all the cores, and may fork again.
    assert list(parallel.forked_map(forks_in_turn, [0], processes=cores)) == [(cores, True)]
    assert parallel.workers() == cores  # the parent's share is unchanged


@needs_fork
def test_forked_map_stopped_early_leaves_no_child(tmp_path):
    def slow(n):
        if n == 0:
            raise RuntimeError("stop")
        (tmp_path / f"{os.getpid()}").write_text("i gang")
        import time

        time.sleep(30)
        return n

    with pytest.raises(RuntimeError, match="stop"):
        list(parallel.forked_map(slow, range(3), processes=3))
    for marker in tmp_path.iterdir():  # the other children were stopped, not left running
        with pytest.raises(ProcessLookupError):
            os.kill(int(marker.name), 0)


def test_memo_work_in_a_child_is_known_to_the_parent(tmp_path):
    memo = Memo(tmp_path, b"k" * 32, "v1")
    memo.get("foer", (0,), lambda: "her")
    job = parallel.in_background(
        lambda: memo.logged(lambda: memo.get("klynger-2024", (1,), lambda: 42))
    )
    assert memo.absorb(job.result()) == 42
    assert memo.computed == ["foer", "klynger-2024"]
    memo.prune()  # keeps what the child computed for this run
    assert len(list(tmp_path.glob("klynger-2024-*.pkl"))) == 1
    again = Memo(tmp_path, b"k" * 32, "v1")
    job = parallel.in_background(
        lambda: again.logged(lambda: again.get("klynger-2024", (1,), lambda: 0))
    )
    assert again.absorb(job.result()) == 42
    assert again.reused == ["klynger-2024"] and again.computed == []


def test_logged_leaves_the_memo_as_it_was_until_absorbed(tmp_path):
    memo = Memo(tmp_path, b"k" * 32, "v1")
    logged = memo.logged(lambda: memo.get("rang-2022", (2,), lambda: 7))
    assert memo.computed == []
    assert memo.absorb(logged) == 7
    assert memo.computed == ["rang-2022"]


def test_a_run_writes_the_same_bytes_with_and_without_children(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    demo.generate(raw, seed=5)
    assert len(load.list_raw_entries(raw)[0]) > 2  # several sources: read by children
    monkeypatch.setenv("OMSTILLING_SALT", "test-noegle-ikke-hemmelig-mindst-32-byte")
    pipeline.run(raw, tmp_path / "med", cache="off")
    monkeypatch.setattr(parallel, "workers", lambda: 0)
    pipeline.run(raw, tmp_path / "uden", cache="off")
    with_children = sorted(p.relative_to(tmp_path / "med") for p in (tmp_path / "med").rglob("*"))
    without = sorted(p.relative_to(tmp_path / "uden") for p in (tmp_path / "uden").rglob("*"))
    assert with_children == without
    for name in with_children:
        if (tmp_path / "med" / name).is_file() and name.name != "manifest.json":
            same = (tmp_path / "med" / name).read_bytes() == (tmp_path / "uden" / name).read_bytes()
            assert same, name


@needs_fork
@pytest.mark.parametrize("ending", ["exit", "interrupt"])
def test_no_child_outlives_the_run(tmp_path, ending):
    """A run that ends while a child computes (an error, Ctrl-C while waiting for the child)
    leaves no child working for it."""
    import subprocess
    import sys
    import textwrap
    import time

    marker = tmp_path / "barn.pid"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from pathlib import Path
        from omstilling_analysis import parallel

        def work():
            Path({str(marker)!r}).write_text(str(os.getpid()))
            time.sleep(60)
            return 1

        job = parallel.in_background(work)
        while not Path({str(marker)!r}).exists():
            time.sleep(0.05)
        if {ending!r} == "interrupt":
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
            job.result()
        raise SystemExit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=50)
    # An uncaught KeyboardInterrupt ends Python by SIGINT (-2), as Ctrl-C would.
    assert done.returncode in (3, -2), done.stderr.decode()
    child = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the child is still running")
