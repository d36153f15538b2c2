"""Progress events of transfers, shared by the CLI (a tqdm bar) and the GUI (a worker thread);
cancellation is nystra_app.jobs'."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One step of an install. `phase`: waiting (another install holds the lock), download, copy, verify."""

    phase: str
    source: str
    done: int = 0
    total: int | None = None
    rate: float = 0.0  # bytes per second since this transfer (re)started
    eta: float | None = None  # seconds; None while unknown


ProgressCallback = Callable[[Progress], None]


class Meter:
    """Turns byte counts into Progress events with a rate and an ETA."""

    def __init__(self, phase: str, source: str, callback: ProgressCallback | None, total: int | None,
                 done: int = 0) -> None:
        self.phase, self.source, self.callback, self.total = phase, source, callback, total
        self.done = self._start_done = done
        self._start = time.monotonic()

    def restart(self, done: int, total: int | None) -> None:
        self.done = self._start_done = done
        self.total = total
        self._start = time.monotonic()
        self.advance(0)

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if self.callback is None:
            return
        elapsed = time.monotonic() - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if self.total and rate > 0 else None
        self.callback(Progress(self.phase, self.source, self.done, self.total, rate, eta))
