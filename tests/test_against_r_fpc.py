"""Cluster stability against R's ``fpc::clusterboot`` (Hennig 2007), when R and fpc are installed.

``clusterboot``'s default (bootmethod "boot", multipleboot = FALSE) with k-means (``kmeansCBI``,
10 random starts) on iris scaled; our :func:`bootstrap_stability` gets fpc's own original
partition, so that only the resampling and the re-clustering differ, and must give the same mean
Jaccard per cluster up to Monte Carlo error (seeds differ: B = 1000 on both sides).
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from conftest import r_has_packages
from sklearn.datasets import load_iris

from omstilling_analysis.clusters import bootstrap_stability
from omstilling_analysis.settings import Settings

B = 1000

SCRIPT = """
suppressMessages(library(fpc))
x <- scale(iris[, 1:4])
for (k in c(3, 4)) {
  cb <- clusterboot(x, B = %d, bootmethod = "boot", clustermethod = kmeansCBI, krange = k,
                    runs = 10, seed = 20240101, count = FALSE, showplots = FALSE)
  cat(k, "\\n"); cat(cb$bootmean, "\\n"); cat(cb$partition, "\\n"); cat(cb$bootbrd, "\\n")
}
"""


pytestmark = pytest.mark.skipif(
    not r_has_packages("fpc"), reason="R med pakken fpc er ikke installeret"
)


@pytest.fixture(scope="module")
def fpc_results() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = (
        subprocess.run(
            ["Rscript", "-e", SCRIPT % B], capture_output=True, text=True, check=True, timeout=300
        )
        .stdout.strip()
        .splitlines()
    )
    results = {}
    for i in range(0, len(out), 4):
        k = int(out[i])
        results[k] = (
            np.array(out[i + 1].split(), dtype=float),
            np.array(out[i + 2].split(), dtype=int) - 1,
            np.array(out[i + 3].split(), dtype=float),
        )
    return results


@pytest.mark.parametrize("k", [3, 4])
def test_jaccard_agrees_with_fpc_clusterboot(fpc_results, k):
    bootmean, partition, bootbrd = fpc_results[k]
    X = load_iris().data
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)  # R's scale()
    ours = bootstrap_stability(Z, partition, "kmeans", settings=Settings(n_bootstrap=B), seed=3)
    assert ours.jaccard.shape == bootmean.shape == (k,)
    assert np.abs(ours.jaccard - bootmean).mean() <= 0.02, (ours.jaccard, bootmean)
    # the share of resamples in which a cluster dissolved (Jaccard <= 0.5), fpc's bootbrd / B
    assert np.abs(ours.dissolved - bootbrd / B).max() <= 0.05, (ours.dissolved, bootbrd / B)
