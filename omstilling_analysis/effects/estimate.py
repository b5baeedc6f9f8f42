"""The effects table: every model of the run, and Benjamini–Hochberg per published family."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.effects.measures import OUTCOMES, link_waves, outcome_measures
from omstilling_analysis.effects.models import (
    ALPHA,
    POOLED,
    NotEstimable,
    cross_validated_r2,
    fit_model,
    theme_rows,
    usable,
)
from omstilling_analysis.effects.sentences import findings_sentences
from omstilling_analysis.settings import Settings

__all__ = ["TABLE_COLUMNS", "EffectsResult", "adjust_by_family", "estimate_effects"]

#: Columns of ``effekter.csv``: the contract's nine first, then the model's details.
TABLE_COLUMNS = [
    "boelge", "udfald", "tema", "estimat", "ci_lav", "ci_hoej", "p", "p_justeret", "n", "model",
    "r2", "r2_cv", "estimat_pp", "ci_lav_pp", "ci_hoej_pp", POOLED,
]  # fmt: skip


def adjust_by_family(table: pd.DataFrame) -> pd.Series:
    """Benjamini–Hochberg adjusted p-values, one family per published set of tests.

    The theme tests of one wave (every outcome × theme of that wave's models) form one family,
    the pooled models' tests another, so adding or removing a wave leaves the other waves'
    ``p_justeret`` unchanged. Within a family of m tests with ordered p-values
    :math:`p_{(1)} \\le \\dots \\le p_{(m)}`,

    .. math:: \\tilde p_{(i)} = \\min_{j \\ge i} \\min\\Big(1, \\frac{m}{j}\\, p_{(j)}\\Big)

    (Benjamini & Hochberg 1995; ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``).
    Rows without a p-value stay missing and do not count in m.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"boelge": pd.array([2020, 2020, 2022, None], dtype="Int64"),
    ...                       "samlet": [False, False, False, True],
    ...                       "p": [0.01, 0.04, 0.03, 0.2]})
    >>> adjust_by_family(table).round(3).tolist()
    [0.02, 0.04, 0.03, 0.2]
    """
    from statsmodels.stats.multitest import multipletests  # only with outcome files

    family = np.where(table[POOLED].to_numpy(dtype=bool), -1, table["boelge"].fillna(-1))
    adjusted = pd.Series(np.nan, index=table.index, dtype="float64")
    tested = table["p"].notna().to_numpy()
    for key in np.unique(family[tested]):
        rows = tested & (family == key)
        adjusted[rows] = multipletests(
            table.loc[rows, "p"].to_numpy(float), alpha=ALPHA, method="fdr_bh"
        )[1]
    return adjusted


@dataclass
class EffectsResult:
    """Everything :func:`estimate_effects` found.

    Attributes
    ----------
    table:
        ``effekter.csv``: one row per wave × outcome × theme and per pooled model × outcome ×
        theme, columns :data:`TABLE_COLUMNS` (``boelge`` Int64, missing for the pooled model,
        whose rows have ``samlet`` True).
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
    """Associations between the six theme scores and the later outcomes (see the package doc).

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
    :class:`EffectsResult`. ``table`` columns: ``boelge`` (Int64, the wave; missing for the
    pooled model), ``udfald``, ``tema`` (theme code), ``estimat`` (per SD of the theme within
    the wave; log-odds for the shares), ``ci_lav``, ``ci_hoej`` (95 %), ``p``, ``p_justeret``
    (Benjamini–Hochberg per family: one wave's tests, or the pooled model's,
    :func:`adjust_by_family`), ``n`` (municipality × waves in the model), ``model``, ``r2``,
    ``r2_cv``, for the shares ``estimat_pp``, ``ci_lav_pp``, ``ci_hoej_pp`` (average marginal
    effect in percentage points), and ``samlet`` (True for the pooled model's rows).
    """
    config = settings if settings is not None else Settings()
    measures = outcome_measures(outcomes)
    linked, missing = link_waves(municipality_scores, measures, settings=config)
    rows: list[dict] = []
    waves = sorted(int(w) for w in linked["boelge"].unique())
    for boelge in [*waves, POOLED]:
        pooled = boelge == POOLED
        for udfald in OUTCOMES:
            data = usable(linked if pooled else linked[linked["boelge"] == boelge], udfald)
            if data.empty:  # e.g. the wave's outcome year is missing: reported in `missing`
                continue
            if pooled and data["boelge"].nunique() < 2:  # it would repeat the one wave's model
                continue
            key = {
                "boelge": pd.NA if pooled else boelge,
                POOLED: pooled,
                "udfald": udfald,
                "n": len(data),
            }
            try:
                fit = fit_model(data, udfald, pooled, control_region)
            except NotEstimable as reason:
                rows.extend(
                    key | {"tema": t, "model": str(reason)} for t in reference.theme_codes()
                )
                continue
            r2_cv = cross_validated_r2(fit, config.seed, cv_splits, cv_repeats)
            rows.extend(key | row for row in theme_rows(fit, r2_cv))
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    table = table.astype(
        {
            "boelge": "Int64",
            "udfald": "string",
            "tema": "string",
            "model": "string",
            POOLED: "bool",
            "n": "int64",
        }
    )
    for column in ("estimat", "ci_lav", "ci_hoej", "p", "r2", "r2_cv"):
        table[column] = table[column].astype("float64")
    table["p_justeret"] = adjust_by_family(table) if len(table) else np.nan
    sentences = findings_sentences(table, missing)
    return EffectsResult(
        table=table,
        missing=missing,
        sentences=sentences,
        linked=linked,
        control_region=control_region,
        settings=config,
    )
