"""Settings an analyst can change without editing code.

The defaults are the contract's rules. A TOML file overrides any of them
(``omstilling run --indstillinger indstillinger.toml``); the settings in force are written to
``manifest.json`` so that a result can be reproduced later.

Example ``indstillinger.toml``::

    min_andel_besvaret = 0.5          # the half-of-items rule
    niveaugraenser = [1.8, 2.6, 3.4, 4.2]
    udfald_forskydning = 1            # wave W is linked to outcomes of year W + lag
    klynge_k = 4                      # fix the number of clusters (default: chosen from the data)
    klynge_metode = "kmeans"          # "kmeans", "ward" or "gmm" (default: chosen)
    seed = 20240101

    [temavaegte]                      # theme weights of the maturity index
    BOR = 1
    STR = 1
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omstilling_analysis.reference import theme_codes


def _equal_weights() -> dict[str, float]:
    return {theme: 1.0 for theme in theme_codes()}


@dataclass(frozen=True)
class Settings:
    """Every tunable rule of the pipeline, with the contract's defaults.

    Attributes
    ----------
    min_share_answered:
        A respondent needs 1-5 answers to at least ``ceil(share * n_items)`` of the wave's items
        to be counted, and to ``ceil(share * n_theme_items)`` of a theme's items for a theme score.
    theme_weights:
        Weights of the six themes in the maturity index (the weighted mean of theme scores).
    level_thresholds:
        Lower bounds of maturity levels 2-5 (level 1 starts at 1).
    min_respondents_published:
        No published figure rests on fewer respondents than this.
    outcome_lag:
        Wave W is linked to the outcomes of year W + ``outcome_lag``.
    n_clusters, cluster_method:
        ``None`` lets the data choose (see :mod:`omstilling_analysis.clusters`).
    n_bootstrap:
        Resamples for rank intervals and cluster stability.
    seed:
        Seed of every random step, so a run is reproducible.
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, for ``manifest.json``."""
        values = dataclasses.asdict(self)
        values["level_thresholds"] = list(self.level_thresholds)
        return values


#: Danish keys of the settings file → attribute names.
_DANISH_KEYS = {
    "min_andel_besvaret": "min_share_answered",
    "temavaegte": "theme_weights",
    "niveaugraenser": "level_thresholds",
    "min_respondenter": "min_respondents_published",
    "udfald_forskydning": "outcome_lag",
    "klynge_k": "n_clusters",
    "klynge_metode": "cluster_method",
    "bootstrap": "n_bootstrap",
    "seed": "seed",
}


class SettingsError(ValueError):
    """A settings file that cannot be used."""


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (Danish keys, see the module docstring) and keyword overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise SettingsError(f"{path}: kan ikke læse indstillingerne ({error})") from None
        for key, value in raw.items():
            if key not in _DANISH_KEYS:
                raise SettingsError(f"{path}: ukendt indstilling '{key}'")
            values[_DANISH_KEYS[key]] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "theme_weights" in values:
        weights = _equal_weights()
        unknown = set(values["theme_weights"]) - set(weights)
        if unknown:
            raise SettingsError(f"{path}: ukendte temaer i temavaegte: {sorted(unknown)}")
        weights.update({k: float(v) for k, v in values["theme_weights"].items()})
        values["theme_weights"] = weights
    if "level_thresholds" in values:
        thresholds = tuple(float(t) for t in values["level_thresholds"])
        if len(thresholds) != 4 or list(thresholds) != sorted(thresholds):
            raise SettingsError(f"{path}: niveaugraenser skal være fire stigende tal")
        values["level_thresholds"] = thresholds
    share = values.get("min_share_answered", 0.5)
    if not 0 < float(share) <= 1:
        raise SettingsError(f"{path}: min_andel_besvaret skal ligge i (0, 1]")
    return Settings(**values)
