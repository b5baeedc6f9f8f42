"""Danish words and numbers as users read them: the one home of theme names, level names and
number formatting (decimal comma, thousands point, a true minus sign).

Every workbook, figure, notebook and CLI message takes its Danish labels and its number
formatting from here.
"""

from __future__ import annotations

import numpy as np

from omstilling_analysis import reference

#: Shown for a municipality without any counted respondent in the wave.
NO_RESPONSES = "ingen besvarelser"

__all__ = [
    "NO_RESPONSES",
    "dk_number",
    "dk_list",
    "dk_p",
    "level_names",
    "short_theme_names",
    "suppressed",
    "theme_names",
]


def theme_names() -> dict[str, str]:
    """Theme code → Danish name (``BOR`` → ``Borgernes behov og forventninger``)."""
    table = reference.themes()
    return dict(zip(table["tema"], table["navn"], strict=True))


def short_theme_names() -> dict[str, str]:
    """Theme code → a short Danish label that fits on an axis."""
    return {
        "BOR": "Borgernes behov",
        "STR": "Strategi",
        "FOR": "Forankring",
        "STY": "Styring",
        "TEK": "Digitalt fundament",
        "DAT": "Data, sikkerhed, etik",
    }


def level_names() -> dict[int, str]:
    """Maturity level number → Danish name (1 → ``Begynder``)."""
    return {number: name for _, number, name in reference.LEVELS}


def dk_number(value: float, decimals: int = 2, sign: bool = False) -> str:
    """A number as a Dane writes it: decimal comma, thousands point, a true minus sign.

    >>> dk_number(1234.5, 1), dk_number(-0.25), dk_number(0.1, 1, sign=True)
    ('1.234,5', '−0,25', '+0,1')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = f"{abs(value):,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    zero = float(text.replace(".", "").replace(",", ".")) == 0
    if value < 0 and not zero:
        return "−" + text
    return ("+" + text) if sign and not zero else text


def dk_p(p: float) -> str:
    """A p-value as a Dane reads it: three decimals with a comma, ``< 0,001`` below that.

    >>> dk_p(0.0004), dk_p(0.0312), dk_p(float("nan"))
    ('< 0,001', '0,031', '')
    """
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return ""
    return "< 0,001" if p < 0.0005 else dk_number(p, 3)


def suppressed(minimum: int = 3) -> str:
    """The text that stands in for a number resting on fewer than ``minimum`` respondents.

    >>> suppressed()
    'færre end 3 besvarelser'
    """
    return f"færre end {minimum} besvarelser"


def dk_list(values) -> str:
    """Numbers as a Danish list, trailing zeros dropped.

    >>> dk_list([2.5, 3.0, 3.75])
    '2,5; 3; 3,75'
    """
    return "; ".join(dk_number(float(v), 2).rstrip("0").rstrip(",") for v in values)
