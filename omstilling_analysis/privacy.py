"""Privacy: the keyed hash that replaces respondent ids, and the key it needs.

A respondent is known in every output by ``respondent_key`` = HMAC-SHA256(key, id), cut to
16 hex digits. Without the key nobody can go from the key back to the SurveyXact id (an id has
at most 10 digits, so a plain hash could be reversed by trying all of them). The key comes from
the environment variable ``OMSTILLING_SALT`` or, when that is unset, from a key file made on
first use in the user's home folder (``~/.config/omstilling_analysis/noegle``), never in the
repository. Keep the key to get the same ``respondent_key`` in a later run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from omstilling_analysis.errors import HashKeyError

if TYPE_CHECKING:  # pandas is imported where it is used: the key and hashing need none
    import pandas as pd

__all__ = [
    "KEY_ENV", "KEY_FILE_ENV", "MAX_CODE_LENGTH", "MIN_KEY_BYTES", "PARALLEL_FROM", "WITHHELD",
    "hash_key", "key_file_path", "key_texts", "respondent_key_numbers", "respondent_keys", "safe_cell_value", "safe_cell_values", "safe_header", "strip_control",
]  # fmt: skip

KEY_ENV = "OMSTILLING_SALT"
KEY_FILE_ENV = "OMSTILLING_NOEGLEFIL"
#: The shortest key accepted, in bytes (UTF-8): 32 bytes = 256 bits, SHA-256's own strength.
MIN_KEY_BYTES = 32


def key_file_path() -> Path:
    """Where the key file lives: ``$OMSTILLING_NOEGLEFIL`` or the user's config folder."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "omstilling_analysis" / "noegle"


def _checked_key(key: bytes, where: str, hint: str = "") -> bytes:
    if len(key) < MIN_KEY_BYTES:
        state = "er tom" if not key else f"er for kort ({len(key)} byte)"
        raise HashKeyError(
            f"{where} {state}: nøglen til respondent_key skal være mindst {MIN_KEY_BYTES} byte"
            f"{hint}"
        )
    return key


def _private_folder(folder: Path) -> None:
    """Make the key's folder (and missing parents) readable by its owner only (0700)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    default = folder.name == "omstilling_analysis" and not os.environ.get(KEY_FILE_ENV)
    # Folders made here, and the default key folder, are the program's own: tighten them.
    for path in [*missing, *([folder] if default else [])]:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)


def _create_key_file(path: Path) -> None:
    """Make the key file once, safely when several processes start at the same time.

    The key is written in full to a temporary file of its own (``O_EXCL``, mode 0600) and then
    linked to its name: ``os.link`` fails when the name exists, so the first process wins and
    the others read the winner's complete key; nobody ever reads a half-written key.
    """
    _private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: its key is the key
        except OSError:
            # A file system without hard links: rename never replaces on Windows and is
            # atomic on POSIX; a key that appeared meanwhile is kept.
            if not path.exists():
                with contextlib.suppress(FileExistsError):
                    os.rename(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def hash_key() -> tuple[bytes, str]:
    """The HMAC key and where it came from (the environment variable or the key file's path).

    ``OMSTILLING_SALT`` wins when it is set; otherwise the key file (made on first use, see
    :func:`key_file_path`). Raises :class:`HashKeyError` (one Danish line) when the key is
    empty or shorter than :data:`MIN_KEY_BYTES` bytes, or the key file cannot be read or made:
    with a short key anyone could recompute the respondent keys from the ids.
    """
    if KEY_ENV in os.environ:
        where = f"miljøvariablen {KEY_ENV}"
        return _checked_key(os.environ[KEY_ENV].encode("utf-8"), where), where
    path = key_file_path()
    try:
        if not path.exists():
            _create_key_file(path)
        key = path.read_bytes().strip()
    except IsADirectoryError:
        raise HashKeyError(f"nøglefilen {path} er en mappe") from None
    except OSError:
        raise HashKeyError(
            f"nøglefilen {path} kan ikke læses eller oprettes; sæt {KEY_FILE_ENV} til en anden "
            f"sti eller {KEY_ENV} til en nøgle"
        ) from None
    hint = " (slet filen, så laves en ny; så skifter alle respondent_key)"
    return _checked_key(key, f"nøglefilen {path}", hint), str(path)


#: SHA-256's block size, and the HMAC pads (RFC 2104) as translation tables of the key's bytes.
_BLOCK = 64
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))


#: From this many ids on, the digests are computed by two processes (the run's two cores).
PARALLEL_FROM = 100_000


def _digests(values: list, new_inner, new_outer) -> bytes:
    """The first 8 bytes of the outer digest for each value, concatenated."""
    digests = bytearray()
    for value in values:
        inner = new_inner()
        inner.update(value.encode("utf-8") if type(value) is str else str(value).encode("utf-8"))
        outer = new_outer()
        outer.update(inner.digest())
        digests += outer.digest()[:8]
    return bytes(digests)


def _digests_in_two(values: list, new_inner, new_outer) -> bytes:
    """:func:`_digests` with the second half computed by a forked child at the same time
    (:func:`omstilling_analysis.parallel.in_background`: the child inherits the ids and the
    key's states, and where it cannot run, the parent computes the half itself; the digests
    are the same either way)."""
    from omstilling_analysis import parallel

    half = len(values) // 2
    second = parallel.in_background(lambda: _digests(values[half:], new_inner, new_outer))
    first = _digests(values[:half], new_inner, new_outer)
    return first + second.result()


def respondent_key_numbers(
    ids: Iterable[str], key: bytes | None = None, prefix: str = ""
) -> np.ndarray:
    """``respondent_key`` of ``prefix + id`` for each id as unsigned 64-bit numbers (the first
    8 bytes of HMAC-SHA256(key, prefix + id), big-endian); :func:`key_texts` writes them as
    the 16 hex digits.

    HMAC by its definition (RFC 2104): the key's inner state (with the prefix already in it)
    and outer state are made once and copied for each id, which is several times faster than
    ``hmac.digest`` per id (that sets up the key again every time) and gives the same digest.
    Many ids are split over two processes (:data:`PARALLEL_FROM`).
    """
    if key is None:
        key, _ = hash_key()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_INNER_PAD))
    inner.update(prefix.encode("utf-8"))
    new_inner = inner.copy
    new_outer = hashlib.sha256(key.translate(_OUTER_PAD)).copy
    values = ids.tolist() if hasattr(ids, "tolist") else list(ids)
    split = len(values) >= PARALLEL_FROM
    digests = (_digests_in_two if split else _digests)(values, new_inner, new_outer)
    return np.frombuffer(digests, dtype=">u8").astype("uint64")


def key_texts(numbers: np.ndarray):
    """Respondent keys as numbers (:func:`respondent_key_numbers`) → their 16 hex digits, as
    pandas' text array (pyarrow's buffers made from the hex digits at once: no Python string
    per respondent).

    >>> list(key_texts(np.array([1, 2**64 - 1], dtype="uint64")))
    ['0000000000000001', 'ffffffffffffffff']
    """
    import pandas as pd
    import pyarrow as pa

    n = len(numbers)
    digits = np.ascontiguousarray(numbers, dtype=">u8").tobytes().hex().encode("ascii")
    offsets = np.arange(0, 16 * (n + 1), 16, dtype=np.int64)
    texts = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(digits))
    return pd.array(texts, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def respondent_keys(ids: Iterable[str], key: bytes | None = None) -> np.ndarray:
    """``respondent_key`` for each id: the first 16 hex digits of HMAC-SHA256(key, id).

    >>> respondent_keys(["770820383"], key=b"k")[0]
    'a76426016c6acf11'
    >>> import hmac
    >>> long_key = bytes(range(100))
    >>> respondent_keys(["1", "2"], key=long_key).tolist() == [
    ...     hmac.digest(long_key, i, "sha256").hex()[:16] for i in (b"1", b"2")]
    True
    """
    return np.asarray(key_texts(respondent_key_numbers(ids, key)), dtype=object)


# --------------------------------------------------------------------------- what may be shown
#
# Cell values and column headers come from people typing into spreadsheets: they may hold
# names, e-mail addresses, CPR numbers or control characters. What an output or a message shows
# of them is decided by allow-lists: a value is shown only when it is a plausible code or a
# label of the instrument; anything else is withheld.

#: What the data-quality table shows instead of a value that might be personal.
WITHHELD = "(tekst udeladt)"
#: The longest code that is shown as it stands (SurveyXact codes are small numbers).
MAX_CODE_LENGTH = 4

_CODE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_VARIABLE = re.compile(r"^[A-Za-z]{1,10}(?:_?\d{1,3})(?:_\d{1,3}){0,3}$")
_CONTROL = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def strip_control(text: object) -> str:
    """``text`` with every control, format or unassigned character replaced by ``?``.

    Tabs, newlines, NUL bytes, bidirectional overrides and the like never reach a terminal
    or a file of this package.

    >>> strip_control("data\\x00\\u202e.xlsx")
    'data??.xlsx'
    """
    return "".join("?" if unicodedata.category(ch) in _CONTROL else ch for ch in str(text))


def _known_labels() -> dict[str, str]:
    """Normalised label → canonical text, for the scale, Ved ikke and the item codes."""
    from omstilling_analysis import reference

    known = {reference.normalise_label(item): item for item in reference.all_items()}
    canonical = {
        "helt uenig": "Helt uenig",
        "overvejende uenig": "Overvejende uenig",
        "hverken enig eller uenig": "Hverken enig eller uenig",
        "overvejende enig": "Overvejende enig",
        "helt enig": "Helt enig",
        "ved ikke": "Ved ikke",
        "ved ikke/ikke relevant": "Ved ikke / ikke relevant",
        "ikke relevant": "Ikke relevant",
    }
    assert set(canonical) == set(reference.SCALE) | set(reference.DONT_KNOW)
    known.update(canonical)
    return known


def safe_cell_values(values: pd.Series) -> pd.Series:
    """``values.map(safe_cell_value)``, with :func:`safe_cell_value` computed once per distinct
    value (told apart by type too, so that ``True`` is not taken for ``1``): a data-quality
    column of 100,000 rows holds a handful of distinct codes.

    >>> import pandas as pd
    >>> safe_cell_values(pd.Series([7.0, "Ring Jens", 7.0, True, 1, None])).tolist()
    ['7', '(tekst udeladt)', '7', '(tekst udeladt)', '1', '']
    """
    shown: dict[tuple[type, object], str] = {}

    def once(value: object) -> str:
        try:
            key = (type(value), value)
            text = shown.get(key)
            if text is None:
                text = shown[key] = safe_cell_value(value)
            return text
        except TypeError:  # an unhashable value: checked on its own
            return safe_cell_value(value)

    return values.map(once)


def safe_cell_value(value: object) -> str:
    """A raw cell value as the data-quality table may show it: an allow-list.

    Shown are only a blank (``""``), a number of at most :data:`MAX_CODE_LENGTH` characters
    (``7``, ``99``, ``-1``, ``1,5``: the codes of an export), an item code and a label text of
    the answer scale (shown in its canonical spelling). Everything else, whatever it looks
    like (a name, ``Ring Jens``, an e-mail address, a CPR number, text with control
    characters), becomes :data:`WITHHELD`. The function is idempotent.

    >>> [safe_cell_value(v) for v in (7.0, " 9 ", "helt  ENIG", "Ring Jens", "0101901234")]
    ['7', '9', 'Helt enig', '(tekst udeladt)', '(tekst udeladt)']
    """
    from omstilling_analysis import reference

    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text == WITHHELD:
        return text
    stripped = text.strip()
    if not stripped:
        return ""
    if len(stripped) <= MAX_CODE_LENGTH and _CODE.match(stripped):
        return stripped
    if len(stripped) <= 60:
        label = _known_labels().get(reference.normalise_label(stripped))
        if label is not None and strip_control(stripped) == stripped:
            return label
    return WITHHELD


def safe_header(text: object) -> str | None:
    """A column header as a message or an output may name it, or ``None`` to withhold it.

    Shown are only headers that cannot be personal: a metadata variable of SurveyXact, an
    item code, or a variable name as survey tools make them (letters then digits, e.g.
    ``q_9_9``, ``spm12``, ``stato_7``). A header such as ``Udfyldt af jens.hansen@example.dk``
    or ``Jens`` is withheld: name the column by its position instead.

    >>> safe_header(" q_9_9 "), safe_header("Kommune"), safe_header("Ring til Jens")
    ('q_9_9', 'Kommune', None)
    """
    from omstilling_analysis import reference

    if text is None:
        return None
    stripped = str(text).strip()
    if not stripped or len(stripped) > 30 or strip_control(stripped) != stripped:
        return None
    lowered = stripped.lower()
    vocabulary = {
        "responde", "email", "name", "starttim", "closetim", "difftime", "kommune", "rolle",
        "kommenta", "dato", "date", "id", "respondent", "respondent_id", "tidspunkt",
    }  # fmt: skip
    if lowered in vocabulary or stripped.upper() in set(reference.all_items()):
        return stripped
    if _VARIABLE.match(stripped):
        return stripped
    return None
