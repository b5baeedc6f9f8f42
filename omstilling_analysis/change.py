"""Change since the previous wave (``udvikling.csv``): Welch's t-test of each theme score and
the index, and the change on the items both waves asked where a theme's item set changed."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from omstilling_analysis import reference
from omstilling_analysis.score import (
    CONFIDENCE,
    INDEX,
    SIGNIFICANCE_LEVEL,
    municipality_scores,
    respondent_scores,
    theme_weights,
    wave_slices,
)
from omstilling_analysis.settings import Settings

__all__ = ["ALL_ITEMS", "CHANGE_COLUMNS", "COMMON_ITEMS", "changes", "welch_test"]

#: ``vist`` of a change: on all the items of each wave, or on the items both waves asked.
ALL_ITEMS, COMMON_ITEMS = "alle spørgsmål", "fælles spørgsmål"

CHANGE_COLUMNS = [
    "boelge", "kommunekode", "forrige_boelge", "maal", "vaerdi", "forrige_vaerdi", "n",
    "forrige_n", "aendring", "se", "df", "ci_lav", "ci_hoej", "p", "samme_spoergsmaal",
    "aendring_faelles", "se_faelles", "df_faelles", "ci_lav_faelles", "ci_hoej_faelles",
    "p_faelles", "vist", "sikker_aendring",
]  # fmt: skip


def welch_test(
    difference: np.ndarray,
    se_now: np.ndarray,
    n_now: np.ndarray,
    se_before: np.ndarray,
    n_before: np.ndarray,
    confidence: float = CONFIDENCE,
) -> dict[str, np.ndarray]:
    """Welch's t-test of a difference of two independent means, from their standard errors.

    .. math::

        se = \\sqrt{se_1^2 + se_2^2}, \\qquad
        \\nu = \\frac{(se_1^2 + se_2^2)^2}{se_1^4/(n_1 - 1) + se_2^4/(n_2 - 1)}

    (Welch 1947; Satterthwaite 1946), ``p = 2·P(T_ν > |d|/se)`` and the interval
    ``d ± t_{ν, 0.975}·se``. With ``se_i = s_i/√n_i`` this is
    ``scipy.stats.ttest_ind(..., equal_var=False)``. Missing where either ``n < 2``.

    Examples
    --------
    >>> import numpy as np
    >>> r = welch_test(np.array([1.1667]), np.array([0.2887]), np.array([3]),
    ...                np.array([0.4410]), np.array([3]))
    >>> round(float(r["p"][0]), 3), round(float(r["df"][0]), 2)
    (0.102, 3.45)
    """
    # SciPy when it is used: the processes that read the sources import this module (through
    # publish) and never need it.
    from scipy import stats

    se1, se2 = np.asarray(se_now, float) ** 2, np.asarray(se_before, float) ** 2
    n1, n2 = np.asarray(n_now, float), np.asarray(n_before, float)
    ok = (n1 >= 2) & (n2 >= 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(se1 + se2)
        df = (se1 + se2) ** 2 / (se1**2 / (n1 - 1) + se2**2 / (n2 - 1))
        df = np.where(ok, df, np.nan)
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
        p = 2 * stats.t.sf(np.abs(np.asarray(difference, float)) / se, df)
    se = np.where(ok, se, np.nan)
    # A difference of exactly zero with zero variance in both waves: nothing moved.
    p = np.where(ok & (se == 0), 1.0, p)
    return {"se": se, "df": df, "ci_lav": difference - half, "ci_hoej": difference + half, "p": p}


def _paired_rows(municipality_scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each municipality-wave with an earlier wave, and that previous wave's row."""
    ms = municipality_scores.sort_values(["kommunekode", "boelge"], kind="stable").reset_index(
        drop=True
    )
    previous = ms.groupby("kommunekode", sort=False).shift(1)
    has_previous = previous["boelge"].notna().to_numpy()
    return ms[has_previous].reset_index(drop=True), previous[has_previous].reset_index(drop=True)


def _n_of(frame: pd.DataFrame, measure: str) -> np.ndarray:
    column = f"{measure}_n" if f"{measure}_n" in frame else "n_respondenter"
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _welch_frame(now: pd.DataFrame, before: pd.DataFrame, measure: str) -> pd.DataFrame:
    difference = now[measure].to_numpy(dtype=float) - before[measure].to_numpy(dtype=float)
    n_now, n_before = _n_of(now, measure), _n_of(before, measure)
    if measure == INDEX:
        # The index's n is its respondents; its SE is the delta-method SE of the weighted mean
        # of theme means (theme covariances within the wave), combined as Welch-Satterthwaite.
        n_now = pd.to_numeric(now["n_respondenter"], errors="coerce").to_numpy(float)
        n_before = pd.to_numeric(before["n_respondenter"], errors="coerce").to_numpy(float)
    test = welch_test(
        difference, _standard_error(now, measure), n_now, _standard_error(before, measure), n_before
    )
    return pd.DataFrame({"aendring": difference, **test, "n": n_now, "forrige_n": n_before})


def changes(
    municipality_scores: pd.DataFrame,
    settings: Settings | None = None,
    responses: pd.DataFrame | None = None,
    waves: Collection[int] | None = None,
) -> pd.DataFrame:
    """Change of each theme score and the index since the municipality's previous wave.

    The previous wave is the latest earlier wave in which the municipality has a row. The two
    waves are independent samples (mostly different respondents, and no respondent can be
    followed between waves): the change is tested with **Welch's t-test** on the respondents'
    theme scores (:func:`welch_test`, Satterthwaite degrees of freedom), and its 95 % interval is
    on the same *t*. The index's change uses the delta-method standard error of each wave's
    index (theme covariances within the wave) with the respondents as *n*.

    Where a theme's item set differs between the two waves (the codebook's ``boelger``) and
    ``responses`` are given, the change is also computed on the items **both** waves asked
    (``*_faelles``): respondent theme scores on the common items by the same half-of-items rule,
    then the same test. ``vist`` says which change a workbook shows: the common-item one when
    the item set changed (so an analyst never sees a change that is only an item swap), else
    the one on all items; ``sikker_aendring`` is whether the shown change's *p* is below
    :data:`SIGNIFICANCE_LEVEL`. The index's item set changed when any theme of positive weight
    changed.

    Parameters
    ----------
    municipality_scores : pandas.DataFrame
        Output of :func:`municipality_scores` (all waves).
    settings : Settings, optional
        ``min_share_answered`` and ``theme_weights`` for the common-item scores.
    responses : pandas.DataFrame, optional
        The counted responses (``besvarelser``), for the common-item change.
    waves : collection of int, optional
        Only the rows of these waves (the change *into* them); their values are those of the
        whole table. A run keeps each wave's rows for the next run this way.

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`, one row per municipality × wave having an earlier wave ×
        measure, sorted by ``boelge, kommunekode`` and measure (instrument order, index last).

    Examples
    --------
    >>> import pandas as pd
    >>> ms = pd.DataFrame({"boelge": [2020, 2022], "kommunekode": [101, 101],
    ...     "n_respondenter": [3, 3], "modenhedsindeks": [2.0, 2.5],
    ...     "modenhedsindeks_se": [0.3, 0.4]}
    ...     | {t: [2.0, 2.5] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]}
    ...     | {f"{t}_n": [3, 3] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]}
    ...     | {f"{t}_se": [0.3, 0.4] for t in ["BOR", "STR", "FOR", "STY", "TEK", "DAT"]})
    >>> changes(ms).tail(1)[["boelge", "forrige_boelge", "maal", "aendring", "se"]]
       boelge  forrige_boelge             maal  aendring   se
    6    2022            2020  modenhedsindeks       0.5  0.5
    """
    s = settings if settings is not None else Settings()
    themes = reference.theme_codes()
    now, before = _paired_rows(municipality_scores)
    if waves is not None:
        wanted = now["boelge"].astype(int).isin([int(w) for w in waves]).to_numpy()
        now = now[wanted].reset_index(drop=True)
        before = before[wanted].reset_index(drop=True)
    if now.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    common = _common_item_scores(responses, now, before, s) if responses is not None else None
    weights = theme_weights(s)
    changed_sets = {t: _item_set_changed(now, before, t) for t in themes}
    changed_sets[INDEX] = np.logical_or.reduce([changed_sets[t] for t in themes if weights[t] > 0])
    frames = []
    for order, measure in enumerate([*themes, INDEX]):
        frame = pd.DataFrame(
            {
                "boelge": now["boelge"].to_numpy(),
                "kommunekode": now["kommunekode"].to_numpy(),
                "forrige_boelge": before["boelge"].to_numpy(),
                "maal": measure,
                "vaerdi": now[measure].to_numpy(dtype=float),
                "forrige_vaerdi": before[measure].to_numpy(dtype=float),
            }
        )
        frame = pd.concat([frame, _welch_frame(now, before, measure)], axis=1)
        same = ~changed_sets[measure]
        frame["samme_spoergsmaal"] = same
        for column in ("aendring", "se", "df", "ci_lav", "ci_hoej", "p"):
            frame[f"{column}_faelles"] = frame[column].where(same)
        if common is not None and (~same).any():
            common_now, common_before = common
            shared = _welch_frame(common_now, common_before, measure)
            for column in ("aendring", "se", "df", "ci_lav", "ci_hoej", "p"):
                frame.loc[~same, f"{column}_faelles"] = shared[column].to_numpy()[~same]
        frame["vist"] = np.where(same, ALL_ITEMS, COMMON_ITEMS)
        shown_p = frame["p"].where(same, frame["p_faelles"])
        frame["sikker_aendring"] = pd.array(
            np.where(shown_p.notna(), shown_p < SIGNIFICANCE_LEVEL, pd.NA), dtype="boolean"
        )
        frame["_maal"] = order
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    for column in ("boelge", "kommunekode", "forrige_boelge"):
        out[column] = out[column].astype("int64")
    out = out.sort_values(["boelge", "kommunekode", "_maal"], kind="stable")
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def _item_set_changed(now: pd.DataFrame, before: pd.DataFrame, theme: str) -> np.ndarray:
    """Per row: whether the theme's items differ between the row's two waves."""
    pairs = list(zip(now["boelge"].astype(int), before["boelge"].astype(int), strict=True))
    verdict = {
        (a, b): set(reference.theme_items(a)[theme]) != set(reference.theme_items(b)[theme])
        for a, b in set(pairs)
    }
    return np.array([verdict[pair] for pair in pairs], dtype=bool)


def _common_item_scores(
    responses: pd.DataFrame, now: pd.DataFrame, before: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipality scores of each row's two waves on the items both waves asked, aligned with
    ``now`` and ``before`` (NaN where a wave pair has no common item of a theme)."""
    themes = reference.theme_codes()
    pairs = sorted(set(zip(now["boelge"].astype(int), before["boelge"].astype(int), strict=True)))
    aligned_now, aligned_before = [], []
    keys = []
    by_wave = wave_slices(responses)
    for wave, earlier in pairs:
        items = {
            t: sorted(set(reference.theme_items(wave)[t]) & set(reference.theme_items(earlier)[t]))
            for t in themes
        }
        # Each wave scored on its own rows (a slice, not a copy of both waves' rows): the
        # scores of a municipality and wave depend on its respondents only.
        municipal = pd.concat(
            [
                municipality_scores(
                    respondent_scores(
                        by_wave.get(w, responses.iloc[:0]), settings, theme_items={w: items}
                    ),
                    settings,
                )
                for w in sorted({wave, earlier})
            ],
            ignore_index=True,
        ).set_index(["boelge", "kommunekode"])
        mine = (now["boelge"].astype(int) == wave) & (before["boelge"].astype(int) == earlier)
        codes = now.loc[mine, "kommunekode"].astype(int).to_numpy()
        aligned_now.append(
            municipal.reindex(pd.MultiIndex.from_arrays([[wave] * len(codes), codes]))
        )
        aligned_before.append(
            municipal.reindex(pd.MultiIndex.from_arrays([[earlier] * len(codes), codes]))
        )
        keys.append(np.flatnonzero(mine.to_numpy()))
    order = np.argsort(np.concatenate(keys))
    common_now = pd.concat(aligned_now).iloc[order].reset_index(drop=True)
    common_before = pd.concat(aligned_before).iloc[order].reset_index(drop=True)
    return common_now, common_before


def _standard_error(frame: pd.DataFrame, measure: str) -> np.ndarray:
    """``<measure>_se``, or the SE recovered from the t-interval ``<measure>_ci_*`` and ``_n``."""
    if f"{measure}_se" in frame:
        return frame[f"{measure}_se"].to_numpy(dtype=float)
    needed = [f"{measure}_ci_lav", f"{measure}_ci_hoej", f"{measure}_n"]
    if not all(column in frame for column in needed):
        return np.full(len(frame), np.nan)
    from scipy import stats  # when used: see welch_test

    n = frame[f"{measure}_n"].to_numpy(dtype=float)
    width = (frame[needed[1]] - frame[needed[0]]).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tcrit = stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1))
        return np.where(n >= 2, width / (2 * tcrit), np.nan)
