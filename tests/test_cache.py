"""The cache of cleaned sources (``data/interim``): hits and misses on every part of its key,
warm output byte for byte the cold one, the manifest's ``fra_cache``, ``--uden-cache``, nothing
personal in the cache, and the cache ignored by git."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from omstilling_analysis import cache, clean, demo, load, memo, pipeline
from omstilling_analysis.cli import main
from omstilling_analysis.privacy import hash_key
from omstilling_analysis.settings import Settings

SETTINGS = Settings(n_bootstrap=25)


def _outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _from_cache(out: Path) -> dict[str, bool]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {e["kilde"]: e["fra_cache"] for e in manifest["input"] if "fra_cache" in e}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A demo raw folder run cold, then warm, into two output folders."""
    base = tmp_path_factory.mktemp("cache")
    raw = base / "data" / "raw"
    demo.generate(raw, seed=5)
    cold = pipeline.run(raw, base / "cold", SETTINGS)
    warm = pipeline.run(raw, base / "warm", SETTINGS)
    return base, raw, cold, warm


def test_cache_lies_beside_the_raw_folder(runs):
    base, raw, cold, _ = runs
    assert cache.cache_folder(raw) == (base / "data" / "interim").resolve()
    entries = [
        p
        for p in (base / "data" / "interim").iterdir()
        if not p.name.startswith(".") and p.name != memo.FOLDER
    ]
    assert len(entries) == len(cold.raw.sources) > 1
    # Beside the sources: the per-wave analyses, one file each, signed pickles.
    analyses = sorted((base / "data" / "interim" / memo.FOLDER).iterdir())
    assert analyses and all(p.suffix == ".pkl" for p in analyses)


def test_warm_run_writes_the_same_bytes_as_the_cold_run(runs):
    base, _, cold, warm = runs
    assert all(not s.from_cache for s in cold.raw.sources)
    assert all(s.from_cache for s in warm.raw.sources)
    cold_files, warm_files = _outputs(base / "cold"), _outputs(base / "warm")
    assert cold_files.keys() == warm_files.keys() and len(cold_files) > 10
    different = [name for name in cold_files if cold_files[name] != warm_files[name]]
    assert different == []


def test_manifest_says_which_sources_came_from_the_cache(runs):
    base, _, cold, _ = runs
    names = {s.source for s in cold.raw.sources}
    assert _from_cache(base / "cold") == dict.fromkeys(names, False)
    assert _from_cache(base / "warm") == dict.fromkeys(names, True)
    # The rest of each input's description is the same.
    then = json.loads((base / "cold" / "manifest.json").read_text(encoding="utf-8"))["input"]
    now = json.loads((base / "warm" / "manifest.json").read_text(encoding="utf-8"))["input"]
    assert [{k: v for k, v in e.items() if k != "fra_cache"} for e in then] == [
        {k: v for k, v in e.items() if k != "fra_cache"} for e in now
    ]


def _personal_values(raw: Path) -> set[str]:
    """E-mails, names and comments as they stand in the demo's SurveyXact exports."""
    values: set[str] = set()
    for entry in raw.iterdir():
        if entry.is_dir() and (entry / "dataset.csv").exists():
            frame, *_ = load.read_csv_table(entry / "dataset.csv", drop=frozenset())
        elif entry.suffix == ".xlsx" and entry.name.startswith("selvevaluering"):
            sheets = pd.read_excel(entry, sheet_name=None, engine="calamine", dtype=str)
            frame = pd.concat([s for n, s in sheets.items() if n.startswith("Dataset")], axis=1)
        else:
            continue
        for column in ("email", "name", "kommenta", "responde"):
            if column in frame:
                values |= {str(v) for v in frame[column].dropna() if len(str(v)) >= 4}
    return values


def test_nothing_personal_in_the_cache(runs):
    base, raw, _, _ = runs
    personal = _personal_values(raw)
    assert any("@" in v for v in personal) and len(personal) > 100
    text, pickled = [], []
    for path in (base / "data" / "interim").rglob("*"):
        if path.suffix == ".pkl":
            pickled.append(path.read_bytes())  # pickle keeps text as UTF-8
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            assert not {"email", "name", "kommenta", "responde", "_id"} & set(frame.columns)
            text.append(frame.to_csv())
        elif path.is_file():
            text.append(path.read_text(encoding="utf-8"))
    joined = "\n".join(text)
    leaked = [v for v in personal if v in joined]
    assert leaked == []
    assert "@" not in joined
    assert pickled
    leaked = [v for v in personal if any(v.encode("utf-8") in data for data in pickled)]
    assert leaked == []


def _one_source(tmp_path: Path) -> tuple[Path, clean.CleanSource, bytes]:
    raw = tmp_path / "raw"
    demo.generate(raw, seed=7)
    entry = next(p for p in sorted(raw.iterdir()) if p.is_dir() and load.is_csv_export(p))
    key, _ = hash_key()
    cleaned = pipeline.clean_source(load.read_source(entry), key)
    cleaned.sha256 = cache.checksum(entry)
    return entry, cleaned, key


def test_hit_and_miss_on_every_part_of_the_key(tmp_path, monkeypatch):
    entry, cleaned, key = _one_source(tmp_path)
    store = cache.SourceCache(tmp_path / "interim", key, Settings())
    assert store.load(cleaned.source, cleaned.sha256) is None  # nothing stored yet
    store.store(cleaned)
    hit = store.load(cleaned.source, cleaned.sha256)
    assert hit is not None and hit.from_cache
    # The same values in the same types (a categorical's labels may come back as str).
    pd.testing.assert_frame_equal(
        hit.candidates, cleaned.candidates, check_dtype=False, check_categorical=False
    )
    for column in cleaned.candidates.columns:
        kind = cleaned.candidates[column].dtype
        assert hit.candidates[column].dtype == kind or isinstance(kind, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(hit.problems, cleaned.problems, check_dtype=False)
    assert (hit.wave, hit.shape, hit.dialect) == (cleaned.wave, cleaned.shape, cleaned.dialect)

    # The file changes: another checksum, a miss.
    (entry / "labels.csv").write_bytes((entry / "labels.csv").read_bytes() + b"\r\n")
    assert cache.checksum(entry) != cleaned.sha256
    assert store.load(cleaned.source, cache.checksum(entry)) is None
    # Another key: a miss (the cache stores its fingerprint, never the key).
    other = cache.SourceCache(store.folder, b"en-helt-anden-noegle-mindst-32-byte!", Settings())
    assert other.load(cleaned.source, cleaned.sha256) is None
    stored = "\n".join(p.read_bytes().hex() for p in store.folder.rglob("*") if p.is_file())
    assert key.hex() not in stored
    # A setting the analysis reads only keeps the entry; one the cleaning reads changes it.
    assert cache.SourceCache(store.folder, key, Settings(n_bootstrap=3)).load(
        cleaned.source, cleaned.sha256
    )
    monkeypatch.setattr(cache, "CLEANING_SETTINGS", ("min_share_answered",))
    patched = cache.SourceCache(store.folder, key, Settings())
    assert patched.load(cleaned.source, cleaned.sha256) is None  # the key has a new part
    patched.store(cleaned)
    assert patched.load(cleaned.source, cleaned.sha256) is not None
    changed = cache.SourceCache(store.folder, key, Settings(min_share_answered=0.3))
    assert changed.load(cleaned.source, cleaned.sha256) is None
    monkeypatch.undo()
    # Another package version: a miss.
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert store.load(cleaned.source, cleaned.sha256) is None


def test_a_new_entry_replaces_the_sources_old_one(tmp_path):
    _, cleaned, key = _one_source(tmp_path)
    store = cache.SourceCache(tmp_path / "interim", key, Settings())
    store.store(cleaned)
    first = sorted(p.name for p in store.folder.iterdir())
    cleaned.sha256 = "0" * 64  # as if the file had changed
    store.store(cleaned)
    second = sorted(p.name for p in store.folder.iterdir())
    assert len(first) == len(second) == 1 and first != second


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage_description"])
def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path, damage):
    _, cleaned, key = _one_source(tmp_path)
    store = cache.SourceCache(tmp_path / "interim", key, Settings())
    store.store(cleaned)
    folder, _ = store.entry(cleaned.source, cleaned.sha256)
    parquet = folder / "kandidater.parquet"
    if damage == "truncate":
        parquet.write_bytes(parquet.read_bytes()[:100])
    elif damage == "delete":
        parquet.unlink()
    else:
        (folder / "beskrivelse.json").write_text("{ikke json", encoding="utf-8")
    assert store.load(cleaned.source, cleaned.sha256) is None
    store.store(cleaned)
    assert store.load(cleaned.source, cleaned.sha256) is not None


def test_a_killed_runs_half_entry_is_never_read(tmp_path):
    _, cleaned, key = _one_source(tmp_path)
    store = cache.SourceCache(tmp_path / "interim", key, Settings())
    folder, _ = store.entry(cleaned.source, cleaned.sha256)
    half = store.folder / f".ny-1-{folder.name}"
    half.mkdir(parents=True)
    (half / "kandidater.parquet").write_bytes(b"PAR1")
    assert store.load(cleaned.source, cleaned.sha256) is None
    store.store(cleaned)
    assert store.load(cleaned.source, cleaned.sha256) is not None


def test_a_new_wave_is_the_only_source_read_again(tmp_path, capsys):
    raw = tmp_path / "data" / "raw"
    demo.generate(raw, seed=3)
    waves = sorted(p for p in raw.iterdir() if p.name.startswith("selvevaluering"))
    held_back = tmp_path / waves[-1].name
    shutil.move(waves[-1], held_back)
    pipeline.run(raw, tmp_path / "out", SETTINGS)
    shutil.move(held_back, raw / held_back.name)
    assert main(["kør", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    came = _from_cache(tmp_path / "out")
    n_sources = len(came)
    assert came.pop(held_back.name) is False
    assert set(came.values()) == {True} and len(came) >= len(waves) - 1
    err = capsys.readouterr().err
    assert f"{n_sources - 1} af {n_sources} kilder derfra, 1 læst og renset" in err
    assert "(fra cachen)" in err
    # The new wave was checksummed by its own reader (the cache knew no source of its name),
    # and the manifest and the cache have its checksum as the file has it.
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    recorded = {e["kilde"]: e["sha256"] for e in manifest["input"]}
    assert recorded[held_back.name] == cache.checksum(raw / held_back.name)
    store = cache.SourceCache(cache.cache_folder(raw), hash_key()[0], SETTINGS)
    assert store.knows(held_back.name) and store.holds(held_back.name, recorded[held_back.name])
    assert not store.knows("ukendt_kilde")
    assert not dataclasses.replace(store, mode="refresh").knows(held_back.name)


def test_uden_cache_runs_cold_and_rewrites_the_cache(runs, tmp_path, capsys):
    base, raw, _, _ = runs
    out = tmp_path / "out"
    assert main(["kør", "--raw", str(raw), "--out", str(out), "--uden-cache"]) == 0
    assert set(_from_cache(out).values()) == {False}
    assert "--uden-cache: cachen er skrevet på ny" in capsys.readouterr().err
    assert main(["kør", "--raw", str(raw), "--out", str(out)]) == 0
    assert set(_from_cache(out).values()) == {True}


def test_kontroller_runs_cold_and_leaves_the_cache_alone(runs, monkeypatch):
    base, _, _, _ = runs
    seen = []
    real = pipeline.run

    def spy(*args, **kwargs):
        seen.append(kwargs.get("cache"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", spy)
    assert main(["kontroller", str(base / "warm"), "--stille"]) == 0
    assert seen == ["off"]


def test_a_cache_inside_the_output_folder_is_not_used(tmp_path):
    raw = tmp_path / "raw"
    demo.generate(raw, seed=9)
    out = tmp_path / "out"
    result = pipeline.run(raw, out, SETTINGS, cache_dir=out / "interim")
    assert not any(s.from_cache for s in result.raw.sources)
    assert not (out / "interim").exists()
    assert not (tmp_path / "interim").exists()


def test_the_cache_is_ignored_by_git():
    repo = Path(__file__).resolve().parents[1]
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(
        ["git", "check-ignore", "-q", "data/interim/abc-123/kandidater.parquet"],
        cwd=repo,
        capture_output=True,
    )
    assert done.returncode == 0


def test_a_waves_figures_are_those_drawn_from_every_wave(runs):
    """Each figure of one wave is drawn from the tables cut to that wave and the earlier ones
    (``plots.inputs_up_to``, what its key holds): the same bytes as drawn from the whole run."""
    from omstilling_analysis.plots import FIGURES, figure_keys
    from omstilling_analysis.plots.style import png_bytes

    base, _, cold, _ = runs
    inputs = cold.figure_inputs()
    written = {p.stem: p for p in (base / "cold").rglob("figurer/*.png")}
    keyed = figure_keys(inputs)
    checked = 0
    for spec in FIGURES.values():
        for instance in spec.instances(inputs):
            stem = spec.pattern.format(**instance)
            assert ("boelge" in instance) == (stem in keyed), stem
            if "boelge" in instance:
                assert png_bytes(spec.draw(inputs, **instance)) == written[stem].read_bytes(), stem
                checked += 1
    assert checked >= 20  # every family of one wave, for each of the demo's three waves


def test_a_new_wave_redraws_only_its_own_figures(tmp_path, monkeypatch):
    """After a wave was added, the earlier waves' figures come from the memo (their inputs are
    unchanged) and the outputs are the bytes of a cold run."""
    from omstilling_analysis.report.data import SummaryData

    raw = tmp_path / "data" / "raw"
    demo.generate(raw, seed=3)
    held = tmp_path / "held"
    held.mkdir()
    for entry in raw.iterdir():
        if "2024" in entry.name:
            shutil.move(entry, held / entry.name)
    reused: list[list[str]] = []
    draw_ahead = SummaryData.draw_ahead

    def spy(self, memo=None):
        draw_ahead(self, memo)
        reused.append(list(self.reused_figures))

    monkeypatch.setattr(SummaryData, "draw_ahead", spy)
    pipeline.run(raw, tmp_path / "out", SETTINGS)
    assert reused == [[]]
    for entry in held.iterdir():
        shutil.move(entry, raw / entry.name)
    warm = pipeline.run(raw, tmp_path / "out", SETTINGS)
    keyed = set(warm.summary_data().figure_keys)
    earlier = {stem for stem in keyed if not stem.endswith("_2024")}
    assert len(earlier) >= 14 and set(reused[1]) == earlier
    pipeline.run(raw, tmp_path / "kold", SETTINGS, cache="off")
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "kold")
    assert reused[2] == []
    figures = list((raw.parent / "interim" / memo.FOLDER).glob("figur-*"))
    assert len(figures) == len(keyed)  # the run's own, the replaced ones pruned
