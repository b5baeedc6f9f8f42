"""Timestamps as SurveyXact and municipalities' own sheets write them."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["parse_timestamps"]


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Timestamps as SurveyXact writes them: text, datetime cells or Excel serial day numbers.

    Anything else becomes missing (``NaT``), also a time outside 1900–2199 or with a time zone
    that cannot be read; a time with a zone is taken as the same instant in UTC.

    >>> parse_timestamps(pd.Series([43900.5, "11-03-2020 12:00", "04-03-0022 21:27:30", "x"]))
    0   2020-03-10 12:00:00
    1   2020-03-11 12:00:00
    2                   NaT
    3                   NaT
    dtype: datetime64[ns]
    """
    numeric = pd.to_numeric(values, errors="coerce")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    serial = numeric.notna() & (numeric > 1000) & (numeric < 100000)
    if pd.api.types.is_datetime64_dtype(values.dtype) and not serial.any():
        # Times already read as times (pyarrow reads SurveyXact's ISO text so): the text
        # route below would write each as text and parse it back to the same time.
        times = values.astype("datetime64[ns]")
        return times.where((times >= _EARLIEST) & (times < _LATEST)).astype("datetime64[ns]")
    if serial.any():
        result[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(numeric[serial], unit="D")
    rest = values[~serial & values.notna()]
    if len(rest):
        parsed = _naive(
            pd.to_datetime(rest.astype(str), errors="coerce", format="ISO8601", utc=True)
        )
        retry = parsed.isna()
        # Day-first text in a few fixed layouts is read by format (vectorised) before the rest
        # goes to the value-by-value parser (some 50 µs a value: minutes for a national export).
        for layout, pattern in _DAY_FIRST:
            if not retry.any():
                break
            text = rest[retry].astype(str)
            fits = text.str.fullmatch(pattern).to_numpy(dtype=bool)
            if fits.any():
                fitting = text[fits]
                parsed[fitting.index] = _naive(
                    pd.to_datetime(fitting, errors="coerce", format=layout, utc=True)
                )
                retry = parsed.isna()
        if retry.any():
            parsed[retry] = _naive(
                pd.to_datetime(
                    rest[retry].astype(str),
                    errors="coerce",
                    format="mixed",
                    dayfirst=True,
                    utc=True,
                )
            )
        plausible = (parsed >= _EARLIEST) & (parsed < _LATEST)
        result[rest.index] = parsed.where(plausible).astype("datetime64[ns]")
    return result


_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")


def _naive(parsed: pd.Series) -> pd.Series:
    """UTC times (as ``to_datetime(..., utc=True)`` gives them) without their zone."""
    return parsed.dt.tz_localize(None)


#: Day-first timestamp layouts read by format, each with the text it accepts (seconds below
#: 60): for such text the general day-first parser gives the same time, only slower.
_DAY_FIRST = tuple(
    (
        f"%d{sep}%m{sep}%Y{layout}",
        rf"\d{{1,2}}{re.escape(sep)}\d{{1,2}}{re.escape(sep)}\d{{4}}{pattern}",
    )
    for sep in ("-", ".", "/")
    for layout, pattern in (
        (" %H:%M:%S", r" \d{1,2}:\d{2}:[0-5]\d"),
        (" %H:%M", r" \d{1,2}:\d{2}"),
        ("", ""),
    )
)
