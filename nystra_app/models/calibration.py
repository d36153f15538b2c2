"""Per-layer fidelity guard: keep exact attention in the layers where Nyström would hurt.

Training-free: one exact forward pass on the picture itself (or a calibration picture) measures,
layer by layer, the relative error Nyström would make on that layer's real queries, keys and
values. Layers above the tolerance stay exact; the rest switch to Nyström.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..attention import EXACT, AttentionSpec
from .switch import attention_modules, configure_attention


@dataclass(frozen=True)
class LayerError:
    name: str
    relative_error: float
    fast: bool  # True: this layer runs Nyström


def measure_layer_errors(model: nn.Module, spec: AttentionSpec, sample: Tensor,
                         window: int | None = None) -> dict[str, float]:
    """Relative error of `spec` against exact attention in every attention layer, on `sample`."""
    configure_attention(model, EXACT, window)
    named = [(name, m) for name, m in model.named_modules() if m in attention_modules(model)]
    for _, module in named:
        module.probe = spec
        module.stats.probe_error_sq = module.stats.probe_norm_sq = 0.0
    try:
        with torch.inference_mode():
            model(sample)
    finally:
        for _, module in named:
            module.probe = None
    return {name: module.stats.probe_relative_error for name, module in named}


def apply_layer_guard(model: nn.Module, spec: AttentionSpec, errors: dict[str, float], tolerance: float,
                      window: int | None = None) -> list[LayerError]:
    """Nyström where the measured error is within `tolerance`, exact elsewhere."""
    configure_attention(model, spec, window)
    modules = dict(model.named_modules())
    report = []
    for name, error in errors.items():
        fast = error <= tolerance
        if not fast:
            modules[name].spec = EXACT
        report.append(LayerError(name, error, fast))
    return report
