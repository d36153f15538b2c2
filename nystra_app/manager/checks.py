"""Deciding whether a weight file is the one an entry promises."""

from __future__ import annotations

import threading
from pathlib import Path

from ..models.architectures import build
from ..models.checkpoint import CheckpointError, load_strict, read_state_dict
from ..models.registry import ModelEntry
from .files import sha256_file


def check_file(entry: ModelEntry, path: Path, label: str, cancel: threading.Event | None = None) -> str:
    """The file's sha256 if it is acceptable for `entry`; CheckpointError naming `label` otherwise.

    A known hash must match. Where the registry cannot know the hash in advance, the file must at
    least load strictly into the entry's architecture: a truncated or wrong file never does.
    `path` must end with the entry's suffix (read_state_dict picks the format from it).
    """
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        raise CheckpointError(f"{label} has {size} bytes, {entry.id} has {entry.size}: rejected (truncated or a different file)")
    digest = sha256_file(path, cancel)
    if entry.sha256 is not None:
        if digest != entry.sha256.lower():
            raise CheckpointError(
                f"{label} has sha256 {digest}, but {entry.id} must have {entry.sha256}: rejected "
                f"(corrupt download or a different file)"
            )
    else:
        load_strict(build(entry.arch, entry.config), read_state_dict(path), label)
    return digest
