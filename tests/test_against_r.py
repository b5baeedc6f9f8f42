"""Reliability held to R's psych (2.x) on psych's own ``bfi`` data, where R is installed.

The agreeableness items A1–A5 (A1 reversed, as in psych's examples) have missing answers, so
the pairwise rules are compared too. Skipped when ``Rscript`` or the psych package is absent
(``.ci/run`` installs Debian's ``r-base-core``, ``r-cran-psych`` and ``r-cran-gparotation``,
which ``psych::omega`` needs, best effort).
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import r_has_packages

from omstilling_analysis.reliability import (
    cronbach_alpha,
    item_drop_statistics,
    mcdonald_omega,
    standardized_alpha,
)

R_SCRIPT = r"""
suppressMessages(library(psych))
data(bfi)
d <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
d$A1 <- 7 - d$A1
write.csv(d, "{csv}", row.names = FALSE, na = "")
out <- list()
for (rule in c("pairwise", "listwise")) {{
  x <- if (rule == "listwise") d[complete.cases(d), ] else d
  a <- alpha(x, warnings = FALSE)
  o <- suppressWarnings(omega(x, nfactors = 1, plot = FALSE))
  out[[rule]] <- list(
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    alpha_drop = unname(a$alpha.drop$raw_alpha), r_drop = unname(a$item.stats$r.drop),
    omega = o$omega.tot
  )
}}
cat(jsonlite_free <- paste0("{{",
  paste(sapply(names(out), function(rule) paste0('"', rule, '": {{',
    paste(sapply(names(out[[rule]]), function(k) paste0('"', k, '": [',
      paste(sprintf("%.15g", out[[rule]][[k]]), collapse = ","), "]")), collapse = ","), "}}")),
    collapse = ","), "}}"))
"""


pytestmark = pytest.mark.skipif(
    not r_has_packages("psych", "GPArotation"), reason="R med pakken psych er ikke installeret"
)


@pytest.fixture(scope="module")
def psych(tmp_path_factory):
    folder = tmp_path_factory.mktemp("psych")
    csv = folder / "bfi_a.csv"
    script = folder / "psych.R"
    script.write_text(R_SCRIPT.format(csv=csv.as_posix()), encoding="utf-8")
    done = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(csv), json.loads(done.stdout)


@pytest.mark.parametrize("rule", ["pairwise", "listwise"])
def test_alpha_std_alpha_and_omega_as_psych(psych, rule):
    items, r = psych
    expected = r[rule]
    data = items.dropna() if rule == "listwise" else items
    assert cronbach_alpha(data, missing=rule) == pytest.approx(expected["raw_alpha"][0], abs=1e-6)
    assert standardized_alpha(data, missing=rule) == pytest.approx(
        expected["std_alpha"][0], abs=1e-6
    )
    assert mcdonald_omega(data, missing=rule) == pytest.approx(expected["omega"][0], abs=1e-6)


@pytest.mark.parametrize("rule", ["pairwise", "listwise"])
def test_item_rest_and_alpha_if_dropped_as_psych(psych, rule):
    items, r = psych
    data = items.dropna() if rule == "listwise" else items
    rest_r, alpha_drop = item_drop_statistics(data)
    np.testing.assert_allclose(alpha_drop, r[rule]["alpha_drop"], atol=1e-6)
    np.testing.assert_allclose(rest_r, r[rule]["r_drop"], atol=1e-6)
