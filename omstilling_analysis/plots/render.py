"""Drawing a run's figures on every core while the rest of the write stage goes on.

A national run draws some thirty PNG figures (a few tenths of a second each, all matplotlib
text layout and rasterising, which holds the GIL); drawn one by one they were most of the write
stage. :func:`render_in_background` draws them in forked worker processes instead, so that the
Parquet files, CSVs and workbooks are written meanwhile. Each figure is drawn by the same code
from the same tables as in :func:`omstilling_analysis.plots.style.png_bytes`, so its bytes do
not depend on which process drew it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor

from matplotlib.figure import Figure

from omstilling_analysis.parallel import workers
from omstilling_analysis.plots.style import png_bytes

__all__ = ["MIN_FIGURES", "render_in_background"]

#: Fewer figures than this are drawn in the calling process: starting workers costs more.
MIN_FIGURES = 6

# The figures of the pool being started, read by the forked workers: a worker inherits them
# with the parent's memory, so only a figure's stem travels to it (pickling the drawing
# functions would copy the published tables and analysis results once per figure).
_MAKERS: Mapping[str, Callable[[], Figure]] = {}


def _draw(stem: str) -> bytes:
    return png_bytes(_MAKERS[stem]())


def render_in_background(makers: Mapping[str, Callable[[], Figure]]) -> dict[str, Future[bytes]]:
    """Start drawing every figure of ``makers`` (stem → drawing function) as PNG bytes.

    Returns a future per stem, in the order of ``makers``; an error while drawing is raised by
    the future's ``result()``. Returns ``{}`` when the figures are better drawn in this process
    (:func:`omstilling_analysis.parallel.workers`, :data:`MIN_FIGURES`). The workers end when
    their last figure is drawn.
    """
    global _MAKERS
    count = min(workers(), len(makers))
    if count == 0 or len(makers) < MIN_FIGURES:
        return {}
    _MAKERS = makers
    try:
        # With ``fork`` every worker starts at the first submit: each sees ``_MAKERS`` as set here.
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
        futures = {stem: pool.submit(_draw, stem) for stem in makers}
    finally:
        _MAKERS = {}
    # Not waiting: the futures still complete, and the workers then exit.
    pool.shutdown(wait=False)
    return futures
