"""Privacy: the keyed hash that replaces respondent ids, and the key it needs.

A respondent is known in every output by ``respondent_key`` = HMAC-SHA256(key, id), cut to
16 hex digits. Without the key nobody can go from the key back to the SurveyXact id (an id has
at most 10 digits, so a plain hash could be reversed by trying all of them). The key comes from
the environment variable ``OMSTILLING_SALT`` or, when that is unset, from a key file made on
first use in the user's home folder (``~/.config/omstilling_analysis/noegle``), never in the
repository. Keep the key to get the same ``respondent_key`` in a later run.
"""

from __future__ import annotations

import hmac
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


def respondent_keys(ids: Iterable[str], key: bytes | None = None) -> np.ndarray:
    """``respondent_key`` for each id: the first 16 hex digits of HMAC-SHA256(key, id).

    >>> respondent_keys(["770820383"], key=b"k")[0]
    'a76426016c6acf11'
    """
    if key is None:
        key, _ = hash_key()
    # hmac.digest is the one-shot C implementation: about a microsecond per id.
    return np.array(
        [hmac.digest(key, str(i).encode("utf-8"), "sha256").hex()[:16] for i in ids], dtype=object
    )
