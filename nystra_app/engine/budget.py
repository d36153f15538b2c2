"""The pixel budget: a picture too large for this machine needs a deliberate yes.

A 97 KB PNG can decode to 10,000 x 10,000 and run for hours; a 24 MP photo on a CPU runs for half an
hour. Pictures above the budget are refused with the estimated time (the CLI's `--max-megapixels`,
the GUI's confirmation lift it). The default budget is the smallest of: a fixed ceiling; what the
host memory holds (the picture, its output and the blend buffers as float32); and what the model,
timed on a small probe on this device, restores within `TIME_BUDGET_S`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from ..attention import AttentionSpec
from ..errors import NystraError
from ..jobs import check_cancel
from ..models import LoadedModel
from .device import resolve_device
from .imageio import Picture, PictureFile, open_picture
from .tiling import MEMORY_FRACTION, free_memory

FLOOR_MP = 1.0  # below this no picture is refused, and nothing is measured
CEILING_MP = 50.0  # above this a picture always needs a yes, whatever the machine
TIME_BUDGET_S = 600.0  # ten minutes a picture without asking
PROBE_SIDE = 128
_HOST_BYTES = 16 * 4  # float32 input, output, blend sums and decoded copies, per output pixel (generous)


@dataclass(frozen=True)
class Budget:
    megapixels: float
    seconds_per_megapixel: float | None = None  # None: not measured (the limit was given)
    reason: str = "given"

    def estimate_seconds(self, pixels: int) -> float | None:
        return None if self.seconds_per_megapixel is None else pixels / 1e6 * self.seconds_per_megapixel

    def over(self, subject: str, width: int, height: int) -> Overage | None:
        """What a question to the user needs when the picture is above this budget; None when it is not."""
        if width * height / 1e6 <= self.megapixels:
            return None
        return Overage(subject, width, height, self, self.estimate_seconds(width * height))

    def check(self, subject: str, width: int, height: int) -> None:
        """Raise OverBudget naming the picture, its size, the estimate and the option that allows it."""
        overage = self.over(subject, width, height)
        if overage is not None:
            raise OverBudget(overage)


@dataclass(frozen=True)
class Overage:
    """A picture above a budget: its size, the budget and the estimated time here, so the CLI can
    refuse it and the GUI can ask (in its own words, which never name a command-line option)."""

    subject: str
    width: int
    height: int
    budget: Budget
    seconds: float | None  # the estimated time here of the run(s) asked about; None: not measured

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    def describe(self) -> str:
        """'24.0 MP, about 26 min here': the size and, when measured, the estimated time."""
        about = f", about {describe_seconds(self.seconds)} here" if self.seconds is not None else ""
        return f"{self.megapixels:.1f} MP{about}"


class OverBudget(NystraError):
    """A picture larger than the run's pixel budget; the message says how to run it anyway."""

    def __init__(self, overage: Overage) -> None:
        o = overage
        super().__init__(
            f"{o.subject}: {o.width}x{o.height} is {o.describe()}, above this run's budget of "
            f"{o.budget.megapixels:.1f} MP ({o.budget.reason}); raise the budget to run it anyway "
            f"(--max-megapixels {math.ceil(o.megapixels)})"
        )
        self.overage = overage


def describe_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def memory_megapixels(scale: int = 1) -> float:
    """Pictures whose host-side buffers fit in the usable share of free memory."""
    return free_memory(torch.device("cpu")) * MEMORY_FRACTION / (_HOST_BYTES * scale * scale) / 1e6


def measure_seconds_per_megapixel(model: LoadedModel, spec: AttentionSpec, window: int | None,
                                   device: torch.device | str) -> float:
    """Time the model once on a PROBE_SIDE square (after one untimed run) with the run's attention."""
    module, device = model.module, resolve_device(device)
    model.configure(spec, window)
    module.to(device)
    side = max(PROBE_SIDE, model.descriptor.size_rules(window).min_side)
    probe = torch.rand(1, model.descriptor.channels, side, side, device=device)
    with torch.inference_mode():
        module(probe)
        start = time.perf_counter()
        module(probe).float().cpu()  # .cpu() waits for the device
        seconds = time.perf_counter() - start
    return seconds / (side * side / 1e6)


def default_budget(seconds_per_megapixel: float | None, scale: int = 1) -> Budget:
    """The smallest of the ceiling, the memory limit and the time limit, with which one binds."""
    limits = [(CEILING_MP, "the default ceiling"), (memory_megapixels(scale), "what free memory holds")]
    if seconds_per_megapixel:
        limits.append((TIME_BUDGET_S / seconds_per_megapixel,
                       f"what runs in {describe_seconds(TIME_BUDGET_S)} at the measured speed"))
    megapixels, reason = min(limits)
    return Budget(megapixels, seconds_per_megapixel, reason)


class PixelBudget:
    """One run's budget: the given --max-megapixels, else the default, measured only when a picture
    above FLOOR_MP first needs it (small runs never pay for the probe)."""

    def __init__(self, model: LoadedModel, spec: AttentionSpec, window: int | None, device: torch.device | str,
                 max_megapixels: float | None = None) -> None:
        self._model, self._spec, self._window, self._device = model, spec, window, device
        self._budget = None if max_megapixels is None else Budget(max_megapixels, None, "--max-megapixels")

    def budget_for(self, width: int, height: int) -> Budget:
        """The budget that applies to a picture this size (measuring the speed the first time it matters)."""
        if self._budget is None and width * height > FLOOR_MP * 1e6:
            speed = measure_seconds_per_megapixel(self._model, self._spec, self._window, self._device)
            self._budget = default_budget(speed, self._model.descriptor.scale)
        return self._budget or Budget(FLOOR_MP, None, "below the floor")

    def check(self, subject: str, width: int, height: int) -> Budget:
        """Raise OverBudget for a picture above the budget; return the budget (with its speed if measured)."""
        budget = self.budget_for(width, height)
        budget.check(subject, width, height)
        return budget


def runs_overage(model: LoadedModel, settings: Sequence[tuple[AttentionSpec, int | None]],
                 device: torch.device | str, subject: str, width: int, height: int) -> Overage | None:
    """Whether restoring one picture with each setting in turn (an A/B comparison runs two) needs a yes:
    the first budget it is above, with the estimated time of all the runs together. Measures the
    speed of each setting when the picture is above FLOOR_MP, so call it off the GUI thread."""
    budgets = [PixelBudget(model, spec, window, device).budget_for(width, height) for spec, window in settings]
    first = next((o for o in (b.over(subject, width, height) for b in budgets) if o is not None), None)
    if first is None:
        return None
    estimates = [b.estimate_seconds(width * height) for b in budgets]
    known = [e for e in estimates if e is not None]
    return replace(first, seconds=sum(known) if len(known) == len(estimates) else None)


def over_budget(paths: Iterable[Path], budget: PixelBudget,
                cancel: threading.Event | None = None) -> dict[Path, Overage]:
    """The pictures a run would refuse, found from their headers before any is decoded, so a batch can
    ask once before it starts."""
    found: dict[Path, Overage] = {}
    for path in paths:
        check_cancel(cancel, "the size check")
        try:
            size = open_picture(path).size
        except NystraError:
            continue  # a damaged file is reported when the run reaches it
        overage = budget.budget_for(*size).over(str(path), *size)
        if overage is not None:
            found[path] = overage
    return found


def read_within_budget(source: PictureFile, budget: PixelBudget) -> tuple[Picture, Budget]:
    """Decode a picture whose header is read, refused before decoding when it is over budget.
    Returns it with the budget that let it in."""
    allowed = budget.check(str(source.path), *source.size)
    return source.read(), allowed
