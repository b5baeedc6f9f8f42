"""The cache of cleaned sources: each raw source's cleaned, pseudonymised rows under
``data/interim/``, so that a re-run reads and cleans only the sources that changed.

Where: the folder ``interim`` beside the raw folder (:func:`cache_folder`), as
cookiecutter-data-science places it: ``data/raw`` → ``data/interim``. It is never used when it
would lie inside the output folder (which a run replaces as a whole).

What: one folder per source, ``<source hash>-<key>/`` with ``kandidater.parquet`` (the
candidate rows of :class:`clean.CleanSource`: respondent ids only as their keyed hash, no name,
e-mail or free text), ``problemer.parquet`` (the data-quality rows, their values already
through :func:`privacy.safe_cell_value`'s allow-list) and ``beskrivelse.json`` (the rest, and
the key the entry was made for).

Key (:func:`cache_key`): the SHA-256 of the raw file(s), the package version and the SHA-256 of
its source code (:func:`omstilling_analysis.memo.code_fingerprint`), the settings the
cleaning reads (:data:`clean.CLEANING_SETTINGS`), a fingerprint of the HMAC key (never the key)
and :data:`CACHE_FORMAT`. Any change of a part gives another key: the old entry is not read and
is removed when the new one is written.

Safety: an entry is written into a hidden temporary folder and renamed into place when it is
complete, so a killed run never leaves a half entry under an entry's name; an entry that
cannot be read, or whose description does not match, is ignored (and rewritten), never an
error. The rules across sources (duplicates, the half rule) run after the cache, on the cached
frames as on fresh ones, so a run from the cache writes the same bytes as a cold run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from omstilling_analysis import __version__
from omstilling_analysis.clean import CLEANING_SETTINGS, CleanSource, empty_problems
from omstilling_analysis.memo import code_fingerprint
from omstilling_analysis.settings import Settings

__all__ = [
    "CACHE_FOLDER",
    "CACHE_FORMAT",
    "CACHE_MODES",
    "SourceCache",
    "cache_folder",
    "cache_key",
    "checksum",
]

#: The cache's folder name, beside the raw folder (``data/raw`` → ``data/interim``).
CACHE_FOLDER = "interim"
#: The layout of an entry: raise it when what is stored changes.
CACHE_FORMAT = 1
#: ``use``: read and write the cache; ``refresh``: clean every source anew and write the cache
#: (``--uden-cache``); ``off``: neither (``kontroller``, lists of paths).
CACHE_MODES = ("use", "refresh", "off")

_CANDIDATES = "kandidater.parquet"
_PROBLEMS = "problemer.parquet"
_DESCRIPTION = "beskrivelse.json"
#: A temporary entry older than this was left by a killed run (a live run writes in seconds).
_STALE_SECONDS = 3600


def cache_folder(raw_dir: str | Path) -> Path:
    """Where the cache of a raw folder lives: ``interim`` beside it; for a folder inside a
    folder named ``raw`` (the demo's ``data/raw/demo``), beside that one, so that nothing is
    ever written into ``data/raw``.

    >>> cache_folder("/p/data/raw").as_posix(), cache_folder("/p/data/raw/demo").as_posix()
    ('/p/data/interim', '/p/data/interim')
    """
    raw = Path(raw_dir).resolve()
    for folder in (raw, *raw.parents):
        if folder.name == "raw":
            return folder.parent / CACHE_FOLDER
    return raw.parent / CACHE_FOLDER


def checksum(path: str | Path) -> str:
    """SHA-256 of a raw entry: a file's bytes, or a folder's files' bytes in name order."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cache_key(source: str, sha256: str, key: bytes, settings: Settings) -> str:
    """The key of a source's entry: every part that changes what its cleaning gives."""
    from omstilling_analysis.verify import key_fingerprint

    parts = {
        "format": CACHE_FORMAT,
        "version": __version__,
        # The code itself: a cleaning rule changed without a new version is a new key.
        "kode": code_fingerprint(),
        "kilde": source,
        "sha256": sha256,
        "indstillinger": {name: getattr(settings, name) for name in CLEANING_SETTINGS},
        "noegle_fingeraftryk": key_fingerprint(key),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _source_prefix(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SourceCache:
    """The cache of one run: its folder, the HMAC key and settings, and the mode."""

    folder: Path
    key: bytes
    settings: Settings
    mode: str = "use"

    def entry(self, source: str, sha256: str) -> tuple[Path, str]:
        """The folder of a source's entry and its full key."""
        full = cache_key(source, sha256, self.key, self.settings)
        return self.folder / f"{_source_prefix(source)}-{full[:32]}", full

    def knows(self, source: str) -> bool:
        """Whether the cache may hold ``source`` at all: it has an entry of a source of that
        name (with any checksum). When not, the source need not be checksummed to be looked
        up: its reader can start at once."""
        if self.mode != "use":
            return False
        return any(self.folder.glob(f"{_source_prefix(source)}-*"))

    def holds(self, source: str, sha256: str) -> bool:
        """Whether the cache has an entry for ``source`` with this checksum to :meth:`load`
        (only its description is read; a damaged entry is still a miss there)."""
        return self._description(source, sha256) is not None

    def _description(self, source: str, sha256: str) -> tuple[Path, dict] | None:
        """The folder and description of ``source``'s entry with this checksum, when the
        cache is read and the entry was made for exactly this key, else ``None``."""
        if self.mode != "use":
            return None
        folder, full = self.entry(source, sha256)
        try:
            described = json.loads((folder / _DESCRIPTION).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if described.get("noegle") != full or described.get("kilde") != source:
            return None
        return folder, described

    def load(self, source: str, sha256: str) -> CleanSource | None:
        """The cached cleaning of ``source`` with this checksum, or ``None`` (a miss: also
        for an entry that is damaged or made for another key)."""
        try:
            entry = self._description(source, sha256)
            if entry is None:
                return None
            folder, described = entry
            candidates = pd.read_parquet(folder / _CANDIDATES)
            problems = pd.read_parquet(folder / _PROBLEMS)
            if len(candidates) != described["raekker"]:
                return None
            # The text columns back in the types a cold run has (Parquet reads them as str).
            problems = problems.astype(empty_problems().dtypes.to_dict())
            return CleanSource(
                source=source,
                shape=described["form"],
                dialect=described["dialekt"],
                wave=int(described["boelge"]),
                candidates=candidates,
                problems=problems,
                item_map=dict(described["spoergsmaal"]),
                unmapped=list(described["uden_spoergsmaal"]),
                dropped_columns=list(described["ikke_indlaest"]),
                sha256=sha256,
                from_cache=True,
            )
        except Exception:  # any damage: a miss, and the entry is written anew
            return None

    def store(self, cleaned: CleanSource) -> None:
        """Write ``cleaned`` as its source's entry (atomically) and remove the source's older
        entries. A cache that cannot be written (a full disk, no access) is skipped."""
        if self.mode == "off" or cleaned.sha256 is None:
            return
        from omstilling_analysis.privacy import safe_header

        folder, full = self.entry(cleaned.source, cleaned.sha256)
        temporary = self.folder / f".ny-{os.getpid()}-{secrets.token_hex(4)}"
        # Column names of the raw file are kept only where they cannot be personal.
        item_map = {
            safe_header(column) or f"kolonne {i}": item
            for i, (column, item) in enumerate(cleaned.item_map.items(), start=1)
        }
        described = {
            "noegle": full,
            "kilde": cleaned.source,
            "form": cleaned.shape,
            "dialekt": cleaned.dialect,
            "boelge": int(cleaned.wave),
            "raekker": int(cleaned.n_rows),
            "spoergsmaal": item_map,
            "uden_spoergsmaal": list(cleaned.unmapped),
            "ikke_indlaest": list(cleaned.dropped_columns),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._remove_stale_temporaries()
            temporary.mkdir()
            cleaned.candidates.to_parquet(temporary / _CANDIDATES, index=False)
            cleaned.problems.to_parquet(temporary / _PROBLEMS, index=False)
            (temporary / _DESCRIPTION).write_text(
                json.dumps(described, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            os.rename(temporary, folder)
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
            return
        for older in self.folder.glob(f"{_source_prefix(cleaned.source)}-*"):
            if older != folder:
                shutil.rmtree(older, ignore_errors=True)

    def store_all(self, sources: list[CleanSource]) -> None:
        """:meth:`store` each of ``sources``."""
        for cleaned in sources:
            self.store(cleaned)

    def _remove_stale_temporaries(self) -> None:
        now = time.time()
        for left in self.folder.glob(".ny-*"):
            with contextlib.suppress(OSError):
                if now - left.stat().st_mtime > _STALE_SECONDS:
                    shutil.rmtree(left, ignore_errors=True)
