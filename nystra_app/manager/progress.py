"""Progress events of the store's jobs (install, import): what a job yields under nystra_app.jobs'
protocol, shown by the CLI (a tqdm bar) and the GUI (a worker thread's signal)."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import IO

from ..jobs import check_cancel


@dataclass(frozen=True)
class Progress:
    """One step of an install. `phase`: waiting (another install holds the lock), download, copy, extract, verify."""

    phase: str
    source: str
    done: int = 0
    total: int | None = None
    rate: float = 0.0  # bytes per second since this transfer (re)started
    eta: float | None = None  # seconds; None while unknown


class Meter:
    """Turns byte counts into Progress events with a rate and an ETA."""

    def __init__(self, phase: str, source: str, total: int | None, done: int = 0) -> None:
        self.phase, self.source, self.total = phase, source, total
        self.done = self._start_done = done
        self._start = time.monotonic()

    def restart(self, done: int, total: int | None) -> Progress:
        """The transfer starts again at `done` (a resumed or restarted download); rate counts from here."""
        self.done = self._start_done = done
        self.total = total
        self._start = time.monotonic()
        return self.advance(0)

    def advance(self, nbytes: int) -> Progress:
        self.done += nbytes
        elapsed = time.monotonic() - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if self.total and rate > 0 else None
        return Progress(self.phase, self.source, self.done, self.total, rate, eta)


def copy_stream(source: IO[bytes], target: IO[bytes], meter: Meter, cancel: threading.Event | None,
                chunk: int = 1 << 20) -> Generator[Progress, None, None]:
    """Copy in chunks (a mirror file, a wheel's member), yielding progress and checking the cancel token
    between chunks, so a large file shows movement and stops soon after Cancel."""
    while data := source.read(chunk):
        check_cancel(cancel, meter.phase)
        target.write(data)
        yield meter.advance(len(data))
