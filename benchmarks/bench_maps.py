"""Time the maps of Denmark (issue 14): geometry load, building each map, saving it as PNG.

    .venv/bin/python benchmarks/bench_maps.py [--gentag N]

Prints one line per step with the best (lowest) of N repetitions in seconds. The data are
synthetic (every municipality with a value, a few suppressed), so nothing but the drawing is
measured. The geometry is read once per process (cached); its time is that first read.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.plots import maps
from omstilling_analysis.plots.style import png_bytes


def _best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gentag", type=int, default=5, help="repetitions (best is shown)")
    repeat = parser.parse_args().gentag

    start = time.perf_counter()
    maps.map_geometry()
    print(f"geometri (første indlæsning)   {time.perf_counter() - start:6.3f} s")

    codes = reference.municipalities()["kommunekode"].to_numpy()
    rng = np.random.default_rng(0)
    hidden = codes[:5]
    cases = {
        "index": (pd.Series(rng.uniform(1.5, 4.6, len(codes)), codes), {}),
        "cluster": (
            pd.Series(rng.integers(1, 5, len(codes)), codes),
            {"cluster_names": {1: "Type et", 2: "Type to", 3: "Type tre", 4: "Type fire"}},
        ),
        "change": (pd.Series(rng.normal(0, 0.3, len(codes)), codes), {}),
    }
    total = 0.0
    for kind, (values, extra) in cases.items():

        def build(values=values, kind=kind, extra=extra):
            return maps.plot_denmark_map(
                values, kind=kind, wave=2024, suppressed=hidden, highlight=751, **extra
            )

        built = _best(build, repeat)
        whole = _best(lambda build=build: png_bytes(build()), repeat)
        total += whole
        print(f"{kind:8s} byg {built:6.3f} s   byg + PNG {whole:6.3f} s")
    print(f"alle tre kort, byg + PNG       {total:6.3f} s")


if __name__ == "__main__":
    main()
