"""Operating characteristics of the rule for the number of clusters (docs/klyngevalg.md).

Simulates municipality theme scores per wave as the survey makes them, from a world without
types to strong types, runs :func:`omstilling_analysis.clusters.select_k` and
:func:`~omstilling_analysis.clusters.choose_solution` on the standardised scores exactly as
:func:`~omstilling_analysis.clusters.cluster_municipalities` does, and reports how often the
rule picks the true k (and the adjusted Rand index of the chosen solution with the truth).

The world (close to ``omstilling_analysis.synth``'s model, at the level of theme scores):

- n = 98 municipalities, 6 themes. Type t of K has the profile 3.0 everywhere plus ``delta`` on
  "its" theme (STR, TEK, FOR, STY, BOR for t = 1 … 5), so two types are ``delta * sqrt(2)``
  apart; synth's default world has K = 4 and delta = 1.0 (plus ±0.15 on BOR and DAT).
  K = 1 is one multivariate normal: no types.
- A municipality's true level = its type's profile + a deviation with sd 0.24 per theme,
  independent across themes, or (``faktor``) with correlation 0.5 between themes (a general level
  lifting all six).
- Respondents: 1 to 60 per municipality (uniform); a respondent's theme score = the true level +
  a personal bias common to all themes (sd 0.3) + a theme deviation (sd 0.3) + item noise
  (sd 0.7 / sqrt(6)), clipped to 1-5. The municipality's score is the mean of its respondents';
  municipalities with fewer than 3 respondents are not clustered (as in the pipeline).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/simulate_k_selection.py [--gentagelser 40]``
(about 1.5 s per data set and core). Prints a Markdown table; ``--ud FILE`` also writes it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from omstilling_analysis import clusters
from omstilling_analysis.clusters.engine import METHOD_KEY, fit, rng_for
from omstilling_analysis.settings import Settings

N_MUNICIPALITIES = 98
N_THEMES = 6
#: The theme each type is strong on (index into BOR STR FOR STY TEK DAT).
OWN_THEME = (1, 4, 2, 3, 0)
SCENARIOS: list[tuple[str, int, float, bool]] = [
    ("ingen typer", 1, 0.0, False),
    ("ingen typer, generelt niveau", 1, 0.0, True),
    *[
        (f"{k} typer, delta {delta}", k, delta, False)
        for k in (2, 3, 4, 5)
        for delta in (0.5, 0.75, 1.0)
    ],
    ("4 typer, delta 1.0, generelt niveau", 4, 1.0, True),
]


def simulate(
    rng: np.random.Generator, n_types: int, delta: float, factor: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality scores (n, 6) of the clustered municipalities and their true types."""
    n = N_MUNICIPALITIES
    types = rng.permutation(np.resize(np.arange(n_types), n))
    centres = np.full((n_types, N_THEMES), 3.0)
    if n_types > 1:
        for t in range(n_types):
            centres[t, OWN_THEME[t]] += delta
    if factor:
        correlation = np.full((N_THEMES, N_THEMES), 0.5) + 0.5 * np.eye(N_THEMES)
        deviation = rng.multivariate_normal(np.zeros(N_THEMES), 0.24**2 * correlation, n)
    else:
        deviation = rng.normal(0.0, 0.24, (n, N_THEMES))
    level = centres[types] + deviation
    counts = rng.integers(1, 61, n)
    owner = np.repeat(np.arange(n), counts)
    answers = (
        level[owner]
        + rng.normal(0.0, 0.3, (len(owner), 1))
        + rng.normal(0.0, 0.3, (len(owner), N_THEMES))
        + rng.normal(0.0, 0.7 / np.sqrt(6), (len(owner), N_THEMES))
    )
    answers = np.clip(answers, 1.0, 5.0)
    sums = np.zeros((n, N_THEMES))
    np.add.at(sums, owner, answers)
    means = sums / counts[:, None]
    kept = counts >= 3
    return means[kept], types[kept]


def one_run(seed: int, n_types: int, delta: float, factor: bool) -> dict[str, object]:
    rng = np.random.default_rng([seed, n_types, int(delta * 100), int(factor)])
    raw, truth = simulate(rng, n_types, delta, factor)
    Z = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
    table = clusters.select_k(Z, seed=seed, methods=("kmeans", "gmm"))
    choice = clusters.choose_solution(table, Settings())
    k, method = int(choice["k"]), str(choice["metode"])
    labels = fit(method, Z, None, k, rng_for(seed, METHOD_KEY[method], k))[0]
    return {
        "k": k,
        "k_gap": choice["k_gap"],
        "k_bic": choice["k_bic"],
        "ari": adjusted_rand_score(truth, labels) if n_types > 1 else float(k == 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gentagelser", type=int, default=40, help="data sets per scenario")
    parser.add_argument("--ud", type=Path, help="write the Markdown table to this file too")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = [
        "| struktur | sand k | rigtigt k | k = 1 | k for lavt | k for højt | gap rigtigt "
        "| BIC rigtigt | median ARI |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, n_types, delta, factor in SCENARIOS:
        runs = pd.DataFrame(
            [one_run(seed, n_types, delta, factor) for seed in range(args.gentagelser)]
        )
        share = lambda mask: f"{100 * mask.mean():.0f} %"  # noqa: E731
        lines.append(
            f"| {name} | {n_types} | {share(runs['k'] == n_types)} | {share(runs['k'] == 1)} "
            f"| {share(runs['k'] < n_types)} | {share(runs['k'] > n_types)} "
            f"| {share(runs['k_gap'] == n_types)} | {share(runs['k_bic'] == n_types)} "
            f"| {runs['ari'].median():.2f} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(f"\n{args.gentagelser} data sets per scenario, {time.perf_counter() - started:.0f} s")
    if args.ud:
        args.ud.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
