"""File primitives the store relies on: atomic JSON writes, hashing, and an inter-process lock."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from ..fileio import atomic_write
from ..jobs import Cancelled, check_cancel, run_to_end

E = TypeVar("E")

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


class FileLock:
    """An OS lock on `path` (created if needed): `take` (a job) acquires it, leaving the block releases it.

    An OS lock (flock / msvcrt) rather than an O_EXCL marker file because the OS drops it when the
    holder dies, so a crashed install never leaves a stale lock behind. Locks are per open file, so
    two threads of one process exclude each other too. Waiting polls, so a cancel is noticed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: BinaryIO | None = None
        self._held = False

    def __enter__(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a+b")
        return self

    def take(self, cancel: threading.Event | None, waiting: E, poll: float = 0.2) -> Generator[E, None, None]:
        """Acquire the lock; yields `waiting` once when another holder makes this wait."""
        assert self._handle is not None, "take the lock inside its with-block"
        cancel = cancel or threading.Event()
        told = False
        while not _try_lock(self._handle.fileno()):
            if not told:
                told = True
                yield waiting
            if cancel.wait(poll):
                raise Cancelled("waiting for the lock")
        self._held = True

    def __exit__(self, *_exc: object) -> None:
        if self._handle is not None:
            if self._held:
                _unlock(self._handle.fileno())
            self._handle.close()
        self._handle, self._held = None, False


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold the lock on `path` for the block, waiting as long as it takes (short read-modify-writes)."""
    with FileLock(path) as lock:
        run_to_end(lock.take(None, None))
        yield


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
