"""One call that sets every attention module of a model to exact or Nyström, and its window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from torch import Tensor, nn

from ..attention import (
    AttentionSpec,
    AttentionStats,
    SwitchableAttention,
    WindowGeometry,
)
from ..attention.module import AttentionCall, PositionBiasAttention
from ..attention.reach import OffsetReach


def windowed_layers(model: nn.Module) -> list[nn.Module]:
    """Modules that partition windows: they expose `trained_window`, `window` and `set_window`."""
    return [m for m in model.modules() if hasattr(m, "set_window") and hasattr(m, "trained_window")]


def trained_window(model: nn.Module) -> int:
    layers = windowed_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no windowed attention")
    return layers[0].trained_window


def configure_attention(model: nn.Module, spec: AttentionSpec, window: int | None = None,
                        reach: str = "extrapolate") -> None:
    """Switch attention at run time, without reloading weights. window=None restores the trained one;
    `reach` says how position biases answer offsets beyond the trained window (attention.reach).

    Raises ValueError before changing anything if the landmarks do not fit the window, or if the
    reach cuts attention off, which only exact attention can do. Modules whose window the
    architecture fixes keep it whatever `window` says.
    """
    layers = windowed_layers(model)
    modules = attention_modules(model)
    if spec.uses_landmark_cells:
        shapes = {(size, size) for size in (layer.trained_window if window is None else window for layer in layers)}
        shapes |= {m.fixed_window for m in modules if m.fixed_window is not None}
        for height, width in shapes:
            WindowGeometry(height, width, spec.landmarks)  # validates
    reaches = {m: OffsetReach(m.reach.trained, reach) for m in modules if isinstance(m, PositionBiasAttention)}
    if spec.kind != "exact" and any(r.cuts_off for r in reaches.values()):
        raise ValueError(f"offset reach {reach!r} cuts attention off beyond the trained offsets, which a low-rank "
                         "kernel cannot represent; use it with exact attention")
    for layer in layers:
        layer.set_window(window)
    for module in modules:
        module.spec = spec
    for module, bias_reach in reaches.items():
        module.reach = bias_reach


def attention_modules(model: nn.Module) -> list[SwitchableAttention]:
    return [m for m in model.modules() if isinstance(m, SwitchableAttention)]


@contextmanager
def observing(model: nn.Module, observer_for: Callable[[str], Callable[[AttentionCall, Tensor], None]]) -> Iterator[None]:
    """Give every attention layer an observer (made from its name) for the duration of the block."""
    named = [(name, m) for name, m in model.named_modules() if isinstance(m, SwitchableAttention)]
    for name, module in named:
        module.observer = observer_for(name)
    try:
        yield
    finally:
        for _, module in named:
            module.observer = None


def set_attention_timing(model: nn.Module, enabled: bool) -> None:
    for module in attention_modules(model):
        module.timing = enabled


def collect_stats(model: nn.Module, reset: bool = False) -> AttentionStats:
    """Sum of every attention module's counters; optionally start them afresh."""
    total = AttentionStats()
    for module in attention_modules(model):
        total.add(module.stats)
        if reset:
            module.stats = AttentionStats()
    return total
