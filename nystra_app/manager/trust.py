"""Installed weights are checked when they are loaded, not only by `nystra models verify`.

A file altered in the cache after install (same size, other bytes) would otherwise be run as if it
were the verified one. Hashing a 3 MB file costs little but a 100 MB one does not, so the digest is
remembered in models/hashes.json against the file's size and modification time, by the install
that verified the file and by any load that had to hash it: a load of an unchanged file reads one
small JSON file. (A change that keeps both size and mtime, which needs a deliberate `touch -r`, is
only caught by `nystra models verify`.)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NystraError
from ..models import ModelEntry
from .files import read_json, sha256_file, update_json
from .paths import ManagerSettings, installed_file, models_dir
from .record import lock_path, read_records


class ChangedWeights(NystraError):
    """An installed weight file whose bytes are no longer the ones verified at install."""


def hash_cache_file(settings: ManagerSettings | None = None) -> Path:
    return models_dir(settings) / "hashes.json"


def cached_sha256(path: Path, settings: ManagerSettings | None = None) -> str:
    """sha256 of `path`, hashed only when its size or mtime differ from the last time it was hashed."""
    stat = path.stat()
    known = read_json(hash_cache_file(settings), {}).get(str(path.resolve()))
    if known is not None and {k: known.get(k) for k in _stamp(stat)} == _stamp(stat):
        return known["sha256"]
    digest = sha256_file(path)
    remember_sha256(path, digest, stat, settings)
    return digest


def remember_sha256(path: Path, digest: str, hashed: os.stat_result,
                    settings: ManagerSettings | None = None) -> None:
    """Note `digest` for `path` as it was when hashed (`hashed`: its stat taken before reading it), so the
    install that just hashed a file spares the first load doing it again. Taken before the read, the
    stamp can only make a later change look like a change, never a changed file look hashed."""
    cache = hash_cache_file(settings)
    key, entry = str(path.resolve()), {**_stamp(hashed), "sha256": digest}
    update_json(cache, lock_path(cache.name, settings), {}, lambda raw: {**raw, key: entry})


def _stamp(stat: os.stat_result) -> dict[str, int]:
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def check_installed_weights(entry: ModelEntry, path: Path, settings: ManagerSettings | None = None) -> None:
    """Refuse the cache's file for `entry` when it no longer has the sha256 recorded at install
    (or the registry's, for a file put there by hand). Files outside the cache are not checked here."""
    if Path(path) != installed_file(entry.file, settings):
        return
    record = read_records(settings).get(entry.id)
    expected = record.sha256 if record is not None else entry.sha256
    if expected is None:
        return
    digest = cached_sha256(Path(path), settings)
    if digest != expected.lower():
        raise ChangedWeights(
            f"{path} has changed since it was installed (sha256 {digest[:16]}..., expected {expected[:16]}...); "
            f"reinstall it: `nystra models remove {entry.id}`, then `nystra models install {entry.id}`"
        )
