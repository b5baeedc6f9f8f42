"""The planted world: municipality types, true theme levels, outcomes and their truth.

Planted structure (``types="planted"``, the default)
----------------------------------------------------
Four municipality types with distinct six-theme profiles (true theme levels on the 1-5 scale):

====  ===============  ====  ====  ====  ====  ====  ====
type  typenavn          BOR   STR   FOR   STY   TEK   DAT
====  ===============  ====  ====  ====  ====  ====  ====
1     Strategidrevet   3.15  3.90  2.90  2.90  2.90  2.85
2     Teknologidrevet  2.85  2.90  2.90  2.90  3.90  3.15
3     Forankret        3.15  2.90  3.90  2.90  2.90  3.15
4     Styringsdrevet   2.85  2.90  2.90  3.90  2.90  2.85
====  ===============  ====  ====  ====  ====  ====  ====

Each type is one scale point stronger than the others on "its" theme (STR, TEK, FOR or STY, the
themes linked to outcomes); arranged so, the four linked themes correlate only -1/3 across types.
The 98 municipalities are split evenly; each keeps its type across waves except a few movers (4
in the second wave, 3 in the third). A municipality's true level of a theme in a wave is its
type's profile + a fixed municipality deviation (sd 0.22) + a wave deviation (sd 0.10) + a common
trend of +0.08 per wave (within-type sd about 0.25). A respondent's latent answer to an item is
the level + a role offset (Direktion +0.2 ... Medarbejder -0.15) + a respondent bias (sd 0.3) + a
respondent-theme deviation (sd 0.3) + a fixed item offset (sd 0.15, centred per theme) + noise
(sd 0.7), rounded and clipped to 1-5; a reverse-keyed item is written as 6 - that answer.
Municipality means of the theme scores recover the types clearly (see ``SynthTruth.levels``).

Other worlds, for the statistics tests (:class:`WorldSpec`)
-----------------------------------------------------------
* ``types="weak"``: the same four types, each profile shrunk towards the mean profile by
  :data:`WEAK_SEPARATION` (its theme 0.5 scale points stronger instead of 1.0); the
  municipality deviations are as above, so the types overlap.
* ``types="none"``: no types. A municipality's fixed profile is drawn from one multivariate
  normal distribution with the mean and covariance of the planted world's fixed profiles
  (type profile + deviation), so the first two moments match and nothing else is there to find.
  ``SynthTruth.municipality_types`` then has ``type`` and ``typenavn`` missing.
* ``links="none"``: the outcomes do not depend on the themes (every coefficient 0; the same
  random draws otherwise), so every theme-outcome association is noise.

Outcomes
--------
Outcomes of year W + 1 are made from the true levels of wave W, standardised over the 98
municipalities (z), for every municipality but a few missing ones:

* ``piloter_igangsat`` ~ Poisson(max(3, 4 + 2.5 ln(population / 5000))), at least 2
* ``andel_i_drift``: ``piloter_i_drift`` ~ Binomial(igangsat, expit(0.45 z_STY))
* ``andel_skaleret``: ``piloter_skaleret`` ~ Binomial(i_drift, expit(-0.7 + 0.65 z_FOR))
* ``gevinst_kr_pr_indbygger`` = max(0, 60 + 15 z_STR + 26 e); ``gevinst_mio_kr`` = that x
  population / 1e6
* ``digital_selvbetjening_pct`` = 72 + 4 z_TEK + 7 e, clipped to 0-100

so each linked pair has a standardised effect of about 0.5 (``SynthTruth.effects``, which also
gives the realised correlation of every theme with every outcome); all other pairs have no effect
in the generating model. The effects are partial: the type structure makes the four linked themes
correlate about -0.25 across municipalities (BOR and DAT about ±0.2 with them), so an analysis of
one theme at a time sees weak spurious associations (|r| about 0.1-0.3, see ``korrelation``). A
model with all six observed municipality theme scores recovers the planted links (in checks over
seeds: power about 0.95 per wave at p < 0.05, false positives about 6 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from omstilling_analysis import load, reference
from omstilling_analysis.demo.encodings import (
    EMAIL_FIRST,
    EMAIL_LAST,
    FIRST_NAMES,
    LAST_NAMES,
    ROLE_OFFSET,
    ROLE_P,
    ROLES,
    cat,
    fold,
    free_texts,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "OUTCOMES",
    "PLANTED_EFFECTS",
    "THEMES",
    "TYPE_PROFILES",
    "DEVIATION_SD",
    "WEAK_SEPARATION",
    "Block",
    "FateRates",
    "SynthTruth",
    "World",
    "WorldSpec",
    "check_waves",
    "derived_outcomes",
    "effects_table",
    "levels_frame",
    "make_world",
    "outcome_table",
    "planted_moments",
    "respondents_of",
    "simulate",
    "types_frame",
]

THEMES: list[str] = reference.theme_codes()

#: The four planted municipality types: profile of true theme levels.
TYPE_PROFILES: pd.DataFrame = pd.DataFrame(
    {
        "type": [1, 2, 3, 4],
        "typenavn": ["Strategidrevet", "Teknologidrevet", "Forankret", "Styringsdrevet"],
        "beskrivelse": [
            "Stærk strategi og borgerfokus, svagere forankring, styring og digitalt fundament",
            "Stærkt digitalt fundament og datasikkerhed, svag strategi og borgerfokus",
            "Stærk forankring blandt ledere og medarbejdere, borgerfokus og etik",
            "Stærk styring og governance, svagere borgerfokus og etik",
        ],
        "BOR": [3.15, 2.85, 3.15, 2.85],
        "STR": [3.90, 2.90, 2.90, 2.90],
        "FOR": [2.90, 2.90, 3.90, 2.90],
        "STY": [2.90, 2.90, 2.90, 3.90],
        "TEK": [2.90, 3.90, 2.90, 2.90],
        "DAT": [2.85, 3.15, 3.15, 2.85],
    }
)

#: Planted theme -> outcome links: (theme, outcome, coefficient per sd of the theme, scale).
PLANTED_EFFECTS: tuple[tuple[str, str, float, str], ...] = (
    ("STY", "andel_i_drift", 0.45, "logit"),
    ("FOR", "andel_skaleret", 0.65, "logit"),
    ("STR", "gevinst_kr_pr_indbygger", 15.0, "kr. pr. indbygger"),
    ("TEK", "digital_selvbetjening_pct", 4.0, "procentpoint"),
)
OUTCOMES: tuple[str, ...] = tuple(e[1] for e in PLANTED_EFFECTS)
#: ``types="weak"``: each type's distance from the mean profile, as a share of the planted one.
WEAK_SEPARATION: float = 0.5
#: Sd of a municipality's fixed deviation from its type's profile (all worlds).
DEVIATION_SD: float = 0.22
#: The outcome files' columns, as the loader requires them.
OUTCOME_COLUMNS: tuple[str, ...] = load.OUTCOME_COLUMNS


@dataclass
class FateRates:
    """Shares of raw rows planted with each pattern, and of cells with each state.

    Pattern rows are drawn only from municipalities with more than two respondents; each
    pattern gets at least ``minimum`` rows when the export is big enough (30+ eligible rows).
    """

    blank: float = 0.02  #: nothing answered
    only_dont_know: float = 0.006  #: only Ved ikke (and blanks)
    broke_off: float = 0.025  #: 1 .. ceil(n/2)-2 answers 1-5
    edge_below: float = 0.006  #: exactly ceil(n/2)-1 answers 1-5 (left out)
    edge_at: float = 0.006  #: exactly ceil(n/2) answers 1-5 (counted)
    unknown_municipality: float = 0.015
    duplicates: float = 0.025  #: extra copies of a respondent, as a share of rows
    dont_know_cell: float = 0.04
    blank_cell: float = 0.015
    bad_cell: float = 0.002  #: share of answered cells with an unlabelled code / unknown text
    comment: float = 0.08
    minimum: int = 1


@dataclass
class SynthTruth:
    """What a correct loader must make of the synthetic raw data.

    Attributes
    ----------
    rows:
        One row per raw data row written: ``kilde, kilde_raekke, boelge, aarsag`` (None when
        counted), ``kommunekode`` (Int64, NA when the name is unknown), ``rolle`` (label text or
        None), ``responde`` (text, NA in own sheets), ``closetim``, ``kommune_tekst`` (the name
        as written), ``moenster`` (planted pattern), ``antal_svar`` (answers 1-5),
        ``antal_ved_ikke``, then one float column per codebook item (1-5 on the 'Helt uenig = 1'
        scale, as given, not reversed; NaN for blank, Ved ikke, a bad cell or an item not asked).
    cell_problems:
        ``kilde, kilde_raekke, variabel`` (a SurveyXact variable as named in the file, e.g.
        ``q_2_3``; in own sheets the item code, as their headers may be full item texts),
        ``item`` (the codebook item), ``vaerdi`` (the raw value as text: the code or the cell text).
    municipality_types:
        ``boelge, kommunekode, kommune, type, typenavn, flytter, deltager`` and the type's
        profile per theme.
    levels:
        ``boelge, kommunekode`` and the municipality's true level per theme.
    effects:
        ``tema, udfald, retning`` (+1 or 0), ``koefficient`` (per sd of the theme's true level,
        on ``skala``), ``std_effekt`` (planted, about 0.5 or 0), ``korrelation`` (realised,
        true level vs outcome over municipality-years).
    outcomes:
        The outcome rows written (``aar`` = W + 1) with the derived measures.
    missing_outcomes:
        ``aar, kommunekode, kolonne`` (``alle`` for a missing row, else the blank column).
    type_profiles:
        The types' profiles of this world (:meth:`WorldSpec.type_profiles`; none without types).
    files:
        Names of the export files and folders written (not the ``DEMODATA.md`` marker).
    world:
        Which world made the data (:class:`WorldSpec`).
    """

    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    cell_problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    municipality_types: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    type_profiles: pd.DataFrame = field(default_factory=lambda: TYPE_PROFILES.copy())
    files: list[str] = field(default_factory=list)
    world: WorldSpec = field(default_factory=lambda: WorldSpec())


@dataclass(frozen=True)
class WorldSpec:
    """Which world the demo data come from (see the module docstring).

    Attributes
    ----------
    types:
        ``"planted"`` (four distinct types, the default), ``"weak"`` (the same four types, less
        distinct: :data:`WEAK_SEPARATION`) or ``"none"`` (profiles from one continuous
        multivariate normal distribution).
    links:
        ``"planted"`` (the outcomes depend on the themes as in :data:`PLANTED_EFFECTS`) or
        ``"none"`` (outcomes independent of the themes).
    """

    types: Literal["planted", "weak", "none"] = "planted"
    links: Literal["planted", "none"] = "planted"

    def __post_init__(self) -> None:
        if self.types not in ("planted", "weak", "none"):
            raise ValueError(f"types must be 'planted', 'weak' or 'none', got {self.types!r}")
        if self.links not in ("planted", "none"):
            raise ValueError(f"links must be 'planted' or 'none', got {self.links!r}")

    def type_profiles(self) -> pd.DataFrame:
        """The types' profiles in this world (no rows when ``types="none"``)."""
        if self.types == "none":
            return TYPE_PROFILES.iloc[:0].copy()
        profiles = TYPE_PROFILES.copy()
        if self.types == "weak":
            values = profiles[THEMES].to_numpy()
            mean = values.mean(axis=0)
            profiles[THEMES] = mean + WEAK_SEPARATION * (values - mean)
        return profiles

    def effects(self) -> tuple[tuple[str, str, float, str], ...]:
        """``PLANTED_EFFECTS`` with every coefficient 0 when ``links="none"``."""
        if self.links == "none":
            return tuple((t, o, 0.0, s) for t, o, _c, s in PLANTED_EFFECTS)
        return PLANTED_EFFECTS

    def table(self) -> pd.DataFrame:
        """One row ``typer, sammenhaenge, typeadskillelse`` for the truth's ``verden.csv``."""
        separation = {"planted": 1.0, "weak": WEAK_SEPARATION, "none": 0.0}[self.types]
        return pd.DataFrame(
            {"typer": [self.types], "sammenhaenge": [self.links], "typeadskillelse": [separation]}
        )


def planted_moments() -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a municipality's fixed profile in the planted world.

    The types are equally common, so over municipalities the profile is a mixture: mean
    :math:`\\bar p`, covariance :math:`\\frac14 \\sum_t (p_t - \\bar p)(p_t - \\bar p)^T +
    0.22^2 I`. ``types="none"`` draws from a normal distribution with these moments.
    """
    profiles = TYPE_PROFILES[THEMES].to_numpy()
    mean = profiles.mean(axis=0)
    centred = profiles - mean
    covariance = centred.T @ centred / len(profiles) + DEVIATION_SD**2 * np.eye(len(THEMES))
    return mean, covariance


@dataclass
class World:
    """Municipality-level truth: types and true theme levels per wave."""

    waves: tuple[int, ...]
    codes: np.ndarray  # (98,)
    short: list[str]
    official: list[str]
    population: np.ndarray
    types: np.ndarray  # (98, W) 0..3, -1 without types
    levels: np.ndarray  # (98, W, 6)
    item_offset: dict[str, float]
    spec: WorldSpec = field(default_factory=WorldSpec)

    def wave_index(self, wave: int) -> int:
        return self.waves.index(int(wave))


def check_waves(waves: Sequence[int]) -> tuple[int, ...]:
    result = tuple(sorted({int(w) for w in waves}))
    unknown = set(result) - set(reference.waves())
    if not result or unknown:
        raise ValueError(f"waves must be among {reference.waves()}, got {list(waves)}")
    return result


def make_world(seed: int, waves: Sequence[int], spec: WorldSpec | None = None) -> World:
    """The world of ``seed``: types, true levels per wave and item offsets.

    The random draws of the default world are the same in every world; ``types="none"`` draws
    its profiles from a stream of its own, so the other worlds differ only where they must.
    """
    spec = spec or WorldSpec()
    rng = np.random.default_rng([seed, 1])
    waves = check_waves(waves)
    table = reference.municipalities()
    n, n_waves = len(table), len(waves)
    first = rng.permutation(np.resize(np.arange(4), n))
    types = np.repeat(first[:, None], n_waves, axis=1)
    movers: set[int] = set()
    for wi in range(1, n_waves):
        pool = np.array([m for m in range(n) if m not in movers])
        chosen = rng.choice(pool, size=4 if wi == 1 else 3, replace=False)
        movers.update(int(m) for m in chosen)
        types[chosen, wi:] = ((types[chosen, wi - 1] + rng.integers(1, 4, len(chosen))) % 4)[
            :, None
        ]
    profiles = spec.type_profiles()[THEMES].to_numpy()
    deviation = rng.normal(0.0, DEVIATION_SD, (n, 6))
    wave_noise = rng.normal(0.0, 0.10, (n, n_waves, 6))
    trend = 0.08 * np.arange(n_waves)
    if spec.types == "none":
        mean, covariance = planted_moments()
        fixed = np.random.default_rng([seed, 7]).multivariate_normal(mean, covariance, n)
        types = np.full_like(types, -1)
        levels = fixed[:, None, :] + wave_noise + trend[None, :, None]
    else:
        levels = profiles[types] + deviation[:, None, :] + wave_noise + trend[None, :, None]
    levels = np.clip(levels, 1.3, 4.7)
    book = reference.codebook()
    offset = rng.normal(0.0, 0.15, len(book))
    offset = (
        offset - pd.Series(offset).groupby(book["tema"].to_numpy()).transform("mean").to_numpy()
    )
    return World(
        waves=waves,
        codes=table["kommunekode"].to_numpy(),
        short=table["kommune"].tolist(),
        official=table["officielt_navn"].tolist(),
        population=table["indbyggere_2020"].to_numpy().astype(float),
        types=types,
        levels=levels,
        item_offset=dict(zip(book["item"], offset, strict=True)),
        spec=spec,
    )


# --------------------------------------------------------------------------- respondent blocks


@dataclass
class Block:
    """Respondents of one export before encoding; ``values`` on the 1-5 scale as written
    (reverse-keyed items already reversed), ``state`` 0 answer, 1 blank, 2 Ved ikke, 3 bad cell."""

    wave: int
    items: list[str]
    cols: dict[str, np.ndarray]
    values: np.ndarray
    state: np.ndarray

    def __len__(self) -> int:
        return self.values.shape[0]

    def take(self, index: np.ndarray) -> Block:
        cols = {name: col[index] for name, col in self.cols.items()}
        return Block(self.wave, self.items, cols, self.values[index], self.state[index])

    @staticmethod
    def concat(blocks: Sequence[Block]) -> Block:
        first = blocks[0]
        cols = {name: np.concatenate([b.cols[name] for b in blocks]) for name in first.cols}
        return Block(
            first.wave,
            first.items,
            cols,
            np.vstack([b.values for b in blocks]),
            np.vstack([b.state for b in blocks]),
        )


def simulate(
    rng: np.random.Generator,
    world: World,
    wave: int,
    municipality_index: np.ndarray,
    small: np.ndarray,
    rates: FateRates,
) -> Block:
    """Respondents of the given municipalities (one entry per respondent), all 'regulær'."""
    items = reference.items_of_wave(wave)
    book = reference.codebook().set_index("item").loc[items]
    theme_idx = np.array([THEMES.index(t) for t in book["tema"]])
    reverse = book["omvendt"].to_numpy()
    n, k = len(municipality_index), len(items)
    wi = world.wave_index(wave)

    role = rng.choice(len(ROLES), size=n, p=ROLE_P)
    no_role = rng.random(n) < 0.02
    # float32 and in-place steps keep national-scale data small in memory.
    f32 = np.float32
    values = world.levels[:, wi][:, theme_idx].astype(f32)[municipality_index]
    person = np.where(no_role, 0.0, ROLE_OFFSET[role]) + 0.3 * rng.standard_normal(n)
    values += person.astype(f32)[:, None]
    values += (0.3 * rng.standard_normal((n, 6), dtype=f32))[:, theme_idx]
    values += np.array([world.item_offset[i] for i in items], dtype=f32)[None, :]
    noise = rng.standard_normal((n, k), dtype=f32)
    noise *= f32(0.7)
    values += noise
    del noise
    np.rint(values, out=values)
    np.clip(values, 1, 5, out=values)
    values[:, reverse] = 6 - values[:, reverse]
    u = rng.random((n, k), dtype=f32)
    state = np.zeros((n, k), dtype=np.int8)
    state[u < rates.blank_cell + rates.dont_know_cell] = 2
    state[u < rates.blank_cell] = 1
    del u

    start = np.datetime64(f"{wave}-03-01T07:00:00", "s") + rng.integers(0, 40 * 86400, n).astype(
        "timedelta64[s]"
    )
    duration = np.clip(rng.lognormal(np.log(900), 0.6, n), 120, 4 * 3600).astype(np.int64)
    close = start + duration.astype("timedelta64[s]")

    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    name = cat(FIRST_NAMES[first], " ", LAST_NAMES[last])
    domains = np.array(
        [fold(s).lower().replace(" ", "") + ".dk" for s in world.short], dtype=object
    )
    email = cat(EMAIL_FIRST[first], ".", EMAIL_LAST[last], "@", domains[municipality_index])
    comments = free_texts(rng, n, name, email, rates.comment)
    status = np.where((state == 0).all(axis=1), 4, 3).astype(np.int8)
    return Block(
        wave=wave,
        items=items,
        cols={
            "responde": np.zeros(n, dtype=np.int64),
            "m": municipality_index.astype(np.int64),
            "kommune_text": np.full(n, None, dtype=object),
            "rolle": np.where(no_role, None, np.array(ROLES, dtype=object)[role]),
            "email": email,
            "name": name,
            "starttim": start,
            "closetim": close,
            "status": status,
            "kommenta": comments,
            "moenster": np.full(n, "regulær", dtype=object),
            "small": small.astype(bool),
        },
        values=values,
        state=state,
    )


def respondents_of(
    rng: np.random.Generator,
    world: World,
    codes: Sequence[int] | None,
    respondents_per_municipality: tuple[int, int],
    n_respondents: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Municipality index per respondent and the 'small' flag."""
    index = np.arange(len(world.codes))
    if codes is not None:
        index = np.searchsorted(world.codes, np.asarray(codes))
        if not (world.codes[index] == np.asarray(codes)).all():
            raise ValueError("unknown municipality code")
    if n_respondents is not None:
        weight = np.sqrt(world.population[index])
        counts = rng.multinomial(n_respondents, weight / weight.sum())
    else:
        lo, hi = respondents_per_municipality
        counts = rng.integers(lo, hi + 1, len(index))
    per = np.repeat(index, counts)
    return per, np.repeat(counts <= 2, counts)


# --------------------------------------------------------------------------- outcomes


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def outcome_table(world: World, wave: int, rng: np.random.Generator) -> pd.DataFrame:
    """Outcomes of year ``wave + 1`` for all 98 municipalities from the true levels of ``wave``."""
    wi = world.wave_index(wave)
    levels = world.levels[:, wi, :]
    z = (levels - levels.mean(axis=0)) / levels.std(axis=0)
    zt = {theme: z[:, THEMES.index(theme)] for theme in THEMES}
    effect = {outcome: (theme, coef) for theme, outcome, coef, _ in world.spec.effects()}
    n = len(world.codes)
    started = np.maximum(
        2, rng.poisson(np.clip(4 + 2.5 * np.log(world.population / 5000), 3, None))
    )
    theme, coef = effect["andel_i_drift"]
    running = rng.binomial(started, _expit(coef * zt[theme]))
    theme, coef = effect["andel_skaleret"]
    scaled = rng.binomial(running, _expit(-0.7 + coef * zt[theme]))
    theme, coef = effect["gevinst_kr_pr_indbygger"]
    per_inhabitant = np.maximum(0.0, 60 + coef * zt[theme] + 26 * rng.normal(size=n))
    theme, coef = effect["digital_selvbetjening_pct"]
    selfservice = np.clip(72 + coef * zt[theme] + 7 * rng.normal(size=n), 0, 100).round(1)
    return pd.DataFrame(
        {
            "kommunekode": world.codes.astype(np.int64),
            "aar": np.full(n, wave + 1, dtype=np.int64),
            "piloter_igangsat": pd.array(started, dtype="Int64"),
            "piloter_i_drift": pd.array(running, dtype="Int64"),
            "piloter_skaleret": pd.array(scaled, dtype="Int64"),
            "gevinst_mio_kr": (per_inhabitant * world.population / 1e6).round(3),
            "digital_selvbetjening_pct": selfservice,
        }
    )


def derived_outcomes(outcomes: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    started = outcomes["piloter_igangsat"].astype(float)
    running = outcomes["piloter_i_drift"].astype(float)
    scaled = outcomes["piloter_skaleret"].astype(float)
    pop = outcomes["kommunekode"].map(population).astype(float)
    return outcomes.assign(
        andel_i_drift=(running / started).where(started > 0),
        andel_skaleret=(scaled / running).where(running > 0),
        gevinst_kr_pr_indbygger=outcomes["gevinst_mio_kr"] * 1e6 / pop,
    )


def effects_table(
    levels: pd.DataFrame, outcomes: pd.DataFrame, spec: WorldSpec | None = None
) -> pd.DataFrame:
    """The truth's effects: planted coefficient and realised correlation of every pair."""
    linked = {(t, o): (c, s) for t, o, c, s in (spec or WorldSpec()).effects()}
    scales = {o: s for _t, o, _c, s in PLANTED_EFFECTS}
    joined = levels.assign(aar=levels["boelge"] + 1).merge(outcomes, on=["kommunekode", "aar"])
    rows = []
    for outcome in OUTCOMES:
        for theme in THEMES:
            coef, _scale = linked.get((theme, outcome), (0.0, scales[outcome]))
            pair = joined[[theme, outcome]].dropna()
            rows.append(
                {
                    "tema": theme,
                    "udfald": outcome,
                    "retning": 1 if coef > 0 else 0,
                    "koefficient": coef,
                    "skala": scales[outcome],
                    "std_effekt": 0.5 if coef > 0 else 0.0,
                    "korrelation": float(np.corrcoef(pair[theme], pair[outcome])[0, 1]),
                }
            )
    return pd.DataFrame(rows)


def levels_frame(world: World) -> pd.DataFrame:
    frames = []
    for wi, wave in enumerate(world.waves):
        frame = pd.DataFrame(world.levels[:, wi, :], columns=THEMES)
        frame.insert(0, "kommunekode", world.codes.astype(np.int64))
        frame.insert(0, "boelge", np.int64(wave))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def types_frame(world: World) -> pd.DataFrame:
    """``boelge, kommunekode, kommune, type, typenavn, flytter`` and the type's profile."""
    frames = []
    if world.spec.types == "none":
        for wave in world.waves:
            frame = pd.DataFrame(
                {
                    "boelge": np.int64(wave),
                    "kommunekode": world.codes.astype(np.int64),
                    "kommune": world.short,
                    "type": pd.array([pd.NA] * len(world.codes), dtype="Int64"),
                    "typenavn": pd.Series([None] * len(world.codes), dtype=object),
                    "flytter": False,
                }
            )
            frames.append(frame.assign(**{theme: np.nan for theme in THEMES}))
        return pd.concat(frames, ignore_index=True)
    profiles = world.spec.type_profiles().set_index("type")
    for wi, wave in enumerate(world.waves):
        types = world.types[:, wi] + 1
        frame = pd.DataFrame(
            {
                "boelge": np.int64(wave),
                "kommunekode": world.codes.astype(np.int64),
                "kommune": world.short,
                "type": types.astype(np.int64),
                "typenavn": profiles.loc[types, "typenavn"].to_numpy(),
                "flytter": types != world.types[:, 0] + 1,
            }
        )
        profile = profiles.loc[types, THEMES].reset_index(drop=True)
        frames.append(pd.concat([frame, profile], axis=1))
    return pd.concat(frames, ignore_index=True)
