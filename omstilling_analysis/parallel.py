"""Work on the machine's other cores: forked children that compute a result and send it back.

A national run is CPU-bound in pure Python and NumPy code that holds one core: reading and
cleaning a source, a wave's cluster fit, the index robustness, drawing a figure. The pipeline
runs independent parts of it at the same time in children forked from the running process
(:func:`in_background`, :func:`forked_map`): a child inherits the parent's memory (the
respondent table is not copied or pickled, and pages it only reads stay shared), computes, and
sends its result back pickled through a pipe. Where ``fork`` is not the safe default
(Windows has none; macOS system libraries may break in a fork) or there is one core, the work
is done in the calling process when its result is asked for: the results are the same either
way, since every computation draws from its own seeds.

A child that fails sends its exception, which :meth:`Background.result` raises in the parent;
a child that dies (killed, out of memory) has its work done again by the parent.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Generic, TypeVar

__all__ = ["Background", "forked_map", "in_background", "workers"]

T = TypeVar("T")
R = TypeVar("R")


#: In a child of :func:`forked_map`: how many children it was started with (itself included),
#: which share the cores. 1 elsewhere.
_SHARING = 1


def workers() -> int:
    """Processes that can work at once: the cores this process may use (in a child of
    :func:`forked_map`, its share of them beside its siblings), and 0 where ``fork`` is not the
    safe default or the share is under two cores (then nothing is forked: readers on every
    core gain nothing by forking again, and each fork holds the memory its parent frees
    meanwhile)."""
    if not sys.platform.startswith("linux"):
        return 0
    cores = len(os.sched_getaffinity(0)) // _SHARING
    return cores if cores > 1 else 0


# The children computing now: stopped when this process ends first (an error, Ctrl-C), so that
# none goes on working for a run that is over.
_RUNNING: set[int] = set()


@atexit.register
def _stop_running() -> None:
    for child in list(_RUNNING):
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    _RUNNING.clear()


class Background(Generic[T]):
    """The result of ``function()``, computed in a forked child (or here, when asked for, where
    nothing is forked). Ask for it once with :meth:`result`."""

    def __init__(self, function: Callable[[], T], fork: bool = True):
        self._function = function
        self._child: int | None = None
        self._reader: int | None = None
        if fork and workers():
            self._start()

    def _start(self) -> None:
        # What the parent has buffered would otherwise be written twice, by both processes.
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            reader, writer = os.pipe()
            child = os.fork()
        except OSError:
            return
        if child == 0:  # the child: compute, send, and leave without running any clean-up
            status = 1
            try:
                _RUNNING.clear()  # its siblings are not its own to stop
                os.close(reader)
                try:
                    payload = pickle.dumps((True, self._function()), pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # sent to the parent, which raises it
                    payload = _pickled_error(error)
                data = memoryview(payload)
                while data:
                    data = data[os.write(writer, data) :]
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        self._child, self._reader = child, reader
        _RUNNING.add(child)

    def cancel(self) -> None:
        """Stop the child, if one is computing (its result is not wanted)."""
        if self._child is not None:
            with contextlib.suppress(OSError):
                os.kill(self._child, signal.SIGKILL)
                os.waitpid(self._child, 0)
            with contextlib.suppress(OSError, TypeError):
                os.close(self._reader)
            _RUNNING.discard(self._child)
            self._child = None

    def result(self) -> T:
        """The function's result; its exception is raised here."""
        if self._child is None:
            return self._function()
        chunks = []
        try:
            with os.fdopen(self._reader, "rb") as pipe:
                while chunk := pipe.read(1 << 20):
                    chunks.append(chunk)
            _, status = os.waitpid(self._child, 0)
        except BaseException:  # interrupted while waiting (Ctrl-C): the child is not wanted
            self._reader = None
            self.cancel()
            raise
        _RUNNING.discard(self._child)
        self._child = None
        try:
            done, value = pickle.loads(b"".join(chunks)) if status == 0 else (None, None)
        except Exception:
            done = None
        if done is None:  # the child died before it could send anything: do the work here
            return self._function()
        if not done:
            raise value
        return value


def _pickled_error(error: Exception) -> bytes:
    try:
        return pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
    except Exception:
        # An exception that cannot be pickled: the parent does the work again and raises it.
        return b""


def in_background(function: Callable[[], T]) -> Background[T]:
    """Start ``function()`` in a forked child; ``.result()`` waits for it.

    >>> squares = in_background(lambda: [n * n for n in range(4)])
    >>> squares.result()
    [0, 1, 4, 9]
    """
    return Background(function)


def forked_map(
    function: Callable[[T], R], items: Iterable[T], processes: int | None = None
) -> Iterator[R]:
    """``function(item)`` for each of ``items``, in their order, computed by at most
    ``processes`` forked children at a time (by default :func:`workers`); yields each result
    as it is ready, so that a progress bar can follow.

    The first ``processes`` children start here, before the first result is asked for, so that
    the caller can do other work meanwhile (also with one item); each further child starts as a
    result is taken. Where nothing is forked, each result is computed when it is asked for.

    >>> list(forked_map(len, ["a", "bb", "ccc"]))
    [1, 2, 3]
    """
    items = list(items)
    limit = workers() if processes is None else processes if workers() else 0
    if limit < 1:
        return (function(item) for item in items)
    waiting = iter(items)
    shared, parent = min(limit, len(items)), os.getpid()

    def in_child(item: T) -> R:
        global _SHARING
        if os.getpid() != parent:  # a child (not the parent redoing a dead child's work)
            _SHARING = shared
        return function(item)

    running = [Background(lambda item=item: in_child(item)) for item in islice(waiting, limit)]
    return _results(in_child, running, waiting)


def _results(
    function: Callable[[T], R], running: list[Background[R]], waiting: Iterator[T]
) -> Iterator[R]:
    """:func:`forked_map`'s results: the oldest child's first, then one more child started."""
    try:
        while running:
            yield running.pop(0).result()
            for item in islice(waiting, 1):
                running.append(Background(lambda item=item: function(item)))
    finally:  # the caller stopped early (an error): the other children's work is not wanted
        for job in running:
            job.cancel()
