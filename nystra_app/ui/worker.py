"""Background work: a thread that drives one of the engine's progress generators, and a queue per device.

The engine mutates the model it runs (attention setting, device), so jobs on one device run one at a
time. A newer request replaces a queued one (the user changed their mind); Cancel empties the queue
and sets the running job's event, which the engine checks before every layer (engine/steps.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from ..crash import one_line
from ..jobs import Cancelled, run_to_end

Work = Callable[[threading.Event], Any]  # returns a progress generator, or the result itself


class Job(QThread):
    """One piece of work; its signals arrive in the GUI thread (queued connections)."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Work, label: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self._work = work
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            outcome = self._work(self.cancel_event)
            if isinstance(outcome, Generator):
                outcome = run_to_end(outcome, self.progress.emit)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - one line for the user (a report file for a bug), the thread lives
            self.failed.emit(one_line(exc))
        else:
            if self.cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(outcome)


class DeviceQueue(QObject):
    """At most one running job and one waiting job for one device."""

    busy_changed = Signal(bool)

    def __init__(self, device: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.running: Job | None = None
        self.pending: Job | None = None

    def submit(self, job: Job) -> None:
        if self.running is None:
            self._start(job)
            return
        if self.pending is not None:
            self.pending.cancelled.emit()  # superseded before it ran
            self.pending.deleteLater()
        self.pending = job

    def cancel_all(self) -> None:
        if self.pending is not None:
            self.pending.cancelled.emit()
            self.pending.deleteLater()
            self.pending = None
        if self.running is not None:
            self.running.cancel()

    def wait(self, ms: int = 30_000) -> None:
        """Block until the running job ends (closing the app); the queue is emptied first."""
        self.cancel_all()
        if self.running is not None:
            self.running.wait(ms)

    def _start(self, job: Job) -> None:
        self.running = job
        job.finished.connect(self._next)
        self.busy_changed.emit(True)
        job.start()

    def _next(self) -> None:
        done, self.running = self.running, None
        if done is not None:
            done.deleteLater()
        job, self.pending = self.pending, None
        if job is not None:
            self._start(job)
        else:
            self.busy_changed.emit(False)


class JobQueues(QObject):
    """One DeviceQueue per device id, made on first use."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queues: dict[str, DeviceQueue] = {}

    def for_device(self, device: str) -> DeviceQueue:
        if device not in self._queues:
            self._queues[device] = DeviceQueue(device, self)
        return self._queues[device]

    def wait_all(self) -> None:
        for queue in self._queues.values():
            queue.wait()
