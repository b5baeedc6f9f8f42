"""Shared fixtures: a fixed HMAC key (never the user's key file), the contract's examples."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

# CI runs the same examples every time (a red build is then reproducible); local runs explore.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

matplotlib.use("Agg")

# Tests never create a key file in the home folder: the key comes from the environment.
os.environ.setdefault("OMSTILLING_SALT", "test-noegle-ikke-hemmelig-mindst-32-byte")

EXAMPLES = Path(__file__).parent / "data" / "contract_examples"


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


def r_has_packages(*packages: str) -> bool:
    """Whether ``Rscript`` is installed with every one of ``packages`` (the R comparisons are
    skipped otherwise)."""
    import shutil
    import subprocess

    if shutil.which("Rscript") is None:
        return False
    loads = "; ".join(f"library({name})" for name in packages)
    done = subprocess.run(["Rscript", "-e", loads], capture_output=True, text=True, timeout=120)
    return done.returncode == 0
