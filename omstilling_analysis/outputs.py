"""The output folder: checked before any work, replaced as a whole when a run is done.

:func:`check_output_folder` tells, before anything is read or written, whether ``OUT`` can take
the results: not a file, not under a file, writable, not on a read-only file system, not the
raw folder nor inside it (nor holding it), not holding the current folder, and not a folder
of other files. A problem is an :class:`~omstilling_analysis.errors.OutputFolderError`: one
Danish line naming the path as the user typed it.

:func:`replace_outputs` writes a whole run into a hidden sibling folder ``.<OUT>.ny-XXXX``
and then swaps it in, so that ``OUT`` is at every moment either exactly the old run or exactly
the new one:

1. stale ``.<OUT>.ny-*`` and ``.<OUT>.gammel-*`` folders of a killed run are removed (a folder
   still being written by a live run is locked and left alone);
2. the run is written into the staging folder;
3. what is in ``OUT`` that no run wrote (``README.md``, hidden files, a ``notebooks/`` folder:
   anything not matching :data:`RUN_OUTPUT_PATTERNS` nor listed in the old manifest's
   ``filer``) is linked into the staging folder, so it survives;
4. the two folders are exchanged in one step (Linux ``renameat2(RENAME_EXCHANGE)``); where
   the system cannot do that, the old folder is renamed aside to ``.<OUT>.gammel-XXXX`` and
   the new one into place, with Ctrl-C held back between the two renames and the old folder
   put back if the second fails;
5. the old run is removed.

A failure or Ctrl-C before step 4 leaves ``OUT`` untouched; after it, ``OUT`` is the new run.
Nothing of the old run remains beside the new manifest, so a smaller run leaves no old wave
workbooks behind. The staging and aside folders are ignored by git (``.gitignore``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fnmatch
import functools
import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from omstilling_analysis.errors import OutputFolderError, RawFolderError

__all__ = [
    "ASIDE_MARK",
    "RUN_OUTPUT_PATTERNS",
    "STAGING_MARK",
    "check_folders",
    "check_output_folder",
    "exchange_folders",
    "kept_entries",
    "remove_stale_folders",
    "replace_outputs",
]

#: Names in ``OUT`` that belong to a run and are replaced by the next one (fnmatch patterns).
RUN_OUTPUT_PATTERNS: tuple[str, ...] = (
    "manifest.json",
    "*.parquet",
    "*.csv",
    "opsummering_*.xlsx",
    "rapport_*.xlsx",
    "figurer",
    "til_videncenter",
)
#: Hidden sibling folders: ``.<OUT>.ny-XXXX`` is a run being written, ``.<OUT>.gammel-XXXX``
#: an old run on its way out.
STAGING_MARK, ASIDE_MARK = ".ny-", ".gammel-"
#: ``manifest.json`` of a run names this tool; a bigger manifest is not ours.
_TOOL, _MAX_MANIFEST_BYTES = "omstilling_analysis", 50_000_000

_WRITE_ERRORS = {
    errno.ENOSPC: "der er ikke mere plads på disken",
    errno.EDQUOT: "din diskkvote er brugt op",
    errno.EROFS: "filsystemet er skrivebeskyttet",
    errno.EACCES: "ingen skriveadgang",
    errno.EPERM: "ingen skriveadgang",
}

try:  # POSIX: advisory locks on folders
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


# =========================================================================== the check


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.exists(candidate):
            return candidate
    return Path(os.sep)


def _read_only(path: Path) -> bool:
    if not hasattr(os, "statvfs"):  # pragma: no cover - Windows
        return False
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def _inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def run_manifest(folder: Path) -> dict | None:
    """The ``manifest.json`` of a run in ``folder``, or ``None`` when there is none of ours."""
    path = folder / "manifest.json"
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("vaerktoej") == _TOOL else None


def _is_run_output(name: str, manifest: dict | None) -> bool:
    listed = (
        set(manifest.get("filer") or []) | set(manifest.get("output") or {}) if manifest else set()
    )
    return name in listed or any(fnmatch.fnmatchcase(name, p) for p in RUN_OUTPUT_PATTERNS)


def check_output_folder(out: str | Path, raw: str | Path | None = None) -> Path:
    """Check that ``out`` can take a run's results; returns its real path (symlinks resolved).

    Nothing is written. Raises :class:`OutputFolderError` with one Danish line naming ``out``
    (and ``raw``) as given.
    """
    typed = str(out)
    given = Path(out)
    target = Path(os.path.realpath(given))
    if target == target.parent:
        raise OutputFolderError(f"{typed}: roden af et drev kan ikke være resultatmappe")
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{typed}: er en fil, ikke en mappe")
    existing = _first_existing(given)
    if existing != given and not existing.is_dir():
        raise OutputFolderError(f"{typed}: {existing} er en fil, så mappen kan ikke oprettes")
    if raw is not None:
        raw_target = Path(os.path.realpath(raw))
        if target == raw_target:
            raise OutputFolderError(f"{typed}: resultatmappen må ikke være rådatamappen")
        if _inside(target, raw_target):
            raise OutputFolderError(
                f"{typed}: resultatmappen må ikke ligge inde i rådatamappen {raw}"
            )
        if _inside(raw_target, target):
            raise OutputFolderError(
                f"{typed}: rådatamappen {raw} ligger inde i resultatmappen, som erstattes ved "
                "hver kørsel"
            )
    if _inside(Path(os.path.realpath(os.getcwd())), target):
        raise OutputFolderError(
            f"{typed}: resultatmappen må ikke være eller indeholde den mappe, du står i"
        )
    if _read_only(existing):
        raise OutputFolderError(f"{typed}: filsystemet er skrivebeskyttet")
    # The run is written beside OUT and moved in: OUT's folder must be writable, and OUT too.
    holder = target.parent if target.exists() else _first_existing(target.parent)
    if not _writable(holder):
        raise OutputFolderError(f"{typed}: ingen skriveadgang til mappen, den ligger i")
    if target.exists() and not _writable(target):
        raise OutputFolderError(f"{typed}: ingen skriveadgang til mappen")
    if target.exists() and run_manifest(target) is None:
        foreign = [name for name in os.listdir(target) if _is_run_output(name, None)]
        if foreign:
            raise OutputFolderError(
                f"{typed}: mappen rummer {len(foreign)} filer, som ikke er fra en kørsel af "
                "omstilling (intet manifest.json); vælg en tom mappe eller en tidligere "
                "resultatmappe"
            )
    return target


def check_folders(raw: str | Path, out: str | Path | None) -> Path | None:
    """The checks of a run before anything is read: the raw folder, then the output folder.

    Raises :class:`RawFolderError` or :class:`OutputFolderError` (one Danish line naming the
    path as given); returns the output folder's real path (``None`` when ``out`` is ``None``).
    """
    raw_path = Path(raw)
    if not raw_path.exists():
        raise RawFolderError(f"{raw}: mappen findes ikke")
    if not raw_path.is_dir():
        raise RawFolderError(f"{raw}: er en fil, ikke en mappe med rådata")
    return None if out is None else check_output_folder(out, raw)


# =========================================================================== locks


@contextlib.contextmanager
def _locked(folder: Path, blocking: bool = True) -> Iterator[bool]:
    """An exclusive advisory lock on ``folder`` (POSIX ``flock``); yields whether it was got."""
    if fcntl is None:  # pragma: no cover - Windows: no locks, the swap is still all-or-nothing
        yield True
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)


def remove_stale_folders(parent: Path, name: str) -> list[str]:
    """Remove the staging and aside folders of ``name`` left in ``parent`` by a killed run.

    A staging folder a live run is writing is locked and left alone. When ``name`` itself is
    missing and an aside folder holds the old run (a run killed between the two renames of
    the fallback swap), that run is put back first. Returns the names removed.
    """
    stale = sorted(
        entry
        for entry in os.listdir(parent)
        if entry.startswith((f".{name}{STAGING_MARK}", f".{name}{ASIDE_MARK}"))
    )
    target = parent / name
    asides = [e for e in stale if e.startswith(f".{name}{ASIDE_MARK}")]
    if asides and not os.path.lexists(target):
        newest = max(asides, key=lambda e: os.stat(parent / e).st_mtime)
        os.rename(parent / newest, target)
        stale.remove(newest)
    removed = []
    for entry in stale:
        path = parent / entry
        if not path.is_dir() or path.is_symlink():
            continue
        with _locked(path, blocking=False) as free:
            if not free:
                continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(entry)
    return removed


# =========================================================================== the swap

_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


@functools.cache
def _renameat2() -> Callable | None:
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def exchange_folders(first: Path, second: Path) -> bool:
    """Exchange two folders in one atomic step; ``False`` when the system cannot.

    Linux ``renameat2(..., RENAME_EXCHANGE)``: after it, each path names the other's folder,
    and there is no moment when either path is missing. Other errors raise :class:`OSError`.
    """
    function = _renameat2()
    if function is None:
        return False
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM until the block ends, then act on them as usual.

    Python-level handlers that only note the signal are installed for the block (they run in
    the main thread whichever thread the system hands the signal to); outside the main thread
    signals cannot be handled, and the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = [signal.SIGINT, *([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])]
    previous = {number: signal.signal(number, lambda n, _f: caught.append(n)) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), number)


def _swap(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; returns the folder now holding the old run, if any.

    Called with Ctrl-C held back (:func:`_signals_held`), so that the fallback's two renames
    are not torn apart by an interrupt.
    """
    if not target.exists():
        os.rename(staging, target)
        return None
    if exchange_folders(staging, target):
        return staging
    aside = target.with_name(f".{target.name}{ASIDE_MARK}{secrets.token_hex(4)}")
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _folder_mode(target: Path) -> int:
    """The old folder's permissions, or the user's default for a new folder."""
    if target.is_dir():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o777 & ~umask


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def kept_entries(target: Path, new_names: set[str]) -> list[str]:
    """Entries of ``target`` that no run wrote and that the new run must keep (README.md…)."""
    if not target.is_dir():
        return []
    manifest = run_manifest(target)
    return sorted(
        name
        for name in os.listdir(target)
        if name not in new_names and not _is_run_output(name, manifest)
    )


def _carry_over(target: Path, staging: Path, names: list[str]) -> None:
    for name in names:
        source, destination = target / name, staging / name
        if source.is_symlink():
            os.symlink(os.readlink(source), destination)
        elif source.is_dir():
            shutil.copytree(source, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(destination))


def replace_outputs(
    out: str | Path, write: Callable[[Path], None], raw: str | Path | None = None
) -> list[str]:
    """Write a run with ``write(folder)`` and make it ``out`` as a whole; returns its names.

    See the module docstring for the steps. ``out`` is checked first
    (:func:`check_output_folder`). A full disk or a lost write permission while writing is an
    :class:`OutputFolderError` (``out`` is then untouched); any other exception from ``write``
    is passed on, also with ``out`` untouched.
    """
    typed = str(out)
    target = check_output_folder(out, raw)
    parent, name = target.parent, target.name
    try:
        parent.mkdir(parents=True, exist_ok=True)
        hold = contextlib.ExitStack()
        with _locked(parent):
            remove_stale_folders(parent, name)
            staging = Path(tempfile.mkdtemp(prefix=f".{name}{STAGING_MARK}", dir=parent))
            # Locked before the parent is let go: another run's clean-up never takes it.
            hold.enter_context(_locked(staging))
        old: Path | None = None
        try:
            with hold:
                write(staging)
                names = sorted(os.listdir(staging))
                with _locked(parent):
                    _carry_over(target, staging, kept_entries(target, set(names)))
                    os.chmod(staging, _folder_mode(target))
                    with _signals_held():
                        old = _swap(staging, target)
        finally:
            # Before the swap this is the unfinished run; after it, the old run.
            shutil.rmtree(staging, ignore_errors=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        if error.errno in _WRITE_ERRORS:
            raise OutputFolderError(
                f"{typed}: kunne ikke skrive resultaterne: {_WRITE_ERRORS[error.errno]}; "
                "resultatmappen er uændret"
            ) from None
        raise
    return names
