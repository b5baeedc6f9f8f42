"""A feedback workbook for one municipality: ``omstilling rapport --kommune KODE [--boelge ÅR]``.

The workbook (``rapport_<kode>_<bølge>.xlsx``) is made from the output files of an earlier
``omstilling run`` and has five sheets:

- ``Profil``: the municipality's theme scores and index against its cluster, its region and the
  country, with a bar chart and a radar chart;
- ``Udvikling``: its scores in every wave, with a line chart;
- ``Potentiale``: the themes where it has most to gain (the distance up to the national upper
  quartile) and whether the theme goes with better outcomes in the effects analysis;
- ``Spørgsmål``: its mean answer per question against the country's;
- ``Om tallene``: how to read the numbers.

The suppression rules are those of :mod:`omstilling_analysis.report`: nothing resting on fewer
than ``Settings.min_respondents_published`` respondents is shown, and the comparison figures are
built from published municipality values only.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.errors import UserError
from omstilling_analysis.plots.style import PALETTE, png_bytes
from omstilling_analysis.publish import (
    INDEX,
    SIGNIFICANCE_LEVEL,
    municipality_item_means,
    publish,
)
from omstilling_analysis.report.data import SummaryData
from omstilling_analysis.report.xlsx import (
    Workbook,
    cell_value,
    chart_block,
    colour_scale,
    theme_chart_axes,
)
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import NO_RESPONSES, dk_number, level_names, short_theme_names

__all__ = [
    "MUNICIPALITIES_PER_CHILD",
    "RESULT_FILES",
    "SHEETS",
    "FeedbackBatch",
    "NotPublishable",
    "ResultsError",
    "results_wave",
    "feedback_workbook",
    "load_results",
    "municipality_development",
    "municipality_profile",
    "municipality_workbook",
    "municipality_workbook_from_results",
    "highlighted_map",
    "resolve",
    "settings_from_manifest",
    "why_not_published",
    "workbooks_for_all",
]

#: The result files a feedback workbook can use (only ``kommunescorer.parquet`` is required).
RESULT_FILES: tuple[str, ...] = (
    "besvarelser.parquet",
    "respondentscorer.parquet",
    "kommunescorer.parquet",
    "udeladte.csv",
    "datakvalitet.csv",
    "reliabilitet.csv",
    "itemstatistik.csv",
    "rang.csv",
    "udvikling.csv",
    "klynger.csv",
    "klyngeprofiler.csv",
    "klyngevalg.csv",
    "effekter.csv",
    "effekter_mangler.csv",
)
SHEETS: tuple[str, ...] = ("Profil", "Udvikling", "Potentiale", "Spørgsmål", "Om tallene")


class NotPublishable(UserError):
    """The municipality has no published scores in the wave (a Danish message says why)."""


class ResultsError(UserError):
    """A results folder, municipality or wave that cannot be reported on."""


# =========================================================================== reading results


def load_results(results_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables and the manifest of an earlier run, read from ``results_dir``.

    Missing files are left out, except ``kommunescorer.parquet``: without it there is nothing
    to report (``FileNotFoundError`` with a Danish message).
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ResultsError(f"{results_dir}: mappen findes ikke")
    if not (folder / "kommunescorer.parquet").is_file():
        raise ResultsError(
            f"{results_dir}: ingen resultater her (kommunescorer.parquet mangler); kør først "
            f"'omstilling kør --out {results_dir}'"
        )
    tables: dict[str, pd.DataFrame] = {}
    for name in RESULT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if name.endswith(".parquet"):
            tables[name] = pd.read_parquet(path)
        else:
            dtype = {"boelge": str} if name == "effekter.csv" else None
            tables[name] = pd.read_csv(path, encoding="utf-8", dtype=dtype)
    manifest_path = folder / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    )
    return tables, manifest


def settings_from_manifest(manifest: dict) -> Settings:
    """The settings a run used (``manifest["indstillinger"]``); defaults for anything absent."""
    try:
        return Settings.from_manifest(manifest.get("indstillinger") or {})
    except (TypeError, ValueError):
        return Settings()


def resolve(kommune: str | int) -> int:
    """A municipality code from a code or a name; :class:`ResultsError` when unknown."""
    code = reference.resolve_municipality(str(kommune).strip())
    if code is None:
        raise ResultsError(
            f"ukendt kommune: '{kommune}' (angiv en af de 98 kommunekoder eller et kommunenavn)"
        )
    return int(code)


def _summary_data(results_dir: str | Path) -> SummaryData:
    tables, manifest = load_results(results_dir)
    settings = settings_from_manifest(manifest)
    return SummaryData(publish(tables, settings), tables, manifest)


def _wave(data: SummaryData, results_dir: str | Path, boelge: int | None) -> int:
    return _chosen_wave(data.waves, results_dir, boelge)


def _chosen_wave(waves: list[int], results_dir: str | Path, boelge: int | None) -> int:
    """``boelge`` if the results have it, else the latest; :class:`ResultsError` otherwise."""
    if not waves:
        raise ResultsError(f"{results_dir}: kommunescorer.parquet er tom")
    wave = waves[-1] if boelge is None else int(boelge)
    if wave not in waves:
        raise ResultsError(
            f"{results_dir}: bølge {wave} findes ikke i resultaterne "
            f"(der er {', '.join(map(str, waves))})"
        )
    return wave


def results_wave(results_dir: str | Path, boelge: int | None) -> int:
    """The wave to report on: ``boelge`` if the results have it, else the latest."""
    folder = Path(results_dir)
    if not (folder / "kommunescorer.parquet").is_file():
        load_results(results_dir)  # raises the one Danish line
    scores = pd.read_parquet(folder / "kommunescorer.parquet", columns=["boelge"])
    waves = sorted(int(w) for w in scores["boelge"].dropna().unique())
    return _chosen_wave(waves, results_dir, boelge)


def why_not_published(data: SummaryData, code: int, wave: int) -> str | None:
    """Why ``code`` gets no feedback workbook for ``wave`` (``None`` when it gets one)."""
    scores = data.wave_published(wave)
    mine = scores[scores["kommunekode"] == code]
    if mine.empty:
        return f"ingen besvarelser i bølge {wave}"
    if bool(mine["skjult"].iloc[0]):
        n = int(mine["n_respondenter"].iloc[0])
        return f"{n} {'besvarelse' if n == 1 else 'besvarelser'}, færre end {data.minimum}"
    return None


def municipality_workbook_from_results(
    results_dir: Path, kommune: str, boelge: int | None = None, out: Path | None = None
) -> Path:
    """Write the feedback workbook of ``kommune`` (a code or a name) from a run's results.

    Parameters
    ----------
    results_dir:
        The ``--out`` folder of ``omstilling kør``.
    kommune:
        Municipality code or name (resolved by :func:`reference.resolve_municipality`).
    boelge:
        The wave; ``None`` → the latest wave in the results.
    out:
        Target file; default ``<results_dir>/rapport_<kode>_<bølge>.xlsx``.

    Raises
    ------
    NotPublishable
        When the municipality has fewer than the minimum respondents in the wave.
    """
    code = resolve(kommune)
    data = _summary_data(results_dir)
    wave = _wave(data, results_dir, boelge)
    reason = why_not_published(data, code, wave)
    if reason is not None:
        name = reference.municipality(code)["kommune"]
        raise NotPublishable(f"{name} ({code}) får intet tilbagemeldingsark for {wave}: {reason}")
    target = Path(out) if out is not None else Path(results_dir) / f"rapport_{code}_{wave}.xlsx"
    return feedback_workbook(data, code, wave, target)


@dataclass(frozen=True)
class FeedbackBatch:
    """What :func:`workbooks_for_all` did: the workbooks written and the municipalities left
    without one, with the reason."""

    wave: int
    written: tuple[Path, ...]
    skipped: tuple[tuple[int, str, str], ...]  # (code, name, reason)


#: Municipalities a forked child writes the workbooks of before it sends them back: a progress
#: line every few seconds, and few enough forks that their start costs little.
MUNICIPALITIES_PER_CHILD = 7


def workbooks_for_all(
    results_dir: str | Path,
    boelge: int | None,
    out_dir: str | Path,
    progress: Callable[[int, int, str], None] | None = None,
) -> FeedbackBatch:
    """One feedback workbook per municipality with published data, into ``out_dir``.

    The run's tables are read and published once and shared by all 98 workbooks. The first
    workbook is written here (which loads what they all use, e.g. the map's geometry); the
    others by forked children on the other cores, :data:`MUNICIPALITIES_PER_CHILD` each
    (:func:`omstilling_analysis.parallel.forked_map`; the same bytes as written here).
    ``progress(i, total, name)`` is called after each municipality or group of them.
    """
    from omstilling_analysis import parallel

    data = _summary_data(results_dir)
    wave = _wave(data, results_dir, boelge)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    places = [(int(p.kommunekode), str(p.kommune)) for p in data.municipalities.itertuples()]

    def write(group: list[tuple[int, str]]) -> list[tuple[int, str, Path | None, str | None]]:
        done = []
        for code, name in group:
            reason = why_not_published(data, code, wave)
            target = None
            if reason is None:
                target = feedback_workbook(data, code, wave, folder / f"rapport_{code}_{wave}.xlsx")
            done.append((code, name, target, reason))
        return done

    first = next(
        (i for i, (code, _) in enumerate(places) if not why_not_published(data, code, wave)), 0
    )
    groups = [places[first : first + 1]]  # written here, before any child is forked
    rest = places[:first] + places[first + 1 :]
    groups += [
        rest[i : i + MUNICIPALITIES_PER_CHILD]
        for i in range(0, len(rest), MUNICIPALITIES_PER_CHILD)
    ]
    results: dict[int, tuple[str, Path | None, str | None]] = {}
    # The first group here (its result before any child starts), then the children's in order.
    for done in chain([write(groups[0])], parallel.forked_map(write, groups[1:])):
        for code, name, target, reason in done:
            results[code] = (name, target, reason)
        if progress is not None and done:
            progress(len(results), len(places), done[-1][1])
    written = [results[code][1] for code, _ in places if results[code][1] is not None]
    skipped = [
        (code, name, str(results[code][2])) for code, name in places if results[code][1] is None
    ]
    return FeedbackBatch(wave, tuple(written), tuple(skipped))


# =========================================================================== the workbook


def municipality_workbook(
    tables: dict[str, pd.DataFrame],
    kommunekode: int,
    boelge: int,
    path: str | Path,
    settings: Settings | None = None,
    manifest: dict | None = None,
) -> Path:
    """Write the feedback workbook of one municipality and wave from a run's internal tables
    (by output file name; only ``kommunescorer.parquet`` is required): they are published
    first (:func:`omstilling_analysis.publish.publish`)."""
    data = SummaryData(publish(tables, settings), tables, manifest)
    return feedback_workbook(data, kommunekode, boelge, path)


def feedback_workbook(data: SummaryData, kommunekode: int, boelge: int, path: str | Path) -> Path:
    """Write the feedback workbook of one municipality and wave to ``path`` (see module doc)."""
    code, wave = int(kommunekode), int(boelge)
    place = reference.municipality(code)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(target, banner=data.banner)
    try:
        own = _own_values(data, code, wave)
        _profile_sheet(book, data, code, wave, place, own)
        _development_sheet(book, data, code, place)
        _potential_sheet(book, data, code, wave, own)
        _items_sheet(book, data, code, wave)
        _about_sheet(book, data, wave)
    finally:
        book.close()
    return target


def _own_values(data: SummaryData, code: int, wave: int) -> dict[str, Any]:
    """The municipality's cells: a number, the suppression text or ``"ingen besvarelser"``."""
    published = data.wave_published(wave).set_index("kommunekode")
    cells: dict[str, Any] = {}
    if code not in published.index:
        return dict.fromkeys([*reference.theme_codes(), INDEX, "n"], NO_RESPONSES) | {"n": 0}
    row = published.loc[code]
    for measure in [*reference.theme_codes(), INDEX]:
        hidden = bool(row[f"{measure}_skjult"])
        cells[measure] = data.hidden if hidden else cell_value(row[measure])
        for bound in ("ci_lav", "ci_hoej"):
            column = f"{measure}_{bound}"
            cells[column] = None if hidden or column not in row else cell_value(row[column])
    cells["n"] = cell_value(row["n_respondenter"])
    cells["level"] = (
        data.hidden
        if row[f"{INDEX}_skjult"]
        else f"{int(row['modenhedsniveau'])} {level_names()[int(row['modenhedsniveau'])]}"
    )
    return cells


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


def _comparisons(data: SummaryData, code: int, wave: int) -> dict[str, dict[str, Any]]:
    """Cluster, region and country means per measure (cells as in :func:`_own_values`)."""
    measures = [*reference.theme_codes(), INDEX]
    out: dict[str, dict[str, Any]] = {}
    clusters = data.clusters(wave)
    profiles = data.cluster_profiles(wave)
    cluster = None
    if clusters is not None:
        mine = clusters[clusters["kommunekode"].astype("int64") == code]
        if len(mine) and pd.notna(mine["klynge"].iloc[0]):
            cluster = int(mine["klynge"].iloc[0])
    if cluster is not None and profiles is not None:
        p = profiles[profiles["klynge"].astype("int64") == cluster]
        out["Klyngen"] = {
            m: (data.hidden if pd.isna(p[m].iloc[0]) else float(p[m].iloc[0])) for m in measures
        }
    else:
        out["Klyngen"] = dict.fromkeys(measures, "ingen klynge")
    region = reference.municipality(code)["region"]
    regional = data.regional(wave)
    part = regional[regional["omraade"] == region].set_index("maal")
    out["Regionen"] = {
        m: (
            float(part.loc[m, "gennemsnit"])
            if m in part.index and part.loc[m, "n_respondenter"] >= data.minimum
            else data.hidden
        )
        for m in measures
    }
    national = data.national(wave)
    out["Landet"] = {
        m: float(national.loc[m, "gennemsnit"]) if m in national.index else data.hidden
        for m in measures
    }
    out["_cluster"] = {"number": cluster}
    return out


def municipality_profile(data: SummaryData, code: int, wave: int) -> pd.DataFrame:
    """The municipality's published theme scores and index with their 95 % intervals, against
    its cluster, its region and the country (one row per measure; a hidden value holds the
    suppression text): the ``Temaerne`` table of the ``Profil`` sheet."""
    names = data.theme_names | {INDEX: "Modenhedsindeks"}
    own = _own_values(data, code, wave)
    comparisons = _comparisons(data, code, wave)
    rows = []
    for m in [*reference.theme_codes(), INDEX]:
        mine = own[m]
        land = comparisons["Landet"][m]
        difference = mine - land if isinstance(mine, float) and isinstance(land, float) else None
        rows.append(
            {
                "Tema": names[m],
                "Kommunen": mine,
                "95 %-KI fra": own.get(f"{m}_ci_lav"),
                "95 %-KI til": own.get(f"{m}_ci_hoej"),
                "Klyngen": comparisons["Klyngen"][m],
                "Regionen": comparisons["Regionen"][m],
                "Landet": land,
                "Forskel til landet": difference,
            }
        )
    return pd.DataFrame(rows)


def municipality_development(data: SummaryData, code: int) -> pd.DataFrame:
    """The municipality's published scores in every wave, with the national mean of the index:
    the table of the ``Udvikling`` sheet."""
    names = data.theme_names | {INDEX: "Modenhedsindeks"}
    national = data.national_means()
    rows = []
    for wave in data.waves:
        own = _own_values(data, code, wave)
        row: dict[str, Any] = {"Bølge": wave, "Respondenter": own["n"]}
        row |= {names[m]: own[m] for m in [*reference.theme_codes(), INDEX]}
        row["Modenhedsniveau"] = own.get("level", NO_RESPONSES)
        row["Landsgennemsnit, indeks"] = (
            national.loc[wave, INDEX] if wave in national.index and INDEX in national else None
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _profile_sheet(
    book: Workbook, data: SummaryData, code: int, wave: int, place: pd.Series, own: dict
) -> None:
    sheet = book.sheet("Profil")
    themes = reference.theme_codes()
    sheet.title(
        f"{place['kommune']} – selvevaluering af digital omstilling, bølge {wave}",
        f"Kommunens profil mod klyngen, regionen og landet. Tal, der hviler på færre end "
        f"{data.minimum} respondenter, vises ikke.",
    )
    table = data.municipality_table(wave).set_index("Kommunekode").loc[code]
    facts = [
        ("Kommune", place["kommune"], "text"),
        ("Kommunekode", code, "year"),
        ("Region", place["region"], "text"),
        ("Respondenter", own["n"], "int"),
        ("Modenhedsindeks", own[INDEX], "score"),
        ("Modenhedsniveau", own.get("level", NO_RESPONSES), "text"),
        ("Klynge", table["Klynge"], "text"),
        (f"Rang (1 = højest, af {len(data.ranks(wave))})", table["Rang"], "int"),
        ("Ranginterval (90 %)", table["Ranginterval (90 %)"], "text"),
        ("Ændring i indeks siden forrige bølge", table["Ændring i indeks"], "change"),
    ]
    start = sheet.row
    sheet.write(start, 0, "Oplysning", "header", fit=False)
    sheet.write(start, 1, "Værdi", "header", fit=False)
    for i, (label, value, style) in enumerate(facts, start=1):
        sheet.write(start + i, 0, label)
        sheet.write(start + i, 1, value, style)
    sheet.row = start + len(facts) + 2

    comparisons = _comparisons(data, code, wave)
    sheet.heading("Temaerne")
    frame = municipality_profile(data, code, wave)
    styles = dict.fromkeys(
        ["Kommunen", "95 %-KI fra", "95 %-KI til", "Klyngen", "Regionen", "Landet"], "score"
    )
    styles["Forskel til landet"] = "change"
    first, last = sheet.frame(frame, styles)
    j = list(frame.columns).index("Forskel til landet")
    sheet.ws.conditional_format(first, j, last, j, colour_scale(-0.5, 0, 0.5))
    sheet.lines(
        [
            "95 %-KI: med 95 % sikkerhed ligger kommunens sande score i intervallet; det er "
            "bredt, når få har svaret. Orange er svagere end landet, blå stærkere.",
        ],
        "note",
        width=8,
    )
    cluster_number = comparisons["_cluster"]["number"]
    series = {
        place["kommune"]: [_number(own[t]) for t in themes],
        "Klyngen" if cluster_number is None else f"Klynge {cluster_number}": [
            _number(comparisons["Klyngen"][t]) for t in themes
        ],
        "Regionen": [_number(comparisons["Regionen"][t]) for t in themes],
        "Landet": [_number(comparisons["Landet"][t]) for t in themes],
    }
    labels = short_theme_names()
    chart_row = sheet.row + 1
    cats, refs = chart_block(sheet, chart_row + 40, 0, [labels[t] for t in themes], series)
    bar = book.workbook.add_chart({"type": "column"})
    radar = book.workbook.add_chart({"type": "radar", "subtype": "marker"})
    for i, (name, ref) in enumerate(refs.items()):
        colour = PALETTE[i]
        bar.add_series(
            {"name": name, "categories": cats, "values": ref, "fill": {"color": colour},
             "border": {"none": True}}
        )  # fmt: skip
        radar.add_series(
            {"name": name, "categories": cats, "values": ref,
             "line": {"color": colour, "width": 2.25},
             "marker": {"type": "circle", "size": 5, "fill": {"color": colour},
                        "border": {"color": colour}}}
        )  # fmt: skip
    bar.set_title({"name": f"{place['kommune']} mod klynge, region og land, bølge {wave}"})
    theme_chart_axes(bar)
    bar.set_legend({"position": "bottom"})
    bar.show_blanks_as("gap")
    radar.set_title({"name": "Profil på de seks temaer"})
    radar.set_y_axis({"min": 1, "max": 5, "major_unit": 1, "num_format": "0"})
    radar.set_legend({"position": "bottom"})
    sheet.ws.insert_chart(chart_row, 0, bar, {"x_scale": 1.5, "y_scale": 1.3})
    sheet.ws.insert_chart(chart_row + 20, 0, radar, {"x_scale": 1.2, "y_scale": 1.3})
    png = highlighted_map(data, code, wave)
    sheet.ws.insert_image(
        chart_row + 42,
        0,
        f"danmarkskort_{code}_{wave}.png",
        {"image_data": io.BytesIO(png), "x_scale": 0.55, "y_scale": 0.55},
    )
    # Each chart on a page of its own when printed, never split across two.
    sheet.ws.set_h_pagebreaks([chart_row, chart_row + 20, chart_row + 42])
    sheet.finish()
    sheet.ws.set_column(0, 0, 38)
    sheet.ws.set_column(1, 5, 16)
    sheet.ws.activate()


def highlighted_map(data: SummaryData, code: int, wave: int) -> bytes:
    """The index map of ``wave`` with the municipality's outline drawn thick (PNG).

    The map of the wave is drawn once for all the workbooks made from ``data``; each moves the
    highlight to its own municipality (:func:`omstilling_analysis.plots.maps.move_highlight`).
    """
    from omstilling_analysis.plots import maps

    def draw():
        scores = data.wave_published(wave)
        hidden = scores.loc[scores[f"{INDEX}_skjult"], "kommunekode"].astype(int)
        return maps.plot_denmark_map(
            scores.set_index("kommunekode")[INDEX].astype(float),
            kind="index",
            wave=wave,
            suppressed=set(hidden),
            thresholds=data.settings.level_thresholds,
            min_respondents=data.minimum,
        )

    figure = data.reuse(("danmarkskort_fremhaevet", wave), draw)
    name = reference.municipality(code)["kommune"]
    title = f"{name} (fremhævet) blandt landets kommuner, bølge {wave}"
    maps.move_highlight(figure, code, title=title)
    return png_bytes(figure, clear=False)


def _development_sheet(book: Workbook, data: SummaryData, code: int, place: pd.Series) -> None:
    sheet = book.sheet("Udvikling")
    names = data.theme_names | {INDEX: "Modenhedsindeks"}
    themes = reference.theme_codes()
    sheet.title(
        f"{place['kommune']} – udviklingen over bølgerne",
        "Kommunens scorer i hver bølge og landsgennemsnittet af modenhedsindekset.",
    )
    frame = municipality_development(data, code)
    rows = frame.to_dict("records")
    styles = dict.fromkeys([names[m] for m in [*themes, INDEX]], "score")
    styles |= {"Bølge": "year", "Respondenter": "int", "Landsgennemsnit, indeks": "score"}
    styles["Modenhedsniveau"] = "indent"
    sheet.frame(frame, styles)
    series = {names[INDEX]: [_number(r[names[INDEX]]) for r in rows]}
    series |= {"Landsgennemsnit": [_number(r["Landsgennemsnit, indeks"]) for r in rows]}
    series |= {short_theme_names()[t]: [_number(r[names[t]]) for r in rows] for t in themes}
    chart_row = sheet.row + 1
    cats, refs = chart_block(sheet, chart_row + 22, 0, [str(w) for w in data.waves], series)
    chart = book.workbook.add_chart({"type": "line"})
    for i, (name, ref) in enumerate(refs.items()):
        main = i < 2
        colour = ("#000000", "#7F7F7F")[i] if main else PALETTE[(i - 2) % 8]
        chart.add_series(
            {"name": name, "categories": cats, "values": ref,
             "line": {"color": colour, "width": 3 if main else 1.5,
                      "dash_type": "dash" if i == 1 else "solid"},
             "marker": {"type": "circle", "size": 5, "fill": {"color": colour},
                        "border": {"color": colour}}}
        )  # fmt: skip
    chart.set_title({"name": f"{place['kommune']}: udvikling"})
    theme_chart_axes(chart)
    chart.set_x_axis({"name": "Bølge"})
    chart.set_legend({"position": "right"})
    chart.show_blanks_as("gap")
    sheet.ws.insert_chart(chart_row, 0, chart, {"x_scale": 1.6, "y_scale": 1.4})
    sheet.finish()


def _potential_sheet(book: Workbook, data: SummaryData, code: int, wave: int, own: dict) -> None:
    sheet = book.sheet("Potentiale")
    names = data.theme_names
    themes = reference.theme_codes()
    sheet.title(
        f"Hvor har kommunen mest at vinde? Bølge {wave}",
        "Potentiale: afstanden op til landets 3. kvartil (det niveau, som den bedste fjerdedel "
        "af kommunerne mindst når). 0 betyder, at kommunen allerede er blandt de bedste 25 %.",
    )
    national = data.national(wave)
    comparisons = _comparisons(data, code, wave)
    findings = _findings_by_theme(data, wave)
    rows = []
    for t in themes:
        mine = own[t]
        q3 = float(national.loc[t, "kvartil_3"]) if t in national.index else None
        potential = max(0.0, q3 - mine) if isinstance(mine, float) and q3 is not None else None
        rows.append(
            {
                "Tema": names[t],
                "Kommunens score": mine,
                "Landets 3. kvartil": q3 if q3 is not None else data.hidden,
                "Klyngens gennemsnit": comparisons["Klyngen"][t],
                "Potentiale": potential if potential is not None else mine,
                "Sammenhæng med resultater (fund i effektanalysen)": findings.get(t, "ingen fund"),
            }
        )
    frame = pd.DataFrame(rows)
    order = frame["Potentiale"].map(lambda v: -v if isinstance(v, float) else 1.0)
    frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
    ranked = [r for r in rows if isinstance(r["Potentiale"], float)]
    if ranked:
        top = sorted(ranked, key=lambda r: -r["Potentiale"])[:3]
        top = [r for r in top if r["Potentiale"] > 0]
        if top:
            listed = ", ".join(f"{r['Tema']} ({dk_number(r['Potentiale'], 2)})" for r in top)
            sheet.lines([f"Størst potentiale: {listed}."], "bold", width=6)
        else:
            sheet.lines(["Kommunen er blandt de bedste 25 % på alle seks temaer."], "bold", width=6)
    else:
        sheet.lines(
            [f"Kommunens temascorer kan ikke vises i bølge {wave} ({own[INDEX]})."], "bold", width=6
        )
    sheet.row += 1
    styles = dict.fromkeys(
        ["Kommunens score", "Landets 3. kvartil", "Klyngens gennemsnit", "Potentiale"], "score"
    )
    styles["Sammenhæng med resultater (fund i effektanalysen)"] = "indent"
    first, last = sheet.frame(frame, styles)
    sheet.ws.conditional_format(
        first,
        4,
        last,
        4,
        {"type": "data_bar", "bar_color": "#F4B183", "data_bar_2010": False},
    )
    if ranked:
        labels = short_theme_names()
        by_name = {names[t]: labels[t] for t in themes}
        cats, refs = chart_block(
            sheet,
            sheet.row + 22,
            0,
            [by_name[n] for n in frame["Tema"]],
            {"Potentiale": [_number(v) for v in frame["Potentiale"]]},
        )
        chart = book.workbook.add_chart({"type": "bar"})
        chart.add_series(
            {"name": "Potentiale", "categories": cats, "values": refs["Potentiale"],
             "fill": {"color": "#ED7D31"}, "data_labels": {"value": True, "num_format": "0.00"}}
        )  # fmt: skip
        chart.set_title({"name": "Potentiale op til landets 3. kvartil"})
        chart.set_legend({"none": True})
        chart.set_x_axis({"min": 0, "num_format": "0.0"})
        chart.set_y_axis({"reverse": True})
        sheet.ws.insert_chart(sheet.row + 1, 0, chart, {"x_scale": 1.4, "y_scale": 1.2})
    sheet.finish()
    sheet.ws.set_column(0, 0, 34)
    sheet.ws.set_column(5, 5, 50)


def _findings_by_theme(data: SummaryData, wave: int) -> dict[str, str]:
    """Theme → the outcomes it goes with (adjusted p < 0.05) in ``wave`` or pooled."""
    table = data.effects
    if table is None:
        return {}
    from omstilling_analysis.effects import OUTCOME_LABELS

    rows = data.published.wave_effects(wave)
    rows = rows[pd.to_numeric(rows["p_justeret"], errors="coerce") < SIGNIFICANCE_LEVEL]
    out = {}
    for theme, part in rows.groupby("tema"):
        texts = []
        for r in part.drop_duplicates("udfald").itertuples(index=False):
            direction = "højere" if r.estimat > 0 else "lavere"
            texts.append(f"{direction} {OUTCOME_LABELS.get(r.udfald, r.udfald).lower()}")
        out[str(theme)] = "; ".join(texts)
    return out


def _items_sheet(book: Workbook, data: SummaryData, code: int, wave: int) -> None:
    sheet = book.sheet("Spørgsmål")
    sheet.title(
        f"Spørgsmålene – bølge {wave}",
        "Gennemsnitligt svar (1-5; omvendte spørgsmål er vendt, så højere altid er bedre).",
    )
    means = municipality_item_means(
        data.table("besvarelser.parquet"), data.published.scores, wave, data.settings
    )
    if means is None:
        sheet.empty_note("Besvarelserne (besvarelser.parquet) mangler i resultatmappen.")
        sheet.finish()
        return
    per, national = means
    mine = per[per["kommunekode"] == code].set_index("item")
    book_items = reference.codebook().set_index("item")
    reverse = set(reference.reverse_keyed_items())
    rows = []
    for item in reference.items_of_wave(wave):
        n = mine["n"].get(item, pd.NA)
        own = mine["gns"].get(item, np.nan)
        own = data.hidden if pd.isna(own) else float(own)
        land = national.get(item, np.nan)
        land = None if pd.isna(land) else float(land)
        rows.append(
            {
                "Spørgsmål": item,
                "Tema": data.theme_names[book_items.loc[item, "tema"]],
                "Omvendt": "ja (vendt)" if item in reverse else "",
                "Tekst": book_items.loc[item, "tekst"],
                "Svar i kommunen": None if pd.isna(n) else int(n),
                "Kommunen": own,
                "Landet": land,
                "Forskel": own - land if isinstance(own, float) and land is not None else None,
            }
        )
    frame = pd.DataFrame(rows)
    styles = {"Svar i kommunen": "int", "Kommunen": "score", "Landet": "score", "Forskel": "change"}
    styles |= {"Tekst": "wrap", "Omvendt": "center"}
    first, last = sheet.frame(frame, styles)
    j = list(frame.columns).index("Forskel")
    sheet.ws.conditional_format(first, j, last, j, colour_scale(-0.75, 0, 0.75))
    sheet.ws.freeze_panes(first, 1)
    sheet.ws.autofilter(first - 1, 0, last, len(frame.columns) - 1)
    sheet.lines(
        [
            "Omvendt: spørgsmålet er formuleret negativt; svaret er vendt (6 − svar), så et højere "
            "gennemsnit også her betyder mere modenhed.",
        ],
        "note",
        width=8,
    )
    sheet.finish()
    sheet.ws.set_column(3, 3, 60)


def _about_sheet(book: Workbook, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Om tallene")
    sheet.title("Om tallene")
    sheet.lines(
        [
            "Temascorerne er gennemsnit af respondenternes svar på temaets spørgsmål (1 = Helt "
            "uenig … 5 = Helt enig; omvendte spørgsmål vendt). Modenhedsindekset er gennemsnittet "
            "af de seks temascorer.",
            f"Tal, der hviler på færre end {data.minimum} respondenter, vises ikke, men som "
            f"»{data.hidden}«. Det gælder også klynge-, regions- og landstal, som kun bygger på "
            "kommuner med offentliggjorte tal (hver kommune vejer lige).",
            "Klyngen er den gruppe af kommuner med en lignende profil på de seks temaer, som "
            "kommunen hører til. Rangintervallet viser usikkerheden på placeringen.",
            "Sammenhænge med resultater er fundet i observationsdata og er ikke påviste årsager.",
            "Sikker ændring: ændringen siden kommunens forrige bølge er større, end tilfældige "
            "udsving i, hvem der svarede, kan forklare (Welchs t-test, p < 0,05). En ændring, "
            "der ikke er sikker, kan godt være reel, men tallene kan ikke skelne den fra støj.",
        ],
        "wrap",
        width=8,
    )
    sheet.finish()
