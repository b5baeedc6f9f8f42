"""Themes and implementation results: which themes of digital maturity go with better outcomes.

The data's journey in this module::

    outcomes ──outcome_measures──▶ measures ─┐
                                              ├─link_waves──▶ linked (+ missing) ──▶ models
    municipality_scores ──────────────────────┘

1. :func:`outcome_measures` turns the outcome files (one row per municipality and year) into the
   contract's four measures: ``andel_i_drift`` = i_drift / igangsat, ``andel_skaleret`` =
   skaleret / i_drift, ``gevinst_kr_pr_indbygger`` = gevinst_mio_kr · 10⁶ / indbyggere_2020 and
   ``digital_selvbetjening_pct`` as is. A measure that cannot be computed (a zero denominator,
   a missing value, impossible counts) is missing, and the reason is kept.
2. :func:`link_waves` links wave W to the outcomes of year W + ``settings.outcome_lag``. Every
   municipality × wave that does not reach a model is listed in the ``missing`` report with its
   reason (too few respondents, a missing theme score, no row in the outcome file, the year
   missing, a zero denominator, …): nothing is dropped silently.
3. :func:`estimate_effects` fits, per wave and outcome, a regression of the outcome on the six
   theme scores, standardised within the wave (so the estimate is per standard deviation of the
   theme), with log population (``indbyggere_2020``) as control and region dummies on request;
   and one model pooled over the waves (``boelge = "samlet"``) with wave dummies and standard
   errors clustered by municipality. All p-values of the run are adjusted together
   (Benjamini–Hochberg).
4. :func:`findings_sentences`, :func:`plot_coefficients` and :func:`plot_partial_dependence` put
   the findings into plain Danish and figures.

Models
------
*Shares* (``andel_i_drift``, ``andel_skaleret``): a binomial GLM with logit link on the pilot
counts (successes / trials), so a municipality with 20 pilots weighs more than one with 2:

.. math:: \\operatorname{logit} p_i = \\alpha + \\sum_j \\beta_j z_{ij} + \\gamma \\log N_i
          (+ \\text{region}), \\qquad y_i \\sim \\operatorname{Bin}(t_i, p_i).

``estimat`` is then the change in **log-odds** per SD of the theme; ``estimat_pp`` gives the
average marginal effect in percentage points, :math:`100\\,\\hat\\beta\\,\\overline{\\hat p(1-\\hat p)}`,
with the interval scaled by the same factor (an approximation that treats the factor as known).

*Amounts* (``gevinst_kr_pr_indbygger``, ``digital_selvbetjening_pct``): OLS; ``estimat`` is in the
outcome's own unit per SD of the theme.

Standard errors per wave are HC3 (MacKinnon & White 1985), the leverage-corrected form of White's
(1980) heteroskedasticity-consistent sandwich:

.. math:: \\hat V = (X^\\top W X)^{-1} \\Big[\\sum_i x_i x_i^\\top
          \\frac{\\hat u_i^2}{(1-h_{ii})^2}\\Big] (X^\\top W X)^{-1},
          \\qquad h_{ii} = w_i\\, x_i^\\top (X^\\top W X)^{-1} x_i,

with :math:`w_i = 1`, :math:`\\hat u_i = y_i - \\hat y_i` for OLS, and for the binomial GLM the
IRLS weights :math:`w_i = t_i \\hat p_i (1-\\hat p_i)` and score residuals
:math:`\\hat u_i = y_i - t_i \\hat p_i` (Long & Ervin 2000; Zeileis 2006, R ``sandwich``). The
sandwich also makes the binomial model's inference robust to over-dispersion. statsmodels
(0.15) accepts ``cov_type="HC3"`` for a GLM but silently computes HC0 there (its GLM results
have no ``cov_HC3``), so the GLM's HC3 is computed here by :func:`hc3_covariance`. Tests and
intervals use the t distribution with n − k degrees of freedom for both model kinds.

The pooled model stacks the waves, adds wave dummies and uses the cluster-robust (CR1) sandwich
with municipalities as clusters (Cameron & Miller 2015), as statsmodels computes it
(``cov_type="cluster"``, small-sample factor :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}`), with
t(G − 1) inference. The theme scores keep their within-wave z-scores, so ``estimat`` is per SD
within the wave. With fewer than two waves there is no pooled model.

A model the data cannot carry (fewer rows than terms + 2, a rank-deficient design, separation
or no convergence of the GLM) is not estimated: its rows keep ``n`` and say why in ``model``.

Multiple testing: the theme tests of the whole run (every wave, outcome and the pooled models)
are adjusted together by Benjamini & Hochberg (1995), ``p_justeret``.

Fit: ``r2`` is the in-sample R² for OLS and the deviance R² (1 − D/D₀, D₀ the deviance of the
intercept-only model) for the binomial GLM. ``r2_cv`` is the same quantity out of sample:
repeated K-fold (5 × 5, seeded by ``settings.seed``) over municipalities (so a municipality's
waves stay together in the pooled model); within each repeat the out-of-fold predictions of all
municipalities are pooled, and :math:`R^2_{cv} = 1 - \\sum_r L_r / (R \\cdot L_0)` with
:math:`L_r` the squared error (OLS) or binomial deviance (GLM) of the pooled out-of-fold
predictions of repeat r and :math:`L_0` that of the overall mean. It can be negative.

These are associations between self-assessed maturity and later outcomes in observational data,
not proven causes; the sentences say so.

References
----------
- White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a direct test
  for heteroskedasticity. *Econometrica* 48(4), 817–838.
- MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
  estimators with improved finite sample properties. *Journal of Econometrics* 29(3), 305–325.
- Long, J. S. & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors in the
  linear regression model. *The American Statistician* 54(3), 217–224.
- Zeileis, A. (2006). Object-oriented computation of sandwich estimators. *Journal of
  Statistical Software* 16(9).
- Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
  powerful approach to multiple testing. *JRSS B* 57(1), 289–300.
- Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
  *Journal of Human Resources* 50(2), 317–372.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats
from scipy.special import expit
from sklearn.model_selection import RepeatedKFold
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from omstilling_analysis import reference
from omstilling_analysis.settings import Settings

#: The four outcome measures of the contract, in report order.
OUTCOMES: tuple[str, ...] = (
    "andel_i_drift",
    "andel_skaleret",
    "gevinst_kr_pr_indbygger",
    "digital_selvbetjening_pct",
)
#: Shares modelled as binomial: measure → (successes, trials).
BINOMIAL: dict[str, tuple[str, str]] = {
    "andel_i_drift": ("piloter_i_drift", "piloter_igangsat"),
    "andel_skaleret": ("piloter_skaleret", "piloter_i_drift"),
}
#: ``boelge`` of the models pooled over waves.
POOLED = "samlet"
#: Level of the intervals and of "a finding" (on ``p_justeret``).
ALPHA = 0.05
#: ``model`` of a wave × outcome with too few data for its terms (see :class:`NotEstimable`).
NOT_FITTED = "ikke estimeret: for få observationer"
#: ``aarsag`` of an outcome row whose municipality gave no answers in the linked wave.
NO_ANSWERS = "ingen besvarelser i bølgen"
#: ``udfald`` in the missing report when the whole municipality × wave is out.
ALL_OUTCOMES = "alle"

#: Danish labels of the outcomes (figures) and the noun phrase the sentences use.
OUTCOME_LABELS: dict[str, str] = {
    "andel_i_drift": "Andel piloter i drift",
    "andel_skaleret": "Andel skalerede piloter af dem i drift",
    "gevinst_kr_pr_indbygger": "Realiseret gevinst (kr. pr. indbygger)",
    "digital_selvbetjening_pct": "Digital selvbetjening (%)",
}
_OUTCOME_PHRASES: dict[str, str] = {
    "andel_i_drift": "andel piloter i drift",
    "andel_skaleret": "andel skalerede piloter (af dem i drift)",
    "gevinst_kr_pr_indbygger": "realiseret gevinst",
    "digital_selvbetjening_pct": "andel digital selvbetjening",
}
_OUTCOME_UNITS: dict[str, tuple[str, int]] = {  # unit and decimals of estimat in sentences
    "gevinst_kr_pr_indbygger": ("kr. pr. indbygger", 1),
    "digital_selvbetjening_pct": ("procentpoint", 1),
}

_MEASURE_COLUMNS = [
    "piloter_igangsat",
    "piloter_i_drift",
    "piloter_skaleret",
    *OUTCOMES,
    *(f"aarsag_{m}" for m in OUTCOMES),
]
_MISSING_COLUMNS = ["boelge", "kommunekode", "aar", "udfald", "aarsag"]
TABLE_COLUMNS = [
    "boelge",
    "udfald",
    "tema",
    "estimat",
    "ci_lav",
    "ci_hoej",
    "p",
    "p_justeret",
    "n",
    "model",
    "r2",
    "r2_cv",
    "estimat_pp",
    "ci_lav_pp",
    "ci_hoej_pp",
]


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings()


def _z(theme: str) -> str:
    return f"z_{theme}"


# --------------------------------------------------------------------------- measures


def outcome_measures(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The contract's four outcome measures per row of the outcome files.

    Parameters
    ----------
    outcomes:
        The ``outcomes`` frame (``kommunekode, aar, piloter_igangsat, piloter_i_drift,
        piloter_skaleret, gevinst_mio_kr, digital_selvbetjening_pct``).

    Returns
    -------
    One row per input row (duplicates are kept here and reported by :func:`link_waves`):
    ``kommunekode, aar, piloter_igangsat, piloter_i_drift, piloter_skaleret`` (the binomial
    counts), ``andel_i_drift`` = i_drift / igangsat, ``andel_skaleret`` = skaleret / i_drift,
    ``gevinst_kr_pr_indbygger`` = gevinst_mio_kr · 10⁶ / indbyggere_2020,
    ``digital_selvbetjening_pct``, and per measure ``aarsag_<measure>``: why it is missing
    (``<NA>`` when it is not), e.g. ``"ingen piloter i drift (nævner 0)"``.
    """
    frame = outcomes.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "kommunekode": pd.array(frame["kommunekode"], dtype="Int64"),
            "aar": pd.array(frame["aar"], dtype="Int64"),
        }
    )
    counts = {
        c: pd.to_numeric(frame[c], errors="coerce").astype("float64")
        for c in ("piloter_igangsat", "piloter_i_drift", "piloter_skaleret")
    }
    out = out.assign(**counts)
    population = out["kommunekode"].map(
        reference.municipalities().set_index("kommunekode")["indbyggere_2020"]
    )
    gevinst = pd.to_numeric(frame["gevinst_mio_kr"], errors="coerce").astype("float64")
    selvbetjening = pd.to_numeric(frame["digital_selvbetjening_pct"], errors="coerce")

    def share(
        num: str, den: str, zero_reason: str, over_reason: str
    ) -> tuple[pd.Series, pd.Series]:
        n, d = out[num], out[den]
        reason = pd.Series(pd.NA, index=out.index, dtype="string")
        # A later mask overrides an earlier one: the most basic reason is applied last.
        reason = reason.mask(n > d, over_reason)
        reason = reason.mask((n < 0) | (d < 0), "negativt antal piloter")
        reason = reason.mask(d == 0, zero_reason)
        reason = reason.mask(n.isna() | d.isna(), "værdi mangler i udfaldsfil")
        return (n / d).where(reason.isna()), reason

    drift, drift_reason = share(
        "piloter_i_drift",
        "piloter_igangsat",
        "ingen piloter igangsat (nævner 0)",
        "flere piloter i drift end igangsat",
    )
    skaleret, skaleret_reason = share(
        "piloter_skaleret",
        "piloter_i_drift",
        "ingen piloter i drift (nævner 0)",
        "flere piloter skaleret end i drift",
    )
    gevinst_reason = pd.Series(pd.NA, index=out.index, dtype="string")
    gevinst_reason = gevinst_reason.mask(
        population.isna(), "ukendt kommunekode (intet indbyggertal)"
    )
    gevinst_reason = gevinst_reason.mask(gevinst.isna(), "værdi mangler i udfaldsfil")
    selv_reason = pd.Series(pd.NA, index=out.index, dtype="string")
    selv_reason = selv_reason.mask((selvbetjening < 0) | (selvbetjening > 100), "uden for 0-100")
    selv_reason = selv_reason.mask(selvbetjening.isna(), "værdi mangler i udfaldsfil")

    out["andel_i_drift"] = drift.astype("float64")
    out["andel_skaleret"] = skaleret.astype("float64")
    per_person = gevinst * 1e6 / population.astype("float64")
    out["gevinst_kr_pr_indbygger"] = per_person.where(gevinst_reason.isna()).astype("float64")
    out["digital_selvbetjening_pct"] = selvbetjening.where(selv_reason.isna()).astype("float64")
    out["aarsag_andel_i_drift"] = drift_reason
    out["aarsag_andel_skaleret"] = skaleret_reason
    out["aarsag_gevinst_kr_pr_indbygger"] = gevinst_reason
    out["aarsag_digital_selvbetjening_pct"] = selv_reason
    return out[["kommunekode", "aar", *_MEASURE_COLUMNS]]


# --------------------------------------------------------------------------- linking


def _report(frame: pd.DataFrame, udfald: str | pd.Series, aarsag: str | pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "boelge": frame["boelge"].to_numpy(),
            "kommunekode": frame["kommunekode"].to_numpy(),
            "aar": frame["aar"].to_numpy(),
            "udfald": udfald if isinstance(udfald, str) else udfald.to_numpy(),
            "aarsag": aarsag if isinstance(aarsag, str) else aarsag.to_numpy(),
        }
    )


def link_waves(
    municipality_scores: pd.DataFrame,
    measures: pd.DataFrame,
    lag: int | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Link each wave W to the outcome measures of year W + ``lag``.

    Parameters
    ----------
    municipality_scores:
        ``boelge, kommunekode, n_respondenter`` and the six theme codes (see
        ``docs/interfaces.md``).
    measures:
        :func:`outcome_measures` of the outcome files.
    lag:
        Years between a wave and its outcomes; ``None`` → ``settings.outcome_lag``.
    settings:
        ``min_respondents_published`` decides who enters the models.

    Returns
    -------
    linked:
        One row per municipality × wave that can enter a model (at least
        ``min_respondents_published`` respondents, all six theme scores): ``boelge,
        kommunekode, aar`` (= boelge + lag), ``region, indbyggere, log_indbyggere,
        n_respondenter``, the six theme scores, ``z_<TEMA>`` (z-scores within the wave over
        these rows, ddof = 1), the pilot counts and the four measures (missing where the
        outcome files give none). Sorted by wave and municipality.
    missing:
        What could not be linked, one row per municipality × wave (× outcome, when only one
        measure is out): ``boelge, kommunekode, aar, udfald`` (a measure, or ``"alle"``),
        ``aarsag``. Besides the linked rows whose measure is missing, it lists the
        municipality × waves left out of the models, and outcome rows of a linked year whose
        municipality gave no answers in the wave (``"ingen besvarelser i bølgen"``).
    """
    config = _settings(settings)
    lag = config.outcome_lag if lag is None else int(lag)
    themes = reference.theme_codes()
    scores = municipality_scores.reset_index(drop=True)
    scores = scores.assign(
        boelge=scores["boelge"].astype("int64"),
        kommunekode=scores["kommunekode"].astype("int64"),
    )
    scores["aar"] = scores["boelge"] + lag
    reports: list[pd.DataFrame] = []

    # 1. Who can enter a model at all.
    few = scores["n_respondenter"].fillna(0) < config.min_respondents_published
    reports.append(
        _report(
            scores[few],
            ALL_OUTCOMES,
            f"for få respondenter (n < {config.min_respondents_published})",
        )
    )
    incomplete = scores[themes].isna()
    gaps = pd.Series(
        [", ".join(np.array(themes)[row]) for row in incomplete.to_numpy()],
        index=scores.index,
        dtype="string",
    )
    lacking = ~few & incomplete.any(axis=1)
    reports.append(
        _report(scores[lacking], ALL_OUTCOMES, "mangler temascore (" + gaps[lacking] + ")")
    )
    eligible = scores[~few & ~lacking]

    # 2. Link to the outcome rows of year W + lag; a key given twice links to neither row.
    measures = measures.assign(
        kommunekode=measures["kommunekode"].astype("Int64"), aar=measures["aar"].astype("Int64")
    )
    keyless = measures["kommunekode"].isna() | measures["aar"].isna()
    reports.append(
        _report(
            measures[keyless].assign(boelge=lambda rows: rows["aar"] - lag),
            ALL_OUTCOMES,
            "række uden kommunekode eller år i udfaldsfil",
        )
    )
    measures = measures[~keyless].astype({"kommunekode": "int64", "aar": "int64"})
    years = set(measures["aar"])
    keys = pd.MultiIndex.from_frame(measures[["kommunekode", "aar"]])
    duplicated = keys.duplicated(keep=False)
    unique = measures[~duplicated]
    linked = eligible.merge(unique, on=["kommunekode", "aar"], how="left", indicator=True)
    year_missing = ~linked["aar"].isin(years)
    is_double = pd.MultiIndex.from_frame(linked[["kommunekode", "aar"]]).isin(keys[duplicated])
    absent = linked["_merge"].eq("left_only") & ~year_missing & ~is_double
    reports += [
        _report(linked[year_missing], ALL_OUTCOMES, "år mangler i udfaldsfilerne"),
        _report(
            linked[is_double], ALL_OUTCOMES, "flere rækker i udfaldsfil for samme kommune og år"
        ),
        _report(linked[absent], ALL_OUTCOMES, "mangler i udfaldsfil"),
    ]
    found = linked["_merge"].eq("both")
    for measure in OUTCOMES:
        out = found & linked[measure].isna()
        reports.append(_report(linked[out], measure, linked.loc[out, f"aarsag_{measure}"]))

    # 3. Outcome rows of a linked year whose municipality did not answer in the wave.
    answered = pd.MultiIndex.from_frame(scores[["kommunekode", "boelge"]])
    for wave in sorted(scores["boelge"].unique()):
        rows = unique[unique["aar"] == wave + lag].assign(boelge=wave)
        orphan = ~pd.MultiIndex.from_frame(rows[["kommunekode", "boelge"]]).isin(answered)
        reports.append(_report(rows[orphan], ALL_OUTCOMES, NO_ANSWERS))

    # 4. Controls and standardised themes.
    towns = reference.municipalities().set_index("kommunekode")
    linked["region"] = linked["kommunekode"].map(towns["region"]).astype("string")
    linked["indbyggere"] = linked["kommunekode"].map(towns["indbyggere_2020"]).astype("float64")
    linked["log_indbyggere"] = np.log(linked["indbyggere"])
    for theme in themes:
        by_wave = linked.groupby("boelge")[theme]
        linked[_z(theme)] = (linked[theme] - by_wave.transform("mean")) / by_wave.transform("std")
    columns = [
        "boelge",
        "kommunekode",
        "aar",
        "region",
        "indbyggere",
        "log_indbyggere",
        "n_respondenter",
        *themes,
        *(_z(t) for t in themes),
        "piloter_igangsat",
        "piloter_i_drift",
        "piloter_skaleret",
        *OUTCOMES,
    ]
    linked = linked[columns].sort_values(["boelge", "kommunekode"], ignore_index=True)

    reports = [r for r in reports if len(r)]
    missing = (
        pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=_MISSING_COLUMNS)
    )
    missing = missing.astype(
        {
            "boelge": "Int64",
            "kommunekode": "Int64",
            "aar": "Int64",
            "udfald": "string",
            "aarsag": "string",
        }
    )
    missing = missing.sort_values(["boelge", "kommunekode", "udfald"], ignore_index=True)
    return linked, missing[_MISSING_COLUMNS]


# --------------------------------------------------------------------------- models


def hc3_covariance(
    X: np.ndarray, residuals: np.ndarray, weights: np.ndarray | None = None, kind: str = "HC3"
) -> np.ndarray:
    """Heteroskedasticity-consistent sandwich covariance of a (canonical-link) GLM or OLS fit.

    .. math:: \\hat V = B\\,\\Big[\\sum_i x_i x_i^\\top \\frac{u_i^2}{(1-h_{ii})^2}\\Big]\\,B,
              \\quad B = (X^\\top W X)^{-1},\\quad h_{ii} = w_i\\, x_i^\\top B x_i

    Parameters
    ----------
    X:
        Design matrix (n × k).
    residuals:
        Score residuals :math:`u_i = y_i - \\hat\\mu_i` on the scale of the response the
        likelihood is written in (for a binomial: successes − trials · p̂).
    weights:
        IRLS weights :math:`w_i = \\operatorname{Var}(y_i)` of a canonical-link GLM (for a
        binomial: trials · p̂(1 − p̂)); ``None`` → 1 (OLS).
    kind:
        ``"HC3"`` (MacKinnon & White 1985) or ``"HC0"`` (White 1980; no leverage correction).

    With ``weights=None`` this is exactly statsmodels' ``OLS(...).fit(cov_type="HC3")``;
    for a binomial GLM it is the form of R's ``sandwich::vcovHC(type = "HC3")`` for a ``glm``.
    """
    X = np.asarray(X, dtype=float)
    u = np.asarray(residuals, dtype=float)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=float)
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    if kind == "HC3":
        leverage = w * np.einsum("ij,jk,ik->i", X, bread, X)
        u = u / (1.0 - leverage)
    elif kind != "HC0":
        raise ValueError(f"ukendt kind: {kind}")
    scores = X * u[:, None]
    return bread @ (scores.T @ scores) @ bread


@dataclass
class _Fit:
    """One fitted model: the data it saw, its coefficients, their robust covariance and the
    degrees of freedom of its t tests."""

    design: pd.DataFrame
    y: np.ndarray  # outcome, or [successes, failures] for a binomial model
    groups: np.ndarray  # municipality codes
    params: pd.Series
    cov: pd.DataFrame
    df: float
    model: str
    binomial: bool
    r2: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted outcome (a share for a binomial model) at design rows ``X``."""
        return _predict(X, self.params.to_numpy(), self.binomial)

    @property
    def ame_factor(self) -> float:
        """Mean p̂(1 − p̂) over the sample: log-odds × this = average marginal effect."""
        p = self.predict(self.design.to_numpy(float))
        return float(np.mean(p * (1 - p)))


def _design(data: pd.DataFrame, pooled: bool, control_region: bool) -> pd.DataFrame:
    """Constant, the six z-scores, log population, then region and wave dummies."""
    parts = [
        pd.DataFrame({"const": 1.0}, index=data.index),
        data[[_z(t) for t in reference.theme_codes()]].astype(float),
        data[["log_indbyggere"]].astype(float),
    ]
    if control_region:
        parts.append(pd.get_dummies(data["region"], prefix="region", drop_first=True, dtype=float))
    if pooled:
        waves = data["boelge"].astype(str)
        parts.append(pd.get_dummies(waves, prefix="boelge", drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def _response(data: pd.DataFrame, udfald: str) -> np.ndarray:
    if udfald in BINOMIAL:
        successes, trials = BINOMIAL[udfald]
        y = data[successes].to_numpy(float)
        return np.column_stack([y, data[trials].to_numpy(float) - y])
    return data[udfald].to_numpy(float)


def _predict(X: np.ndarray, params: np.ndarray, binomial: bool) -> np.ndarray:
    eta = X @ params
    return expit(eta) if binomial else eta


def _model_label(udfald: str, pooled: bool, control_region: bool) -> str:
    kind = "binomial GLM (logit; estimat i log-odds)" if udfald in BINOMIAL else "OLS"
    controls = "kontrol: log(indbyggere)" + (", region" if control_region else "")
    if pooled:
        return f"{kind}, bølgeeffekter, {controls}, klyngerobuste SE (kommune)"
    return f"{kind}, {controls}, HC3"


def _binomial_deviance(y: np.ndarray, p: np.ndarray) -> float:
    """Binomial deviance of counts ``y = [successes, failures]`` at probabilities ``p``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    trials = y.sum(axis=1)
    expected = np.column_stack([trials * p, trials * (1 - p)])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / expected), 0.0)
    return float(2 * terms.sum())


def _loss(y: np.ndarray, prediction: np.ndarray, binomial: bool) -> float:
    """Binomial deviance, or the sum of squared errors."""
    if binomial:
        return _binomial_deviance(y, prediction)
    return float(np.sum((y - prediction) ** 2))


def _null_loss(y: np.ndarray, binomial: bool) -> float:
    """Loss of the overall mean (the pooled share for a binomial outcome)."""
    mean = y[:, 0].sum() / y.sum() if binomial else y.mean()
    return _loss(y, np.full(len(y), mean), binomial)


class NotEstimable(ValueError):
    """A model the data cannot carry; the message is what ``model`` says in the table."""


def _fit_glm(y: np.ndarray, X: np.ndarray, quiet: bool = False, **kwargs):
    """Binomial GLM (logit). Separation or no convergence raises :class:`NotEstimable`, unless
    ``quiet`` (a training fold of the cross-validation, where only the prediction matters)."""
    model = sm.GLM(y, X, family=sm.families.Binomial())
    with warnings.catch_warnings():
        if quiet:  # e.g. a region absent from a training fold leaves its dummy at zero
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
        try:
            return model.fit(**kwargs)
        except (PerfectSeparationWarning, ConvergenceWarning):
            raise NotEstimable(
                "ikke estimeret: perfekt separation eller ingen konvergens (binomial GLM)"
            ) from None


def _fit_model(data: pd.DataFrame, udfald: str, pooled: bool, control_region: bool) -> _Fit:
    """Fit one model (see the module doc); :class:`NotEstimable` when the data cannot carry
    it."""
    design = _design(data, pooled, control_region)
    # A dummy without variance (a region absent from the sample) cannot be estimated.
    design = design.loc[:, (design.nunique() > 1) | (design.columns == "const")]
    y = _response(data, udfald)
    X = design.to_numpy(float)
    n, k = X.shape
    groups = data["kommunekode"].to_numpy()
    n_groups = len(np.unique(groups))
    if n <= k + 1 or np.linalg.matrix_rank(X) < k or (pooled and n_groups < 3):
        raise NotEstimable(NOT_FITTED)
    binomial = udfald in BINOMIAL
    if pooled:
        cluster = {"cov_type": "cluster", "cov_kwds": {"groups": groups}, "use_t": True}
        result = _fit_glm(y, X, **cluster) if binomial else sm.OLS(y, X).fit(**cluster)
        params, cov = np.asarray(result.params), np.asarray(result.cov_params())
        df = float(n_groups - 1)
    elif binomial:
        params = np.asarray(_fit_glm(y, X).params)
        p, trials = _predict(X, params, True), y.sum(axis=1)
        cov = hc3_covariance(X, y[:, 0] - trials * p, trials * p * (1 - p))
        df = float(n - k)
    else:
        result = sm.OLS(y, X).fit(cov_type="HC3")
        params, cov = np.asarray(result.params), np.asarray(result.cov_params())
        df = float(n - k)
    if not np.isfinite(cov).all() or (np.diag(cov) <= 0).any():
        raise NotEstimable("ikke estimeret: ustabil kovariansmatrix")
    null = _null_loss(y, binomial)
    fitted = _predict(X, params, binomial)
    names = list(design.columns)
    return _Fit(
        design=design,
        y=y,
        groups=groups,
        params=pd.Series(params, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=df,
        model=_model_label(udfald, pooled, control_region),
        binomial=binomial,
        r2=float(1 - _loss(y, fitted, binomial) / null) if null > 0 else float("nan"),
    )


def _cross_validated_r2(fit: _Fit, seed: int, splits: int = 5, repeats: int = 5) -> float:
    """Repeated K-fold R² of a fitted model with pooled out-of-fold predictions.

    The folds split municipalities (all waves of a municipality fall in the same fold). In
    each repeat every row gets its prediction from the model fitted without its fold; then

    .. math:: R^2_{cv} = 1 - \\frac{1}{R} \\sum_{r=1}^{R} \\frac{L(y, \\hat y^{(r)})}{L(y, \\bar y)}

    with L the squared error (OLS) or the binomial deviance (GLM) and ȳ the overall mean.
    """
    X, y, groups = fit.design.to_numpy(float), fit.y, fit.groups
    codes = np.unique(groups)
    splits = min(splits, len(codes))
    null = _null_loss(y, fit.binomial)
    if splits < 2 or null <= 0:
        return float("nan")
    losses = []
    prediction = np.empty(len(y))
    folds = RepeatedKFold(n_splits=splits, n_repeats=repeats, random_state=seed)
    for index, (_, test_codes) in enumerate(folds.split(codes)):
        test = np.isin(groups, codes[test_codes])
        if fit.binomial:
            params = np.asarray(_fit_glm(y[~test], X[~test], quiet=True).params)
        else:
            params = np.linalg.lstsq(X[~test], y[~test], rcond=None)[0]
        prediction[test] = _predict(X[test], params, fit.binomial)
        if (index + 1) % splits == 0:  # a repeat is complete: every row has its prediction
            losses.append(_loss(y, prediction, fit.binomial))
    return float(1 - np.mean(losses) / null)


def _theme_rows(fit: _Fit, r2_cv: float) -> list[dict]:
    """Estimate, 95 % interval and p-value of each theme's z-score in ``fit``."""
    quantile = stats.t.ppf(1 - ALPHA / 2, fit.df)
    scale = 100 * fit.ame_factor if fit.binomial else float("nan")
    rows = []
    for theme in reference.theme_codes():
        estimate = float(fit.params[_z(theme)])
        se = float(np.sqrt(fit.cov.loc[_z(theme), _z(theme)]))
        low, high = estimate - quantile * se, estimate + quantile * se
        rows.append(
            {
                "tema": theme,
                "estimat": estimate,
                "ci_lav": low,
                "ci_hoej": high,
                "p": float(2 * stats.t.sf(abs(estimate) / se, fit.df)) if se > 0 else np.nan,
                "model": fit.model,
                "r2": fit.r2,
                "r2_cv": r2_cv,
                "estimat_pp": estimate * scale,
                "ci_lav_pp": low * scale,
                "ci_hoej_pp": high * scale,
            }
        )
    return rows


def _usable(linked: pd.DataFrame, udfald: str) -> pd.DataFrame:
    return linked[linked[udfald].notna()]


@dataclass
class EffectsResult:
    """Everything :func:`estimate_effects` found.

    Attributes
    ----------
    table:
        ``effekter.csv``: one row per wave (``"2020"`` … and ``"samlet"``) × outcome × theme,
        columns :data:`TABLE_COLUMNS`.
    missing:
        What could not be linked or modelled (:func:`link_waves`).
    sentences:
        The findings in plain Danish (:func:`findings_sentences`).
    linked:
        The data the models saw (:func:`link_waves`), for the figures.
    control_region:
        Whether region dummies were in the models.
    settings:
        The settings in force (``outcome_lag``, ``min_respondents_published``, ``seed``).
    """

    table: pd.DataFrame
    missing: pd.DataFrame
    sentences: list[str]
    linked: pd.DataFrame
    control_region: bool = False
    settings: Settings = field(default_factory=Settings)


def estimate_effects(
    municipality_scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    settings: Settings | None = None,
    control_region: bool = False,
    *,
    cv_splits: int = 5,
    cv_repeats: int = 5,
) -> EffectsResult:
    """Associations between the six theme scores and the later outcomes (see the module doc).

    Parameters
    ----------
    municipality_scores:
        The ``municipality_scores`` frame.
    outcomes:
        The ``outcomes`` frame (all years).
    settings:
        ``outcome_lag``, ``min_respondents_published`` and ``seed`` are used.
    control_region:
        Add region dummies to every model.
    cv_splits, cv_repeats:
        The repeated K-fold of ``r2_cv`` (default 5 × 5).

    Returns
    -------
    :class:`EffectsResult`. ``table`` columns: ``boelge`` (str), ``udfald``, ``tema`` (theme
    code), ``estimat`` (per SD of the theme within the wave; log-odds for the shares),
    ``ci_lav``, ``ci_hoej`` (95 %), ``p``, ``p_justeret`` (Benjamini–Hochberg over every theme
    test of the run), ``n`` (municipality × waves in the model), ``model``, ``r2``, ``r2_cv``,
    and for the shares ``estimat_pp``, ``ci_lav_pp``, ``ci_hoej_pp`` (average marginal effect in
    percentage points).
    """
    config = _settings(settings)
    measures = outcome_measures(outcomes)
    linked, missing = link_waves(municipality_scores, measures, settings=config)
    rows: list[dict] = []
    waves = sorted(linked["boelge"].unique())
    for boelge in [*waves, POOLED]:
        pooled = boelge == POOLED
        for udfald in OUTCOMES:
            data = _usable(linked if pooled else linked[linked["boelge"] == boelge], udfald)
            if data.empty:  # e.g. the wave's outcome year is missing: reported in `missing`
                continue
            if pooled and data["boelge"].nunique() < 2:  # it would repeat the one wave's model
                continue
            key = {"boelge": str(boelge), "udfald": udfald, "n": len(data)}
            try:
                fit = _fit_model(data, udfald, pooled, control_region)
            except NotEstimable as reason:
                rows.extend(
                    key | {"tema": t, "model": str(reason)} for t in reference.theme_codes()
                )
                continue
            r2_cv = _cross_validated_r2(fit, config.seed, cv_splits, cv_repeats)
            rows.extend(key | row for row in _theme_rows(fit, r2_cv))
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    table = table.astype(
        {"boelge": "string", "udfald": "string", "tema": "string", "model": "string"}
    )
    table["n"] = table["n"].astype("int64")
    tested = table["p"].notna()
    table["p_justeret"] = np.nan
    if tested.any():
        table.loc[tested, "p_justeret"] = multipletests(
            table.loc[tested, "p"], alpha=ALPHA, method="fdr_bh"
        )[1]
    sentences = findings_sentences(table, missing)
    return EffectsResult(
        table=table,
        missing=missing,
        sentences=sentences,
        linked=linked,
        control_region=control_region,
        settings=config,
    )


# --------------------------------------------------------------------------- sentences


def _dk(value: float, decimals: int = 1) -> str:
    """A number in Danish notation: decimal comma, thousands point, minus sign (−1.234,5)."""
    rounded = round(float(value), decimals)
    text = f"{abs(rounded):,.{decimals}f}".translate(str.maketrans(",.", ".,"))
    return ("−" if rounded < 0 else "") + text


def _p_text(p: float) -> str:
    return "justeret p < 0,001" if p < 0.001 else f"justeret p = {_dk(p, 3)}"


def _theme_names() -> dict[str, str]:
    names = reference.themes()
    return dict(zip(names["tema"], names["navn"], strict=True))


def _when(boelge: str, waves: list[str]) -> str:
    if boelge == POOLED:
        listed = ", ".join(waves[:-1]) + (f" og {waves[-1]}" if len(waves) > 1 else waves[0])
        return f"Samlet over bølgerne {listed} (model med bølgeeffekter)"
    return f"I {boelge}"


def _finding(row: pd.Series, waves: list[str], names: dict[str, str]) -> str:
    udfald = str(row["udfald"])
    up = row["estimat"] > 0
    direction = "højere" if up else "lavere"

    def interval(low: float, high: float, decimals: int) -> str:
        a, b = (low, high) if up else (-high, -low)
        return f"95 %-KI {_dk(a, decimals)} til {_dk(b, decimals)}"

    if udfald in BINOMIAL and pd.notna(row.get("estimat_pp")):
        size = f"ca. {_dk(abs(row['estimat_pp']), 1)} procentpoint"
        size += f" ({interval(row['ci_lav_pp'], row['ci_hoej_pp'], 1)})"
        model = f"odds-ratio {_dk(np.exp(row['estimat']), 2)}, binomial model; "
    elif udfald in BINOMIAL:  # a table with the contract's columns only
        size = f"{_dk(abs(row['estimat']), 2)} log-odds"
        size += f" ({interval(row['ci_lav'], row['ci_hoej'], 2)})"
        model = "binomial model; "
    else:
        unit, decimals = _OUTCOME_UNITS[udfald]
        size = f"{_dk(abs(row['estimat']), decimals)} {unit}"
        size += f" ({interval(row['ci_lav'], row['ci_hoej'], decimals)})"
        model = ""
    return (
        f"{_when(str(row['boelge']), waves)} hænger en standardafvigelse højere score på "
        f"{names.get(str(row['tema']), str(row['tema']))} sammen med {size} {direction} "
        f"{_OUTCOME_PHRASES[udfald]} ({model}{_p_text(row['p_justeret'])}). "
        "Det er en sammenhæng, ikke en påvist årsag."
    )


def findings_sentences(table: pd.DataFrame, missing: pd.DataFrame | None = None) -> list[str]:
    """The findings of an effects table in plain Danish.

    One opening sentence on what the numbers mean, one sentence per link with ``p_justeret``
    < 0.05 (its size with the 95 % interval, the adjusted p-value and the caveat that an
    association is not a proven cause), one sentence per outcome without such links, and, when
    ``missing`` is given, one sentence on the municipality × waves that could not be linked.
    """
    names = _theme_names()
    waves = sorted({str(b) for b in table["boelge"] if str(b) != POOLED})
    sentences = [
        "Estimaterne er pr. standardafvigelse af temascoren inden for bølgen og kontrolleret for "
        "kommunens størrelse (log indbyggertal); andele er modelleret binomialt og omregnet til "
        "procentpoint ved gennemsnittet. Et fund kræver justeret p < 0,05 (Benjamini-Hochberg "
        "over alle test i kørslen). Der er tale om sammenhænge i observationsdata, ikke påviste "
        "årsager."
    ]
    order = {b: i for i, b in enumerate([*waves, POOLED])}
    for udfald in OUTCOMES:
        rows = table[(table["udfald"] == udfald)]
        if rows.empty:
            sentences.append(f"For {_OUTCOME_PHRASES[udfald]} er der ingen data at estimere på.")
            continue
        found = rows[rows["p_justeret"] < ALPHA]
        found = found.assign(_order=found["boelge"].map(order)).sort_values(
            ["_order", "p_justeret"]
        )
        sentences.extend(_finding(row, waves, names) for _, row in found.iterrows())
        if found.empty:
            phrase = _OUTCOME_PHRASES[udfald]
            if rows["p"].isna().all():
                sentences.append(f"For {phrase} kunne der ikke estimeres en model (for få data).")
            else:
                sentences.append(
                    f"For {phrase} finder analysen ingen sammenhæng med de seks temaer, der holder "
                    "efter korrektion for mange test (alle justerede p ≥ 0,05). Det betyder ikke, "
                    "at der ingen sammenhæng er, kun at data ikke kan påvise den."
                )
    if missing is not None and len(missing):
        unanswered = missing["aarsag"] == NO_ANSWERS
        whole = (missing["udfald"] == ALL_OUTCOMES) & ~unanswered
        parts = [
            f"{whole.sum()} kommune-bølger med besvarelser indgår ikke i modellerne",
            f"{(missing['udfald'] != ALL_OUTCOMES).sum()} mangler et enkelt udfald",
            f"{unanswered.sum()} rækker i udfaldsfilerne hører til kommuner uden besvarelser i "
            "bølgen",
        ]
        parts = [part for part in parts if not part.startswith("0 ")]
        listed = "; ".join(f"{r}: {n}" for r, n in missing["aarsag"].value_counts().items())
        text = ", ".join(parts[:-1]) + (" og " if len(parts) > 1 else "") + parts[-1]
        sentences.append(f"{text} ({listed}); se listen over manglende data.")
    return sentences


# --------------------------------------------------------------------------- figures


def _axis_label(udfald: str) -> str:
    if udfald in BINOMIAL:
        return "Log-odds pr. standardafvigelse af temaet (95 %-KI)"
    unit = _OUTCOME_UNITS[udfald][0]
    return f"{unit.capitalize()} pr. standardafvigelse af temaet (95 %-KI)"


def plot_coefficients(table: pd.DataFrame, udfald: str) -> Figure:
    """Coefficient plot of one outcome: estimate and 95 % interval per theme, one panel per wave
    (and ``samlet``); filled points are findings (``p_justeret`` < 0.05)."""
    names = _theme_names()
    rows = table[table["udfald"] == udfald]
    waves = sorted({str(b) for b in rows["boelge"] if str(b) != POOLED})
    panels = [*waves, POOLED] if (rows["boelge"] == POOLED).any() else waves
    themes = reference.theme_codes()
    with sns.axes_style("whitegrid"):
        fig, axes = plt.subplots(
            1,
            len(panels),
            figsize=(3.2 * len(panels) + 2, 4),
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        colour = sns.color_palette()[0]
        for ax, boelge in zip(axes[0], panels, strict=True):
            part = rows[rows["boelge"] == boelge].set_index("tema").reindex(themes)
            position = np.arange(len(themes))[::-1]
            ax.axvline(0, color="grey", linewidth=1)
            ax.hlines(position, part["ci_lav"], part["ci_hoej"], color=colour)
            found = (part["p_justeret"] < ALPHA).to_numpy()
            ax.scatter(
                part["estimat"][found], position[found], color=colour, zorder=3, label="Fund"
            )
            ax.scatter(
                part["estimat"][~found],
                position[~found],
                facecolor="white",
                edgecolor=colour,
                zorder=3,
                label="Ikke fund",
            )
            ax.set_title("Samlet" if boelge == POOLED else f"Bølge {boelge}")
            ax.set_yticks(position, [names[t] for t in themes])
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower right", ncol=2, fontsize="small", frameon=False)
        fig.supxlabel(_axis_label(udfald))
        fig.suptitle(f"{OUTCOME_LABELS[udfald]}: sammenhæng med temaerne")
        fig.tight_layout()
    return fig


def strongest_links(table: pd.DataFrame, count: int = 4) -> pd.DataFrame:
    """The ``count`` links with the smallest ``p_justeret`` that are findings (< 0.05), one per
    outcome × theme (the wave where it is strongest)."""
    found = table[table["p_justeret"] < ALPHA].sort_values("p_justeret")
    return found.drop_duplicates(["udfald", "tema"]).head(count).reset_index(drop=True)


def plot_partial_dependence(
    linked: pd.DataFrame,
    table: pd.DataFrame,
    udfald: str,
    tema: str,
    boelge: str | None = None,
    control_region: bool | None = None,
) -> Figure:
    """Partial dependence of ``udfald`` on theme ``tema``: the model's prediction over the
    theme's observed range with the other terms at their sample means, with its 95 % band (delta
    method on the model's robust covariance), over the observed values.

    ``boelge`` defaults to the wave (or ``"samlet"``) where the link has the smallest p in
    ``table``; ``control_region`` defaults to what that row's ``model`` says. For one wave the
    x-axis is the theme score (1–5); for the pooled model the within-wave z-score. Shares are
    shown in percent.
    """
    rows = table[(table["udfald"] == udfald) & (table["tema"] == tema)].sort_values("p")
    if boelge is None:
        boelge = str(rows["boelge"].iloc[0]) if len(rows) else POOLED
    if control_region is None:
        models = rows.loc[rows["boelge"] == boelge, "model"]
        control_region = bool(len(models)) and "region" in str(models.iloc[0])
    pooled = boelge == POOLED
    data = _usable(linked if pooled else linked[linked["boelge"].astype(str) == boelge], udfald)
    fit = _fit_model(data, udfald, pooled, control_region)
    z = data[_z(tema)]
    grid = np.linspace(z.min(), z.max(), 50)
    at = np.tile(fit.design.mean().to_numpy(), (len(grid), 1))
    at[:, list(fit.design.columns).index(_z(tema))] = grid
    eta = at @ fit.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", at, fit.cov.to_numpy(), at))
    quantile = stats.t.ppf(1 - ALPHA / 2, fit.df)
    low, high = eta - quantile * se, eta + quantile * se
    observed = data[udfald].to_numpy(float)
    if fit.binomial:
        eta, low, high = (100 * expit(v) for v in (eta, low, high))
        observed = 100 * observed
    if pooled:
        x, x_observed = grid, z.to_numpy()
        x_label = f"{_theme_names()[tema]} (standardafvigelser fra bølgens gennemsnit)"
    else:
        # z was standardised over the whole wave: map the grid back with the wave's mean and SD.
        wave = linked[linked["boelge"].astype(str) == boelge][tema]
        x, x_observed = wave.mean() + grid * wave.std(), data[tema].to_numpy()
        x_label = f"Score på {_theme_names()[tema]} (1-5)"
    label = OUTCOME_LABELS[udfald] + (" (%)" if fit.binomial else "")
    with sns.axes_style("whitegrid"):
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(x_observed, observed, s=12, alpha=0.4, color="grey", label="Kommuner")
        ax.plot(x, eta, color=sns.color_palette()[0], label="Modellens forudsigelse")
        ax.fill_between(x, low, high, alpha=0.2, color=sns.color_palette()[0], label="95 %-KI")
        ax.set_xlabel(x_label)
        ax.set_ylabel(label)
        title = "samlet" if pooled else boelge
        ax.set_title(f"{OUTCOME_LABELS[udfald]}\nefter {_theme_names()[tema]} ({title})")
        ax.legend(fontsize="small")
        fig.tight_layout()
    return fig


def effect_figures(result: EffectsResult, max_links: int = 4) -> dict[str, Figure]:
    """Every figure of the effects analysis, by file stem: ``koefficienter_<udfald>`` per outcome
    and ``afhaengighed_<udfald>_<tema>`` for the ``max_links`` strongest links."""
    figures = {f"koefficienter_{u}": plot_coefficients(result.table, u) for u in OUTCOMES}
    for row in strongest_links(result.table, max_links).itertuples(index=False):
        figures[f"afhaengighed_{row.udfald}_{row.tema}"] = plot_partial_dependence(
            result.linked,
            result.table,
            str(row.udfald),
            str(row.tema),
            boelge=str(row.boelge),
        )
    return figures
