"""Figures of the effects analysis: coefficient plots and partial dependence of the links.

They take :class:`~omstilling_analysis.effects.EffectsResult`'s frames (``table`` with
``boelge`` Int64 and ``samlet``, or an older table whose pooled rows have ``boelge ==
"samlet"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from scipy.special import expit

from omstilling_analysis import reference
from omstilling_analysis.effects import (
    ALPHA,
    BINOMIAL,
    OUTCOME_LABELS,
    OUTCOME_UNITS,
    OUTCOMES,
    POOLED,
    EffectsResult,
    fit_model,
    strongest_links,
    usable,
    wave_key,
    z_column,
)
from omstilling_analysis.plots.style import PALETTE, dk_axis, style_axes
from omstilling_analysis.text import theme_names

__all__ = ["effect_figures", "plot_coefficients", "plot_partial_dependence"]


def _axis_label(udfald: str) -> str:
    if udfald in BINOMIAL:
        return "Log-odds pr. standardafvigelse af temaet (95 %-KI)"
    unit = OUTCOME_UNITS[udfald][0]
    return f"{unit.capitalize()} pr. standardafvigelse af temaet (95 %-KI)"


def plot_coefficients(table: pd.DataFrame, udfald: str) -> Figure:
    """Coefficient plot of one outcome: estimate and 95 % interval per theme, one panel per wave
    (and the pooled model, "Samlet"); filled points are findings (``p_justeret`` < ALPHA)."""
    names = theme_names()
    selected = (table["udfald"] == udfald).to_numpy(dtype=bool)
    rows = table[selected].assign(_key=wave_key(table)[selected].to_numpy())
    waves = sorted({k for k in rows["_key"] if k != POOLED})
    panels = [*waves, POOLED] if (rows["_key"] == POOLED).any() else waves
    themes = reference.theme_codes()
    fig = Figure(figsize=(3.2 * max(len(panels), 1) + 2, 4), layout="constrained")
    axes = fig.subplots(1, max(len(panels), 1), sharex=True, sharey=True, squeeze=False)[0]
    colour = PALETTE[0]
    for ax, key in zip(axes, panels, strict=False):
        part = rows[rows["_key"] == key].set_index("tema").reindex(themes)
        position = np.arange(len(themes))[::-1]
        ax.axvline(0, color="grey", linewidth=1)
        ax.hlines(position, part["ci_lav"], part["ci_hoej"], color=colour)
        found = (part["p_justeret"] < ALPHA).to_numpy()
        ax.scatter(part["estimat"][found], position[found], color=colour, zorder=3, label="Fund")
        ax.scatter(
            part["estimat"][~found],
            position[~found],
            facecolor="white",
            edgecolor=colour,
            zorder=3,
            label="Ikke fund",
        )
        ax.set_title("Samlet" if key == POOLED else f"Bølge {key}")
        ax.set_yticks(position, [names[t] for t in themes])
        ax.xaxis.set_major_formatter(dk_axis(2 if udfald in BINOMIAL else 1))
        style_axes(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower right", ncol=2, fontsize="small", frameon=False)
    fig.supxlabel(_axis_label(udfald))
    fig.suptitle(f"{OUTCOME_LABELS[udfald]}: sammenhæng med temaerne")
    return fig


def _wave_of(boelge: object) -> int | str:
    """A wave given as 2022, "2022", "samlet" or <NA> (the pooled model) → 2022 or POOLED."""
    if boelge is None or boelge is pd.NA or str(boelge) in (POOLED, "<NA>", "nan", ""):
        return POOLED
    return int(boelge)


def plot_partial_dependence(
    linked: pd.DataFrame,
    table: pd.DataFrame,
    udfald: str,
    tema: str,
    boelge: int | str | None = None,
    control_region: bool | None = None,
) -> Figure:
    """Partial dependence of ``udfald`` on theme ``tema``: the model's prediction over the
    theme's observed range with the other terms at their sample means, with its 95 % band (delta
    method on the model's robust covariance), over the observed values.

    ``boelge`` (a wave, or ``"samlet"`` / missing for the pooled model) defaults to the model
    where the link has the smallest p in ``table``; ``control_region`` defaults to what that
    row's ``model`` says. For one wave the x-axis is the theme score (1–5); for the pooled model
    the within-wave z-score. Shares are shown in percent.
    """
    rows = table[(table["udfald"] == udfald) & (table["tema"] == tema)]
    rows = rows.assign(_key=wave_key(table).loc[rows.index]).sort_values("p")
    if boelge is None:
        key = str(rows["_key"].iloc[0]) if len(rows) else POOLED
    else:
        key = str(_wave_of(boelge))
    if control_region is None:
        models = rows.loc[rows["_key"] == key, "model"]
        control_region = bool(len(models)) and "region" in str(models.iloc[0])
    pooled = key == POOLED
    in_wave = linked if pooled else linked[linked["boelge"].astype(int) == int(key)]
    data = usable(in_wave, udfald)
    fit = fit_model(data, udfald, pooled, control_region)
    z = data[z_column(tema)]
    grid = np.linspace(z.min(), z.max(), 50)
    at = np.tile(fit.design.mean().to_numpy(), (len(grid), 1))
    at[:, list(fit.design.columns).index(z_column(tema))] = grid
    eta = at @ fit.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", at, fit.cov.to_numpy(), at))
    quantile = stats.t.ppf(1 - ALPHA / 2, fit.df)
    low, high = eta - quantile * se, eta + quantile * se
    observed = data[udfald].to_numpy(float)
    if fit.binomial:
        eta, low, high = (100 * expit(v) for v in (eta, low, high))
        observed = 100 * observed
    names = theme_names()
    if pooled:
        x, x_observed = grid, z.to_numpy()
        x_label = f"{names[tema]} (standardafvigelser fra bølgens gennemsnit)"
    else:
        # z was standardised over the whole wave: map the grid back with the wave's mean and SD.
        wave = in_wave[tema]
        x, x_observed = wave.mean() + grid * wave.std(), data[tema].to_numpy()
        x_label = f"Score på {names[tema]} (1-5)"
    label = OUTCOME_LABELS[udfald] + (" (%)" if fit.binomial else "")
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ax.scatter(x_observed, observed, s=12, alpha=0.4, color="grey", label="Kommuner")
    ax.plot(x, eta, color=PALETTE[0], label="Modellens forudsigelse")
    ax.fill_between(x, low, high, alpha=0.2, color=PALETTE[0], label="95 %-KI")
    ax.set_xlabel(x_label)
    ax.set_ylabel(label)
    ax.xaxis.set_major_formatter(dk_axis(1))
    ax.yaxis.set_major_formatter(dk_axis(0))
    style_axes(ax)
    title = "samlet" if pooled else key
    ax.set_title(f"{OUTCOME_LABELS[udfald]}\nefter {names[tema]} ({title})")
    ax.legend(fontsize="small")
    return fig


def effect_figures(result: EffectsResult, max_links: int = 4) -> dict[str, Figure]:
    """Every figure of the effects analysis, by file stem: ``koefficienter_<udfald>`` per outcome
    and ``afhaengighed_<udfald>_<tema>`` for the ``max_links`` strongest links."""
    figures = {f"koefficienter_{u}": plot_coefficients(result.table, u) for u in OUTCOMES}
    strongest = strongest_links(result.table, max_links)
    keys = wave_key(strongest) if len(strongest) else []
    for row, key in zip(strongest.itertuples(index=False), keys, strict=True):
        figures[f"afhaengighed_{row.udfald}_{row.tema}"] = plot_partial_dependence(
            result.linked,
            result.table,
            str(row.udfald),
            str(row.tema),
            boelge=key,
            control_region=result.control_region,
        )
    return figures
