"""The per-wave analyses kept for the next run (omstilling_analysis.memo): the same tables as a
cold run, reuse only when nothing they depend on changed, signed files."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from omstilling_analysis import demo, pipeline
from omstilling_analysis.memo import Memo, fingerprint
from omstilling_analysis.settings import Settings

SECRET = b"test-noegle-ikke-hemmelig-mindst-32-byte"


def test_memo_reuses_only_the_same_inputs(tmp_path):
    calls = []

    def compute(value):
        calls.append(value)
        return pd.DataFrame({"x": [value]})

    frame = pd.DataFrame({"a": [1.0, 2.0], "t": pd.Series(["x", None], dtype="str")})
    memo = Memo(tmp_path, SECRET, "v1")
    first = memo.get("rang-2024", (frame,), lambda: compute(1))
    again = Memo(tmp_path, SECRET, "v1").get("rang-2024", (frame.copy(),), lambda: compute(2))
    pd.testing.assert_frame_equal(first, again)
    assert calls == [1]
    changed = frame.assign(t=pd.Series(["y", None], dtype="str"))
    Memo(tmp_path, SECRET, "v1").get("rang-2024", (changed,), lambda: compute(3))
    Memo(tmp_path, SECRET, "v2").get("rang-2024", (frame,), lambda: compute(4))
    Memo(tmp_path, SECRET, "v1").get("rang-2022", (frame,), lambda: compute(5))
    assert calls == [1, 3, 4, 5]
    # Another key: the files are not trusted, so they are recomputed (and overwritten).
    other = Memo(tmp_path, b"en-anden-noegle-ogsaa-mindst-32-byte!", "v1")
    assert other.get("rang-2024", (frame,), lambda: compute(6))["x"].tolist() == [6]
    assert other.reused == [] and other.computed == ["rang-2024"]


def test_an_altered_or_broken_file_is_recomputed_and_unused_files_are_pruned(tmp_path):
    memo = Memo(tmp_path, SECRET, "v1")
    memo.get("a", (1,), lambda: 1)
    memo.get("b", (1,), lambda: 2)
    files = {p.name[0]: p for p in tmp_path.iterdir()}
    data = bytearray(files["a"].read_bytes())
    data[-3] ^= 1
    files["a"].write_bytes(bytes(data))
    (tmp_path / ".skrives-afbrudt").write_bytes(b"half")
    again = Memo(tmp_path, SECRET, "v1")
    assert again.get("a", (1,), lambda: 10) == 10
    again.prune()
    assert sorted(p.name[0] for p in tmp_path.iterdir()) == ["a"]
    assert Memo(tmp_path, SECRET, "v1").get("a", (1,), lambda: 20) == 10


def test_fingerprint_sees_every_value_and_dtype():
    base = pd.DataFrame({"a": [1.0, 2.0, 3.0], "t": pd.Series(["x", "yy", None], dtype="str")})
    variants = [
        base.assign(a=[1.0, 2.0, 3.5]),
        base.assign(a=pd.array([1, 2, 3], dtype="Int64")),
        base.assign(t=pd.Series(["x", "y", "y"], dtype="str")),
        base.assign(t=pd.Series(["xy", "y", None], dtype="str")),
        base.iloc[::-1].reset_index(drop=True),
        base.rename(columns={"a": "b"}),
        base.iloc[1:].reset_index(drop=True),
    ]
    prints = {fingerprint(v) for v in variants}
    assert len(prints) == len(variants) and fingerprint(base) not in prints
    # A slice of text hashes as its own values (arrow offsets relative to the slice).
    tail = base.iloc[1:].reset_index(drop=True)
    fresh = pd.DataFrame({"a": [2.0, 3.0], "t": pd.Series(["yy", None], dtype="str")})
    assert fingerprint(tail) == fingerprint(fresh)


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory):
    raw = tmp_path_factory.mktemp("memo") / "raw"
    demo.generate(raw, seed=11)
    return raw


def _tables(result):
    return {name: table.reset_index(drop=True) for name, table in result.tables.items()}


def test_runs_with_the_memo_give_the_cold_run_and_a_new_wave_reuses_the_others(demo_raw, tmp_path):
    settings = Settings(n_bootstrap=25, robustness_draws=64)
    cold = pipeline.run(demo_raw, None, settings, cache="off")
    cache_dir = tmp_path / "interim"
    memo_dir = cache_dir / "analyser"
    # The two earlier waves first (the 2024 export set aside), then all three.
    early = tmp_path / "raw"
    shutil.copytree(demo_raw, early)
    later = [p for p in early.iterdir() if "2024" in p.name]
    assert later
    for path in later:
        shutil.move(path, tmp_path / path.name)
    pipeline.run(early, None, settings, cache_dir=cache_dir)
    for path in later:
        shutil.move(tmp_path / path.name, early / path.name)
    warm = pipeline.run(early, None, settings, cache_dir=cache_dir)
    for name, table in _tables(cold).items():
        pd.testing.assert_frame_equal(_tables(warm)[name], table, obj=name)
    # The earlier waves' analyses came from the first run; everything of 2024 was computed.
    assert sorted(warm.reused) == sorted(
        f"{name}-{wave}"
        for name in (
            "indeksrobusthed", "itemstatistik", "klynger", "rang", "reliabilitet", "scorer",
            "udvikling",
        )
        for wave in (2020, 2022)
    )  # fmt: skip
    again = pipeline.run(early, None, settings, cache_dir=cache_dir)
    for name, table in _tables(cold).items():
        pd.testing.assert_frame_equal(_tables(again)[name], table, obj=name)
    assert len(again.reused) == 21
    # One run's results are kept, one file per analysis and wave.
    assert sorted(p.name.split("-")[0] for p in memo_dir.iterdir()) == sorted(
        ["indeksrobusthed", "itemstatistik", "klynger", "rang", "reliabilitet", "scorer"] * 3
        + ["udvikling"] * 3
    )


def test_per_wave_analyses_stack_to_the_whole_tables(demo_raw):
    # The run computes these per wave (so that a wave can be kept); stacked, they are what one
    # call over all waves gives.
    from omstilling_analysis import change, clean, reliability, score

    settings = Settings(n_bootstrap=25, robustness_draws=0)
    result = pipeline.run(demo_raw, None, settings, cache="off")
    responses = result.tables["besvarelser.parquet"]
    respondent = result.tables["respondentscorer.parquet"]
    municipal = result.tables["kommunescorer.parquet"]
    assert respondent["boelge"].nunique() == 3
    whole = {
        "udvikling.csv": change.changes(municipal, settings, responses),
        "rang.csv": score.rank_intervals(respondent, settings),
        "reliabilitet.csv": reliability.reliability_table(
            responses, settings, respondent_scores=respondent
        ),
        "itemstatistik.csv": reliability.item_statistics(
            responses,
            settings,
            dont_know=clean.dont_know_mask(result.raw.sources, responses),
        ),
    }
    whole["respondentscorer.parquet"] = score.respondent_scores(responses, settings)
    whole["kommunescorer.parquet"] = score.municipality_scores(
        whole["respondentscorer.parquet"], settings
    )
    for name, table in whole.items():
        assert len(table) > 0
        pd.testing.assert_frame_equal(
            result.tables[name].reset_index(drop=True), table, obj=name, check_exact=True
        )
    # The scores wave by wave are the same bits also when the waves' rows are interleaved.
    mixed = responses.sample(frac=1.0, random_state=3).reset_index(drop=True)
    by_wave = pipeline.wave_scores(mixed, settings)
    at_once = score.respondent_scores(mixed, settings)
    pd.testing.assert_frame_equal(by_wave[0], at_once, check_exact=True)
    pd.testing.assert_frame_equal(
        by_wave[1], score.municipality_scores(at_once, settings), check_exact=True
    )
