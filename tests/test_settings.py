"""Settings: every mistake in a settings file is one Danish line naming the key (issue 13, 9)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from omstilling_analysis import reference
from omstilling_analysis.errors import UserError
from omstilling_analysis.settings import (
    SETTING_KEYS,
    Settings,
    SettingsError,
    load_settings,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "indstillinger.eksempel.toml"


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "indstillinger.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('klynge_k = "fem"', "klynge_k", "helt tal, ikke tekst"),
        ("klynge_k = 4.0", "klynge_k", "uden decimaler"),
        ("klynge_k = 0", "klynge_k", "fra 1 til 20"),
        ("klynge_k = true", "klynge_k", "ikke sand/falsk"),
        ('klynge_metode = "pam"', "klynge_metode", "ukendt klyngemetode"),
        ("klynge_metode = 3", "klynge_metode", "ikke et helt tal"),
        ("min_andel_besvaret = 0", "min_andel_besvaret", "over 0 og højst 1"),
        ("min_andel_besvaret = 1.5", "min_andel_besvaret", "over 0 og højst 1"),
        ('min_andel_besvaret = "halvdelen"', "min_andel_besvaret", "et tal, ikke tekst"),
        ("min_respondenter = 2", "min_respondenter", "mindst 3"),
        ("udfald_forskydning = -1", "udfald_forskydning", "fra 0 til 10"),
        ("bootstrap = -5", "bootstrap", "fra 0 til 100000"),
        ("seed = -1", "seed", "mindst 0"),
        ("seed = 1.5", "seed", "ikke et decimaltal"),
        ("niveaugraenser = [1.8, 2.6, 3.4]", "niveaugraenser", "fire stigende tal"),
        ("niveaugraenser = [2.6, 1.8, 3.4, 4.2]", "niveaugraenser", "fire stigende tal"),
        ("niveaugraenser = [0.5, 1.8, 3.4, 4.2]", "niveaugraenser", "mellem 1 og 5"),
        ("niveaugraenser = 1.8", "niveaugraenser", "liste med fire tal"),
        ("niveaugraenser = [1,8, 2,6, 3,4, 4,2]", "niveaugraenser", "punktum som decimaltegn"),
        ("temavaegte = 2", "temavaegte", "tabel"),
        ("[temavaegte]\nXYZ = 1", "temavaegte.XYZ", "ukendt tema"),
        ("[temavaegte]\nBOR = -1", "temavaegte.BOR", "mindst 0"),
        ('[temavaegte]\nBOR = "en"', "temavaegte.BOR", "et tal, ikke tekst"),
        (
            "[temavaegte]\nBOR = 0\nSTR = 0\nFOR = 0\nSTY = 0\nTEK = 0\nDAT = 0",
            "temavaegte",
            "mindst én vægt",
        ),
        ("klyngek = 4", "klyngek", "ukendt indstilling; mente du 'klynge_k'?"),
        ("[andet]\nx = 1", "andet", "ukendt indstilling"),
    ],
)
def test_each_wrong_value_names_its_key(tmp_path, text, key, words):
    message = _error(tmp_path, text)
    assert f": {key}: " in message
    assert words in message


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("bootstrap = 50\nvaegt = 0,5\n", "linje 2: vaegt", "punktum som decimaltegn"),
        ("[temavaegte]\nBOR = 0,5\n", "linje 2: temavaegte.BOR", "punktum som decimaltegn"),
        ("seed = 1\nklynge_k = = 4\n", "linje 2: klynge_k", "ugyldig TOML"),
        ('klynge_metode = "ward\n', "linje 1: klynge_metode", "ugyldig TOML"),
        ("seed = 1\nseed = 2\n", "linje 2: seed", "to gange"),
        ("[temavaegte\nBOR = 1\n", "linje 1", "ugyldig TOML"),
        ("seed = 1\nbootstrap = [10,\n", "linje 2: bootstrap", "ugyldig TOML"),
    ],
)
def test_syntax_errors_name_the_line_and_key(tmp_path, text, where, words):
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)  # the independent reference: this is not valid TOML
    message = _error(tmp_path, text)
    assert f": {where}: " in message
    assert words in message


def test_unreadable_files(tmp_path):
    missing = tmp_path / "mangler.toml"
    with pytest.raises(SettingsError, match=r"mangler\.toml: filen findes ikke$"):
        load_settings(missing)
    with pytest.raises(SettingsError, match="er en mappe"):
        load_settings(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("# vægte\nseed = 1\n".encode("cp1252"))
    with pytest.raises(SettingsError, match="ikke gemt som UTF-8"):
        load_settings(latin)


def test_a_settings_error_is_a_user_error():
    assert issubclass(SettingsError, UserError)


def test_construction_checks_and_completes_values():
    settings = Settings(theme_weights={"DAT": 2}, level_thresholds=[1.5, 2, 3, 4])
    assert settings.theme_weights == {
        t: (2.0 if t == "DAT" else 1.0) for t in reference.theme_codes()
    }
    assert settings.level_thresholds == (1.5, 2.0, 3.0, 4.0)
    with pytest.raises(SettingsError, match="^klynge_k: skal være et helt tal, ikke tekst$"):
        Settings(n_clusters="fem")
    with pytest.raises(SettingsError, match="^bootstrap: "):
        Settings(n_bootstrap=2.5)


def test_keyword_overrides_of_a_file(tmp_path):
    path = tmp_path / "i.toml"
    path.write_text('klynge_k = 3\nklynge_metode = "auto"\n', encoding="utf-8")
    settings = load_settings(path, cluster_method="ward", n_clusters=None)
    assert (settings.n_clusters, settings.cluster_method) == (3, "ward")
    with pytest.raises(SettingsError, match="klynge_k"):
        load_settings(path, n_clusters="mange")


def test_example_file_covers_every_setting_with_its_explanation():
    text = EXAMPLE.read_text(encoding="utf-8")
    values = tomllib.loads(text)
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert {entry.attribute for entry in SETTING_KEYS} == fields
    assert set(values) == {entry.key for entry in SETTING_KEYS}
    assert set(values["temavaegte"]) == set(reference.theme_codes())
    # Each key is preceded by a comment block holding the start of its explanation.
    lines = text.splitlines()
    for entry in SETTING_KEYS:
        at = next(
            i
            for i, line in enumerate(lines)
            if line.startswith((f"{entry.key} =", f"[{entry.key}]"))
        )
        block = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            block.insert(0, line.lstrip("# "))
        explanation = " ".join(block)
        first_words = " ".join(entry.explanation.split()[:5])
        assert first_words in explanation, entry.key
    # The example holds the defaults: loading it gives the contract's settings.
    assert load_settings(EXAMPLE) == Settings()
