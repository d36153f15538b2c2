"""The pixel budget: a picture too large for this machine needs a deliberate yes.

A 97 KB PNG can decode to 10,000 x 10,000 and run for hours; a 24 MP photo on a CPU runs for half an
hour. Pictures above the budget are refused with the estimated time (the CLI's `--max-megapixels`,
the GUI's confirmation lift it). The default budget is the smallest of: a fixed ceiling; what the
host memory holds (the picture, its output and the blend buffers as float32); and what the model,
timed on a small probe on this device, restores within `TIME_BUDGET_S`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from ..attention import AttentionSpec
from ..errors import NystraError
from ..models import LoadedModel
from .device import resolve_device
from .imageio import Picture, PictureFile
from .tiling import MEMORY_FRACTION, free_memory

FLOOR_MP = 1.0  # below this no picture is refused, and nothing is measured
CEILING_MP = 50.0  # above this a picture always needs a yes, whatever the machine
TIME_BUDGET_S = 600.0  # ten minutes a picture without asking
PROBE_SIDE = 128
_HOST_BYTES = 16 * 4  # float32 input, output, blend sums and decoded copies, per output pixel (generous)


class OverBudget(NystraError):
    """A picture larger than the run's pixel budget; the message says how to run it anyway."""


@dataclass(frozen=True)
class Budget:
    megapixels: float
    seconds_per_megapixel: float | None = None  # None: not measured (the limit was given)
    reason: str = "given"

    def estimate_seconds(self, pixels: int) -> float | None:
        return None if self.seconds_per_megapixel is None else pixels / 1e6 * self.seconds_per_megapixel

    def check(self, subject: str, width: int, height: int) -> None:
        """Raise OverBudget naming the picture, its size, the estimate and the option that allows it."""
        megapixels = width * height / 1e6
        if megapixels <= self.megapixels:
            return
        estimate = self.estimate_seconds(width * height)
        about = f", about {describe_seconds(estimate)} here" if estimate is not None else ""
        raise OverBudget(
            f"{subject}: {width}x{height} is {megapixels:.1f} MP{about}, above this run's budget of "
            f"{self.megapixels:.1f} MP ({self.reason}); raise the budget to run it anyway "
            f"(--max-megapixels {math.ceil(megapixels)})"
        )


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

    def check(self, subject: str, width: int, height: int) -> Budget:
        """Raise OverBudget for a picture above the budget; return the budget (with its speed if measured)."""
        if self._budget is None and width * height > FLOOR_MP * 1e6:
            speed = measure_seconds_per_megapixel(self._model, self._spec, self._window, self._device)
            self._budget = default_budget(speed, self._model.descriptor.scale)
        budget = self._budget or Budget(FLOOR_MP, None, "below the floor")
        budget.check(subject, width, height)
        return budget


def read_within_budget(source: PictureFile, budget: PixelBudget) -> tuple[Picture, Budget]:
    """Decode a picture whose header is read, refused before decoding when it is over budget.
    Returns it with the budget that let it in."""
    allowed = budget.check(str(source.path), *source.size)
    return source.read(), allowed
