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
from ..attention.module import AttentionCall
from ..models import configure_attention
from .observe import observing


@dataclass(frozen=True)
class LayerError:
    name: str
    relative_error: float
    fast: bool  # True: this layer runs Nyström


def measure_layer_errors(model: nn.Module, spec: AttentionSpec, sample: Tensor,
                         window: int | None = None) -> dict[str, float]:
    """Relative error of `spec` against exact attention in every attention layer, on `sample`.

    Each layer's output stays exact, so every layer is measured on the features it sees in the
    model as trained.
    """
    configure_attention(model, EXACT, window)
    sums: dict[str, list[float]] = {}

    def observer_for(name: str):
        def observe(call: AttentionCall, exact: Tensor) -> None:
            error, norm = sums.setdefault(name, [0.0, 0.0]), exact.pow(2).sum()
            error[0] += float((call.compute(spec).output - exact).pow(2).sum())
            error[1] += float(norm)
        return observe

    with observing(model, observer_for), torch.inference_mode():
        model(sample)
    return {name: (err / norm) ** 0.5 if norm else 0.0 for name, (err, norm) in sums.items()}


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
