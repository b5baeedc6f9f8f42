"""Reproduction (issue 15): the same raw files, key and settings give the same bytes in every
output, and ``omstilling kontroller`` confirms a run or names what differs."""

from __future__ import annotations

import json

import pytest

from omstilling_analysis import demo, pipeline
from omstilling_analysis.cli import main
from omstilling_analysis.settings import Settings


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("repro")
    raw = base / "raw"
    demo.generate(raw, seed=3)
    for name in ("a", "b"):
        pipeline.run(raw, base / name, Settings(n_bootstrap=20))
    return base


def test_two_runs_give_the_same_bytes_but_the_manifest(two_runs):
    a, b = two_runs / "a", two_runs / "b"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) > 30
    for name in files:
        if name.name == "manifest.json":
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    manifest = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert "koert" in manifest and "kommando" in manifest
    assert len(manifest["noegle_fingeraftryk"]) == 16


def test_kontroller_confirms_a_run(two_runs, capsys):
    assert main(["kontroller", str(two_runs / "a" / "manifest.json"), "--stille"]) == 0
    text = capsys.readouterr().out
    assert "FORSKELLIG" not in text and "uddata er de samme bytes som i kørslen" in text


def test_kontroller_names_what_differs(two_runs, tmp_path, capsys):
    manifest = json.loads((two_runs / "a" / "manifest.json").read_text(encoding="utf-8"))
    manifest["output_sha256"]["rang.csv"] = "0" * 64
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["verify", str(changed), "--stille"]) == 3
    assert "FORSKELLIG rang.csv" in capsys.readouterr().out


def test_kontroller_refuses_another_key(two_runs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMSTILLING_SALT", "en-helt-anden-noegle-som-er-mindst-32-byte")
    assert main(["kontroller", str(two_runs / "a"), "--stille"]) == 2
    assert "anden nøgle" in capsys.readouterr().err
