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
   and one model pooled over the waves (``boelge`` missing, ``samlet`` True) with wave dummies
   and standard errors clustered by municipality. The p-values are adjusted by
   Benjamini–Hochberg per published family (:func:`adjust_by_family`).
4. :func:`findings_sentences` puts the findings into plain Danish; the figures are in
   :mod:`omstilling_analysis.plots.effects`.

The package: :mod:`~omstilling_analysis.effects.measures` (steps 1-2),
:mod:`~omstilling_analysis.effects.models` (the regressions),
:mod:`~omstilling_analysis.effects.estimate` (step 3, the table and BH),
:mod:`~omstilling_analysis.effects.sentences` (step 4).

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

Multiple testing: Benjamini & Hochberg (1995) per published family, ``p_justeret``: the theme
tests of one wave (all its outcomes and themes) form one family, the pooled models' tests
another. Adding or removing a wave therefore leaves the other waves' ``p_justeret`` unchanged
(only the pooled model's change). A finding is ``p_justeret`` < :data:`ALPHA` (0.05), the same
level as the 95 % intervals.

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

from omstilling_analysis.effects.estimate import (
    TABLE_COLUMNS,
    EffectsResult,
    adjust_by_family,
    estimate_effects,
)
from omstilling_analysis.effects.measures import (
    ALL_OUTCOMES,
    BINOMIAL,
    MISSING_COLUMNS,
    NO_ANSWERS,
    OUTCOMES,
    link_waves,
    outcome_measures,
    z_column,
)
from omstilling_analysis.effects.models import (
    ALPHA,
    NOT_FITTED,
    POOLED,
    ModelFit,
    NotEstimable,
    cross_validated_r2,
    fit_model,
    hc3_covariance,
    theme_rows,
    usable,
)
from omstilling_analysis.effects.sentences import (
    OUTCOME_LABELS,
    OUTCOME_PHRASES,
    OUTCOME_UNITS,
    findings_sentences,
    is_pooled,
    strongest_links,
    wave_key,
)

__all__ = [
    "ALL_OUTCOMES", "ALPHA", "BINOMIAL", "MISSING_COLUMNS", "NOT_FITTED", "NO_ANSWERS",
    "OUTCOMES", "OUTCOME_LABELS", "OUTCOME_PHRASES", "OUTCOME_UNITS", "POOLED", "TABLE_COLUMNS",
    "EffectsResult", "ModelFit", "NotEstimable", "adjust_by_family", "cross_validated_r2",
    "estimate_effects", "findings_sentences", "fit_model", "hc3_covariance", "is_pooled",
    "link_waves", "outcome_measures", "strongest_links", "theme_rows", "usable", "wave_key",
    "z_column",
]  # fmt: skip
