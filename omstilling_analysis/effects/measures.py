"""Outcome measures and the link of each wave to its outcome year.

:func:`outcome_measures` turns the outcome files into the contract's four measures and
:func:`link_waves` links wave W to the outcomes of year W + ``settings.outcome_lag``, listing
every municipality × wave that does not reach a model with its reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.settings import Settings

__all__ = [
    "ALL_OUTCOMES", "BINOMIAL", "MISSING_COLUMNS", "NO_ANSWERS", "OUTCOMES", "link_waves",
    "outcome_measures", "z_column",
]  # fmt: skip

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
#: ``aarsag`` of an outcome row whose municipality gave no answers in the linked wave.
NO_ANSWERS = "ingen besvarelser i bølgen"
#: ``udfald`` in the missing report when the whole municipality × wave is out.
ALL_OUTCOMES = "alle"

_MEASURE_COLUMNS = [
    "piloter_igangsat",
    "piloter_i_drift",
    "piloter_skaleret",
    *OUTCOMES,
    *(f"aarsag_{m}" for m in OUTCOMES),
]
MISSING_COLUMNS = ["boelge", "kommunekode", "aar", "udfald", "aarsag"]


def z_column(theme: str) -> str:
    """The name of a theme's within-wave z-score in the linked data: ``z_<TEMA>``."""
    return f"z_{theme}"


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
    config = settings if settings is not None else Settings()
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
        linked[z_column(theme)] = (linked[theme] - by_wave.transform("mean")) / by_wave.transform(
            "std"
        )
    columns = [
        "boelge",
        "kommunekode",
        "aar",
        "region",
        "indbyggere",
        "log_indbyggere",
        "n_respondenter",
        *themes,
        *(z_column(t) for t in themes),
        "piloter_igangsat",
        "piloter_i_drift",
        "piloter_skaleret",
        *OUTCOMES,
    ]
    linked = linked[columns].sort_values(["boelge", "kommunekode"], ignore_index=True)

    reports = [r for r in reports if len(r)]
    missing = (
        pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=MISSING_COLUMNS)
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
    return linked, missing[MISSING_COLUMNS]
