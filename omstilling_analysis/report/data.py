"""The run's published tables and everything the workbooks derive from them once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.plots.style import png_bytes
from omstilling_analysis.publish import INDEX, PublishedTables
from omstilling_analysis.report.xlsx import cell_value, records
from omstilling_analysis.text import NO_RESPONSES, level_names, suppressed, theme_names

__all__ = ["DEMO_BANNER", "WORKBOOK_FIGURES", "SourceCounts", "SummaryData"]

#: The name under which a figure's PNG bytes are kept in the memo (``figur-<stem>``).
FIGURE_MEMO = "figur"

#: The figures a wave's workbook shows (the Oversigt and Metode sheets), drawn first: the
#: workbooks are written while the other figures are still being drawn.
WORKBOOK_FIGURES = ("danmarkskort_indeks_{wave}", "temafordeling_{wave}", "rangintervaller_{wave}")

#: The mark of a workbook made from synthetic data (never on real data).
DEMO_BANNER = (
    "DEMODATA – syntetiske data til afprøvning, ikke rigtige besvarelser. Slet data/raw/demo, "
    "og læg jeres egne eksporter i data/raw."
)


def _sizes(frame: pd.DataFrame, columns: list[str]) -> dict[tuple, int]:
    """Rows per combination of ``columns``, in the order each first occurs."""
    sizes = frame.groupby(columns, sort=False, observed=True, dropna=False).size()
    return {key: int(n) for key, n in sizes.items()}


@dataclass(frozen=True)
class SourceCounts:
    """Per source file (``kilde``): its wave, its counted rows, its left-out rows (in all and
    by reason) and its cell problems (rows after the header)."""

    waves: dict[str, int]
    counted: dict[str, int]
    left_out: dict[str, int]
    reasons: dict[str, pd.Series]
    cells: dict[str, int]


class SummaryData:
    """What the Excel summary and the feedback workbooks show, for all waves of a run.

    Parameters
    ----------
    published:
        The publish stage's tables (:func:`omstilling_analysis.publish.publish`): every number a
        workbook shows comes from here.
    tables:
        The run's internal tables by output file name; only their counts are shown (rows left
        out, data-quality problems), never a respondent's value.
    manifest:
        The run's ``manifest.json`` as a dict (may be empty).
    cluster_choice:
        ``ClusterResult.chosen`` (method, k and the reason per wave), when known.
    effect_sentences:
        The Danish findings of the effects analysis, when known.
    figures:
        File stem → function drawing the figure (:func:`omstilling_analysis.plots.summary_figures`);
        each is drawn once and shared by the workbooks and ``figurer/``.
    figure_keys:
        File stem → the memo key parts of the figure (:func:`omstilling_analysis.plots.
        figure_keys`): with a memo (:meth:`draw_ahead`) such a figure is taken from the last
        run when its inputs are unchanged, and kept for the next.
    """

    def __init__(
        self,
        published: PublishedTables,
        tables: Mapping[str, pd.DataFrame] | None = None,
        manifest: Mapping[str, Any] | None = None,
        cluster_choice: pd.DataFrame | None = None,
        effect_sentences: list[str] | None = None,
        figures: Mapping[str, Callable[[], Any]] | None = None,
        figure_keys: Mapping[str, tuple] | None = None,
    ):
        self.published = published
        self.tables = dict(tables or {})
        self.manifest = dict(manifest or {})
        self.settings = published.settings
        self.chosen = cluster_choice if cluster_choice is not None and len(cluster_choice) else None
        self._effect_sentences = list(effect_sentences or [])
        self.figures = dict(figures or {})
        self.minimum = published.minimum
        self.hidden = suppressed(self.minimum)
        self.theme_names = theme_names()
        #: The first row of every sheet when the run is on synthetic demo data.
        self.banner = DEMO_BANNER if self.manifest.get("demodata") else None
        self.figure_keys = dict(figure_keys or {})
        self._png: dict[str, bytes] = {}
        self._drawing: dict[str, Future[bytes]] = {}
        self._memo = None
        #: The figures :meth:`draw_ahead` took from the memo.
        self.reused_figures: list[str] = []
        self._made: dict[Any, Any] = {}

    def reuse(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per key for this run's data, shared by every workbook made from it
        (e.g. the map that all 98 feedback workbooks highlight their municipality on)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def table(self, name: str) -> pd.DataFrame | None:
        """An internal table of the run (``None`` when absent or empty)."""
        frame = self.tables.get(name)
        if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
            return None
        return frame

    @property
    def waves(self) -> list[int]:
        return self.published.waves

    @cached_property
    def source_counts(self) -> SourceCounts:
        """The rows of every source file of the run, counted once for all its workbooks (the
        respondent table has a row per counted response: a national run 1.35 million)."""
        waves: dict[str, int] = {}
        for entry in self.manifest.get("input", []):
            if entry.get("boelge") is not None:
                waves[str(entry["kilde"])] = int(entry["boelge"])
        counted: dict[str, int] = {}
        responses = self.table("besvarelser.parquet")
        if responses is not None:
            for (source, wave), n in _sizes(responses, ["kilde", "boelge"]).items():
                waves.setdefault(str(source), int(wave))
                counted[str(source)] = counted.get(str(source), 0) + n
        left_out = self.table("udeladte.csv")
        reasons: dict[str, pd.Series] = {}
        left: dict[str, int] = {}
        if left_out is not None:
            for source, wave in _sizes(left_out, ["kilde", "boelge"]):
                waves.setdefault(str(source), int(wave))
            for source, rows in left_out.groupby("kilde", sort=False, dropna=False)["aarsag"]:
                reasons[str(source)] = rows.value_counts()
                left[str(source)] = left.get(str(source), 0) + len(rows)
        cells: dict[str, int] = {}
        quality = self.table("datakvalitet.csv")
        if quality is not None:
            in_cells = quality.loc[pd.to_numeric(quality["kilde_raekke"]) > 1, "kilde"]
            cells = {str(k): int(n) for k, n in in_cells.value_counts(sort=False).items()}
        return SourceCounts(waves, counted, left, reasons, cells)

    def wave_published(self, wave: int) -> pd.DataFrame:
        return self.published.wave_scores(wave)

    @cached_property
    def municipalities(self) -> pd.DataFrame:
        return reference.municipalities().sort_values("kommunekode").reset_index(drop=True)

    def national(self, wave: int) -> pd.DataFrame:
        return self.published.national(wave)

    def regional(self, wave: int) -> pd.DataFrame:
        return self.published.regional(wave)

    def national_means(self) -> pd.DataFrame:
        return self.published.national_means()

    def ranks(self, wave: int) -> pd.DataFrame:
        return self.published.wave_ranks(wave)

    def level_counts(self, wave: int) -> dict[int, int]:
        return self.published.level_counts(wave)

    @property
    def changes(self) -> pd.DataFrame:
        """The published change of the index (all waves), see :func:`publish.published_changes`."""
        changes = self.published.changes
        return changes[changes["maal"] == INDEX].reset_index(drop=True)

    def clusters(self, wave: int) -> pd.DataFrame | None:
        return self.published.wave_clusters(wave)

    def cluster_profiles(self, wave: int) -> pd.DataFrame | None:
        return self.published.wave_profiles(wave)

    @property
    def effects(self) -> pd.DataFrame | None:
        return self.published.effects

    @property
    def effect_sentences(self) -> list[str]:
        return self._effect_sentences

    def draw_ahead(self, memo=None) -> None:
        """Start drawing every figure in worker processes
        (:func:`omstilling_analysis.plots.render.render_in_background`); :meth:`figure` then
        waits for the one asked for. Call it before writing anything else of the run.

        With ``memo`` (:class:`omstilling_analysis.memo.Memo`) a figure with a key
        (``figure_keys``) is taken from it when it was drawn from the same inputs before, and
        a figure drawn now is kept there."""
        from omstilling_analysis.plots.render import render_in_background

        self._memo = memo
        if memo is not None:
            for stem, parts in self.figure_keys.items():
                if stem in self.figures and stem not in self._png:
                    found = memo.lookup(f"{FIGURE_MEMO}-{stem}", parts)
                    if found is not None and isinstance(found[0], bytes):
                        self._png[stem] = found[0]
                        self.reused_figures.append(stem)
        first = [stem.format(wave=wave) for wave in self.waves for stem in WORKBOOK_FIGURES]
        order = [*(s for s in first if s in self.figures), *self.figures]
        todo = {stem: self.figures[stem] for stem in dict.fromkeys(order) if stem not in self._png}
        self._drawing = render_in_background(todo)

    def figure(self, name: str) -> bytes | None:
        """PNG bytes of the figure ``name`` (drawn once), or ``None`` if the run has none."""
        if name not in self._png:
            make = self.figures.get(name)
            if make is None:
                return None
            drawing = self._drawing.pop(name, None)
            if drawing is not None and drawing.cancel():
                # No worker has begun it: this process draws it now rather than wait idle.
                drawing = None
            try:
                self._png[name] = drawing.result() if drawing is not None else png_bytes(make())
            except BrokenProcessPool:
                # A worker died (e.g. out of memory): the figure is drawn here instead.
                self._png[name] = png_bytes(make())
            if self._memo is not None and name in self.figure_keys:
                self._memo.keep(f"{FIGURE_MEMO}-{name}", self.figure_keys[name], self._png[name])
        return self._png[name]

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
        published = records(self.wave_published(wave))
        ranks = records(self.ranks(wave))
        clusters = self.clusters(wave)
        clusters = None if clusters is None else records(clusters)
        changes = records(self.published.wave_changes(wave, INDEX))
        robust = self.published.wave_robustness(wave)
        robust = {} if robust is None else records(robust)
        width = self.settings.robustness_interval_width
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
                row |= {"Samlet ranginterval (90 %)": None}
                row |= {"Forrige bølge": None, "Ændring i indeks": None, "Sikker ændring": None}
                rows.append(row)
                continue
            m = published[code]
            row["Respondenter"] = cell_value(m["n_respondenter"])
            for theme in themes:
                row[self._header(theme)] = (
                    self.hidden if m[f"{theme}_skjult"] else cell_value(m[theme])
                )
            index_hidden = bool(m[f"{INDEX}_skjult"])
            row["Modenhedsindeks"] = self.hidden if index_hidden else cell_value(m[INDEX])
            row["Modenhedsniveau"] = (
                self.hidden
                if index_hidden
                else f"{int(m['modenhedsniveau'])} {level_names()[int(m['modenhedsniveau'])]}"
            )
            row["Klynge"] = self._cluster_label(clusters, code, bool(m["skjult"]))
            row["Samlet ranginterval (90 %)"] = None
            if code in ranks and pd.notna(ranks[code]["rang"]):
                r = ranks[code]
                row["Rang"] = int(r["rang"])
                low, high = r["rang_p05"], r["rang_p95"]
                row["Ranginterval (90 %)"] = (
                    f"{int(low)}–{int(high)}" if pd.notna(low) and pd.notna(high) else None
                )
                if code in robust:
                    j = robust[code]
                    joint = (int(j["rang_lav"]), int(j["rang_hoej"]))
                    row["Samlet ranginterval (90 %)"] = f"{joint[0]}–{joint[1]}"
                    if joint[1] - joint[0] > width:
                        # The workbook's rule: too uncertain a rank is shown as its interval.
                        row["Rang"] = f"{joint[0]}–{joint[1]}"
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
            "Samlet ranginterval (90 %)",
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
        if c["skjult"]:
            return cells | {"Ændring i indeks": c["skjult_grund"], "Sikker ændring": None}
        sure = c["sikker_aendring"]
        sure = None if sure is None or pd.isna(sure) else ("ja" if sure else "nej")
        return cells | {"Ændring i indeks": float(c["aendring"]), "Sikker ændring": sure}
