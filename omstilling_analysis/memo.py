"""Results of a run's per-wave analyses kept for the next run (``data/interim/analyser/``).

A re-run after one new wave arrived should only do the new wave's work. The cleaned sources are
cached by :mod:`omstilling_analysis.cache`; this module keeps the results of the expensive
analyses computed from them (rank intervals, reliability, item statistics, clusters, index
robustness, the change between waves), each under a key that is the SHA-256 of everything the
result depends on (:func:`fingerprint`): the package version, the analysis's name, the
settings, and the exact content of its input frames, column by column, in row order. A result
is therefore reused only when recomputing it would give the same bytes; any change of data,
settings or version is a new key. Nothing here changes a result: a run with the memo gives the
same outputs as a cold run (tested).

The results are pickled, and each file is signed with HMAC-SHA256 under the run's key
(:func:`omstilling_analysis.privacy.hash_key`), so a file not written by a run with the same key
(or altered) is never unpickled; it is recomputed and overwritten. What is stored is what the
analyses return: municipality-level tables and respondent-level arrays keyed by
``respondent_key`` only, never names, e-mails or free text. Files are written atomically
(a temporary file renamed), and the files a run did not use are removed at its end
(:meth:`Memo.prune`), so the folder holds one run's results.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["FOLDER", "Memo", "MemoLog", "code_fingerprint", "fingerprint"]

#: The memo's folder inside the interim folder.
FOLDER = "analyser"
_SUFFIX = ".pkl"
_SIGNATURE = 32  # bytes of HMAC-SHA256 before the pickle

T = TypeVar("T")

_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def _update(digest, part: Any) -> None:
    """Feed one part into ``digest``: its kind, shape and exact content."""
    if isinstance(part, pd.DataFrame):
        digest.update(b"frame" + str(part.shape).encode())
        for name in part.columns:
            digest.update(repr(name).encode())
            _update(digest, part[name])
    elif isinstance(part, pd.Series):
        digest.update(b"series" + str(part.dtype).encode())
        if part.dtype.kind in "biufcmM" and isinstance(part.dtype, np.dtype):
            digest.update(np.ascontiguousarray(part.to_numpy()).tobytes())
        elif isinstance(part.array, _MASKED):
            # Nullable numbers (the answers as Int8): where they are missing, then the values
            # with 0 there, as bytes (pandas' row hashes took ten times as long).
            digest.update(part.isna().to_numpy().tobytes())
            digest.update(part.to_numpy(dtype=part.dtype.numpy_dtype, na_value=0).tobytes())
        elif hasattr(part.array, "__arrow_array__") and part.dtype.kind in "OUS":
            # Text held by pyarrow: the texts' lengths, then their bytes, as they are (hashing
            # row by row is the slow part of a key otherwise). Lengths and bytes each in one
            # stream: the same texts in other chunks hash the same.
            digest.update(part.isna().to_numpy().tobytes())
            texts = []
            for chunk in _chunks(pa.array(part.array)):
                kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
                _, offset_buffer, data = chunk.buffers()
                offsets = np.frombuffer(offset_buffer, dtype=kind)
                offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
                digest.update(np.diff(offsets).astype(np.int64).tobytes())
                if data is not None:
                    texts.append(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
            for text in texts:
                digest.update(text)
        else:
            # Nullable, categorical and object columns: pandas' own stable row hashes.
            hashed = pd.util.hash_pandas_object(part, index=False, categorize=False)
            digest.update(hashed.to_numpy().tobytes())
            digest.update(part.isna().to_numpy().tobytes())
    elif isinstance(part, np.ndarray):
        digest.update(b"array" + str(part.dtype).encode() + str(part.shape).encode())
        if part.dtype == object:
            digest.update(json.dumps(part.tolist(), default=str).encode())
        else:
            digest.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, (tuple, list)):
        digest.update(b"seq" + str(len(part)).encode())
        for item in part:
            _update(digest, item)
    else:
        digest.update(b"value" + json.dumps(part, sort_keys=True, default=str).encode())


def _chunks(array) -> list:
    """The chunks of a pyarrow (chunked) text array, as string or large string arrays."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    plain = (pa.types.is_string, pa.types.is_large_string)
    return [c if any(is_(c.type) for is_ in plain) else c.cast(pa.large_string()) for c in chunks]


def fingerprint(*parts: Any) -> str:
    """SHA-256 (hex) of ``parts``: frames and series column by column with their dtypes and
    values in row order, arrays by their bytes, anything else by its JSON form.

    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> fingerprint(a) == fingerprint(a.copy()), fingerprint(a) == fingerprint(a[::-1])
    (True, False)
    >>> fingerprint("rang", {"seed": 1}) == fingerprint("rang", {"seed": 2})
    False
    >>> texts = pd.Series(["BOR", "STR", None, "DAT"], dtype="str")
    >>> fingerprint(pd.concat([texts[:2], texts[2:]])) == fingerprint(texts)  # two chunks, one
    True
    """
    digest = hashlib.sha256()
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of the package's own source files: a result is reused only by the code that
    computed it (the version number alone does not change with every edit). Read once per
    process: the code that runs is the code that was imported."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class MemoLog:
    """What a piece of work did with a :class:`Memo`: the files it used, the names of the
    results it reused and computed (:meth:`Memo.logged`)."""

    used: tuple[str, ...]
    reused: tuple[str, ...]
    computed: tuple[str, ...]


class Memo:
    """Signed, content-keyed results in ``folder`` (``None``: nothing is kept or reused).

    Parameters
    ----------
    folder : path or None
        Where the results are kept (created when first written).
    secret : bytes
        The key the files are signed with (the run's ``respondent_key`` key).
    version : str
        Part of every key: a result of other code or other libraries is never reused (the
        pipeline passes the package's :func:`code_fingerprint` and the libraries' versions).
    reuse : bool
        ``False``: compute everything and rewrite the folder (``--uden-cache``).

    Attributes
    ----------
    reused, computed : list of str
        The names of the results this run took from the folder and computed.
    """

    def __init__(self, folder: str | Path | None, secret: bytes, version: str, reuse: bool = True):
        self.folder = None if folder is None else Path(folder)
        self._reuse = reuse
        self._secret = secret
        self._version = version
        self._used: set[str] = set()
        # What this run derived from an object already (its fingerprint, its rows by wave), by
        # identity; the object is held, so its id is not reused. Several results share inputs.
        self._derived: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self.reused: list[str] = []
        self.computed: list[str] = []

    def once(self, value: Any, what: Any, derive: Callable[[], T]) -> T:
        """``derive()``, computed once per ``value`` (by identity) and ``what`` in this run."""
        known = self._derived.get((id(value), what))
        if known is None or known[0] is not value:
            known = (value, derive())
            self._derived[(id(value), what)] = known
        return known[1]

    def part(self, value: Any, without: tuple[str, ...] = ()) -> str:
        """``fingerprint(value)`` (a frame ``without`` those columns), computed once per object
        in this run: a key part several results share."""
        if self.folder is None:
            return ""

        def content() -> str:
            kept = value.drop(columns=list(without), errors="ignore") if without else value
            return fingerprint(kept)

        return self.once(value, ("fingerprint", without), content)

    def get(self, name: str, parts: tuple, compute: Callable[[], T]) -> T:
        """The result of ``compute()``, from the folder when ``name`` with the same ``parts``
        (and version) was computed before."""
        if self.folder is None:
            return compute()
        path = self._path(name, parts)
        found = self._take(path)
        if found is not None:
            self.reused.append(name)
            return found[0]
        result = compute()
        self.computed.append(name)
        self._keep(path, result)
        return result

    def lookup(self, name: str, parts: tuple) -> tuple[Any] | None:
        """``(value,)`` kept for ``name`` with these ``parts``, or ``None``; either way the
        entry is this run's (:meth:`prune` keeps it). Not counted in :attr:`reused`."""
        return None if self.folder is None else self._take(self._path(name, parts))

    def keep(self, name: str, parts: tuple, value: Any) -> None:
        """Keep ``value`` for ``name`` with these ``parts`` (for :meth:`lookup`)."""
        if self.folder is not None:
            self._keep(self._path(name, parts), value)

    def _path(self, name: str, parts: tuple) -> Path:
        key = fingerprint(self._version, name, *parts)
        return self.folder / f"{name}-{key[:40]}{_SUFFIX}"

    def _take(self, path: Path) -> tuple[Any] | None:
        self._used.add(path.name)
        return self._read(path) if self._reuse else None

    def _keep(self, path: Path, value: Any) -> None:
        self._used.add(path.name)
        self._write(path, value)

    def logged(self, compute: Callable[[], T]) -> tuple[T, MemoLog]:
        """``compute()`` and what it did with this memo, as a :class:`MemoLog` that
        :meth:`absorb` adds back; the memo itself is left as it was before. For work done in a
        forked child (:mod:`omstilling_analysis.parallel`), whose memo is a copy: without the
        log the parent would not know which results were used, and :meth:`prune` would remove
        them."""
        used, reused, computed = set(self._used), len(self.reused), len(self.computed)
        value = compute()
        log = MemoLog(
            tuple(sorted(self._used - used)),
            tuple(self.reused[reused:]),
            tuple(self.computed[computed:]),
        )
        self._used, self.reused, self.computed = (
            used,
            self.reused[:reused],
            self.computed[:computed],
        )
        return value, log

    def absorb(self, logged: tuple[T, MemoLog]) -> T:
        """The value of :meth:`logged`'s result, with its log added to this memo."""
        value, log = logged
        self._used.update(log.used)
        self.reused += log.reused
        self.computed += log.computed
        return value

    def _read(self, path: Path) -> tuple[Any] | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        signature, payload = data[:_SIGNATURE], data[_SIGNATURE:]
        expected = hmac.digest(self._secret, payload, "sha256")
        if not hmac.compare_digest(signature, expected):
            return None
        try:
            return (pickle.loads(payload),)
        except Exception:
            return None

    def _write(self, path: Path, value: Any) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        data = hmac.digest(self._secret, payload, "sha256") + payload
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".skrives-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except OSError:
            # A folder that cannot be written only costs the next run the work.
            return

    def prune(self) -> None:
        """Remove the results (and half-written files) this run did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            stale = path.name.startswith(".skrives-") or (
                path.suffix == _SUFFIX and path.name not in self._used
            )
            if stale and path.is_file():
                path.unlink(missing_ok=True)
