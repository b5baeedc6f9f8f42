"""Settings an analyst can change without editing code.

The defaults are the contract's rules. A TOML file overrides any of them
(``omstilling kør --indstillinger indstillinger.toml``); ``indstillinger.eksempel.toml`` at the
root of the repository lists every key with its Danish explanation and its default. The
settings in force are written to ``manifest.json`` so that a result can be reproduced later.

Settings are checked once, when they are made (:class:`Settings`' constructor, which
:meth:`Settings.from_toml` and :func:`load_settings` go through): a wrong type, an unknown key,
a value out of range, a TOML syntax error or a Danish decimal comma (``vaegt = 0,5``) raises
:class:`SettingsError` with one Danish line naming the key, before any raw data are read.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omstilling_analysis.errors import SettingsError
from omstilling_analysis.reference import theme_codes

__all__ = [
    "AUTO",
    "SETTING_KEYS",
    "SettingKey",
    "Settings",
    "SettingsError",
    "load_settings",
    "read_toml",
]

#: The value a settings file gives ``klynge_k`` or ``klynge_metode`` to let the data choose.
AUTO = "auto"


@dataclass(frozen=True)
class SettingKey:
    """One key of the settings file: its Danish name, the attribute and the explanation."""

    key: str
    attribute: str
    explanation: str


#: Every key of the settings file, in the order of ``indstillinger.eksempel.toml``.
SETTING_KEYS: tuple[SettingKey, ...] = (
    SettingKey(
        "min_andel_besvaret",
        "min_share_answered",
        "Andel af bølgens spørgsmål (rundet op), en respondent skal have svaret 1-5 på for at "
        "blive talt; også andelen af et temas spørgsmål bag en temascore. Over 0 og højst 1.",
    ),
    SettingKey(
        "niveaugraenser",
        "level_thresholds",
        "Nedre grænser for modenhedsniveau 2-5 (niveau 1 starter ved 1): fire stigende tal "
        "mellem 1 og 5.",
    ),
    SettingKey(
        "min_respondenter",
        "min_respondents_published",
        "Færreste respondenter bag et offentliggjort tal. Mindst 3 (kontraktens grænse).",
    ),
    SettingKey(
        "udfald_forskydning",
        "outcome_lag",
        "Bølge W kobles til udfaldene i år W + dette tal. Et helt tal fra 0 til 10.",
    ),
    SettingKey(
        "klynge_k",
        "n_clusters",
        'Antal klynger: et helt tal fra 1 (ingen typer) til 20, eller "auto" (vælges ud fra data).',
    ),
    SettingKey(
        "klynge_metode",
        "cluster_method",
        'Klyngemetode: "kmeans", "ward", "gmm" eller "auto" (vælges ud fra data).',
    ),
    SettingKey(
        "bootstrap",
        "n_bootstrap",
        "Antal bootstrap-gentrækninger til rangintervaller og klyngernes stabilitet "
        "(0 til 100000; 0 slår stabiliteten fra).",
    ),
    SettingKey(
        "seed",
        "seed",
        "Startværdi for alle tilfældige trin, så en kørsel kan gentages. Et helt tal, mindst 0.",
    ),
    SettingKey(
        "robusthed_koncentration",
        "robustness_concentration",
        "Indeksets robusthed: hvor tæt de tilfældige temavægte ligger på temavaegte (Dirichlet-"
        "koncentration, over 0 til 100000; højere er tættere).",
    ),
    SettingKey(
        "robusthed_traek",
        "robustness_draws",
        "Indeksets robusthed: antal samtidige træk af stikprøve, vægte, aggregering og "
        "halvdelsregel (0 til 100000; 0 slår analysen fra).",
    ),
    SettingKey(
        "robusthed_interval_bredde",
        "robustness_interval_width",
        "En rang, hvis samlede interval spænder over mere end så mange pladser, vises som "
        "interval og ikke som plads (et helt tal fra 0 til 98).",
    ),
    SettingKey(
        "temavaegte",
        "theme_weights",
        "Temaernes vægte i modenhedsindekset (et vægtet gennemsnit af temascorerne): en tabel "
        "med et tal på mindst 0 for hvert tema; et tema, der ikke står der, vejer 1. Mindst én "
        "vægt skal være over 0.",
    ),
)

_BY_KEY = {entry.key: entry for entry in SETTING_KEYS}
_MAX_LAG, _MAX_CLUSTERS, _MAX_BOOTSTRAP = 10, 20, 100_000


def _equal_weights() -> dict[str, float]:
    return {theme: 1.0 for theme in theme_codes()}


def _kind(value: Any) -> str:
    """The Danish name of a TOML value's type, for messages (never the value itself)."""
    if isinstance(value, bool):
        return "sand/falsk"
    if isinstance(value, int):
        return "et helt tal"
    if isinstance(value, float):
        return "et decimaltal"
    if isinstance(value, str):
        return "tekst"
    if isinstance(value, list | tuple):
        return "en liste"
    if isinstance(value, Mapping):
        return "en tabel"
    return "en dato eller et tidspunkt"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(key: str, value: Any) -> float:
    if not _is_number(value):
        raise SettingsError(f"{key}: skal være et tal, ikke {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise SettingsError(f"{key}: skal være et endeligt tal")
    return number


def _integer(key: str, value: Any, low: int, high: int | None) -> int:
    if isinstance(value, float) and value.is_integer():
        raise SettingsError(f"{key}: skal være et helt tal uden decimaler (fx {int(value)})")
    if not isinstance(value, int) or isinstance(value, bool):
        raise SettingsError(f"{key}: skal være et helt tal, ikke {_kind(value)}")
    if value < low or (high is not None and value > high):
        span = f"mindst {low}" if high is None else f"fra {low} til {high}"
        raise SettingsError(f"{key}: skal være et helt tal {span}")
    return int(value)


def _decimal_comma_hint(values: list | tuple) -> str:
    integers = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    return " (brug punktum som decimaltegn: 1.8, ikke 1,8)" if integers and values else ""


@dataclass(frozen=True)
class Settings:
    """Every tunable rule of the pipeline, with the contract's defaults; checked when made.

    Attributes
    ----------
    min_share_answered:
        A respondent needs 1-5 answers to at least ``ceil(share * n_items)`` of the wave's items
        to be counted, and to ``ceil(share * n_theme_items)`` of a theme's items for a theme score.
    theme_weights:
        Weights of the six themes in the maturity index (the weighted mean of theme scores).
        A theme left out weighs 1; the stored mapping always has all six.
    level_thresholds:
        Lower bounds of maturity levels 2-5 (level 1 starts at 1).
    min_respondents_published:
        No published figure rests on fewer respondents than this (at least 3).
    outcome_lag:
        Wave W is linked to the outcomes of year W + ``outcome_lag``.
    n_clusters, cluster_method:
        ``None`` lets the data choose (see :mod:`omstilling_analysis.clusters`).
    n_bootstrap:
        Resamples for rank intervals and cluster stability.
    seed:
        Seed of every random step, so a run is reproducible.

    Raises
    ------
    SettingsError
        One Danish line naming the setting's key in the settings file.

    Examples
    --------
    >>> Settings(theme_weights={"DAT": 2}).theme_weights["BOR"]
    1.0
    >>> Settings(n_clusters="fem")
    Traceback (most recent call last):
    ...
    omstilling_analysis.errors.SettingsError: klynge_k: skal være et helt tal, ikke tekst
    """

    min_share_answered: float = 0.5
    theme_weights: dict[str, float] = field(default_factory=_equal_weights)
    level_thresholds: tuple[float, float, float, float] = (1.8, 2.6, 3.4, 4.2)
    min_respondents_published: int = 3
    outcome_lag: int = 1
    n_clusters: int | None = None
    cluster_method: str | None = None
    n_bootstrap: int = 200
    seed: int = 20240101
    robustness_concentration: float = 50.0
    robustness_draws: int = 1000
    robustness_interval_width: int = 10

    def __post_init__(self) -> None:
        for entry in SETTING_KEYS:
            value = getattr(self, entry.attribute)
            object.__setattr__(self, entry.attribute, _CHECKS[entry.attribute](entry.key, value))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, for ``manifest.json``."""
        values = dataclasses.asdict(self)
        values["level_thresholds"] = list(self.level_thresholds)
        return values

    @classmethod
    def from_manifest(cls, values: Mapping[str, Any]) -> Settings:
        """The settings a run recorded in ``manifest.json`` (:meth:`to_dict`'s attribute names),
        checked like any other."""
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in values.items() if k in names}
        if "level_thresholds" in kept:
            kept["level_thresholds"] = tuple(float(t) for t in kept["level_thresholds"])
        return cls(**kept)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], **overrides: Any) -> Settings:
        """Settings from a mapping with the settings file's Danish keys, then ``overrides``
        (attribute names; ``None`` values are ignored)."""
        attributes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in _BY_KEY:
                close = difflib.get_close_matches(str(key), list(_BY_KEY), n=1)
                hint = f"; mente du '{close[0]}'?" if close else ""
                raise SettingsError(f"{key}: ukendt indstilling{hint}")
            attribute = _BY_KEY[key].attribute
            if attribute in ("n_clusters", "cluster_method") and value == AUTO:
                value = None
            attributes[attribute] = value
        attributes.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(attributes) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SettingsError(f"{sorted(unknown)[0]}: ukendt indstilling")
        return cls(**attributes)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> Settings:
        """Settings from a TOML file with Danish keys; messages start with ``path`` as given."""
        return _from_file(cls, path, overrides)


def _from_file(cls: type[Settings], path: str | Path, overrides: Mapping[str, Any]) -> Settings:
    values = read_toml(path)
    try:
        return cls.from_mapping(values, **overrides)
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from None


# ------------------------------------------------------------------------------ the checks


def _check_share(key: str, value: Any) -> float:
    share = _number(key, value)
    if not 0 < share <= 1:
        raise SettingsError(f"{key}: skal være over 0 og højst 1 (fx 0.5)")
    return share


def _check_weights(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise SettingsError(
            f"{key}: skal være en tabel med et tal for hvert tema, ikke {_kind(value)}"
        )
    weights = _equal_weights()
    for theme, weight in value.items():
        if theme not in weights:
            raise SettingsError(f"{key}.{theme}: ukendt tema (vælg mellem {', '.join(weights)})")
        number = _number(f"{key}.{theme}", weight)
        if number < 0:
            raise SettingsError(f"{key}.{theme}: en vægt skal være mindst 0")
        weights[theme] = number
    if sum(weights.values()) <= 0:
        raise SettingsError(f"{key}: mindst én vægt skal være over 0")
    return weights


def _check_thresholds(key: str, value: Any) -> tuple[float, float, float, float]:
    if not isinstance(value, list | tuple):
        raise SettingsError(f"{key}: skal være en liste med fire tal, ikke {_kind(value)}")
    if len(value) != 4:
        raise SettingsError(
            f"{key}: skal være fire stigende tal mellem 1 og 5{_decimal_comma_hint(value)}"
        )
    numbers = tuple(_number(key, v) for v in value)
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)) or not (
        numbers[0] > 1 and numbers[-1] <= 5
    ):
        raise SettingsError(f"{key}: skal være fire stigende tal mellem 1 og 5")
    return numbers  # type: ignore[return-value]


def _check_min_respondents(key: str, value: Any) -> int:
    return _integer(key, value, 3, None)


def _check_lag(key: str, value: Any) -> int:
    return _integer(key, value, 0, _MAX_LAG)


def _check_clusters(key: str, value: Any) -> int | None:
    # 1 is an answer too: "no clear types", every municipality in one group.
    return None if value is None else _integer(key, value, 1, _MAX_CLUSTERS)


def _check_method(key: str, value: Any) -> str | None:
    if value is None:
        return None
    # Imported here: clusters imports this module (and scikit-learn) at its top.
    from omstilling_analysis.clusters import METHODS

    choices = f"vælg mellem {', '.join(METHODS)} eller {AUTO}"
    if not isinstance(value, str):
        raise SettingsError(f"{key}: skal være tekst ({choices}), ikke {_kind(value)}")
    if value not in METHODS:
        raise SettingsError(f"{key}: ukendt klyngemetode; {choices}")
    return value


def _check_bootstrap(key: str, value: Any) -> int:
    return _integer(key, value, 0, _MAX_BOOTSTRAP)


def _check_seed(key: str, value: Any) -> int:
    return _integer(key, value, 0, None)


def _check_concentration(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0 < number <= 100_000:
        raise SettingsError(f"{key}: skal være et tal over 0 og højst 100000")
    return number


def _check_draws(key: str, value: Any) -> int:
    return _integer(key, value, 0, _MAX_BOOTSTRAP)


def _check_interval_width(key: str, value: Any) -> int:
    return _integer(key, value, 0, 98)


_CHECKS = {
    "min_share_answered": _check_share,
    "theme_weights": _check_weights,
    "level_thresholds": _check_thresholds,
    "min_respondents_published": _check_min_respondents,
    "outcome_lag": _check_lag,
    "n_clusters": _check_clusters,
    "cluster_method": _check_method,
    "n_bootstrap": _check_bootstrap,
    "seed": _check_seed,
    "robustness_concentration": _check_concentration,
    "robustness_draws": _check_draws,
    "robustness_interval_width": _check_interval_width,
}


# ------------------------------------------------------------------------------ the file

_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=\s*(.*)$""")
_TABLE_LINE = re.compile(r"""^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$""")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d")


def _lines_with_keys(text: str) -> list[tuple[int, str, str]]:
    """(line number, dotted key, value text) of each ``key = value`` line, tables applied."""
    found, table = [], ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_LINE.match(line)
        if header:
            table = header.group(1).strip().strip("\"'")
            continue
        match = _KEY_LINE.match(line)
        if match:
            key = match.group(1).strip("\"'")
            found.append((number, f"{table}.{key}" if table else key, match.group(2)))
    return found


def _syntax_message(text: str, error: tomllib.TOMLDecodeError) -> str:
    """One Danish line for a TOML syntax error, naming the line and key where they are known."""
    keyed = _lines_with_keys(text)
    for number, key, value in keyed:
        if _DECIMAL_COMMA.match(value.strip()):
            return f"linje {number}: {key}: brug punktum som decimaltegn (fx 0.5, ikke 0,5)"
    seen: set[str] = set()
    for number, key, _ in keyed:
        if key in seen:
            return f"linje {number}: {key}: indstillingen står der to gange"
        seen.add(key)
    at_line = re.search(r"line (\d+)", str(error))
    number = int(at_line.group(1)) if at_line else None
    if number is None:
        # "at end of document": an unterminated string or list, on the first line with an odd
        # number of quotes or more opening than closing brackets.
        number = next(
            (
                n
                for n, _, v in keyed
                if v.count('"') % 2 or v.count("'") % 2 or v.count("[") > v.count("]")
            ),
            None,
        )
    if number is None:
        return "ugyldig TOML (tjek anførselstegn, lighedstegn og klammer)"
    key = next((k for n, k, _ in keyed if n == number), None)
    where = f"linje {number}: {key}" if key else f"linje {number}"
    return f"{where}: ugyldig TOML (tjek anførselstegn, lighedstegn og klammer)"


def read_toml(path: str | Path) -> dict[str, Any]:
    """The raw values of a settings file; :class:`SettingsError` naming ``path`` as given."""
    file = Path(path)
    if file.is_dir():
        raise SettingsError(f"{path}: er en mappe, ikke en indstillingsfil")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SettingsError(f"{path}: filen findes ikke") from None
    except OSError:
        raise SettingsError(f"{path}: filen kan ikke læses") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: filen er ikke gemt som UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: {_syntax_message(text, error)}") from None


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (Danish keys) and keyword overrides (attribute names).

    >>> load_settings(theme_weights={"DAT": 4}).theme_weights["DAT"]
    4.0
    """
    if path is None:
        return Settings.from_mapping({}, **overrides)
    return Settings.from_toml(path, **overrides)
