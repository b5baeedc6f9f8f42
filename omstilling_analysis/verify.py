"""Reproduction a researcher can check: ``omstilling kontroller MANIFEST``.

A run is reproducible when the same raw files, key and settings give the same bytes in every
output (time stamps and the command line are only in ``manifest.json``). :func:`verify_run`
re-runs the analysis from a manifest's raw folder and settings into a temporary folder, cold
(without the cache of cleaned sources, which it neither reads nor writes), and compares each
output's SHA-256 with the one the manifest recorded.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from omstilling_analysis.errors import UserError
from omstilling_analysis.settings import Settings

__all__ = ["ManifestError", "Verification", "key_fingerprint", "verify_run"]


class ManifestError(UserError):
    """A manifest that cannot be checked (missing, not a manifest, or its inputs changed)."""


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the HMAC key: tells whether two runs used the same key, and cannot
    be turned back into the key (SHA-256 of a labelled key, first 16 hex digits).

    >>> key_fingerprint(b"x" * 40)
    '027b085329e9bc19'
    """
    return hashlib.sha256(b"omstilling_analysis key fingerprint:" + key).hexdigest()[:16]


@dataclass(frozen=True)
class Verification:
    """Per output file of the manifest: ``"ens"``, ``"forskellig"``, ``"mangler"`` (not made by
    the re-run) or ``"ny"`` (made by the re-run, not in the manifest)."""

    outcome: dict[str, str]

    @property
    def all_match(self) -> bool:
        return all(v == "ens" for v in self.outcome.values())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_run(manifest_path: str | Path, progress: bool = False) -> Verification:
    """Re-run the analysis a manifest describes and compare every output with the manifest."""
    from omstilling_analysis import pipeline
    from omstilling_analysis.privacy import hash_key

    path = Path(manifest_path)
    if path.is_dir():
        path = path / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"{manifest_path}: kan ikke læses som manifest.json") from error
    recorded = manifest.get("output_sha256")
    raw = manifest.get("raadata")
    if not isinstance(recorded, dict) or not raw:
        raise ManifestError(f"{manifest_path}: manifestet har ingen kontrolsummer for uddata")
    key, _ = hash_key()
    if manifest.get("noegle_fingeraftryk") not in (None, key_fingerprint(key)):
        raise ManifestError(
            f"{manifest_path}: kørslen brugte en anden nøgle til respondent_key end den, der er "
            "sat nu (OMSTILLING_SALT eller nøglefilen)"
        )
    settings = Settings.from_manifest(manifest.get("indstillinger") or {})
    with tempfile.TemporaryDirectory(prefix="omstilling-kontrol-") as folder:
        out = Path(folder) / "out"
        # Cold, from the raw files alone: the check never rests on the cache, nor changes it.
        result = pipeline.run(raw, out, settings, progress=progress, cache="off")
        inputs_now = {e["kilde"]: e.get("sha256") for e in result.manifest["input"]}
        inputs_then = {e["kilde"]: e.get("sha256") for e in manifest.get("input", [])}
        if inputs_now != inputs_then:
            raise ManifestError(
                f"{manifest_path}: rådata i {raw} er ikke de samme som i kørslen (filer eller "
                "kontrolsummer er ændret)"
            )
        made = {
            p.relative_to(out).as_posix(): _sha256(p)
            for p in out.rglob("*")
            if p.is_file() and p.name != "manifest.json"
        }
    outcome = {}
    for name, digest in recorded.items():
        outcome[name] = (
            "mangler" if name not in made else ("ens" if made[name] == digest else "forskellig")
        )
    for name in made.keys() - recorded.keys():
        outcome[name] = "ny"
    return Verification(dict(sorted(outcome.items())))
