"""Benchmark of the index's uncertainty and sensitivity analysis (issue 16).

Builds synthetic respondent theme scores of one national wave with numpy (98 municipalities,
``--respondenter`` respondents, default 500,000, spread over the municipalities by population;
a few theme scores missing under the half-of-items rule and some more under the 2/3 rule),
then times :func:`omstilling_analysis.robustness.index_robustness_from_scores` with
``--traek`` draws (default 1,000): the bootstrap of every municipality's theme means, the joint
and sampling-only draws, the Sobol design and its indices. The municipality scores are passed
in (the run has them already); their own time is printed separately.

Prints the wall time (best of ``--gentag`` runs), the peak memory allocated during the call
(``tracemalloc``, which numpy reports to) and the process's maximum resident set size, and
exits with 1 when the wall time is over ``--maal`` seconds (default 5, the issue's target on
2 cores).

    .venv/bin/python benchmarks/bench_robustness.py [--respondenter N] [--traek N] [--gentag N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from omstilling_analysis import reference, robustness, score

TARGET_S = 5.0


def synthetic_scores(n_respondents: int, seed: int = 1) -> dict[float, pd.DataFrame]:
    """Respondent theme scores of one wave under the 0.5 and the 2/3 rule (rows aligned)."""
    rng = np.random.default_rng(seed)
    places = reference.municipalities()
    codes = places["kommunekode"].to_numpy()
    share = places["indbyggere_2020"].to_numpy(dtype=float)
    sizes = np.maximum(3, np.round(n_respondents * share / share.sum()).astype(int))
    group = np.repeat(np.arange(len(codes)), sizes)
    n = len(group)
    level = rng.normal(3.0, 0.35, len(codes))
    profile = rng.normal(0.0, 0.25, (len(codes), 6))
    # Theme scores are means of 1-5 answers to about five items: multiples of 1/5 in [1, 5].
    raw = level[group, None] + profile[group] + rng.normal(0.0, 0.7, (n, 6))
    values = np.clip(np.round(raw * 5) / 5, 1.0, 5.0)
    missing_half = rng.random((n, 6)) < 0.02
    missing_two_thirds = missing_half | (rng.random((n, 6)) < 0.06)
    frames = {}
    for share_rule, missing in ((0.5, missing_half), (2 / 3, missing_two_thirds)):
        frame = pd.DataFrame(
            {
                "respondent_key": np.arange(n).astype(str),
                "boelge": np.full(n, 2024, dtype="int64"),
                "kommunekode": codes[group].astype("int64"),
            }
        )
        for j, theme in enumerate(reference.theme_codes()):
            frame[theme] = np.where(missing[:, j], np.nan, values[:, j])
        frames[share_rule] = frame
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondenter", type=int, default=500_000)
    parser.add_argument("--traek", type=int, default=1000)
    parser.add_argument("--gentag", type=int, default=1)
    parser.add_argument("--maal", type=float, default=TARGET_S, help="wall-time target, seconds")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    scores = synthetic_scores(args.respondenter)
    made = time.perf_counter() - start
    n = len(scores[0.5])
    print(f"synthetic wave: {n:,} respondents in 98 municipalities ({made:.1f} s to make)")

    start = time.perf_counter()
    ms = score.municipality_scores(scores[0.5])
    print(
        f"score.municipality_scores (the run has it already): {time.perf_counter() - start:.2f} s"
    )

    walls, peaks = [], []
    for _ in range(max(1, args.gentag)):
        tracemalloc.start()
        start = time.perf_counter()
        result = robustness.index_robustness_from_scores(
            scores, n_draws=args.traek, municipality_scores=ms
        )
        walls.append(time.perf_counter() - start)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    wall = min(walls)
    passed = wall <= args.maal
    print(f"cores: {os.cpu_count()}, load average at the end: {os.getloadavg()[0]:.2f}")
    print(
        f"index_robustness_from_scores, {args.traek:,} draws: wall {wall:.2f} s (best of "
        f"{len(walls)}; all: {', '.join(f'{w:.2f}' for w in walls)}), peak allocated "
        f"{max(peaks):,.0f} MB, process max RSS {rss:,.0f} MB"
    )
    print(result.sensitivity.round(3).to_string(index=False))
    print(f"target ≤ {args.maal:g} s: {'pass' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
