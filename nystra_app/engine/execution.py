"""How a restore executes: memory layout, precision and allocator, chosen by measurement.

`DEFAULT` is what every restore gets; `BASELINE` is the eager path as it was before these choices
(issue #17), kept so `nystra bench photo` can measure the difference in the same run. Measured on
DehazeFormer-T (2-core AVX2 CPU, `nystra bench photo`): keeping freed memory removes most of the
kernel time, channels-last speeds up the 1x1 and depthwise convolutions; both change the picture
by rounding only (> 100 dB PSNR). bf16 is opt-in: it changes the picture and pays off only on CPUs
with native bf16 (avx512_bf16 / AMX) or GPUs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..choices import PRECISIONS, Precision
from .allocator import release_freed_memory, retain_freed_memory


@dataclass(frozen=True)
class Execution:
    retain_memory: bool = True  # keep freed blocks in the process (see allocator.py)
    channels_last: bool = True  # NHWC activations and weights
    precision: Precision = "fp32"  # "bf16": autocast, opt-in, changes the picture

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")

    def describe(self) -> str:
        parts = [("channels-last" if self.channels_last else "NCHW"), self.precision]
        parts.append("memory kept" if self.retain_memory else "malloc defaults")
        return ", ".join(parts)


DEFAULT = Execution()
BASELINE = Execution(retain_memory=False, channels_last=False)


def model_forward(module: nn.Module, execution: Execution, device: torch.device,
                  input_range: tuple[float, float] = (0.0, 1.0),
                  call: Callable[[Tensor], Tensor] | None = None) -> Callable[[Tensor], Tensor]:
    """The tile function: (B, C, h, w) in [0, 1] -> float32 output in [0, 1], run as `execution` says.

    `input_range` is the descriptor's: tiles are mapped into the model's range and back, so padding
    done by `call` (default: the module itself) is in the model's own range, as official scripts pad.
    Sets the module's weight layout (in place, cheap: a few MB), so a model shared between runs
    always matches the run at hand.
    """
    layout = torch.channels_last if execution.channels_last else torch.contiguous_format
    module.to(memory_format=layout)  # type: ignore[call-overload]  # documented, but not in torch's overloads
    autocast = execution.precision == "bf16"
    low, span = input_range[0], input_range[1] - input_range[0]
    run = module if call is None else call

    def forward(tile: Tensor) -> Tensor:
        tile = tile.contiguous(memory_format=layout)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            out = run(tile) if (low, span) == (0.0, 1.0) else (run(tile * span + low) - low) / span
        return out.float().clamp_(0.0, 1.0)

    return forward


@contextmanager
def allocator_for(execution: Execution) -> Iterator[None]:
    """Keep freed memory for the run's duration (when asked) and hand it back after."""
    if not execution.retain_memory:
        yield
        return
    retain_freed_memory()
    try:
        yield
    finally:
        release_freed_memory()
