"""The ``omstilling`` command (issue 14, 6; issue 13, 2, 7, 9 and 11).

Danish subcommands with English aliases, each with a help line saying what it does; a wrong
option shows that subcommand's usage; user errors are one Danish line and exit 2 before any
raw data are read; a bug is exit 1 with a crash log free of values; the key for
``respondent_key`` is refused when short and made safely by racing processes.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from omstilling_analysis import cli, errors, pipeline, privacy
from omstilling_analysis.cli import COMMANDS, main

GOOD_KEY = "en-test-noegle-der-er-lang-nok-til-hmac-0123456789"


@pytest.fixture(autouse=True)
def _good_key_and_logs(monkeypatch, tmp_path):
    monkeypatch.setenv(privacy.KEY_ENV, GOOD_KEY)
    monkeypatch.setenv(errors.LOG_DIR_ENV, str(tmp_path / "logs"))


@pytest.fixture
def no_reading(monkeypatch):
    """Fail loudly if a command reads raw data."""
    calls = []

    def load_raw(*args, **kwargs):
        calls.append(args)
        raise AssertionError("rådata blev læst")

    monkeypatch.setattr(pipeline, "load_raw", load_raw)
    return calls


def _exit_code(argv: list[str]) -> int:
    """The exit code of ``omstilling argv``, also when argparse ends it with SystemExit."""
    try:
        return main(argv)
    except SystemExit as done:
        return done.code


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("fejl: ")
    return err[0]


# --------------------------------------------------------------------------- the names


@pytest.mark.parametrize(
    ("name", "alias"), [("kør", "run"), ("valider", "validate"), ("demodata", "synth")]
)
def test_danish_names_and_english_aliases_share_one_help(capsys, name, alias):
    assert _exit_code([name, "--help"]) == 0
    danish = capsys.readouterr().out
    assert _exit_code([alias, "--help"]) == 0
    english = capsys.readouterr().out
    summary = next(c.summary for c in COMMANDS if c.name == name)
    assert danish.startswith(f"brug: omstilling {name} ")
    # The help's description line is the command's summary, in Danish.
    flat = " ".join(danish.split())
    assert summary[0].upper() + summary[1:] in flat
    assert english == danish


def test_every_subcommand_says_what_it_does(capsys):
    assert _exit_code(["--help"]) == 0
    top = " ".join(capsys.readouterr().out.split())
    for command in COMMANDS:
        assert command.summary in top
        assert _exit_code([command.name, "--help"]) == 0
        help_text = " ".join(capsys.readouterr().out.split())
        assert command.summary[1:] in help_text, command.name
    assert {c.name for c in COMMANDS} >= {"kør", "valider", "rapport", "demodata"}


def test_a_wrong_option_shows_that_subcommands_usage(capsys):
    assert _exit_code(["run", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("brug: omstilling kør ")
    assert "fejl: ukendte argumenter: --bogus" in err
    assert _exit_code(["rapport", "--kommune", "751", "--alt"]) == 2
    assert capsys.readouterr().err.startswith("brug: omstilling rapport ")
    assert _exit_code(["rapport"]) == 2
    assert "fejl: et af argumenterne --kommune --alle skal angives" in capsys.readouterr().err
    assert _exit_code(["kør", "--raw"]) == 2
    assert "forventer én værdi" in capsys.readouterr().err


def test_error_lines_name_the_path_as_typed(capsys, tmp_path, monkeypatch, no_reading):
    monkeypatch.chdir(tmp_path)
    assert main(["kør", "--raw", "data/nonexistent", "--out", "ud"]) == 2
    assert _one_error_line(capsys) == "fejl: data/nonexistent: mappen findes ikke"
    assert main(["valider", "data/nonexistent"]) == 2
    assert "fejl: data/nonexistent: findes ikke" in capsys.readouterr().err
    assert main(["rapport", "--kommune", "751", "--resultater", "ingen/resultater"]) == 2
    assert _one_error_line(capsys) == "fejl: ingen/resultater: mappen findes ikke"
    Path("tom").mkdir()
    assert main(["rapport", "--kommune", "751", "--resultater", "tom"]) == 2
    assert _one_error_line(capsys).startswith("fejl: tom: ingen resultater her")
    assert main(["rapport", "--kommune", "Frederiks", "--resultater", "tom"]) == 2
    assert "ukendt kommune" in _one_error_line(capsys)
    assert not Path("ud").exists() and no_reading == []


# --------------------------------------------------------------------------- before any work


def test_bad_output_folders_refused_before_reading(capsys, tmp_path, monkeypatch, no_reading):
    monkeypatch.chdir(tmp_path)
    Path("raw").mkdir()
    Path("fil").write_text("x")
    cases = {
        "fil": "fejl: fil: er en fil, ikke en mappe",
        "fil/ud": "fejl: fil/ud: fil er en fil, så mappen kan ikke oprettes",
        "raw": "fejl: raw: resultatmappen må ikke være rådatamappen",
        "raw/ud": "fejl: raw/ud: resultatmappen må ikke ligge inde i rådatamappen raw",
    }
    for out, expected in cases.items():
        assert main(["kør", "--raw", "raw", "--out", out, "--stille"]) == 2
        assert _one_error_line(capsys) == expected
    assert sorted(p for p in os.listdir(tmp_path) if p != "logs") == ["fil", "raw"]
    assert os.listdir("raw") == [] and no_reading == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('klynge_k = "fem"', "klynge_k"),
        ("[temavaegte]\nBOR = 0,5", "temavaegte.BOR"),
        ("bootstrap = [", "bootstrap"),
        ("ukendt = 1", "ukendt"),
        ("seed = -3", "seed"),
    ],
)
def test_settings_mistakes_refused_before_reading(capsys, tmp_path, no_reading, text, key):
    (tmp_path / "raw").mkdir()
    settings = tmp_path / "indstillinger.toml"
    settings.write_text(text, encoding="utf-8")
    args = ["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]
    assert main([*args, "--indstillinger", str(settings)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"fejl: {settings}: ")
    assert f": {key}: " in line
    assert no_reading == [] and not (tmp_path / "ud").exists()


# --------------------------------------------------------------------------- the key


@pytest.mark.parametrize("value", ["", "hemmelig", "x" * 31])
def test_short_key_from_the_environment_refused(capsys, tmp_path, monkeypatch, no_reading, value):
    monkeypatch.setenv(privacy.KEY_ENV, value)
    (tmp_path / "raw").mkdir()
    assert main(["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]) == 2
    line = _one_error_line(capsys)
    assert "miljøvariablen OMSTILLING_SALT" in line and "mindst 32 byte" in line
    assert ("er tom" in line) == (value == "")
    if value:
        assert value not in line.replace("OMSTILLING_SALT", "")
    assert no_reading == []


def test_key_of_exactly_32_bytes_is_accepted(monkeypatch):
    monkeypatch.setenv(privacy.KEY_ENV, "æ" * 16)  # 16 characters, 32 bytes in UTF-8
    assert privacy.hash_key()[0] == ("æ" * 16).encode("utf-8")


def test_empty_or_short_key_file_refused(capsys, tmp_path, monkeypatch, no_reading):
    monkeypatch.delenv(privacy.KEY_ENV)
    key_file = tmp_path / "nøgler" / "noegle"
    key_file.parent.mkdir()
    monkeypatch.setenv(privacy.KEY_FILE_ENV, str(key_file))
    (tmp_path / "raw").mkdir()
    for content in ("", "  \n", "abc123"):
        key_file.write_text(content)
        assert main(["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]) == 2
        line = _one_error_line(capsys)
        assert f"nøglefilen {key_file} er" in line and "mindst 32 byte" in line
    assert no_reading == []


def _key_in_new_process(path: str, start: float, queue) -> None:
    os.environ.pop(privacy.KEY_ENV, None)
    os.environ[privacy.KEY_FILE_ENV] = path
    while time.time() < start:
        pass
    queue.put(privacy.hash_key()[0])


def test_key_file_made_once_when_many_processes_start_at_once(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        path = tmp_path / f"forsøg{attempt}" / "privat" / "noegle"
        queue = context.Queue()
        start = time.time() + 0.5
        processes = [
            context.Process(target=_key_in_new_process, args=(str(path), start, queue))
            for _ in range(8)
        ]
        for process in processes:
            process.start()
        keys = [queue.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert len(set(keys)) == 1 and len(keys[0]) == 64
        assert keys[0] == path.read_bytes()
        assert os.listdir(path.parent) == ["noegle"]  # no temporary file left
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_the_loser_of_the_race_reads_the_winners_key(tmp_path, monkeypatch):
    monkeypatch.delenv(privacy.KEY_ENV)
    path = tmp_path / "k" / "noegle"
    monkeypatch.setenv(privacy.KEY_FILE_ENV, str(path))
    winner = b"v" * 64
    real_link = os.link

    def link_after_another_process(source, destination):
        Path(destination).write_bytes(winner)  # the other process got there first
        real_link(source, destination)

    monkeypatch.setattr(privacy.os, "link", link_after_another_process)
    assert privacy.hash_key() == (winner, str(path))
    assert os.listdir(path.parent) == ["noegle"]


# --------------------------------------------------------------------------- bugs are bugs


def test_a_bug_is_an_internal_error_with_a_log_free_of_values(capsys, tmp_path, monkeypatch):
    (tmp_path / "raw").mkdir()

    def broken(*args, **kwargs):
        {}["jens.hansen@example.dk"]  # a KeyError whose message is a cell value

    monkeypatch.setattr(pipeline, "load_raw", broken)
    assert main(["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]) == 1
    line = _one_error_line(capsys)
    assert "intern fejl" in line and "KeyError" in line and "jens" not in line
    (log,) = (tmp_path / "logs").glob("omstilling-fejl-*.log")
    assert str(log) in line
    text = log.read_text(encoding="utf-8")
    assert "builtins.KeyError" in text and "jens" not in text and "example" not in text
    assert "in broken" not in text and " i broken" in text  # the frames, by function name
    assert "test_cli.py:" in text and str(Path(__file__).parent) not in text
    assert not (tmp_path / "ud").exists()


def test_a_value_error_is_not_taken_for_a_user_error(capsys, tmp_path, monkeypatch):
    (tmp_path / "raw").mkdir()

    def broken(*args, **kwargs):
        raise ValueError("could not convert string to float: 'Ring Jens'")

    monkeypatch.setattr(pipeline, "load_raw", broken)
    assert main(["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]) == 1
    line = _one_error_line(capsys)
    assert "intern fejl" in line and "Jens" not in line


def test_user_errors_are_exit_2_and_interrupts_130(capsys, monkeypatch, tmp_path):
    (tmp_path / "raw").mkdir()
    for error, code in ((errors.UserError("noget du kan rette"), 2), (KeyboardInterrupt(), 130)):

        def raising(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(pipeline, "load_raw", raising)
        assert main(["kør", "--raw", str(tmp_path / "raw"), "--out", str(tmp_path / "ud")]) == code
        assert capsys.readouterr().err.strip() in ("fejl: noget du kan rette", "afbrudt")


def test_crash_log_goes_to_the_temporary_folder_when_the_cache_cannot_be_written(
    tmp_path, monkeypatch
):
    blocked = tmp_path / "fil"
    blocked.write_text("x")
    monkeypatch.setenv(errors.LOG_DIR_ENV, str(blocked / "logs"))
    monkeypatch.setattr(errors.tempfile, "gettempdir", lambda: str(tmp_path))
    path = errors.write_crash_log(RuntimeError("hemmelig værdi"), "kør")
    assert path.parent == tmp_path and "hemmelig" not in path.read_text(encoding="utf-8")


def test_commands_are_listed_once_with_a_handler():
    names = [c.name for c in COMMANDS] + [a for c in COMMANDS for a in c.aliases]
    assert len(names) == len(set(names))
    assert all(callable(c.handler) and callable(c.add_arguments) for c in COMMANDS)
    assert cli.build_parser().prog == "omstilling"
