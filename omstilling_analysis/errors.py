"""User errors and internal errors: what the ``omstilling`` command tells the user.

A :class:`UserError` is a problem the user can fix (a broken settings file, an output folder
that cannot be written, a missing or too short key, an unusable raw file): the command prints
``fejl: <its one Danish line>`` and exits with code 2, before anything is written. Every other
exception is a bug: the command prints one Danish line saying so and where the details were
written, and exits with code 1. The details (:func:`write_crash_log`) hold the exception's type
and the file, line and function of every frame, never the exception's message or any local
variable, since those could hold a cell value from the raw data.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL_ERROR",
    "HashKeyError",
    "OutputFolderError",
    "RawFolderError",
    "SettingsError",
    "UserError",
    "crash_log_dir",
    "crash_report",
    "write_crash_log",
]

#: Exit code of a user error (one Danish line per problem on stderr).
EXIT_BAD_INPUT = 2
#: Exit code of an internal error (a bug; the details are in a crash log).
EXIT_INTERNAL_ERROR = 1
#: Environment variable naming the folder of crash logs (default: the user's cache folder).
LOG_DIR_ENV = "OMSTILLING_LOGMAPPE"


class UserError(Exception):
    """A problem the user can fix. ``str(error)`` is one Danish line, without cell values."""


class SettingsError(UserError, ValueError):
    """A settings file or a setting that cannot be used; the message names the Danish key.

    Also a :class:`ValueError`, as the settings' validation errors always were.
    """


class OutputFolderError(UserError):
    """An output folder that cannot take the results (checked before any work)."""


class RawFolderError(UserError):
    """A raw folder that is missing or not a folder."""


class HashKeyError(UserError):
    """A key for ``respondent_key`` that is empty, too short or cannot be read or made."""


def crash_log_dir() -> Path:
    """Where crash logs go: ``$OMSTILLING_LOGMAPPE``, else the user's cache folder.

    The cache folder is ``$XDG_CACHE_HOME/omstilling_analysis`` (``~/.cache/...``), on Windows
    ``%LOCALAPPDATA%\\omstilling_analysis``.
    """
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "omstilling_analysis"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "omstilling_analysis"


def _code_file(filename: str) -> str:
    """A frame's file without the folders above the package (no user or home folder names)."""
    parts = Path(filename).parts
    for anchor in ("omstilling_analysis", "site-packages"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            start = index if anchor == "omstilling_analysis" else index + 1
            return "/".join(parts[start:])
    return Path(filename).name


def crash_report(error: BaseException, command: str = "") -> str:
    """The text of a crash log: exception types and frames (file, line, function), no values.

    The exception's message and the frames' source lines and locals are left out: they could
    hold a value read from a raw file.

    >>> try:
    ...     {}["jens@example.dk"]
    ... except KeyError as e:
    ...     text = crash_report(e, "kør")
    >>> "KeyError" in text and "jens" not in text
    True
    """
    from omstilling_analysis import __version__

    lines = [
        "omstilling_analysis: intern fejl",
        f"tidspunkt: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"kommando: {command}",
        f"version: {__version__}; python {platform.python_version()}; {platform.system()}",
        "",
    ]
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for depth, exc in enumerate(reversed(chain)):
        if depth:
            lines.append("som førte til:")
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f"  {_code_file(frame.filename)}:{frame.lineno} i {frame.name}")
    return "\n".join(lines) + "\n"


def write_crash_log(error: BaseException, command: str = "") -> Path:
    """Write :func:`crash_report` to ``omstilling-fejl-<time>.log``; returns the file's path.

    In :func:`crash_log_dir`, or the system's temporary folder when that cannot be written.
    """
    name = f"omstilling-fejl-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = crash_report(error, command)
    for folder in (crash_log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    # Nowhere to write: the report goes to stderr (it holds no values either).
    sys.stderr.write(text)
    return Path("<stderr>")
