"""Every figure of the workbench, one module per family of figures.

:data:`FIGURES` is the one table from a figure's file stem (``figurer/<stem>.png``) to the
function that draws it, so any figure's source is one hop from its file name: the pattern
``temafordeling_{boelge}`` names the file ``temafordeling_2024.png``. ``figurer/``, the
workbooks and the notebooks all take their figures from :func:`figure_makers`.

Every figure is drawn from the publish stage's tables (:class:`FigureInputs`), never from a
respondent-level or unsuppressed table.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from omstilling_analysis.memo import fingerprint
from omstilling_analysis.publish import PublishedTables

__all__ = [
    "FIGURES",
    "FigureInputs",
    "FigureSpec",
    "figure_keys",
    "figure_makers",
    "figure_spec",
    "figures_with_keys",
    "inputs_up_to",
]


@dataclass(frozen=True)
class FigureInputs:
    """What the figures are drawn from: the published tables and the analyses' results.

    ``clusters`` is a :class:`omstilling_analysis.clusters.ClusterResult` and ``effects`` an
    :class:`omstilling_analysis.effects.EffectsResult` (both municipality-level); ``extra``
    holds further published tables by name (e.g. ``indeksrobusthed``).
    """

    published: PublishedTables
    clusters: Any = None
    effects: Any = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class FigureSpec:
    """One family of figures: its stem pattern, what it shows, and how to draw one of them."""

    pattern: str
    description: str
    draw: Callable[..., Figure]
    instances: Callable[[FigureInputs], Iterator[dict[str, Any]]]


# --------------------------------------------------------------------------- instances


def _waves(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    for wave in inputs.published.waves:
        yield {"boelge": wave}


def _cluster_waves(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    for wave in inputs.published.waves:
        if inputs.published.wave_profiles(wave) is not None:
            yield {"boelge": wave}


def _several_waves(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    if len(inputs.published.waves) > 1:
        yield {}


# --------------------------------------------------------------------------- drawing


def _theme_distribution(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import scores

    return scores.plot_theme_distribution(inputs.published.wave_scores(boelge), boelge)


def _index_by_region(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import scores

    return scores.plot_index_by_region(inputs.published.wave_scores(boelge), boelge)


def _levels(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import scores

    published = inputs.published
    hidden = len(published.wave_scores(boelge)) - len(published.shown(boelge))
    return scores.plot_level_distribution(published.level_counts(boelge), boelge, hidden)


def _cluster_profiles(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import scores

    return scores.plot_cluster_profiles(inputs.published.wave_profiles(boelge), boelge)


def _national_development(inputs: FigureInputs) -> Figure:
    from omstilling_analysis.plots import scores

    return scores.plot_national_development(inputs.published.national_means())


def _cluster_heatmap(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import clusters

    return clusters.plot_profile_heatmap(inputs.published.cluster_profiles, boelge)


def _cluster_pca(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import clusters

    published = inputs.published
    return clusters.plot_pca_map(
        published.scores, published.cluster_assignments, boelge, published.settings
    )


def _k_selection(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots import clusters

    result = inputs.clusters
    return clusters.plot_k_selection(result.selection, boelge, result.chosen)


def _cluster_result_waves(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    if inputs.clusters is None:
        return
    yield from _cluster_waves(inputs)


def _coefficients(inputs: FigureInputs, udfald: str) -> Figure:
    from omstilling_analysis.plots import effects

    return effects.plot_coefficients(inputs.published.effects, udfald)


def _outcomes(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    table = inputs.published.effects
    if table is None:
        return
    from omstilling_analysis import effects

    for outcome in effects.OUTCOMES:
        if (table["udfald"] == outcome).any():
            yield {"udfald": outcome}


def _dependence(inputs: FigureInputs, udfald: str, tema: str) -> Figure:
    from omstilling_analysis import effects

    result = inputs.effects
    link = effects.strongest_links(result.table, 4)
    row = link[(link["udfald"] == udfald) & (link["tema"] == tema)].iloc[0]
    from omstilling_analysis.plots.effects import plot_partial_dependence

    return plot_partial_dependence(result.linked, result.table, udfald, tema, boelge=row["boelge"])


def _strongest_links(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    if inputs.effects is None:
        return
    from omstilling_analysis import effects

    for row in effects.strongest_links(inputs.effects.table, 4).itertuples(index=False):
        yield {"udfald": str(row.udfald), "tema": str(row.tema)}


def _map(kind: str):
    """Draw the map ``danmarkskort_<kind>_<boelge>`` (:func:`plots.maps.map_makers`)."""

    def draw(inputs: FigureInputs, boelge: int) -> Figure:
        return _map_makers(inputs, boelge)[f"danmarkskort_{kind}_{boelge}"]()

    return draw


def _map_makers(inputs: FigureInputs, boelge: int):
    from omstilling_analysis.plots import maps

    published = inputs.published
    changes = published.changes.rename(columns={"skjult": "skjult_aendring"})
    return maps.map_makers(
        published.scores, published.cluster_assignments, changes, boelge, published.settings
    )


def _map_waves(kind: str):
    def instances(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
        from omstilling_analysis.plots import maps

        published = inputs.published
        for wave in published.waves:
            if kind in maps.map_kinds(published.cluster_assignments, published.changes, wave):
                yield {"boelge": wave}

    return instances


def _rank_intervals(inputs: FigureInputs, boelge: int) -> Figure:
    from omstilling_analysis.plots.robustness import plot_rank_intervals

    return plot_rank_intervals(inputs.published.wave_robustness(boelge), boelge)


def _robust_waves(inputs: FigureInputs) -> Iterator[dict[str, Any]]:
    for wave in inputs.published.waves:
        frame = inputs.published.wave_robustness(wave)
        if frame is not None and len(frame):
            yield {"boelge": wave}


#: File stem pattern → the family of figures it names.
FIGURES: dict[str, FigureSpec] = {
    spec.pattern: spec
    for spec in (
        FigureSpec(
            "modenhedsniveauer_{boelge}",
            "Antal kommuner pr. modenhedsniveau",
            _levels,
            _waves,
        ),
        FigureSpec(
            "temafordeling_{boelge}",
            "Kommunernes offentliggjorte scorer pr. tema (boksplot)",
            _theme_distribution,
            _waves,
        ),
        FigureSpec(
            "indeks_regioner_{boelge}",
            "Modenhedsindeks pr. kommune og region",
            _index_by_region,
            _waves,
        ),
        FigureSpec(
            "klyngeprofiler_{boelge}",
            "Klyngernes gennemsnitlige temascorer",
            _cluster_profiles,
            _cluster_waves,
        ),
        FigureSpec(
            "klynger_profil_{boelge}",
            "Klyngernes profiler som varmekort (standardiserede temascorer)",
            _cluster_heatmap,
            _cluster_result_waves,
        ),
        FigureSpec(
            "klynger_pca_{boelge}",
            "Kommunerne på de to første hovedkomponenter, farvet efter klynge",
            _cluster_pca,
            _cluster_result_waves,
        ),
        FigureSpec(
            "klynger_valg_af_k_{boelge}",
            "Silhuet, gap-statistik og BIC for hvert antal klynger",
            _k_selection,
            _cluster_result_waves,
        ),
        FigureSpec(
            "koefficienter_{udfald}",
            "Temaernes sammenhæng med et udfald (estimat og 95 %-KI pr. bølge)",
            _coefficients,
            _outcomes,
        ),
        FigureSpec(
            "afhaengighed_{udfald}_{tema}",
            "Udfaldet mod temascoren for de stærkeste sammenhænge",
            _dependence,
            _strongest_links,
        ),
        FigureSpec(
            "danmarkskort_indeks_{boelge}",
            "Danmarkskort: modenhedsindeks pr. kommune i niveauernes farver",
            _map("indeks"),
            _map_waves("indeks"),
        ),
        FigureSpec(
            "danmarkskort_klynger_{boelge}",
            "Danmarkskort: kommunernes type (klynge)",
            _map("klynger"),
            _map_waves("klynger"),
        ),
        FigureSpec(
            "danmarkskort_udvikling_{boelge}",
            "Danmarkskort: ændring i modenhedsindeks siden kommunens forrige bølge",
            _map("udvikling"),
            _map_waves("udvikling"),
        ),
        FigureSpec(
            "rangintervaller_{boelge}",
            "Kommunernes rang med samlet og stikprøvens interval (indeksets robusthed)",
            _rank_intervals,
            _robust_waves,
        ),
        FigureSpec(
            "udvikling_landsplan",
            "Landsgennemsnittet af hvert tema over bølgerne",
            _national_development,
            _several_waves,
        ),
    )
}


def figure_spec(stem: str) -> FigureSpec:
    """The family a file stem belongs to (``temafordeling_2024`` → its :class:`FigureSpec`)."""
    for spec in FIGURES.values():
        if re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", ".+", re.escape(spec.pattern)), stem):
            return spec
    raise KeyError(stem)


def inputs_up_to(inputs: FigureInputs, wave: int) -> FigureInputs:
    """``inputs`` cut to the waves up to ``wave``, without the effects: all that a figure of
    ``wave`` shows (a change looks back, never ahead; the effects have figures of their own).

    A wave's figures are drawn from these (:func:`figure_makers`), so that a figure of a wave
    whose tables are unchanged can be taken from the last run (:func:`figure_keys`): adding a
    new wave does not redraw the earlier waves' figures.
    """

    def cut(value: Any) -> Any:
        numeric = isinstance(value, pd.DataFrame) and "boelge" in value.columns
        if numeric and pd.api.types.is_numeric_dtype(value["boelge"]):
            return value[value["boelge"] <= wave]
        return value

    published = inputs.published
    tables = {
        f.name: cut(getattr(published, f.name))
        for f in dataclasses.fields(published)
        if isinstance(getattr(published, f.name), pd.DataFrame)
        and f.name not in ("effects", "effects_missing")
    }
    cut_published = dataclasses.replace(
        published,
        **tables,
        effects=None,
        effects_missing=None,
        robustness_sentences={
            w: text for w, text in published.robustness_sentences.items() if w <= wave
        },
    )
    clusters = inputs.clusters
    if clusters is not None:
        clusters = dataclasses.replace(
            clusters,
            **{
                f.name: cut(getattr(clusters, f.name))
                for f in dataclasses.fields(clusters)
                if isinstance(getattr(clusters, f.name), pd.DataFrame)
            },
        )
    extra = {name: cut(frame) for name, frame in inputs.extra.items()}
    return FigureInputs(cut_published, clusters, None, extra)


def _input_parts(inputs: FigureInputs) -> tuple:
    """Everything of ``inputs`` a figure can read, as parts of a memo key."""
    published = inputs.published
    parts: list[Any] = [published.settings.to_dict()]
    for f in dataclasses.fields(published):
        value = getattr(published, f.name)
        if isinstance(value, pd.DataFrame) or value is None:
            parts += [f.name, value]
    parts.append(sorted((int(w), text) for w, text in published.robustness_sentences.items()))
    if inputs.clusters is not None:
        parts += [getattr(inputs.clusters, f.name) for f in dataclasses.fields(inputs.clusters)]
    parts += [item for name in sorted(inputs.extra) for item in (name, inputs.extra[name])]
    return tuple(parts)


def figures_with_keys(
    inputs: FigureInputs,
) -> tuple[dict[str, Callable[[], Figure]], dict[str, tuple]]:
    """:func:`figure_makers` and :func:`figure_keys` of ``inputs``, in one pass over the
    figures: each wave's tables are cut and fingerprinted once, for all its figures."""
    makers: dict[str, Callable[[], Figure]] = {}
    keys: dict[str, tuple] = {}
    cut: dict[int, FigureInputs] = {}
    digests: dict[int, str] = {}
    for spec in FIGURES.values():
        for instance in spec.instances(inputs):
            stem = spec.pattern.format(**instance)
            if "boelge" not in instance:
                makers[stem] = partial(spec.draw, inputs, **instance)
                continue
            wave = instance["boelge"]
            if wave not in cut:
                cut[wave] = inputs_up_to(inputs, wave)
                digests[wave] = fingerprint(*_input_parts(cut[wave]))
            makers[stem] = partial(spec.draw, cut[wave], **instance)
            keys[stem] = (stem, digests[wave])
    return makers, keys


def figure_makers(inputs: FigureInputs) -> dict[str, Callable[[], Figure]]:
    """Every figure of a run, by file stem, as a function drawing it (nothing is drawn here).
    A figure of one wave is drawn from :func:`inputs_up_to` that wave."""
    return figures_with_keys(inputs)[0]


def figure_keys(inputs: FigureInputs) -> dict[str, tuple]:
    """The memo key parts of every figure of one wave (:func:`figure_makers`): its stem and
    the fingerprint of all of :func:`inputs_up_to` its wave. Figures of several waves have
    none (always drawn)."""
    return figures_with_keys(inputs)[1]
