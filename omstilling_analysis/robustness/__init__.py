"""Uncertainty and sensitivity analysis of the maturity index (issue 16).

How far does a municipality's rank move with *how the index is built*? Following the OECD/JRC
Handbook on composite indicators (2008, step 7) and COINr, four inputs of the index are treated
as uncertain and drawn jointly (:data:`SOURCES`):

- ``stikprøve``: which respondents answered: respondents resampled with replacement within
  their municipality (the nonparametric bootstrap; see "Cost" below for large municipalities);
- ``vægte``: the theme weights, drawn from a Dirichlet distribution centred on the settings'
  weights ``w`` with concentration ``kappa``: ``Dir(kappa * w / sum(w))`` (mean ``w / sum(w)``,
  ``Var(w_t) = wbar_t (1 - wbar_t) / (kappa + 1)``);
- ``aggregering``: the arithmetic ``sum_t w_t m_t`` or the geometric ``prod_t m_t ** w_t`` mean of
  the six municipality theme scores ``m_t`` (weights summing to 1), each with probability 1/2;
- ``halvdelsregel``: the share of a theme's items a respondent must answer to have a theme score,
  0.5 (the contract's rule) or 2/3, each with probability 1/2. The rule is applied by
  :func:`omstilling_analysis.score.respondent_scores`; a respondent stays counted under both.

Outputs (:func:`index_robustness`): ``indeksrobusthed.csv`` (:attr:`RobustnessResult.ranks`: per
wave and published municipality the published rank, the 5th-95th percentile of the rank over
the joint draws and over sampling alone, the median rank, the shares of draws in the top and
bottom 10) and ``indeksfoelsomhed.csv`` (:attr:`RobustnessResult.sensitivity`: Sobol first-order
and total indices of the mean absolute rank shift per source, with bootstrap intervals), and one
Danish sentence per wave for the Metode sheet (:meth:`RobustnessResult.sentence`).

Cost: the resampling (:mod:`omstilling_analysis.resampling`) gives every municipality's
resampled theme means under both rule variants (rules × resamples × municipalities × themes):
exactly by multinomial counts for municipalities of up to
:data:`~omstilling_analysis.resampling.EXACT_MAX_RESPONDENTS` respondents, above that from the
normal approximation with the bootstrap's own (linearised) covariance, computed in one pass
over the respondents. Those means are the sufficient statistics of everything else: any choice
of weights, aggregation and rule on a resample costs six multiplications per municipality, so
the cost hardly grows with the number of respondents. ``benchmarks/bench_robustness.py``
(``make bench``) measures 1,000 draws on a national wave of 500,000 respondents: 2.3 s on the
2-core machine while other work loaded it (load average about 6; target 5 s).
"""

from omstilling_analysis.robustness.analysis import (
    LOWER,
    RANK_COLUMNS,
    RULE_SHARES,
    SENSITIVITY_COLUMNS,
    SOURCE_PHRASES,
    SOURCES,
    TOP,
    UPPER,
    RobustnessResult,
    RobustnessSettings,
    WaveDraws,
    index_robustness,
    index_robustness_from_scores,
    rank_text,
    robustness_sentence,
    robustness_settings,
)
from omstilling_analysis.robustness.bootstrap import (
    aggregate,
    descending_ranks,
)
from omstilling_analysis.robustness.sobol import SobolIndices, saltelli_design, sobol_indices

__all__ = [
    "LOWER", "RANK_COLUMNS", "RULE_SHARES", "SENSITIVITY_COLUMNS", "SOURCES", "SOURCE_PHRASES",
    "TOP", "UPPER", "RobustnessResult", "RobustnessSettings", "SobolIndices", "WaveDraws",
    "aggregate", "descending_ranks", "index_robustness",
    "index_robustness_from_scores", "rank_text", "robustness_sentence", "robustness_settings",
    "saltelli_design", "sobol_indices",
]  # fmt: skip
