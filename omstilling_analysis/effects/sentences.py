"""The findings of the effects table in plain Danish, and the helpers the figures share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omstilling_analysis.effects.measures import ALL_OUTCOMES, BINOMIAL, NO_ANSWERS, OUTCOMES
from omstilling_analysis.effects.models import ALPHA, POOLED
from omstilling_analysis.publish import is_pooled, wave_key
from omstilling_analysis.text import dk_number, dk_p, theme_names

__all__ = [
    "OUTCOME_LABELS", "OUTCOME_PHRASES", "OUTCOME_UNITS", "findings_sentences", "is_pooled",
    "strongest_links", "wave_key",
]  # fmt: skip

#: Danish labels of the outcomes (figures) and the noun phrase the sentences use.
OUTCOME_LABELS: dict[str, str] = {
    "andel_i_drift": "Andel piloter i drift",
    "andel_skaleret": "Andel skalerede piloter af dem i drift",
    "gevinst_kr_pr_indbygger": "Realiseret gevinst (kr. pr. indbygger)",
    "digital_selvbetjening_pct": "Digital selvbetjening (%)",
}
OUTCOME_PHRASES: dict[str, str] = {
    "andel_i_drift": "andel piloter i drift",
    "andel_skaleret": "andel skalerede piloter (af dem i drift)",
    "gevinst_kr_pr_indbygger": "realiseret gevinst",
    "digital_selvbetjening_pct": "andel digital selvbetjening",
}
#: Unit and decimals of ``estimat`` in the sentences, for the outcomes modelled by OLS.
OUTCOME_UNITS: dict[str, tuple[str, int]] = {
    "gevinst_kr_pr_indbygger": ("kr. pr. indbygger", 1),
    "digital_selvbetjening_pct": ("procentpoint", 1),
}


def _when(boelge: str, waves: list[str]) -> str:
    if boelge == POOLED:
        listed = ", ".join(waves[:-1]) + (f" og {waves[-1]}" if len(waves) > 1 else waves[0])
        return f"Samlet over bølgerne {listed} (model med bølgeeffekter)"
    return f"I {boelge}"


def _p_text(p: float) -> str:
    text = dk_p(p)
    return "justeret p " + (text if text.startswith("<") else f"= {text}")


def _finding(row: pd.Series, boelge: str, waves: list[str], names: dict[str, str]) -> str:
    udfald = str(row["udfald"])
    up = row["estimat"] > 0
    direction = "højere" if up else "lavere"

    def interval(low: float, high: float, decimals: int) -> str:
        a, b = (low, high) if up else (-high, -low)
        return f"95 %-KI {dk_number(a, decimals)} til {dk_number(b, decimals)}"

    if udfald in BINOMIAL and pd.notna(row.get("estimat_pp")):
        size = f"ca. {dk_number(abs(row['estimat_pp']), 1)} procentpoint"
        size += f" ({interval(row['ci_lav_pp'], row['ci_hoej_pp'], 1)})"
        model = f"odds-ratio {dk_number(np.exp(row['estimat']), 2)}, binomial model; "
    elif udfald in BINOMIAL:  # a table with the contract's columns only
        size = f"{dk_number(abs(row['estimat']), 2)} log-odds"
        size += f" ({interval(row['ci_lav'], row['ci_hoej'], 2)})"
        model = "binomial model; "
    else:
        unit, decimals = OUTCOME_UNITS[udfald]
        size = f"{dk_number(abs(row['estimat']), decimals)} {unit}"
        size += f" ({interval(row['ci_lav'], row['ci_hoej'], decimals)})"
        model = ""
    return (
        f"{_when(boelge, waves)} hænger en standardafvigelse højere score på "
        f"{names.get(str(row['tema']), str(row['tema']))} sammen med {size} {direction} "
        f"{OUTCOME_PHRASES[udfald]} ({model}{_p_text(row['p_justeret'])}). "
        "Det er en sammenhæng, ikke en påvist årsag."
    )


def findings_sentences(table: pd.DataFrame, missing: pd.DataFrame | None = None) -> list[str]:
    """The findings of an effects table in plain Danish.

    One opening sentence on what the numbers mean, one sentence per link with ``p_justeret``
    < :data:`ALPHA` (its size with the 95 % interval, the adjusted p-value and the caveat that
    an association is not a proven cause), one sentence per outcome without such links, and,
    when ``missing`` is given, one sentence on the municipality × waves that could not be
    linked. ``table`` may mark the pooled model by ``samlet`` or (older tables) by
    ``boelge == "samlet"``.
    """
    names = theme_names()
    keys = wave_key(table) if len(table) else pd.Series([], dtype="object")
    waves = sorted({k for k in keys if k != POOLED})
    sentences = [
        "Estimaterne er pr. standardafvigelse af temascoren inden for bølgen og kontrolleret for "
        "kommunens størrelse (log indbyggertal); andele er modelleret binomialt og omregnet til "
        f"procentpoint ved gennemsnittet. Et fund kræver justeret p < {dk_number(ALPHA, 2)} "
        "(Benjamini-Hochberg inden for hver bølge og for den samlede model for sig). Der er tale "
        "om sammenhænge i observationsdata, ikke påviste årsager."
    ]
    order = {b: i for i, b in enumerate([*waves, POOLED])}
    for udfald in OUTCOMES:
        selected = (table["udfald"] == udfald).to_numpy(dtype=bool)
        rows = table[selected].assign(_key=keys[selected].to_numpy())
        if rows.empty:
            sentences.append(f"For {OUTCOME_PHRASES[udfald]} er der ingen data at estimere på.")
            continue
        found = rows[rows["p_justeret"] < ALPHA]
        found = found.assign(_order=found["_key"].map(order)).sort_values(["_order", "p_justeret"])
        sentences.extend(
            _finding(row, str(row["_key"]), waves, names) for _, row in found.iterrows()
        )
        if found.empty:
            phrase = OUTCOME_PHRASES[udfald]
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


def strongest_links(table: pd.DataFrame, count: int = 4) -> pd.DataFrame:
    """The ``count`` links with the smallest ``p_justeret`` that are findings (< :data:`ALPHA`),
    one per outcome × theme (the wave, or the pooled model, where it is strongest)."""
    found = table[table["p_justeret"] < ALPHA].sort_values("p_justeret")
    return found.drop_duplicates(["udfald", "tema"]).head(count).reset_index(drop=True)
