"""File primitives the store relies on: atomic JSON writes, hashing, and an inter-process lock."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..fileio import atomic_write
from ..jobs import Cancelled, check_cancel

_HASH_CHUNK = 1 << 20


def sha256_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            check_cancel(cancel, "hashing")
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def write_json_atomic(path: Path, data: Any) -> None:
    """Readers see the old file or the new one, never half (fileio.atomic_write)."""
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def update_json(path: Path, lock: Path, default: Any, change: Callable[[Any], Any]) -> None:
    """Read-modify-write under a lock, so two processes updating one file never lose each other's change."""
    with exclusive_lock(lock):
        write_json_atomic(path, change(read_json(path, default)))


@contextmanager
def exclusive_lock(
    path: Path,
    cancel: threading.Event | None = None,
    on_wait: Callable[[], None] | None = None,
    poll: float = 0.2,
) -> Iterator[None]:
    """Hold an OS lock on `path` (created if needed) for the duration of the block.

    An OS lock (flock / msvcrt) rather than an O_EXCL marker file because the OS drops it when the
    holder dies, so a crashed install never leaves a stale lock behind. Locks are per open file, so
    two threads of one process exclude each other too. Waiting polls, so a cancel is noticed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        waited = False
        while not _try_lock(handle.fileno()):
            if not waited and on_wait is not None:
                on_wait()
            waited = True
            if cancel is not None and cancel.wait(poll):
                raise Cancelled()
            if cancel is None:
                time.sleep(poll)
        try:
            yield
        finally:
            _unlock(handle.fileno())


try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]  # Windows only
