"""Progress and cancel inside one tile: hooks on the model's leaf modules for the length of a run.

A photo that fits in memory is one tile, and one tile can take a minute on a CPU, so progress and
Cancel between tiles are not enough. A forward pass calls each leaf module (convolution, linear,
norm, attention core...) about once, so counting their calls tells how much of the tile is done,
and checking the cancel event before each call stops a run within one layer's time. The hooks are
registered by the engine for one run and removed after it; the model itself is not changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from torch import nn

from ..jobs import check_cancel

REPORT_INTERVAL = 0.2  # seconds between reports: often enough for a live bar, rare enough to cost nothing


@dataclass(frozen=True)
class StepProgress:
    tile: int  # the tile in progress, 1-based
    fraction: float  # of that tile, in [0, 1)


class StepWatch:
    """Counts leaf-module calls of the current tile; `begin_tile` starts the count for the next one."""

    def __init__(self, leaves: int, cancel: threading.Event | None,
                 report: Callable[[StepProgress], None] | None) -> None:
        self.expected = max(leaves, 1)  # calls per tile; replaced by the true count after the first tile
        self.cancel = cancel
        self.report = report
        self.tile = 0
        self.calls = 0
        self._last = 0.0

    def begin_tile(self) -> None:
        if self.tile == 1 and self.calls:
            self.expected = self.calls
        self.tile += 1
        self.calls = 0

    def before_call(self, _module: nn.Module, _args: object) -> None:
        check_cancel(self.cancel, "restore")
        self.calls += 1
        if self.report is None:
            return
        now = time.perf_counter()
        if now - self._last >= REPORT_INTERVAL:
            self._last = now
            self.report(StepProgress(self.tile, min(self.calls / self.expected, 0.99)))


@contextmanager
def watch_steps(module: nn.Module, cancel: threading.Event | None,
                report: Callable[[StepProgress], None] | None) -> Iterator[StepWatch]:
    """Hook every leaf module of `module` while the block runs; raises `Cancelled` inside a forward pass.

    With nothing to report and no way to cancel (the CLI, eval, benchmarks) no hook is set, so a layer
    call costs nothing extra.
    """
    leaves = [m for m in module.modules() if next(m.children(), None) is None]
    watch = StepWatch(len(leaves), cancel, report)
    watched = leaves if cancel is not None or report is not None else []
    handles = [leaf.register_forward_pre_hook(watch.before_call) for leaf in watched]
    try:
        yield watch
    finally:
        for handle in handles:
            handle.remove()
