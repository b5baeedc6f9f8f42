"""The publish stage: the one place that decides what may leave KL.

Every workbook, figure, published CSV and notebook view reads from :class:`PublishedTables`
(made by :func:`publish`) and from nothing else. The rules:

Small numbers
    No published number rests on fewer than ``Settings.min_respondents_published`` (3)
    respondents. A municipality's theme score needs that many respondents *with a score on that
    theme* (``<TEMA>_n``); its index needs every theme of positive weight to be shown, since a
    hidden theme could otherwise be worked out from the index. Such a value is missing here and
    the workbooks show :func:`omstilling_analysis.text.suppressed` instead.
Derived figures from published values only
    National and regional benchmarks, ranks and rank intervals, and cluster profiles are
    computed from the published municipalities only, so a suppressed value can never be
    recovered by differencing; a change since the previous wave exists only between two
    published values. Breakdowns by role and by item hide every cell resting on fewer than the
    minimum.
"Sikker ændring"
    A change is *sure* when the change shown (on the items both waves asked, when the item set
    changed) has Welch's *p* below :data:`SIGNIFICANCE_LEVEL` (``udvikling.csv``'s
    ``sikker_aendring``).

:mod:`omstilling_analysis.report.videncenter` writes them into ``OUT/til_videncenter/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omstilling_analysis import change, reference, score
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import suppressed

__all__ = [
    "INDEX",
    "POOLED",
    "is_pooled",
    "wave_key",
    "SIGNIFICANCE_LEVEL",
    "PublishedTables",
    "index_shown_any",
    "publish",
    "published_benchmarks",
    "published_changes",
    "published_cluster_assignments",
    "published_cluster_profiles",
    "municipality_item_means",
    "published_items",
    "published_ranks",
    "published_roles",
    "published_scores",
    "wave_of",
]

INDEX = score.INDEX
#: The one significance level of every published verdict (its home is the scoring rules).
SIGNIFICANCE_LEVEL = score.SIGNIFICANCE_LEVEL

#: The model pooled over the waves: its flag column in the effects table, and how
#: ``effekter.csv`` names it in its ``boelge`` column (the contract's word).
POOLED = "samlet"

RANK_COLUMNS = ["boelge", "kommunekode", "rang", "rang_p05", "rang_p95", "n_kommuner"]


def wave_of(frame: pd.DataFrame, wave: int) -> pd.DataFrame:
    """The rows of ``frame`` whose ``boelge`` is ``wave`` (a numeric comparison)."""
    return frame[pd.to_numeric(frame["boelge"], errors="coerce") == int(wave)]


def _usable(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    return frame


def _theme_n(frame: pd.DataFrame, theme: str) -> pd.Series:
    """Respondents behind a theme score: ``<TEMA>_n``, or ``n_respondenter`` if absent."""
    column = f"{theme}_n" if f"{theme}_n" in frame else "n_respondenter"
    return pd.to_numeric(frame[column], errors="coerce").fillna(0)


# =========================================================================== scores


def published_scores(
    municipality_scores: pd.DataFrame, settings: Settings | None = None
) -> pd.DataFrame:
    """Municipality scores with every value that may not be published set to missing.

    Parameters
    ----------
    municipality_scores:
        ``kommunescorer.parquet`` (:class:`omstilling_analysis.schemas.MunicipalityScores`).
    settings:
        ``min_respondents_published`` (default 3) and ``theme_weights``.

    Returns
    -------
    pandas.DataFrame
        A copy with integer keys, the same columns plus ``skjult`` (bool: fewer than the
        minimum counted respondents), ``<TEMA>_skjult`` (bool: the theme score rests on fewer
        respondents with a theme score, ``<TEMA>_n``) and ``modenhedsindeks_skjult`` (bool: the
        index would reveal a hidden theme of positive weight, or is missing). Hidden values
        (theme scores, their ``_se``/``_ci_*``, the index, its interval and the level) are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> ms = pd.DataFrame({"boelge": [2024, 2024], "kommunekode": [101, 147],
    ...     "n_respondenter": [5, 2], "modenhedsindeks": [3.0, 4.0]}
    ...     | {t: [3.0, 4.0] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]})
    >>> published_scores(ms)[["kommunekode", "BOR", "modenhedsindeks", "skjult"]]
       kommunekode  BOR  modenhedsindeks  skjult
    0          101  3.0              3.0   False
    1          147  NaN              NaN    True
    """
    s = settings if settings is not None else Settings()
    minimum = s.min_respondents_published
    out = municipality_scores.copy()
    for key in ("boelge", "kommunekode"):
        if key in out:
            out[key] = out[key].astype("int64")
    few = pd.to_numeric(out["n_respondenter"], errors="coerce").fillna(0) < minimum
    out["skjult"] = few.to_numpy()
    weights = score.theme_weights(s)
    index_hidden = few.copy()
    for theme in reference.theme_codes():
        hidden = few | (_theme_n(out, theme) < minimum)
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


def published_benchmarks(published: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """:func:`score.benchmarks` over the published values of every wave.

    A regional figure resting on fewer than the minimum respondents is missing too.
    """
    s = settings if settings is not None else Settings()
    if published.empty:
        return score.benchmarks(published.iloc[0:0])
    out = score.benchmarks(published, s)
    few = pd.to_numeric(out["n_respondenter"], errors="coerce").fillna(0)
    few = few < s.min_respondents_published
    statistics = ["gennemsnit", "sd", "minimum", "kvartil_1", "median", "kvartil_3", "maksimum"]
    out.loc[few, statistics] = np.nan
    return out


# =========================================================================== ranks


def published_ranks(
    published: pd.DataFrame,
    respondent_scores: pd.DataFrame | None,
    run_ranks: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Rank and 90 % rank interval among the municipalities with a published index.

    Computed with :func:`score.rank_intervals` on the respondents of the published
    municipalities only, so no suppressed municipality takes part in the ranking. Where every
    municipality of a wave is published, ``run_ranks`` (``rang.csv``, which is
    ``score.rank_intervals(respondentscorer, settings)``) already is that result: its rows are
    taken as they are (each wave is seeded on its own, so the draws are the same).

    Returns
    -------
    pandas.DataFrame
        ``boelge, kommunekode, rang, rang_p05, rang_p95, n_kommuner`` (ranks ``Int64``).
    """
    s = settings if settings is not None else Settings()
    frames = []
    for wave in sorted(published["boelge"].unique()):
        wave_scores = wave_of(published, wave)
        shown = set(wave_scores.loc[~wave_scores[f"{INDEX}_skjult"], "kommunekode"].astype(int))
        if not shown:
            continue
        if respondent_scores is not None and len(respondent_scores):
            respondents = wave_of(respondent_scores, wave)
            codes = respondents["kommunekode"].astype("int64")
            if run_ranks is not None and set(codes) == shown:
                ranks = wave_of(run_ranks, wave)
            else:
                ranks = score.rank_intervals(respondents[codes.isin(shown)], s)
        elif run_ranks is not None:
            ranks = wave_of(run_ranks, wave).copy()
            ranks = ranks[ranks["kommunekode"].astype("int64").isin(shown)]
            index = wave_scores.set_index("kommunekode")[INDEX]
            ranks["rang"] = ranks["kommunekode"].map(index).rank(ascending=False, method="min")
            ranks["n_kommuner"] = len(ranks)
        else:
            continue
        frames.append(ranks.reindex(columns=RANK_COLUMNS))
    if not frames:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("boelge", "kommunekode") else "Int64")
             for c in RANK_COLUMNS}
        )  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    for column in ("boelge", "kommunekode"):
        out[column] = out[column].astype("int64")
    for column in ("rang", "rang_p05", "rang_p95", "n_kommuner"):
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    return out.dropna(subset=["rang"]).reset_index(drop=True)


# =========================================================================== changes


def published_changes(
    published: pd.DataFrame,
    changes: pd.DataFrame | None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The change of every theme and the index since each municipality's previous wave,
    between published values only.

    The previous wave is the latest earlier wave in which the municipality has a row (as
    :func:`score.changes`). The change shown is the one ``udvikling.csv`` says it shows
    (``vist``: on the items both waves asked when a theme's item set changed, else on all
    items); *p* and the interval are Welch's. When either value is hidden, the change, its
    interval and its *p* are missing and ``skjult_grund`` says which wave's value is hidden.

    Returns
    -------
    pandas.DataFrame
        ``boelge, kommunekode, forrige_boelge, maal, vaerdi, forrige_vaerdi, aendring, ci_lav,
        ci_hoej, p, vist, sikker_aendring`` (bool or NA), ``skjult`` (bool), ``skjult_grund``.
    """
    s = settings if settings is not None else Settings()
    text = suppressed(s.min_respondents_published)
    columns = [
        "boelge", "kommunekode", "forrige_boelge", "maal", "vaerdi", "forrige_vaerdi",
        "aendring", "ci_lav", "ci_hoej", "p", "vist", "sikker_aendring", "skjult", "skjult_grund",
    ]  # fmt: skip
    measures = [*reference.theme_codes(), INDEX]
    ordered = published.sort_values(["kommunekode", "boelge"], kind="stable")
    flags = [f"{m}_skjult" for m in measures]
    previous = ordered.groupby("kommunekode", sort=False)[["boelge", *measures, *flags]].shift(1)
    frames = []
    for measure in measures:
        now_hidden = ordered[f"{measure}_skjult"].to_numpy(dtype=bool)
        before_hidden = previous[f"{measure}_skjult"].astype("boolean").fillna(False)
        frame = pd.DataFrame(
            {
                "boelge": ordered["boelge"].to_numpy(),
                "kommunekode": ordered["kommunekode"].to_numpy(),
                "forrige_boelge": previous["boelge"].astype("Int64").to_numpy(),
                "maal": measure,
                "vaerdi": ordered[measure].to_numpy(dtype=float),
                "forrige_vaerdi": previous[measure].to_numpy(dtype=float),
            }
        )
        frame["skjult"] = now_hidden | before_hidden.to_numpy(dtype=bool)
        reason = np.where(
            now_hidden,
            text + " i " + frame["boelge"].astype(str),
            np.where(
                before_hidden.to_numpy(dtype=bool),
                text + " i " + frame["forrige_boelge"].astype(str),
                "",
            ),
        )
        frame["skjult_grund"] = pd.Series(reason).replace("", None).to_numpy()
        frames.append(frame[frame["forrige_boelge"].notna()])
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    out["forrige_boelge"] = out["forrige_boelge"].astype("Int64")
    detail = _usable(changes)
    shown = pd.DataFrame(
        {"aendring": np.nan, "ci_lav": np.nan, "ci_hoej": np.nan, "p": np.nan}, index=out.index
    )
    out["vist"] = None
    out["sikker_aendring"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if detail is not None and len(out):
        detail = _shown_change(detail)
        keys = ["boelge", "kommunekode", "maal"]
        for key in ("boelge", "kommunekode"):
            detail[key] = detail[key].astype("int64")
        merged = out[keys].merge(detail, on=keys, how="left")
        for column in ("aendring", "ci_lav", "ci_hoej", "p"):
            shown[column] = merged[column].to_numpy(dtype=float)
        out["vist"] = merged["vist"].to_numpy(dtype=object)
        # The nullable array itself: its numpy form is plain bool when no value is missing,
        # and the hidden rows' NA below could not be set in it.
        out["sikker_aendring"] = pd.array(merged["sikker_aendring"], dtype="boolean")
    else:
        shown["aendring"] = out["vaerdi"] - out["forrige_vaerdi"]
    for column in ("aendring", "ci_lav", "ci_hoej", "p"):
        out[column] = shown[column].mask(out["skjult"])
    out.loc[out["skjult"], "sikker_aendring"] = pd.NA
    order = {m: i for i, m in enumerate(measures)}
    out = out.assign(_order=out["maal"].map(order))
    out = out.sort_values(["boelge", "kommunekode", "_order"], kind="stable")
    return out.drop(columns="_order").reindex(columns=columns).reset_index(drop=True)


def _shown_change(changes: pd.DataFrame) -> pd.DataFrame:
    """The change each row of ``udvikling.csv`` shows: on the common items where it says so."""
    detail = changes.copy()
    if "vist" not in detail:
        detail["vist"] = change.ALL_ITEMS
    common = detail["vist"].eq(change.COMMON_ITEMS)
    for column in ("aendring", "ci_lav", "ci_hoej", "p"):
        if f"{column}_faelles" in detail:
            detail[column] = detail[column].where(~common, detail[f"{column}_faelles"])
    if "sikker_aendring" not in detail:
        p = pd.to_numeric(detail["p"], errors="coerce")
        detail["sikker_aendring"] = pd.array(
            np.where(p.notna(), p < SIGNIFICANCE_LEVEL, pd.NA), dtype="boolean"
        )
    keep = ["boelge", "kommunekode", "maal", "aendring", "ci_lav", "ci_hoej", "p", "vist"]
    return detail[[*keep, "sikker_aendring"]].drop_duplicates(["boelge", "kommunekode", "maal"])


# =========================================================================== clusters


def published_cluster_assignments(
    assignments: pd.DataFrame | None, published: pd.DataFrame
) -> pd.DataFrame | None:
    """``klynger.csv`` without the cluster of a municipality whose scores are hidden."""
    frame = _usable(assignments)
    if frame is None:
        return None
    frame = frame.copy()
    for key in ("boelge", "kommunekode"):
        frame[key] = frame[key].astype("int64")
    hidden = published.loc[published["skjult"], ["boelge", "kommunekode"]]
    mask = frame.set_index(["boelge", "kommunekode"]).index.isin(
        pd.MultiIndex.from_frame(hidden.astype("int64"))
    )
    for column in ("klynge", "klyngenavn"):
        if column in frame:
            frame[column] = frame[column].astype(object).mask(mask)
    return frame[~mask].reset_index(drop=True)


def published_cluster_profiles(
    profiles: pd.DataFrame | None,
    assignments: pd.DataFrame | None,
    municipality_scores: pd.DataFrame,
    settings: Settings | None = None,
) -> pd.DataFrame | None:
    """``klyngeprofiler.csv`` with a cluster's theme mean missing when its municipalities'
    respondents with a score on that theme number fewer than the minimum (and then its index)."""
    s = settings if settings is not None else Settings()
    frame = _usable(profiles)
    if frame is None:
        return None
    out = frame.copy()
    members = _usable(assignments)
    if members is None:
        return out
    members = members.dropna(subset=["klynge"])[["boelge", "kommunekode", "klynge"]].copy()
    scores = municipality_scores.copy()
    for frame_ in (members, scores, out):
        frame_["boelge"] = frame_["boelge"].astype("int64")
    members["kommunekode"] = members["kommunekode"].astype("int64")
    scores["kommunekode"] = scores["kommunekode"].astype("int64")
    members = members.merge(scores, on=["boelge", "kommunekode"], how="left")
    weights = score.theme_weights(s)
    index_hidden = pd.Series(False, index=out.index)
    key = pd.MultiIndex.from_frame(out[["boelge", "klynge"]].astype("int64"))
    for theme in reference.theme_codes():
        n = members.assign(_n=_theme_n(members, theme)).groupby(["boelge", "klynge"])["_n"].sum()
        n.index = n.index.set_levels([lvl.astype("int64") for lvl in n.index.levels])
        hidden = pd.Series(n.reindex(key).fillna(0).to_numpy() < s.min_respondents_published)
        hidden.index = out.index
        if theme in out:
            out[theme] = out[theme].mask(hidden)
        if weights[theme] > 0:
            index_hidden |= hidden
    if INDEX in out:
        out[INDEX] = out[INDEX].mask(index_hidden)
    return out


# =========================================================================== breakdowns


def published_roles(
    responses: pd.DataFrame | None,
    respondent_scores: pd.DataFrame | None,
    settings: Settings | None = None,
) -> pd.DataFrame | None:
    """Mean theme score per wave and role; a cell resting on fewer than the minimum is missing.

    Returns ``boelge, rolle, n`` (respondents; missing below the minimum) and the six theme
    codes (mean of the respondents' theme scores).
    """
    s = settings if settings is not None else Settings()
    if _usable(responses) is None or _usable(respondent_scores) is None:
        return None
    if "rolle" not in responses:
        return None
    themes = reference.theme_codes()
    keys = ["respondent_key", "boelge"]
    left = respondent_scores[[*keys, *themes]]
    right = responses[[*keys, "rolle"]]
    if len(left) == len(right) and bool(
        (left["respondent_key"].array == right["respondent_key"].array).all()
    ):
        # The run's two tables share their rows in the same order: the merge is positional
        # (compared as arrays: on pyarrow strings an elementwise comparison, not Python objects).
        merged = left.reset_index(drop=True).assign(rolle=right["rolle"].array)
    else:
        merged = left.merge(right.drop_duplicates(keys), on=keys, how="left")
    # Grouped by the roles' codes (a handful of roles among a million respondents): grouping
    # by the texts hashed a Python string per row. Sorted codes keep the texts' order.
    codes, names = pd.factorize(merged["rolle"].astype("string").fillna("(ingen rolle)"), sort=True)
    merged["rolle"] = pd.Categorical.from_codes(codes, names)
    merged["boelge"] = merged["boelge"].astype("int64")
    grouped = merged.groupby(["boelge", "rolle"], sort=True, observed=True)
    out = grouped.size().rename("n").reset_index()
    out["rolle"] = out["rolle"].astype(str)
    means = grouped[themes].mean().reset_index(drop=True)
    counts = grouped[themes].count().reset_index(drop=True)
    minimum = s.min_respondents_published
    for theme in themes:
        out[theme] = means[theme].where(counts[theme] >= minimum).to_numpy()
    out["n"] = out["n"].astype("Int64").mask(out["n"] < minimum)
    return out


def published_items(item_statistics: pd.DataFrame | None, settings: Settings | None = None):
    """``itemstatistik.csv`` with every statistic of an item answered by fewer than the
    minimum missing."""
    s = settings if settings is not None else Settings()
    frame = _usable(item_statistics)
    if frame is None:
        return None
    out = frame.copy()
    few = pd.to_numeric(out["n"], errors="coerce").fillna(0) < s.min_respondents_published
    for column in ("gns", "sd", "item_rest_r", "alpha_uden_item"):
        if column in out:
            out[column] = out[column].mask(few)
    return out


def is_pooled(table: pd.DataFrame) -> pd.Series:
    """Which rows of an effects table belong to the model pooled over the waves.

    The ``samlet`` column when the table has it; else (a table as the contract writes it, or
    read back from ``effekter.csv``) ``boelge == "samlet"``.
    """
    if POOLED in table.columns:
        return table[POOLED].astype("boolean").fillna(False).astype(bool)
    return table["boelge"].astype("string").eq(POOLED).fillna(False)


def wave_key(table: pd.DataFrame) -> pd.Series:
    """Each row's wave as text (``"2022"``), or ``"samlet"`` for the pooled model's rows.

    This is also how ``effekter.csv`` writes ``boelge``, as the contract has it.
    """
    pooled = is_pooled(table)
    waves = pd.to_numeric(table["boelge"].where(~pooled), errors="coerce")
    text = waves.map(lambda w: "" if pd.isna(w) else str(int(w)))
    return text.where(~pooled, POOLED)


def municipality_item_means(
    responses: pd.DataFrame | None,
    published: pd.DataFrame,
    wave: int,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """Mean answer per item of ``wave``, per municipality and nationally, publishable.

    Reverse-keyed items are reversed (6 − answer) so that higher is always better. A
    municipality's mean of an item answered by fewer than the minimum is missing; the national
    mean is over the respondents of the municipalities whose scores are published.

    Returns
    -------
    (per municipality, national) or ``None`` without responses:
        ``kommunekode, item, n, gns`` (``n`` and ``gns`` missing below the minimum), and a
        Series item → national mean.
    """
    s = settings if settings is not None else Settings()
    frame = _usable(responses)
    items = reference.items_of_wave(int(wave))
    if frame is None or not set(items) <= set(frame.columns):
        return None
    rows = wave_of(frame, wave)
    values = rows[items].astype(float)
    reverse = [i for i in items if i in set(reference.reverse_keyed_items())]
    values[reverse] = 6.0 - values[reverse]
    codes = rows["kommunekode"].astype("int64").to_numpy()
    grouped = values.groupby(codes)
    n = grouped.count().stack().rename("n")
    mean = grouped.mean().stack().rename("gns")
    per = pd.concat([n, mean], axis=1).reset_index(names=["kommunekode", "item"])
    few = per["n"] < s.min_respondents_published
    per["gns"] = per["gns"].mask(few)
    per["n"] = per["n"].astype("Int64").mask(few)
    scores = wave_of(published, wave)
    shown = set(scores.loc[~scores["skjult"], "kommunekode"].astype(int))
    national_values = values[np.isin(codes, list(shown))]
    national = national_values.mean().where(national_values.count() >= s.min_respondents_published)
    return per, national


# =========================================================================== the stage


def index_shown_any(published: pd.DataFrame) -> bool:
    """Whether any municipality of any wave in ``published`` (:func:`published_scores`) has a
    published index."""
    return bool((~published[f"{INDEX}_skjult"]).any()) if len(published) else False


@dataclass(frozen=True)
class PublishedTables:
    """Everything that may leave KL, for every wave of a run.

    Attributes
    ----------
    settings:
        The settings the rules were applied with.
    scores:
        :func:`published_scores` (all waves).
    benchmarks, ranks, changes:
        :func:`published_benchmarks`, :func:`published_ranks`, :func:`published_changes`.
    cluster_assignments, cluster_profiles, cluster_choice:
        :func:`published_cluster_assignments`, :func:`published_cluster_profiles`, and
        ``klyngevalg.csv`` (municipality-level fit statistics; ``None`` without clusters).
    effects, effects_missing:
        ``effekter.csv`` and ``effekter_mangler.csv`` (municipality-level models).
    reliability, items, roles:
        ``reliabilitet.csv`` (theme-level), :func:`published_items`, :func:`published_roles`.
    robustness, sensitivity, robustness_sentences:
        ``indeksrobusthed.csv`` and ``indeksfoelsomhed.csv`` (:mod:`omstilling_analysis.
        robustness`, over the published municipalities only) and the Danish sentence per wave
        naming what the ranking depends on most.
    """

    settings: Settings
    scores: pd.DataFrame
    benchmarks: pd.DataFrame
    ranks: pd.DataFrame
    changes: pd.DataFrame
    cluster_assignments: pd.DataFrame | None = None
    cluster_profiles: pd.DataFrame | None = None
    cluster_choice: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    effects_missing: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    roles: pd.DataFrame | None = None
    robustness: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    robustness_sentences: Mapping[int, str] = field(default_factory=dict)

    @property
    def waves(self) -> list[int]:
        """The waves with municipality scores."""
        return sorted(int(w) for w in self.scores["boelge"].unique())

    @property
    def minimum(self) -> int:
        return self.settings.min_respondents_published

    def wave_scores(self, wave: int) -> pd.DataFrame:
        return wave_of(self.scores, wave)

    def shown(self, wave: int) -> pd.DataFrame:
        """The municipalities of ``wave`` with a published index."""
        scores = self.wave_scores(wave)
        return scores[~scores[f"{INDEX}_skjult"]]

    def national(self, wave: int) -> pd.DataFrame:
        """National benchmark rows of ``wave``, indexed by measure."""
        b = self.benchmarks
        return b[(b["boelge"] == wave) & (b["niveau"] == "land")].set_index("maal")

    def regional(self, wave: int) -> pd.DataFrame:
        b = self.benchmarks
        return b[(b["boelge"] == wave) & (b["niveau"] == "region")]

    def national_means(self) -> pd.DataFrame:
        """National mean (over published municipalities) per wave (rows) and measure."""
        land = self.benchmarks[self.benchmarks["niveau"] == "land"]
        return land.pivot_table(index="boelge", columns="maal", values="gennemsnit")

    def shown_any(self) -> bool:
        """Whether any municipality of any wave has a published index."""
        return index_shown_any(self.scores)

    def wave_robustness(self, wave: int) -> pd.DataFrame | None:
        frame = self.robustness
        return None if frame is None else wave_of(frame, wave)

    def wave_ranks(self, wave: int) -> pd.DataFrame:
        return wave_of(self.ranks, wave)

    def wave_changes(self, wave: int, measure: str | None = None) -> pd.DataFrame:
        changes = wave_of(self.changes, wave)
        return changes if measure is None else changes[changes["maal"] == measure]

    def wave_clusters(self, wave: int) -> pd.DataFrame | None:
        frame = self.cluster_assignments
        return None if frame is None else wave_of(frame, wave)

    def wave_profiles(self, wave: int) -> pd.DataFrame | None:
        frame = self.cluster_profiles
        if frame is None:
            return None
        profiles = wave_of(frame, wave)
        return profiles if len(profiles) else None

    def wave_effects(self, wave: int) -> pd.DataFrame:
        """The effect models of ``wave`` and the pooled model (empty without effects)."""
        if self.effects is None:
            return pd.DataFrame(columns=["boelge", "udfald", "tema", "p", "p_justeret"])
        pooled = is_pooled(self.effects)
        waves = pd.to_numeric(self.effects["boelge"], errors="coerce")
        return self.effects[pooled | (waves == int(wave))]

    def level_counts(self, wave: int) -> dict[int, int]:
        """Municipalities per maturity level 1–5 among those with a published index."""
        levels = self.shown(wave)["modenhedsniveau"].dropna().astype(int).value_counts()
        return {level: int(levels.get(level, 0)) for level in range(1, 6)}


def publish(
    tables: Mapping[str, pd.DataFrame], settings: Settings | None = None
) -> PublishedTables:
    """The publishable tables of a run, from its internal tables (by output file name)."""
    s = settings if settings is not None else Settings()
    scores = tables.get("kommunescorer.parquet")
    if scores is None:
        columns = ["boelge", "kommunekode", "kommune", "region", "n_respondenter"]
        scores = pd.DataFrame(columns=[*columns, *reference.theme_codes(), INDEX])
    scores = published_scores(scores, s)
    respondents = _usable(tables.get("respondentscorer.parquet"))
    assignments = _usable(tables.get("klynger.csv"))
    return PublishedTables(
        settings=s,
        scores=scores,
        benchmarks=published_benchmarks(scores, s),
        ranks=published_ranks(scores, respondents, _usable(tables.get("rang.csv")), s),
        changes=published_changes(scores, _usable(tables.get("udvikling.csv")), s),
        cluster_assignments=published_cluster_assignments(assignments, scores),
        cluster_profiles=published_cluster_profiles(
            tables.get("klyngeprofiler.csv"), assignments, tables["kommunescorer.parquet"], s
        )
        if "kommunescorer.parquet" in tables
        else None,
        cluster_choice=_usable(tables.get("klyngevalg.csv")),
        effects=_usable(tables.get("effekter.csv")),
        effects_missing=_usable(tables.get("effekter_mangler.csv")),
        reliability=_usable(tables.get("reliabilitet.csv")),
        items=published_items(tables.get("itemstatistik.csv"), s),
        roles=published_roles(tables.get("besvarelser.parquet"), respondents, s),
    )
