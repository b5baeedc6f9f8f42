"""The Excel summary for KL's videncenter (``opsummering_<boelge>.xlsx``) and the PNG figures.

One workbook per wave, written with xlsxwriter, with seven sheets (:data:`SHEETS`):

- ``Overblik``: key figures, the distribution over maturity levels, a native chart;
- ``Kommuner``: all 98 municipalities (frozen header, filters, colour scales);
- ``Temaer``: national, regional and role figures per theme, reliability, items, a figure;
- ``Klynger``: the cluster profiles with a native chart and the choice of k;
- ``Effekter``: the links to the outcomes in plain Danish and as a table;
- ``Datakvalitet``: rows in, counted, left out by reason, cell problems;
- ``Metode``: rules, settings, versions and input checksums.

Small numbers
    No published number rests on fewer than ``Settings.min_respondents_published`` (3)
    respondents (:func:`published_scores`): such a cell shows ``"færre end 3 besvarelser"``.
    A municipality's theme score needs 3 respondents *with a score on that theme*
    (``<TEMA>_n``); its index needs every theme (of positive weight) to be shown, since a hidden
    theme could otherwise be worked out from the index. National and regional figures, ranks and
    cluster profiles are computed from the published municipality values only, so that a
    suppressed value can never be recovered by differencing. Breakdowns by role hide every cell
    with fewer than 3 respondents.

Formula injection
    Every text cell goes through :meth:`_Sheet.write`: text that a spreadsheet could run
    (:func:`is_formula_like`: starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
    written as a string with Excel's *quote prefix* (the ``'`` Excel shows in the formula bar),
    so it stays inert text also when a user edits the cell. The workbook is opened with
    ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` off.

Number formats
    Format codes in an .xlsx file are always written with ``.`` as the decimal separator and
    ``,`` as the thousands separator; Excel and LibreOffice localise them when displaying, so
    ``0.00`` reads ``3,45`` and ``#,##0`` reads ``1.234`` in a Danish Excel. Never write ``0,00``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from omstilling_analysis import reference, score
from omstilling_analysis.plots import scores as score_plots
from omstilling_analysis.plots.style import LEVEL_COLOURS, PALETTE, png_bytes
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number, level_names, short_theme_names, theme_names

#: The sheets of ``opsummering_<boelge>.xlsx``, in order.
SHEETS: tuple[str, ...] = (
    "Overblik",
    "Kommuner",
    "Temaer",
    "Klynger",
    "Effekter",
    "Datakvalitet",
    "Metode",
)
#: Shown for a municipality without any counted respondent in the wave.
NO_RESPONSES = "ingen besvarelser"
#: First characters that make a spreadsheet treat text as a formula (or a DDE command).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
INDEX = "modenhedsindeks"

# Excel number format codes. Excel localises them on display: "0.00" reads 3,45 in a Danish
# Excel and "#,##0" reads 1.234 (the codes themselves are always written with "." and ",").
_FORMATS: dict[str, dict[str, Any]] = {
    "text": {},
    "bold": {"bold": True},
    "title": {"bold": True, "font_size": 14, "font_color": "#1F3864"},
    "subtitle": {"bold": True, "font_size": 11, "font_color": "#1F3864"},
    "header": {
        "bold": True,
        "bg_color": "#DCE6F1",
        "text_wrap": True,
        "valign": "top",
        "bottom": 1,
        "bottom_color": "#8EA9DB",
    },
    "note": {"italic": True, "font_color": "#595959"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "muted": {"italic": True, "font_color": "#7F7F7F"},
    "int": {"num_format": "#,##0"},
    "year": {"num_format": "0"},
    "code": {"num_format": "0", "align": "center"},
    "center": {"align": "center"},
    "indent": {"indent": 1},
    "score": {"num_format": "0.00"},
    "change": {"num_format": "+0.00;-0.00;0.00"},
    "p": {"num_format": "0.000"},
    "pct": {"num_format": "0.0%"},
    "dec1": {"num_format": "#,##0.0"},
    "dec2": {"num_format": "#,##0.00"},
}
#: Number formats (as above) whose columns show a suppression text in grey italics.
_NUMERIC = {"int", "year", "code", "score", "change", "p", "pct", "dec1", "dec2"}
#: Characters per line when estimating the height of a wrapped row.
_MAX_WIDTH = 60


def suppressed_text(settings: Settings | None = None) -> str:
    """The text that replaces a number resting on too few respondents.

    >>> suppressed_text()
    'færre end 3 besvarelser'
    """
    s = settings if settings is not None else Settings()
    return f"færre end {s.min_respondents_published} besvarelser"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula (see :data:`FORMULA_START`).

    >>> [is_formula_like(t) for t in ("=1+1", "+45 12 34", "-1+2", "@SUM(A1)", "\\tx", "Leder")]
    [True, True, True, True, True, False]
    """
    return isinstance(text, str) and text.startswith(FORMULA_START)


# =========================================================================== suppression


def _n_column(frame: pd.DataFrame, theme: str) -> pd.Series:
    """Respondents behind a theme score: ``<TEMA>_n``, or ``n_respondenter`` if absent."""
    column = f"{theme}_n" if f"{theme}_n" in frame else "n_respondenter"
    return pd.to_numeric(frame[column], errors="coerce").fillna(0)


def published_scores(
    municipality_scores: pd.DataFrame, settings: Settings | None = None
) -> pd.DataFrame:
    """Municipality scores with every value that may not be published set to missing.

    Parameters
    ----------
    municipality_scores:
        ``kommunescorer.parquet`` (``docs/interfaces.md``).
    settings:
        ``min_respondents_published`` (default 3) and ``theme_weights``.

    Returns
    -------
    pandas.DataFrame
        A copy with the same columns plus ``skjult`` (bool: fewer than the minimum counted
        respondents), ``<TEMA>_skjult`` (bool: the theme score rests on fewer respondents with a
        theme score, ``<TEMA>_n``) and ``modenhedsindeks_skjult`` (bool: the index would reveal a
        hidden theme of positive weight, or is missing). Hidden values (theme scores, their
        ``_se``/``_ci_*``, the index, its interval and the level) are NaN / NA.
    """
    s = settings if settings is not None else Settings()
    minimum = s.min_respondents_published
    out = municipality_scores.copy()
    few = pd.to_numeric(out["n_respondenter"], errors="coerce").fillna(0) < minimum
    out["skjult"] = few.to_numpy()
    weights = score.theme_weights(s)
    index_hidden = few.copy()
    for theme in reference.theme_codes():
        hidden = few | (_n_column(out, theme) < minimum)
        if theme in out:
            hidden |= out[theme].isna()
        out[f"{theme}_skjult"] = hidden.to_numpy()
        if weights[theme] > 0:
            index_hidden |= hidden
        for column in (theme, f"{theme}_se", f"{theme}_ci_lav", f"{theme}_ci_hoej"):
            if column in out:
                out[column] = out[column].mask(hidden)
    if INDEX in out:
        index_hidden |= out[INDEX].isna()
    out[f"{INDEX}_skjult"] = index_hidden.to_numpy()
    for column in (INDEX, f"{INDEX}_se", f"{INDEX}_ci_lav", f"{INDEX}_ci_hoej"):
        if column in out:
            out[column] = out[column].mask(index_hidden)
    if "modenhedsniveau" in out:
        out["modenhedsniveau"] = out["modenhedsniveau"].astype("Int64").mask(index_hidden)
    if "modenhedsniveau_navn" in out:
        out["modenhedsniveau_navn"] = out["modenhedsniveau_navn"].astype(object).mask(index_hidden)
    return out


def _table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    frame = tables.get(name)
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    return frame


def _wave_of(frame: pd.DataFrame, wave: int) -> pd.DataFrame:
    return frame[pd.to_numeric(frame["boelge"], errors="coerce") == int(wave)]


def _is_status(text: str) -> bool:
    """Whether a text stands in for a number (suppressed, or no respondents)."""
    return text == NO_RESPONSES or (text.startswith("færre end ") and text.endswith("besvarelser"))


def _records(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Rows by municipality code (the first row of a code wins)."""
    frame = frame.drop_duplicates("kommunekode")
    codes = frame["kommunekode"].astype("int64").to_numpy()
    return dict(zip(codes.tolist(), frame.to_dict("records"), strict=True))


def _value(value: Any) -> Any:
    """A plain Python value for a cell: None for anything missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nej"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return str(value)


def _dk_list(values: Iterable[float]) -> str:
    return "; ".join(dk_number(float(v), 2).rstrip("0").rstrip(",") for v in values)


# =========================================================================== derived data


class SummaryData:
    """The tables of a run and everything derived from them once, for all waves.

    Parameters
    ----------
    tables:
        Output file name → table (see :func:`output_writers`); any analysis table may be
        absent or empty.
    manifest:
        The run's ``manifest.json`` as a dict (may be empty).
    settings:
        The run's settings.
    extras:
        Optional ``effect_sentences``, ``cluster_result``, ``effects_result``.
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        manifest: Mapping[str, Any] | None = None,
        settings: Settings | None = None,
        extras: Mapping[str, Any] | None = None,
    ):
        self.tables = tables
        self.manifest = dict(manifest or {})
        self.settings = settings if settings is not None else Settings()
        self.extras = dict(extras or {})
        self.hidden = suppressed_text(self.settings)
        self.minimum = self.settings.min_respondents_published
        self.theme_names = theme_names()
        self._figures: dict[str, bytes] = {}
        self._ranks: dict[int, pd.DataFrame] = {}

    # ----------------------------------------------------------------- basic frames

    @cached_property
    def scores(self) -> pd.DataFrame:
        """``kommunescorer.parquet`` with integer keys (empty frame if absent)."""
        frame = _table(self.tables, "kommunescorer.parquet")
        if frame is None:
            columns = ["boelge", "kommunekode", "kommune", "region", "n_respondenter"]
            return pd.DataFrame(columns=[*columns, *reference.theme_codes(), INDEX])
        frame = frame.copy()
        frame["boelge"] = frame["boelge"].astype("int64")
        frame["kommunekode"] = frame["kommunekode"].astype("int64")
        return frame

    @cached_property
    def published(self) -> pd.DataFrame:
        """:func:`published_scores` of every wave."""
        return published_scores(self.scores, self.settings)

    @cached_property
    def waves(self) -> list[int]:
        """Waves with municipality scores (else with counted responses)."""
        if len(self.scores):
            return sorted(int(w) for w in self.scores["boelge"].unique())
        responses = _table(self.tables, "besvarelser.parquet")
        if responses is None:
            return []
        return sorted(int(w) for w in responses["boelge"].unique())

    def wave_published(self, wave: int) -> pd.DataFrame:
        return _wave_of(self.published, wave)

    @cached_property
    def municipalities(self) -> pd.DataFrame:
        return reference.municipalities().sort_values("kommunekode").reset_index(drop=True)

    # ----------------------------------------------------------------- benchmarks

    @cached_property
    def benchmarks(self) -> pd.DataFrame:
        """:func:`score.benchmarks` of the *published* values of every wave."""
        published = self.published
        if published.empty:
            return score.benchmarks(published.iloc[0:0])
        return score.benchmarks(published, self.settings)

    def national(self, wave: int) -> pd.DataFrame:
        """National benchmark rows of ``wave``, indexed by measure."""
        b = self.benchmarks
        rows = b[(b["boelge"] == wave) & (b["niveau"] == "land")]
        return rows.set_index("maal")

    def regional(self, wave: int) -> pd.DataFrame:
        b = self.benchmarks
        return b[(b["boelge"] == wave) & (b["niveau"] == "region")]

    # ----------------------------------------------------------------- ranks

    def ranks(self, wave: int) -> pd.DataFrame:
        """Rank and 90 % rank interval among the municipalities with a published index.

        Recomputed with :func:`score.rank_intervals` on the respondents of those
        municipalities when ``respondentscorer.parquet`` is present (so the ranking never
        involves a suppressed municipality); otherwise ``rang.csv`` restricted to them, with
        the point rank recomputed among them.

        When every municipality of the wave is shown and ``rang.csv`` was computed in the
        same run from the same respondents and settings (the pipeline says so with
        ``extras["rank_settings"]``, the very settings object given here), that recomputation
        would repeat the run's bootstrap draw for draw: ``rang.csv``'s rows are used instead.
        """
        if wave in self._ranks:
            return self._ranks[wave]
        published = self.wave_published(wave)
        shown = published.loc[~published[f"{INDEX}_skjult"], "kommunekode"]
        columns = ["kommunekode", "rang", "rang_p05", "rang_p95", "n_kommuner"]
        result = pd.DataFrame(columns=columns)
        respondents = _table(self.tables, "respondentscorer.parquet")
        ranks = _table(self.tables, "rang.csv")
        if len(shown) and respondents is not None:
            rs = _wave_of(respondents, wave)
            codes = rs["kommunekode"].astype("int64")
            if ranks is not None and self._ranks_of_run() and set(shown) == set(codes):
                # rank_intervals seeds each wave on its own: the same draws as rang.csv's.
                result = _wave_of(ranks, wave)[columns].reset_index(drop=True)
            else:
                rs = rs[codes.isin(set(shown))]
                if len(rs):
                    result = score.rank_intervals(rs, self.settings)[columns]
        elif len(shown) and ranks is not None:
            r = _wave_of(ranks, wave)
            r = r[r["kommunekode"].astype("int64").isin(set(shown))].copy()
            index = published.set_index("kommunekode")[INDEX]
            r["rang"] = r["kommunekode"].map(index).rank(ascending=False, method="min")
            r["n_kommuner"] = len(r)
            result = r.reindex(columns=columns)
        result = result.copy()
        result["kommunekode"] = result["kommunekode"].astype("int64")
        self._ranks[wave] = result
        return result

    def _ranks_of_run(self) -> bool:
        """Whether ``rang.csv`` is ``score.rank_intervals(respondentscorer, self.settings)``."""
        return self.extras.get("rank_settings") is self.settings

    # ----------------------------------------------------------------- changes

    @cached_property
    def changes(self) -> pd.DataFrame:
        """Index change since each municipality's previous wave (published values only).

        The previous wave is the latest earlier wave in which the municipality has a row (as
        :func:`score.changes`). ``aendring`` is missing when either index is hidden
        (``skjult_aendring`` then says so); ``p`` comes from ``udvikling.csv`` when present.
        """
        published = self.published.sort_values(["kommunekode", "boelge"], kind="stable")
        previous = published.groupby("kommunekode", sort=False)[
            ["boelge", INDEX, f"{INDEX}_skjult"]
        ].shift(1)
        out = pd.DataFrame(
            {
                "boelge": published["boelge"].to_numpy(),
                "kommunekode": published["kommunekode"].to_numpy(),
                "forrige_boelge": previous["boelge"].to_numpy(),
                "aendring": (published[INDEX] - previous[INDEX]).to_numpy(dtype=float),
                "skjult_aendring": (
                    published[f"{INDEX}_skjult"].to_numpy(dtype=bool)
                    | previous[f"{INDEX}_skjult"].fillna(False).to_numpy(dtype=bool)
                ),
            }
        )
        out["p"] = np.nan
        development = _table(self.tables, "udvikling.csv")
        if development is not None and {"maal", "p"} <= set(development.columns):
            rows = development[development["maal"] == INDEX]
            key = rows["boelge"].astype("int64") * 10_000 + rows["kommunekode"].astype("int64")
            p = pd.Series(rows["p"].to_numpy(dtype=float), index=key.to_numpy())
            p = p[~p.index.duplicated()]
            out["p"] = (out["boelge"] * 10_000 + out["kommunekode"]).map(p).to_numpy(dtype=float)
        out.loc[out["skjult_aendring"], ["aendring", "p"]] = np.nan
        return out

    # ----------------------------------------------------------------- clusters

    def clusters(self, wave: int) -> pd.DataFrame | None:
        frame = _table(self.tables, "klynger.csv")
        return None if frame is None else _wave_of(frame, wave)

    def cluster_profiles(self, wave: int) -> pd.DataFrame | None:
        """``klyngeprofiler.csv`` of ``wave``; a cluster's theme mean is NaN when its
        municipalities' respondents with a score on that theme number fewer than the minimum
        (and then its index too)."""
        frame = _table(self.tables, "klyngeprofiler.csv")
        if frame is None:
            return None
        profiles = _wave_of(frame, wave).copy()
        if profiles.empty:
            return None
        members = self.clusters(wave)
        if members is None:
            return profiles
        members = members.dropna(subset=["klynge"]).merge(
            _wave_of(self.scores, wave), on=["boelge", "kommunekode"], how="left"
        )
        weights = score.theme_weights(self.settings)
        index_hidden = pd.Series(False, index=profiles.index)
        for theme in reference.theme_codes():
            n = members.assign(_n=_n_column(members, theme)).groupby("klynge")["_n"].sum()
            hidden = profiles["klynge"].map(n).fillna(0) < self.minimum
            profiles[theme] = profiles[theme].mask(hidden)
            if weights[theme] > 0:
                index_hidden |= hidden
        if INDEX in profiles:
            profiles[INDEX] = profiles[INDEX].mask(index_hidden)
        return profiles

    @cached_property
    def chosen(self) -> pd.DataFrame | None:
        """``ClusterResult.chosen`` (method, k and the reason per wave), when given in extras."""
        chosen = getattr(self.extras.get("cluster_result"), "chosen", None)
        return chosen if isinstance(chosen, pd.DataFrame) and len(chosen) else None

    # ----------------------------------------------------------------- effects

    @cached_property
    def effects(self) -> pd.DataFrame | None:
        frame = _table(self.tables, "effekter.csv")
        if frame is None:
            return None
        frame = frame.copy()
        frame["boelge"] = frame["boelge"].astype(str)
        return frame

    @cached_property
    def effect_sentences(self) -> list[str]:
        sentences = self.extras.get("effect_sentences")
        if sentences:
            return [str(s) for s in sentences]
        result = self.extras.get("effects_result")
        if result is not None and getattr(result, "sentences", None):
            return [str(s) for s in result.sentences]
        if self.effects is None:
            return []
        from omstilling_analysis import effects

        missing = _table(self.tables, "effekter_mangler.csv")
        return effects.findings_sentences(self.effects, missing)

    # ----------------------------------------------------------------- figures

    def figure(self, name: str, make: Callable[[], Any]) -> bytes:
        """PNG bytes of a figure, made once and shared by the workbooks and ``figurer/``."""
        if name not in self._figures:
            self._figures[name] = png_bytes(make())
        return self._figures[name]

    def summary_figures(self) -> dict[str, Callable[[], Any]]:
        """Every figure of the summary, by file stem, as functions making it."""
        makers: dict[str, Callable[[], Any]] = {}
        for wave in self.waves:
            makers[f"modenhedsniveauer_{wave}"] = partial(self._level_figure, wave)
            makers[f"temafordeling_{wave}"] = partial(
                score_plots.plot_theme_distribution, self.wave_published(wave), wave
            )
            makers[f"indeks_regioner_{wave}"] = partial(
                score_plots.plot_index_by_region, self.wave_published(wave), wave
            )
            profiles = self.cluster_profiles(wave)
            if profiles is not None:
                makers[f"klyngeprofiler_{wave}"] = partial(
                    score_plots.plot_cluster_profiles, profiles, wave
                )
        if len(self.waves) > 1:
            makers["udvikling_landsplan"] = partial(
                score_plots.plot_national_development, self.national_means()
            )
        return makers

    def national_means(self) -> pd.DataFrame:
        """National mean (over published municipalities) per wave and measure."""
        b = self.benchmarks
        land = b[b["niveau"] == "land"]
        return land.pivot_table(index="boelge", columns="maal", values="gennemsnit")

    def level_counts(self, wave: int) -> dict[int, int]:
        published = self.wave_published(wave)
        levels = published.loc[~published[f"{INDEX}_skjult"], "modenhedsniveau"].dropna()
        counts = levels.astype(int).value_counts()
        return {level: int(counts.get(level, 0)) for level in level_names()}

    def _level_figure(self, wave: int):
        published = self.wave_published(wave)
        hidden = int(published[f"{INDEX}_skjult"].sum())
        return score_plots.plot_level_distribution(self.level_counts(wave), wave, hidden)

    # ----------------------------------------------------------------- Kommuner

    def municipality_table(self, wave: int) -> pd.DataFrame:
        """The ``Kommuner`` sheet of ``wave`` as a frame: all 98 municipalities by code.

        Columns (Danish headers): ``Kommunekode, Kommune, Region, Respondenter``, the six theme
        names, ``Modenhedsindeks, Modenhedsniveau, Klynge, Rang, Ranginterval (90 %),
        Forrige bølge, Ændring i indeks, Sikker ændring``. A cell holds a number, a text or
        None; a hidden score holds :func:`suppressed_text`, a municipality without respondents
        ``"ingen besvarelser"``.
        """
        themes = reference.theme_codes()
        published = _records(self.wave_published(wave))
        ranks = _records(self.ranks(wave))
        clusters = self.clusters(wave)
        clusters = None if clusters is None else _records(clusters)
        changes = _records(self.changes[self.changes["boelge"] == wave])
        earlier = [w for w in self.waves if w < wave]
        rows = []
        for place in self.municipalities.itertuples(index=False):
            code = int(place.kommunekode)
            row: dict[str, Any] = {
                "Kommunekode": code,
                "Kommune": place.kommune,
                "Region": place.region,
            }
            if code not in published:
                row["Respondenter"] = 0
                for column in [*themes, INDEX, "Modenhedsniveau", "Klynge"]:
                    row[self._header(column)] = NO_RESPONSES
                row |= {"Rang": None, "Ranginterval (90 %)": None}
                row |= {"Forrige bølge": None, "Ændring i indeks": None, "Sikker ændring": None}
                rows.append(row)
                continue
            m = published[code]
            row["Respondenter"] = _value(m["n_respondenter"])
            for theme in themes:
                row[self._header(theme)] = self.hidden if m[f"{theme}_skjult"] else _value(m[theme])
            index_hidden = bool(m[f"{INDEX}_skjult"])
            row["Modenhedsindeks"] = self.hidden if index_hidden else _value(m[INDEX])
            row["Modenhedsniveau"] = (
                self.hidden
                if index_hidden
                else f"{int(m['modenhedsniveau'])} {level_names()[int(m['modenhedsniveau'])]}"
            )
            row["Klynge"] = self._cluster_label(clusters, code, bool(m["skjult"]))
            if code in ranks and pd.notna(ranks[code]["rang"]):
                r = ranks[code]
                row["Rang"] = int(r["rang"])
                low, high = r["rang_p05"], r["rang_p95"]
                row["Ranginterval (90 %)"] = (
                    f"{int(low)}–{int(high)}" if pd.notna(low) and pd.notna(high) else None
                )
            else:
                row["Rang"] = self.hidden if index_hidden else None
                row["Ranginterval (90 %)"] = None
            row |= self._change_cells(changes, code, earlier)
            if m["skjult"]:
                row["Forrige bølge"] = None
            rows.append(row)
        return pd.DataFrame(rows, columns=self.municipality_columns())

    def municipality_columns(self) -> list[str]:
        return [
            "Kommunekode",
            "Kommune",
            "Region",
            "Respondenter",
            *(self.theme_names[t] for t in reference.theme_codes()),
            "Modenhedsindeks",
            "Modenhedsniveau",
            "Klynge",
            "Rang",
            "Ranginterval (90 %)",
            "Forrige bølge",
            "Ændring i indeks",
            "Sikker ændring",
        ]

    def _header(self, column: str) -> str:
        if column in self.theme_names:
            return self.theme_names[column]
        return {INDEX: "Modenhedsindeks"}.get(column, column)

    def _cluster_label(self, clusters: dict | None, code: int, hidden: bool) -> Any:
        if hidden:
            return self.hidden
        if clusters is None:
            return "ingen klyngeanalyse"
        if code not in clusters:
            return None
        c = clusters[code]
        if pd.notna(c.get("klynge")):
            return f"{int(c['klynge'])}: {c['klyngenavn']}"
        reason = c.get("aarsag")
        return str(reason) if pd.notna(reason) else None

    def _change_cells(self, changes: dict, code: int, earlier: list[int]) -> dict:
        empty = {"Forrige bølge": None, "Ændring i indeks": None, "Sikker ændring": None}
        if code not in changes or pd.isna(changes[code]["forrige_boelge"]):
            if earlier:
                return empty | {"Ændring i indeks": "ingen tidligere besvarelser"}
            return empty | {"Ændring i indeks": "første bølge"}
        c = changes[code]
        cells = {"Forrige bølge": int(c["forrige_boelge"])}
        if c["skjult_aendring"]:
            return cells | {"Ændring i indeks": self.hidden, "Sikker ændring": None}
        p = c["p"]
        sure = None if pd.isna(p) else ("ja" if p < 0.05 else "nej")
        return cells | {"Ændring i indeks": float(c["aendring"]), "Sikker ændring": sure}


# =========================================================================== writing


class _Book:
    """An xlsxwriter workbook with the formats of this module, created on first use."""

    def __init__(self, path: Path):
        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": False,
            },
        )
        self.workbook.set_properties(
            {"title": "Selvevaluering af digital omstilling", "author": "omstilling_analysis"}
        )
        self._formats: dict[tuple, Any] = {}

    def fmt(self, name: str, **extra: Any):
        key = (name, tuple(sorted(extra.items())))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(
                {"valign": "top"} | _FORMATS[name] | extra
            )
        return self._formats[key]

    def sheet(self, name: str) -> _Sheet:
        return _Sheet(self, self.workbook.add_worksheet(name), name)

    def close(self) -> None:
        self.workbook.close()


class _Sheet:
    """A worksheet that writes frames safely and fits its column widths at the end."""

    def __init__(self, book: _Book, worksheet: Worksheet, name: str):
        self.book = book
        self.ws = worksheet
        self.name = name
        self.widths: dict[int, float] = {}
        self.row = 0

    # ----------------------------------------------------------------- cells

    def _fit(self, col: int, text: str, cap: int = _MAX_WIDTH) -> None:
        longest = max((len(line) for line in text.split("\n")), default=0)
        self.widths[col] = max(self.widths.get(col, 0), min(longest + 2, cap))

    def write(self, row: int, col: int, value: Any, style: str = "text", fit: bool = True, **extra):
        """Write one cell: numbers with ``style``'s number format, text always as inert text."""
        value = _value(value)
        if value is None:
            self.ws.write_blank(row, col, None, self.book.fmt(style, **extra))
            return
        if isinstance(value, (int, float)):
            self.ws.write_number(row, col, value, self.book.fmt(style, **extra))
            if fit:
                self._fit(col, _display(value, style))
            return
        text_style = "muted" if style in _NUMERIC or _is_status(value) else style
        if is_formula_like(value):
            extra = extra | {"quote_prefix": True}
        self.ws.write_string(row, col, value, self.book.fmt(text_style, **extra))
        if fit:
            self._fit(col, value)

    def title(self, text: str, subtitle: str | None = None) -> None:
        self.write(self.row, 0, text, "title", fit=False)
        self.ws.set_row(self.row, 22)
        self.row += 1
        if subtitle:
            self.write(self.row, 0, subtitle, "note", fit=False)
            self.row += 1
        self.row += 1

    def heading(self, text: str) -> None:
        self.write(self.row, 0, text, "subtitle", fit=False)
        self.row += 1

    def lines(self, texts: Iterable[str], style: str = "text", width: int = 10) -> None:
        """Paragraphs in column A, wrapped over ``width`` merged columns."""
        for text in texts:
            self.paragraph(self.row, text, style, width)
            self.row += 1

    def paragraph(self, row: int, text: str, style: str = "wrap", width: int = 10) -> None:
        chars = sum(max(self.widths.get(c, 8.43), 8.43) for c in range(width))
        lines = max(1, math.ceil(len(text) * 1.15 / chars))
        fmt_style = "wrap" if style == "text" else style
        extra = {"text_wrap": True, "valign": "top"}
        if is_formula_like(text):
            extra["quote_prefix"] = True
        self.ws.merge_range(row, 0, row, width - 1, "", self.book.fmt(fmt_style, **extra))
        self.ws.write_string(row, 0, text, self.book.fmt(fmt_style, **extra))
        self.ws.set_row(row, 15 * lines + 2)

    def frame(
        self,
        frame: pd.DataFrame,
        styles: Mapping[str, str] | None = None,
        row: int | None = None,
        col: int = 0,
        bold_rows: Iterable[int] = (),
    ) -> tuple[int, int]:
        """Write ``frame`` with a header row; returns the first and last data row."""
        styles = styles or {}
        start = self.row if row is None else row
        bold = set(bold_rows)
        height = 1
        for j, header in enumerate(frame.columns):
            numeric = styles.get(header) in _NUMERIC
            align = {"align": "right"} if numeric else {}
            self.write(start, col + j, str(header), "header", fit=False, **align)
            words = max((len(w) for w in str(header).split()), default=0)
            self.widths[col + j] = max(
                self.widths.get(col + j, 0), min(max(words + 2, min(len(str(header)) + 2, 18)), 40)
            )
        values = frame.to_numpy(dtype=object)
        wrapped = [j for j, c in enumerate(frame.columns) if styles.get(c) == "wrap"]
        for j in wrapped:
            longest = max((len(str(v)) for v in values[:, j] if v is not None), default=10)
            self.widths[col + j] = max(self.widths.get(col + j, 0), min(longest + 2, _MAX_WIDTH))
        for i in range(len(frame)):
            for j, column in enumerate(frame.columns):
                extra = {"bold": True} if i in bold else {}
                style = styles.get(column, "text")
                self.write(
                    start + 1 + i, col + j, values[i, j], style, fit=j not in wrapped, **extra
                )
            lines = [
                math.ceil(len(str(values[i, j])) / max(self.widths[col + j] - 2, 1))
                for j in wrapped
                if values[i, j] is not None
            ]
            if max(lines, default=1) > 1:
                self.ws.set_row(start + 1 + i, 15 * max(lines))
        for j, header in enumerate(frame.columns):
            width = self.widths.get(col + j, 10)
            height = max(height, math.ceil(len(str(header)) / max(width - 1, 1)))
        self.ws.set_row(start, 15 * min(height, 4) + 2)
        last = start + len(frame)
        if row is None:
            self.row = last + 2
        return start + 1, last

    def empty_note(self, text: str) -> None:
        self.write(self.row, 0, text, "note", fit=False)
        self.row += 2

    def finish(self, minimum: float = 8) -> None:
        """Fit the column widths; print on A4 landscape, one page wide."""
        for col, width in self.widths.items():
            self.ws.set_column(col, col, max(width, minimum))
        self.ws.set_paper(9)
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 0)


def _display(value: float | int, style: str) -> str:
    """Roughly how Excel shows a number in ``style`` (for column widths)."""
    if style in ("score", "p", "dec2"):
        return f"{value:,.{3 if style == 'p' else 2}f}"
    if style == "change":
        return f"{value:+.2f}"
    if style == "pct":
        return f"{value * 100:.1f} %"
    if style == "dec1":
        return f"{value:,.1f}"
    if style in ("int", "year"):
        return f"{value:,.0f}"
    return str(value)


def _chart_block(
    sheet: _Sheet, row: int, col: int, categories: list[str], series: Mapping[str, Iterable[Any]]
) -> tuple[list, dict[str, list]]:
    """Write chart data (blank where missing) and return the category and series references."""
    sheet.write(row, col, "Data til diagram", "note", fit=False)
    for i, category in enumerate(categories):
        sheet.write(row + 2 + i, col, category, fit=False)
    refs = {}
    for j, (name, values) in enumerate(series.items(), start=1):
        sheet.write(row + 1, col + j, name, "bold", fit=False, align="right")
        for i, value in enumerate(values):
            value = _value(value)
            sheet.write(
                row + 2 + i,
                col + j,
                value if isinstance(value, (int, float)) else None,
                "score",
                fit=False,
            )
        refs[name] = [sheet.name, row + 2, col + j, row + 1 + len(categories), col + j]
    cats = [sheet.name, row + 2, col, row + 1 + len(categories), col]
    return cats, refs


def _theme_chart_axes(chart, y_name: str = "Score (1-5)") -> None:
    chart.set_y_axis(
        {"name": y_name, "min": 1, "max": 5, "major_unit": 1, "num_format": "0.0",
         "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
    )  # fmt: skip


# =========================================================================== the seven sheets


def _overview_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Overblik")
    published = data.wave_published(wave)
    shown = published[~published[f"{INDEX}_skjult"]]
    left_out = _table(data.tables, "udeladte.csv")
    left = 0 if left_out is None else len(_wave_of(left_out, wave))
    profiles = data.cluster_profiles(wave)
    effects_found = None
    if data.effects is not None:
        rows = data.effects[data.effects["boelge"].isin([str(wave), "samlet"])]
        effects_found = int((pd.to_numeric(rows["p_justeret"], errors="coerce") < 0.05).sum())
    sheet.title(
        f"Selvevaluering af digital omstilling – bølge {wave}",
        f"Opsummering til KL's videncenter. Tal, der hviler på færre end {data.minimum} "
        f"respondenter, vises ikke, men som »{data.hidden}«.",
    )
    national = data.national(wave)
    key_figures = [
        ("Kommuner i alt", len(data.municipalities), "int"),
        ("Kommuner med besvarelser", len(published), "int"),
        ("Kommuner med offentliggjort modenhedsindeks", len(shown), "int"),
        (
            f"Kommuner med færre end {data.minimum} besvarelser (ingen score vist)",
            int(published["skjult"].sum()),
            "int",
        ),
        ("Kommuner uden besvarelser", len(data.municipalities) - len(published), "int"),
        ("Besvarelser talt", int(published["n_respondenter"].sum()), "int"),
        ("Rækker udeladt", left, "int"),
        (
            "Modenhedsindeks, landsgennemsnit (kommunerne vejer lige)",
            national["gennemsnit"].get(INDEX) if len(national) else None,
            "score",
        ),
        (
            "Modenhedsindeks, median",
            national["median"].get(INDEX) if len(national) else None,
            "score",
        ),
        ("Antal klynger", None if profiles is None else len(profiles), "int"),
        ("Fund i effektanalysen (justeret p < 0,05)", effects_found, "int"),
    ]
    start = sheet.row
    sheet.write(start, 0, "Nøgletal", "header", fit=False)
    sheet.write(start, 1, "Værdi", "header", fit=False)
    for i, (label, value, style) in enumerate(key_figures, start=1):
        sheet.write(start + i, 0, label)
        if value is None:
            sheet.write(start + i, 1, "ikke beregnet", "muted")
        else:
            sheet.write(start + i, 1, value, style)
    sheet.row = start + len(key_figures) + 2

    sheet.heading("Fordeling på modenhedsniveauer")
    counts = data.level_counts(wave)
    thresholds = [1.0, *data.settings.level_thresholds, 5.0]
    total = max(len(shown), 1)
    levels = pd.DataFrame(
        {
            "Modenhedsniveau": [f"{lvl} {level_names()[lvl]}" for lvl in counts],
            "Antal kommuner": list(counts.values()),
            "Andel af kommuner med indeks": [v / total for v in counts.values()],
            "Indeks fra": thresholds[:-1],
            "Indeks op til": thresholds[1:],
        }
    )
    styles = {
        "Antal kommuner": "int",
        "Andel af kommuner med indeks": "pct",
        "Indeks fra": "dec1",
        "Indeks op til": "dec1",
    }
    first, last = sheet.frame(levels, styles)
    extra_rows = [
        (f"Intet indeks vist ({data.hidden} eller tema uden score)", len(published) - len(shown)),
        ("Ingen besvarelser", len(data.municipalities) - len(published)),
    ]
    for i, (label, value) in enumerate(extra_rows):
        sheet.write(last + 1 + i, 0, label, "note", fit=False)
        sheet.write(last + 1 + i, 1, value, "int")
    sheet.row = last + len(extra_rows) + 2
    sheet.lines(
        [
            "Modenhedsindekset er gennemsnittet af kommunens seks temascorer (1-5). Niveauet "
            "følger af indekset: fra og med den nedre grænse op til (ikke med) den øvre; det "
            "højeste niveau går til og med 5.",
        ],
        "note",
        width=5,
    )

    chart = book.workbook.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Antal kommuner",
            "categories": ["Overblik", first, 0, last, 0],
            "values": ["Overblik", first, 1, last, 1],
            "points": [{"fill": {"color": c}} for c in LEVEL_COLOURS],
            "data_labels": {"value": True},
            "gap": 60,
        }
    )
    chart.set_title({"name": f"Modenhedsniveauer, bølge {wave}"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": "Antal kommuner", "num_format": "0", "min": 0})
    sheet.ws.insert_chart(2, 6, chart, {"x_scale": 1.2, "y_scale": 1.1})
    # The same figure as figurer/temafordeling_<bølge>.png, drawn once for both.
    png = data.figure(
        f"temafordeling_{wave}",
        partial(score_plots.plot_theme_distribution, data.wave_published(wave), wave),
    )
    sheet.ws.insert_image(
        20,
        6,
        f"temafordeling_{wave}.png",
        {"image_data": io.BytesIO(png), "x_scale": 0.9, "y_scale": 0.9, "object_position": 3},
    )
    sheet.finish()
    sheet.ws.set_column(0, 0, 56)
    sheet.ws.set_column(1, 1, 14)
    sheet.ws.activate()


def colour_scale(low: float, middle: float, high: float, middle_colour: str = "#FFEB84") -> dict:
    """Excel's red–(yellow or white)–green colour scale from ``low`` to ``high``: the one
    conditional format of every score and change column in the workbooks."""
    return {
        "type": "3_color_scale",
        "min_type": "num",
        "min_value": low,
        "mid_type": "num",
        "mid_value": middle,
        "max_type": "num",
        "max_value": high,
        "min_color": "#F8696B",
        "mid_color": middle_colour,
        "max_color": "#63BE7B",
    }


def _municipalities_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Kommuner")
    table = data.municipality_table(wave)
    theme_headers = [data.theme_names[t] for t in reference.theme_codes()]
    styles = {"Kommunekode": "code", "Respondenter": "int", "Modenhedsindeks": "score"}
    styles |= dict.fromkeys(theme_headers, "score")
    styles |= {"Rang": "code", "Ranginterval (90 %)": "center", "Forrige bølge": "code"}
    styles |= {"Ændring i indeks": "change", "Sikker ændring": "center"}
    styles |= {"Modenhedsniveau": "indent", "Klynge": "indent"}
    first, last = sheet.frame(table, styles, row=0)
    columns = list(table.columns)
    scale = colour_scale(1, 3, 5)
    for header in [*theme_headers, "Modenhedsindeks"]:
        j = columns.index(header)
        sheet.ws.conditional_format(first, j, last, j, scale)
    j = columns.index("Ændring i indeks")
    sheet.ws.conditional_format(first, j, last, j, colour_scale(-0.5, 0, 0.5, "#FFFFFF"))
    sheet.ws.freeze_panes(1, 2)
    sheet.ws.autofilter(0, 0, last, len(columns) - 1)
    sheet.ws.repeat_rows(0)
    n_ranked = len(data.ranks(wave))
    sheet.ws.write_comment(
        0,
        columns.index("Rang"),
        f"Rang blandt de {n_ranked} kommuner med offentliggjort modenhedsindeks (1 = højest). "
        "Rangintervallet er 5.-95. percentil over bootstrap-gentrækninger af respondenterne.",
    )
    sheet.finish()


def _themes_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Temaer")
    themes = reference.theme_codes()
    names = data.theme_names | {INDEX: "Modenhedsindeks"}
    sheet.title(
        f"Temaer – bølge {wave}",
        "Landsplan og regioner: kommunernes offentliggjorte scorer, hver kommune vejer lige.",
    )
    sheet.heading("Landsplan")
    national = data.national(wave)
    if national.empty:
        sheet.empty_note("Ingen kommuner har offentliggjorte scorer i denne bølge.")
    else:
        rows = []
        for measure in [*themes, INDEX]:
            if measure not in national.index:
                rows.append({"Tema": names[measure], "Kommuner": data.hidden})
                continue
            b = national.loc[measure]
            rows.append(
                {
                    "Tema": names[measure],
                    "Kommuner": b["n_kommuner"],
                    "Respondenter": b["n_respondenter"],
                    "Gennemsnit": b["gennemsnit"],
                    "Spredning (SD)": b["sd"],
                    "Laveste": b["minimum"],
                    "1. kvartil": b["kvartil_1"],
                    "Median": b["median"],
                    "3. kvartil": b["kvartil_3"],
                    "Højeste": b["maksimum"],
                }
            )
        frame = pd.DataFrame(rows).reindex(
            columns=["Tema", "Kommuner", "Respondenter", "Gennemsnit", "Spredning (SD)",
                     "Laveste", "1. kvartil", "Median", "3. kvartil", "Højeste"]
        )  # fmt: skip
        styles = dict.fromkeys(frame.columns[3:], "score") | {
            "Kommuner": "int",
            "Respondenter": "int",
        }
        sheet.frame(frame, styles)

    sheet.heading("Regioner (gennemsnit af kommunernes scorer)")
    regional = data.regional(wave)
    regions = sorted(data.municipalities["region"].unique())
    rows = []
    for region in regions:
        part = regional[regional["omraade"] == region].set_index("maal")
        row: dict[str, Any] = {"Region": region}
        row["Kommuner med indeks"] = int(part["n_kommuner"].get(INDEX, 0)) if len(part) else 0
        for measure in [*themes, INDEX]:
            if measure in part.index and part.loc[measure, "n_respondenter"] >= data.minimum:
                row[names[measure]] = part.loc[measure, "gennemsnit"]
            else:
                row[names[measure]] = data.hidden
        rows.append(row)
    frame = pd.DataFrame(rows)
    sheet.frame(frame, dict.fromkeys(frame.columns[2:], "score") | {"Kommuner med indeks": "int"})

    sheet.heading("Roller (gennemsnit af respondenternes scorer)")
    roles = _role_table(data, wave)
    if roles is None:
        sheet.empty_note("Roller kan ikke opgøres: besvarelser eller respondentscorer mangler.")
    else:
        sheet.frame(roles, dict.fromkeys(roles.columns[2:], "score") | {"Respondenter": "int"})

    sheet.heading("Pålidelighed (intern konsistens af temaernes spørgsmål)")
    reliability = _table(data.tables, "reliabilitet.csv")
    if reliability is None or _wave_of(reliability, wave).empty:
        sheet.empty_note("Der er ingen pålidelighedsanalyse for denne bølge.")
    else:
        rel = _wave_of(reliability, wave).set_index("tema")
        rows = []
        for theme in themes:
            if theme not in rel.index:
                continue
            r = rel.loc[theme]
            few = pd.isna(r.get("n")) or r["n"] < data.minimum

            def cell(value: Any, few: bool = few) -> Any:
                return data.hidden if few else value

            rows.append(
                {
                    "Tema": names[theme],
                    "Spørgsmål": r.get("k"),
                    "Respondenter": r.get("n"),
                    "Cronbachs alfa": cell(r.get("alpha")),
                    "Alfa, 95 %-KI fra": cell(r.get("alpha_ci_lav")),
                    "Alfa, 95 %-KI til": cell(r.get("alpha_ci_hoej")),
                    "McDonalds omega": cell(r.get("omega")),
                    "Gns. korrelation mellem spørgsmål": cell(r.get("gns_inter_item_r")),
                }
            )
        frame = pd.DataFrame(rows)
        sheet.frame(
            frame,
            dict.fromkeys(frame.columns[3:], "score") | {"Spørgsmål": "int", "Respondenter": "int"},
        )
        sheet.lines(
            [
                "Alfa og omega over 0,7 regnes normalt for tilstrækkeligt til at sammenligne grupper."
            ],
            "note",
            width=8,
        )

    items = _item_table(data, wave)
    if items is not None:
        sheet.heading("Spørgsmål (omvendte spørgsmål er vendt, så højere altid er bedre)")
        styles = {
            "Svar": "int",
            "Gennemsnit": "score",
            "Spredning (SD)": "score",
            "Andel uden svar": "pct",
            "Korrelation med temaets øvrige spørgsmål": "score",
            "Alfa uden spørgsmålet": "score",
            "Omvendt": "center",
            "Tekst": "indent",
        }
        sheet.frame(items, styles)
    sheet.finish()
    sheet.ws.set_column(0, 0, 34)


def _role_table(data: SummaryData, wave: int) -> pd.DataFrame | None:
    responses = _table(data.tables, "besvarelser.parquet")
    scores = _table(data.tables, "respondentscorer.parquet")
    if responses is None or scores is None or "rolle" not in responses:
        return None
    themes = reference.theme_codes()
    keys = ["respondent_key", "boelge"]
    left = _wave_of(scores, wave)[[*keys, *themes]]
    right = _wave_of(responses, wave)[[*keys, "rolle"]]
    if (
        len(left) == len(right)
        and (left["respondent_key"].to_numpy() == right["respondent_key"].to_numpy()).all()
        and right["respondent_key"].is_unique
    ):
        # The run's two tables share their rows in the same order: the merge is positional.
        merged = left.reset_index(drop=True).assign(rolle=right["rolle"].to_numpy())
    else:
        merged = left.merge(right.drop_duplicates(keys), on=keys, how="left")
    merged["rolle"] = merged["rolle"].astype(object).where(merged["rolle"].notna(), "(ingen rolle)")
    rows = []
    for role, part in merged.groupby("rolle", sort=True):
        n = len(part)
        row: dict[str, Any] = {
            "Rolle": str(role),
            "Respondenter": n if n >= data.minimum else data.hidden,
        }
        for theme in themes:
            values = part[theme].dropna()
            row[data.theme_names[theme]] = (
                float(values.mean()) if len(values) >= data.minimum else data.hidden
            )
        rows.append(row)
    return pd.DataFrame(rows) if rows else None


def _item_table(data: SummaryData, wave: int) -> pd.DataFrame | None:
    items = _table(data.tables, "itemstatistik.csv")
    if items is None or _wave_of(items, wave).empty:
        return None
    book = reference.codebook().set_index("item")
    rows = []
    for r in _wave_of(items, wave).itertuples(index=False):
        few = pd.isna(r.n) or r.n < data.minimum

        def cell(value: Any, few: bool = few) -> Any:
            return data.hidden if few else value

        rows.append(
            {
                "Spørgsmål": r.item,
                "Tema": data.theme_names.get(r.tema, r.tema),
                "Omvendt": "ja" if _truthy(r.omvendt) else "nej",
                "Svar": r.n,
                "Gennemsnit": cell(r.gns),
                "Spredning (SD)": cell(r.sd),
                "Andel uden svar": getattr(r, "andel_mangler", None),
                "Korrelation med temaets øvrige spørgsmål": cell(getattr(r, "item_rest_r", None)),
                "Alfa uden spørgsmålet": cell(getattr(r, "alpha_uden_item", None)),
                "Tekst": book["tekst"].get(r.item, ""),
            }
        )
    return pd.DataFrame(rows)


def _clusters_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Klynger")
    themes = reference.theme_codes()
    sheet.title(
        f"Klynger af kommuner – bølge {wave}",
        f"Kommunerne er grupperet efter deres seks temascorer. Kun kommuner med mindst "
        f"{data.minimum} besvarelser og alle seks temascorer indgår.",
    )
    profiles = data.cluster_profiles(wave)
    if profiles is None:
        sheet.empty_note(
            "Der er ingen klyngeanalyse for denne bølge (for få kommuner med mindst "
            f"{data.minimum} besvarelser, eller analysen er ikke kørt)."
        )
        sheet.finish()
        return
    chosen = data.chosen
    if chosen is not None and "boelge" in chosen:
        c = _wave_of(chosen, wave)
        if len(c):
            from omstilling_analysis.clusters import METHOD_NAMES

            c = c.iloc[0]
            method = METHOD_NAMES.get(str(c.get("metode")), str(c.get("metode")))
            sheet.lines(
                [f"Metode: {method}, {int(c['k'])} klynger. {c.get('begrundelse', '')}"],
                "text",
                width=10,
            )
    members = data.clusters(wave)
    names = data.municipalities.set_index("kommunekode")["kommune"]
    rows = []
    for p in profiles.itertuples(index=False):
        row: dict[str, Any] = {
            "Klynge": int(p.klynge),
            "Navn": p.klyngenavn,
            "Antal kommuner": p.antal_kommuner,
        }
        for theme in themes:
            value = getattr(p, theme)
            row[data.theme_names[theme]] = data.hidden if pd.isna(value) else value
        index = getattr(p, INDEX, None)
        row["Modenhedsindeks"] = data.hidden if pd.isna(index) else index
        row["Stabilitet (Jaccard)"] = getattr(p, "jaccard", None)
        stable = getattr(p, "stabil", None)
        row["Stabil"] = (
            None if stable is None or pd.isna(stable) else ("ja" if _truthy(stable) else "nej")
        )
        if members is not None:
            codes = members.loc[members["klynge"] == p.klynge, "kommunekode"].astype("int64")
            row["Kommuner"] = ", ".join(sorted(names.reindex(codes).dropna()))
        rows.append(row)
    frame = pd.DataFrame(rows)
    styles = dict.fromkeys([data.theme_names[t] for t in themes], "score")
    styles |= {"Klynge": "int", "Antal kommuner": "int", "Modenhedsindeks": "score"}
    styles |= {"Stabilitet (Jaccard)": "score", "Stabil": "center", "Kommuner": "wrap"}
    first, last = sheet.frame(frame, styles)
    sheet.lines(
        [
            "Stabilitet: gennemsnitlig Jaccard-lighed over bootstrap-gentrækninger (Hennig 2007); "
            "under 0,6 er klyngen ikke til at stole på.",
        ],
        "note",
        width=10,
    )

    chart_row = sheet.row + 1
    labels = short_theme_names()
    series = {
        f"{int(p.klynge)}: {p.klyngenavn}": [getattr(p, t) for t in themes]
        for p in profiles.itertuples(index=False)
    }
    cats, refs = _chart_block(sheet, chart_row + 22, 0, [labels[t] for t in themes], series)
    chart = book.workbook.add_chart({"type": "line", "subtype": "standard"})
    for i, (name, ref) in enumerate(refs.items()):
        colour = PALETTE[i % len(PALETTE)]
        chart.add_series(
            {
                "name": name,
                "categories": cats,
                "values": ref,
                "line": {"color": colour, "width": 2.25},
                "marker": {
                    "type": "circle",
                    "size": 6,
                    "fill": {"color": colour},
                    "border": {"color": colour},
                },
            }
        )
    chart.set_title({"name": f"Klyngernes profiler, bølge {wave}"})
    _theme_chart_axes(chart, "Gennemsnitlig temascore (1-5)")
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    sheet.ws.insert_chart(chart_row, 0, chart, {"x_scale": 1.6, "y_scale": 1.4})
    sheet.row = chart_row + 22 + len(themes) + 4

    selection = _table(data.tables, "klyngevalg.csv")
    if selection is not None and not _wave_of(selection, wave).empty:
        sheet.heading("Valg af antal klynger (alle metoder og antal)")
        from omstilling_analysis.clusters import METHOD_NAMES

        s = _wave_of(selection, wave)
        frame = pd.DataFrame(
            {
                "Metode": [METHOD_NAMES.get(str(m), str(m)) for m in s["metode"]],
                "Antal klynger": s["k"].to_numpy(),
                "Silhuet (højere er bedre)": s.get("silhuet"),
                "Gap": s.get("gap"),
                "Gap, standardfejl": s.get("gap_se"),
                "BIC (lavere er bedre)": s.get("bic"),
            }
        )
        sheet.frame(
            frame,
            {"Antal klynger": "int", "Silhuet (højere er bedre)": "score", "Gap": "score",
             "Gap, standardfejl": "score", "BIC (lavere er bedre)": "dec1"},
        )  # fmt: skip
    sheet.finish()
    sheet.ws.set_column(0, 0, 24)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "ja", "sand")
    return bool(value)


def _effects_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Effekter")
    sheet.title(
        f"Sammenhænge mellem temaer og resultater – bølge {wave}",
        "Hænger en højere score på et tema sammen med bedre implementering året efter?",
    )
    table = data.effects
    if table is None:
        sheet.empty_note(
            "Der er ingen effektanalyse i denne kørsel: rådatamappen indeholdt ingen "
            "udfaldsfiler (implementering_<år>.xlsx eller .csv), eller ingen kommuner kunne kobles."
        )
        sheet.finish()
        return
    sheet.widths |= {0: 10, 1: 30, 2: 30}
    sheet.heading("Fundene i almindeligt dansk")
    sheet.lines(data.effect_sentences, "wrap", width=10)
    sheet.row += 1
    rows = table[table["boelge"].isin([str(wave), "samlet"])]
    from omstilling_analysis.effects import OUTCOME_LABELS

    sheet.heading("Tabel")
    if rows.empty:
        sheet.empty_note(f"Ingen modeller for bølge {wave}.")
    else:
        p_adjusted = pd.to_numeric(rows["p_justeret"], errors="coerce")
        frame = pd.DataFrame(
            {
                "Bølge": rows["boelge"],
                "Udfald": rows["udfald"].map(lambda u: OUTCOME_LABELS.get(u, u)),
                "Tema": rows["tema"].map(lambda t: data.theme_names.get(t, t)),
                "Estimat pr. SD": rows["estimat"],
                "95 %-KI fra": rows["ci_lav"],
                "95 %-KI til": rows["ci_hoej"],
                "Procentpoint": rows.get("estimat_pp"),
                "Procentpoint, KI fra": rows.get("ci_lav_pp"),
                "Procentpoint, KI til": rows.get("ci_hoej_pp"),
                "p": rows["p"],
                "Justeret p": rows["p_justeret"],
                "Fund": np.where(p_adjusted < 0.05, "ja", "nej"),
                "Kommuner (n)": rows["n"],
                "R²": rows.get("r2"),
                "R² krydsvalideret": rows.get("r2_cv"),
                "Model": rows.get("model"),
            }
        )
        bold = [i for i, v in enumerate(p_adjusted.to_numpy()) if v < 0.05]
        styles = dict.fromkeys(
            ["Estimat pr. SD", "95 %-KI fra", "95 %-KI til", "Procentpoint",
             "Procentpoint, KI fra", "Procentpoint, KI til", "R²", "R² krydsvalideret"],
            "dec2",
        ) | {"p": "p", "Justeret p": "p", "Kommuner (n)": "int", "Bølge": "center", "Fund": "center"}  # fmt: skip
        first, last = sheet.frame(frame, styles, bold_rows=bold)
        sheet.ws.autofilter(first - 1, 0, last, len(frame.columns) - 1)
        sheet.lines(
            [
                "Estimat: ændringen i udfaldet pr. standardafvigelse højere temascore (for andele i "
                "log-odds; Procentpoint er den gennemsnitlige marginale effekt). Justeret p er "
                "Benjamini-Hochberg-korrigeret over alle test. Fund (fed): justeret p < 0,05. "
                "Sammenhænge, ikke påviste årsager.",
            ],
            "note",
            width=10,
        )
    missing = _table(data.tables, "effekter_mangler.csv")
    if missing is not None:
        part = _wave_of(missing, wave)
        if len(part):
            sheet.heading("Kommune-bølger uden for modellerne")
            counts = (
                part.groupby(["udfald", "aarsag"], dropna=False).size().reset_index(name="Antal")
            )
            frame = pd.DataFrame(
                {
                    "Udfald": counts["udfald"].map(
                        lambda u: "alle udfald" if u == "alle" else OUTCOME_LABELS.get(u, u)
                    ),
                    "Årsag": counts["aarsag"],
                    "Antal": counts["Antal"],
                }
            )
            sheet.frame(frame, {"Antal": "int"})
    sheet.finish()


def _source_waves(data: SummaryData) -> dict[str, int]:
    """Source file → wave, from the manifest and the tables."""
    waves: dict[str, int] = {}
    for entry in data.manifest.get("input", []):
        if entry.get("boelge") is not None:
            waves[str(entry["kilde"])] = int(entry["boelge"])
    for name in ("besvarelser.parquet", "udeladte.csv"):
        frame = _table(data.tables, name)
        if frame is not None:
            pairs = frame[["kilde", "boelge"]].drop_duplicates("kilde")
            for kilde, wave in pairs.itertuples(index=False):
                waves.setdefault(str(kilde), int(wave))
    return waves


def _quality_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    from omstilling_analysis.clean import REASONS

    sheet = book.sheet("Datakvalitet")
    sheet.title(
        f"Datakvalitet – bølge {wave}",
        "Hver rådatarække ender ét sted: talt med, eller udeladt med én årsag.",
    )
    waves = _source_waves(data)
    sources = sorted(k for k, w in waves.items() if w == wave)
    manifest_inputs = {str(e.get("kilde")): e for e in data.manifest.get("input", [])}
    responses = _table(data.tables, "besvarelser.parquet")
    left_out = _table(data.tables, "udeladte.csv")
    quality = _table(data.tables, "datakvalitet.csv")
    rows = []
    for source in sources:
        entry = manifest_inputs.get(source, {})
        counted = 0 if responses is None else int((responses["kilde"] == source).sum())
        mine = (
            pd.Series(dtype=object)
            if left_out is None
            else left_out.loc[left_out["kilde"] == source, "aarsag"]
        )
        reasons = mine.value_counts()
        rows_in = entry.get("raekker_ind", counted + len(mine))
        cells = 0
        if quality is not None:
            cells = int(
                ((quality["kilde"] == source) & (pd.to_numeric(quality["kilde_raekke"]) > 1)).sum()
            )
        row = {
            "Kildefil": source,
            "Form": entry.get("form"),
            "Rækker ind": rows_in,
            "Talt med": counted,
            "Udeladt i alt": len(mine),
        }
        row |= {f"Udeladt: {r}": int(reasons.get(r, 0)) for r in REASONS}
        row |= {
            "Celleproblemer": cells,
            "Alle rækker gjort rede for": "ja" if rows_in == counted + len(mine) else "NEJ",
        }
        rows.append(row)
    sheet.heading("Rækker pr. kildefil")
    if rows:
        frame = pd.DataFrame(rows)
        total = {"Kildefil": "I alt"} | {
            c: frame[c].sum()
            for c in frame.columns
            if c not in ("Kildefil", "Form", "Alle rækker gjort rede for")
        }
        total["Alle rækker gjort rede for"] = (
            "ja" if (frame["Alle rækker gjort rede for"] == "ja").all() else "NEJ"
        )
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        styles = dict.fromkeys(frame.columns[2:-1], "int")
        sheet.frame(frame, styles, bold_rows=[len(frame) - 1])
    else:
        sheet.empty_note("Ingen kildefiler for denne bølge.")

    sheet.heading("Udeladte rækker efter årsag")
    reasons = (
        pd.Series(dtype=object) if left_out is None else _wave_of(left_out, wave)["aarsag"]
    ).value_counts()
    frame = pd.DataFrame(
        {"Årsag": list(REASONS), "Antal rækker": [int(reasons.get(r, 0)) for r in REASONS]}
    )
    other = [r for r in reasons.index if r not in REASONS]
    if other:
        frame = pd.concat(
            [
                frame,
                pd.DataFrame({"Årsag": other, "Antal rækker": [int(reasons[r]) for r in other]}),
            ],
            ignore_index=True,
        )
    sheet.frame(frame, {"Antal rækker": "int"})

    ignored = data.manifest.get("ignoreret") or []
    if ignored:
        sheet.heading("Filer i rådatamappen, der ikke blev brugt")
        sheet.frame(
            pd.DataFrame(
                {
                    "Fil": [i.get("kilde") for i in ignored],
                    "Årsag": [i.get("aarsag") for i in ignored],
                }
            )
        )

    sheet.heading("Celleproblemer (cellen er sat til manglende; rækken tæller stadig)")
    if quality is None:
        sheet.empty_note("Ingen celleproblemer.")
    else:
        survey_sources = set(waves)
        mine = quality[quality["kilde"].isin(sources) | ~quality["kilde"].isin(survey_sources)]
        if mine.empty:
            sheet.empty_note("Ingen celleproblemer i denne bølges kildefiler.")
        else:
            grouped = mine.assign(vaerdi=mine["vaerdi"].astype(object).fillna("")).groupby(
                ["kilde", "variabel", "vaerdi", "problem"], sort=True, dropna=False
            )["kilde_raekke"]
            summary = grouped.agg(
                Antal="size",
                Rækker=lambda r: (
                    ", ".join(str(int(x)) for x in sorted(r)[:10]) + (" …" if len(r) > 10 else "")
                ),
            ).reset_index()
            summary = summary.sort_values(["kilde", "Antal"], ascending=[True, False])
            limit = 1000
            frame = pd.DataFrame(
                {
                    "Kildefil": summary["kilde"],
                    "Variabel": summary["variabel"],
                    "Værdi": summary["vaerdi"],
                    "Problem": summary["problem"],
                    "Antal celler": summary["Antal"],
                    "Rækker (de første 10)": summary["Rækker"],
                }
            ).head(limit)
            sheet.frame(frame, {"Antal celler": "int"})
            if len(summary) > limit:
                sheet.empty_note(
                    f"Kun de første {limit} af {len(summary)} kombinationer er vist; se "
                    "datakvalitet.csv for dem alle."
                )
    sheet.finish()
    sheet.ws.set_column(0, 0, max(sheet.widths.get(0, 10), 24))


_SETTING_TEXTS: dict[str, tuple[str, str]] = {
    "min_share_answered": ("min_andel_besvaret", "Andel af spørgsmålene, der skal være besvaret"),
    "theme_weights": ("temavaegte", "Temaernes vægte i modenhedsindekset"),
    "level_thresholds": ("niveaugraenser", "Nedre grænser for modenhedsniveau 2-5"),
    "min_respondents_published": (
        "min_respondenter",
        "Færreste respondenter bag et offentligt tal",
    ),
    "outcome_lag": ("udfald_forskydning", "Bølge W kobles til udfald i år W + dette tal"),
    "n_clusters": ("klynge_k", "Antal klynger (tom: vælges ud fra data)"),
    "cluster_method": ("klynge_metode", "Klyngemetode (tom: vælges ud fra data)"),
    "n_bootstrap": ("bootstrap", "Antal bootstrap-gentrækninger"),
    "seed": ("seed", "Startværdi for tilfældighed (gør kørslen reproducerbar)"),
}


def _setting_value(value: Any) -> Any:
    if value is None:
        return "vælges ud fra data"
    if isinstance(value, Mapping):
        return "; ".join(
            f"{k} {dk_number(float(v), 2).rstrip('0').rstrip(',')}" for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        return _dk_list(value)
    if isinstance(value, float):
        return dk_number(value, 2).rstrip("0").rstrip(",")
    return value


def _method_sheet(book: _Book, data: SummaryData, wave: int) -> None:
    sheet = book.sheet("Metode")
    s = data.settings
    thresholds = [1.0, *s.level_thresholds, 5.0]
    levels = "; ".join(
        f"{number} {name} [{dk_number(thresholds[i], 1)}; {dk_number(thresholds[i + 1], 1)}"
        + ("]" if number == 5 else ")")
        for i, (_, number, name) in enumerate(reference.LEVELS)
    )
    share = dk_number(s.min_share_answered * 100, 0)
    sheet.title(f"Metode – bølge {wave}", "Regler, indstillinger, versioner og inddata.")
    sheet.widths |= {0: 34, 1: 30}
    sheet.heading("Regler")
    sheet.lines(
        [
            "Svarskala: Helt uenig = 1, Overvejende uenig = 2, Hverken enig eller uenig = 3, "
            "Overvejende enig = 4, Helt enig = 5. »Ved ikke« og »Ikke relevant« er intet punkt på "
            "skalaen: svaret regnes som manglende og tælles.",
            "En rådatarække tælles med, eller udelades med én årsag: ikke besvaret (intet svar 1-5), "
            f"for ufuldstændig (svar på færre end {share} % af bølgens spørgsmål, rundet op), dublet "
            "(samme respondent-id; den seneste besvarelse tæller) eller ukendt kommune. Intet "
            "udelades i stilhed.",
            "Et problem i én celle (en kode uden etiket, en ukendt svartekst) gør cellen manglende "
            "og står under Datakvalitet; rækken tæller stadig.",
            "Respondentens temascore: gennemsnittet af respondentens svar 1-5 på temaets spørgsmål "
            "i bølgen, omvendte spørgsmål som 6 − svar; kun når mindst halvdelen af spørgsmålene "
            "(rundet op) er besvaret.",
            "Kommunens temascore: gennemsnittet af respondenternes temascorer. Modenhedsindeks: "
            "det (vægtede) gennemsnit af de seks temascorer; mangler, hvis et tema mangler.",
            f"Modenhedsniveauer: {levels}.",
            f"Små tal: intet offentliggjort tal hviler på færre end {s.min_respondents_published} "
            f"respondenter; sådan en celle viser »{data.hidden}«. Et tema vises kun, når mindst "
            f"{s.min_respondents_published} respondenter har en score på temaet, og indekset kun, "
            "når alle temaer vises. Lands- og regionstal, rang og klynger bygger kun på de "
            "offentliggjorte kommunetal, så et skjult tal ikke kan regnes baglæns.",
            "Rang: kommunens placering på modenhedsindekset blandt kommunerne med offentliggjort "
            "indeks (1 = højest); rangintervallet er 5.-95. percentil over bootstrap-gentrækninger "
            "af respondenterne inden for kommunen.",
            "Ændring: forskellen i indeks til kommunens forrige bølge. Sikker ændring: 95 %-"
            "konfidensintervallet for ændringen udelukker 0 (bølgerne behandlet som uafhængige "
            "stikprøver).",
            "Klynger: kommunerne grupperes på deres standardiserede temascorer; metode og antal "
            "klynger vælges ud fra silhuet, gap-statistik og BIC (se arket Klynger).",
            "Effekter: regression af næste års implementeringsresultater på de seks temascorer "
            "(pr. standardafvigelse), kontrolleret for kommunens størrelse; sammenhænge, ikke "
            "påviste årsager.",
        ],
        "wrap",
        width=4,
    )
    sheet.row += 1
    sheet.heading("Indstillinger")
    values = data.manifest.get("indstillinger") or s.to_dict()
    rows = []
    for key, value in values.items():
        danish, text = _SETTING_TEXTS.get(key, (key, ""))
        rows.append({"Indstilling": danish, "Værdi": _setting_value(value), "Betydning": text})
    sheet.frame(pd.DataFrame(rows))

    inputs = data.manifest.get("input") or []
    sheet.heading("Inddata (alle filer i kørslen)")
    if inputs:
        frame = pd.DataFrame(
            {
                "Kildefil": [e.get("kilde") for e in inputs],
                "Form": [e.get("form") for e in inputs],
                "Dialekt": [e.get("dialekt") for e in inputs],
                "Bølge": [e.get("boelge") for e in inputs],
                "Rækker ind": [e.get("raekker_ind") for e in inputs],
                "SHA-256": [e.get("sha256") for e in inputs],
            }
        )
        sheet.frame(frame, {"Bølge": "year", "Rækker ind": "int"})
    else:
        sheet.empty_note("Manifestet med inddata mangler.")

    sheet.heading("Kørsel")
    rows_info = data.manifest.get("raekker") or {}
    run = [
        ("Kørt", data.manifest.get("koert")),
        ("Kommando", data.manifest.get("kommando")),
        ("Rækker ind (alle bølger)", rows_info.get("ind")),
        ("Talt med (alle bølger)", rows_info.get("talt")),
        ("Udeladt (alle bølger)", rows_info.get("udeladt")),
        ("Alle rækker gjort rede for", rows_info.get("alle_raekker_gjort_rede_for")),
        ("Nøgle til respondent_key", data.manifest.get("noegle_til_respondent_key")),
    ]
    sheet.frame(
        pd.DataFrame({"Oplysning": [r[0] for r in run], "Værdi": [r[1] for r in run]}),
        {"Værdi": "int"},
    )
    notes = data.manifest.get("bemaerkninger") or data.extras.get("notes") or []
    if notes:
        sheet.heading("Bemærkninger fra kørslen")
        sheet.lines([str(note) for note in notes], "text", width=4)
        sheet.row += 1
    versions = data.manifest.get("versioner") or {}
    sheet.heading("Versioner")
    if versions:
        sheet.frame(
            pd.DataFrame(
                {"Program": list(versions), "Version": [str(v) for v in versions.values()]}
            )
        )
    else:
        sheet.empty_note("Manifestet med versioner mangler.")
    sheet.finish()
    sheet.ws.set_column(0, 0, 34)
    sheet.ws.set_column(1, 1, 36)


# =========================================================================== public API


def write_summary(
    path: str | Path,
    data: SummaryData,
    wave: int,
) -> Path:
    """Write ``opsummering_<wave>.xlsx`` (the seven :data:`SHEETS`) to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(target)
    try:
        _overview_sheet(book, data, wave)
        _municipalities_sheet(book, data, wave)
        _themes_sheet(book, data, wave)
        _clusters_sheet(book, data, wave)
        _effects_sheet(book, data, wave)
        _quality_sheet(book, data, wave)
        _method_sheet(book, data, wave)
    finally:
        book.close()
    return target


def write_figures(folder: str | Path, data: SummaryData) -> list[Path]:
    """Save every figure of the summary (and of the effects analysis) as PNG in ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in data.summary_figures().items():
        target = out / f"{name}.png"
        target.write_bytes(data.figure(name, make))
        written.append(target)
    for name, fig in {**_cluster_figures(data), **_effect_figures(data)}.items():
        target = out / f"{name}.png"
        target.write_bytes(png_bytes(fig))
        written.append(target)
    return written


def _cluster_figures(data: SummaryData) -> dict[str, Any]:
    """The cluster module's figures per wave: profile heatmap, PCA map, k-selection curves."""
    result = data.extras.get("cluster_result")
    if result is None:
        return {}
    import matplotlib.pyplot as plt

    from omstilling_analysis import clusters

    scores = data.tables.get("kommunescorer.parquet")
    made: dict[str, Any] = {}
    for wave in sorted(result.chosen["boelge"].unique()):
        if not (result.profiles["boelge"] == wave).any():
            continue
        made[f"klynger_profil_{wave}"] = clusters.plot_profile_heatmap(result.profiles, wave)
        made[f"klynger_pca_{wave}"] = clusters.plot_pca_map(
            scores, result.assignments, wave, data.settings
        )
        made[f"klynger_valg_af_k_{wave}"] = clusters.plot_k_selection(
            result.selection, wave, result.chosen
        )
    # The PNG bytes are taken by the caller; pyplot must not keep every figure open.
    for fig in made.values():
        plt.close(fig)
    return made


def _effect_figures(data: SummaryData) -> dict[str, Any]:
    """The effects module's figures: all of them from the result, else the coefficient plots."""
    if data.effects is None:
        return {}
    import matplotlib.pyplot as plt

    from omstilling_analysis import effects

    result = data.extras.get("effects_result")
    made: dict[str, Any] = {}
    try:
        if result is not None:
            made = effects.effect_figures(result)
        else:
            outcomes = [u for u in effects.OUTCOMES if (data.effects["udfald"] == u).any()]
            made = {
                f"koefficienter_{u}": effects.plot_coefficients(data.effects, u) for u in outcomes
            }
    except (ValueError, KeyError, np.linalg.LinAlgError) as error:
        notes = data.extras.get("notes")
        if isinstance(notes, list):
            notes.append(f"nogle figurer fra effektanalysen kunne ikke tegnes: {error}")
    finally:
        # The effects module draws with pyplot: release its figures once they are saved.
        for fig in made.values():
            plt.close(fig)
    return made


def output_writers(
    tables: dict[str, pd.DataFrame],
    manifest: dict,
    settings: Settings,
    extras: dict,
) -> dict[str, Callable[[Path], None]]:
    """One writer per output of the report stage, for :func:`pipeline.write_outputs`.

    Returns ``{"opsummering_<boelge>.xlsx": writer, ..., "figurer": writer}``: a workbook per
    wave of ``tables["kommunescorer.parquet"]`` and a writer that creates the folder
    ``figurer`` and saves every PNG figure into it. Each writer takes the target path. The
    derived tables (published scores, benchmarks, ranks) and the figures are computed once and
    shared by all writers.
    """
    data = SummaryData(tables, manifest, settings, extras)
    writers: dict[str, Callable[[Path], None]] = {}
    for wave in data.waves:
        writers[f"opsummering_{wave}.xlsx"] = partial(_write_summary_to, data=data, wave=wave)
    writers["figurer"] = partial(_write_figures_to, data=data)
    return writers


def _write_summary_to(path: Path, data: SummaryData, wave: int) -> None:
    write_summary(path, data, wave)


def _write_figures_to(path: Path, data: SummaryData) -> None:
    write_figures(path, data)
