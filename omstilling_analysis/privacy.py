"""Privacy: the keyed hash that replaces respondent ids, and the key it needs.

A respondent is known in every output by ``respondent_key`` = HMAC-SHA256(key, id), cut to
16 hex digits. Without the key nobody can go from the key back to the SurveyXact id (an id has
at most 10 digits, so a plain hash could be reversed by trying all of them). The key comes from
the environment variable ``OMSTILLING_SALT`` or, when that is unset, from a key file made on
first use in the user's home folder (``~/.config/omstilling_analysis/noegle``), never in the
repository. Keep the key to get the same ``respondent_key`` in a later run.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import numpy as np

KEY_ENV = "OMSTILLING_SALT"
KEY_FILE_ENV = "OMSTILLING_NOEGLEFIL"


def key_file_path() -> Path:
    """Where the key file lives: ``$OMSTILLING_NOEGLEFIL`` or the user's config folder."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "omstilling_analysis" / "noegle"


def hash_key() -> tuple[bytes, str]:
    """The HMAC key and where it came from (``"miljøvariabel"`` or the key file's path)."""
    salt = os.environ.get(KEY_ENV)
    if salt:
        return salt.encode("utf-8"), f"miljøvariablen {KEY_ENV}"
    path = key_file_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with owner-only permissions before the secret is written.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8"), str(path)


#: SHA-256's block size, and the HMAC pads (RFC 2104) as translation tables of the key's bytes.
_BLOCK = 64
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))


def respondent_keys(ids: Iterable[str], key: bytes | None = None) -> np.ndarray:
    """``respondent_key`` for each id: the first 16 hex digits of HMAC-SHA256(key, id).

    HMAC by its definition (RFC 2104): the key's inner and outer SHA-256 states are made
    once and copied for each id, which is several times faster than ``hmac.digest`` per id
    (that sets up the key again every time) and gives the same digest.

    >>> respondent_keys(["770820383"], key=b"k")[0]
    'a76426016c6acf11'
    >>> import hmac
    >>> long_key = bytes(range(100))
    >>> respondent_keys(["1", "2"], key=long_key).tolist() == [
    ...     hmac.digest(long_key, i, "sha256").hex()[:16] for i in (b"1", b"2")]
    True
    """
    if key is None:
        key, _ = hash_key()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    new_inner = hashlib.sha256(key.translate(_INNER_PAD)).copy
    new_outer = hashlib.sha256(key.translate(_OUTER_PAD)).copy
    values = ids.tolist() if hasattr(ids, "tolist") else ids
    digests = bytearray()
    for value in values:
        inner = new_inner()
        inner.update(value.encode("utf-8") if type(value) is str else str(value).encode("utf-8"))
        outer = new_outer()
        outer.update(inner.digest())
        digests += outer.digest()[:8]
    # 8 bytes = 16 hex digits per id, cut apart as fixed-width strings.
    hexed = np.frombuffer(digests.hex().encode("ascii"), dtype="S16")
    return hexed.astype("U16").astype(object)
