"""One call that sets every attention module of a model to exact or Nyström, and its window."""

from __future__ import annotations

from typing import Protocol, cast

from torch import nn

from ..attention import (
    AttentionSpec,
    AttentionStats,
    SwitchableAttention,
    WindowGeometry,
)


class WindowedLayer(Protocol):
    """What every module that partitions windows declares (an architecture's part of the contract)."""

    trained_window: int
    window: int

    def set_window(self, window: int | None) -> None: ...


class ImageModel(Protocol):
    """What every model module declares besides forward: its upscale and its input channels."""

    scale: int
    in_channels: int


def windowed_layers(model: nn.Module) -> list[WindowedLayer]:
    """Modules that partition windows: they expose `trained_window`, `window` and `set_window`."""
    return [cast(WindowedLayer, m) for m in model.modules() if hasattr(m, "set_window") and hasattr(m, "trained_window")]


def trained_window(model: nn.Module) -> int:
    layers = windowed_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no windowed attention")
    return int(layers[0].trained_window)


def configure_attention(model: nn.Module, spec: AttentionSpec, window: int | None = None) -> None:
    """Switch attention at run time, without reloading weights. window=None restores the trained one.

    Raises ValueError before changing anything if the landmarks do not fit the window. Modules whose
    window the architecture fixes (DAT's rectangles, EMT's stripes) keep it whatever `window` says.
    """
    layers = windowed_layers(model)
    modules = attention_modules(model)
    fixed = {m.fixed_window for m in modules if m.fixed_window is not None}
    if window is not None and not layers and fixed:
        names = ", ".join(f"{h}x{w}" for h, w in sorted(fixed))
        raise ValueError(f"{type(model).__name__} runs at the windows it was trained at ({names}); it takes no window")
    if spec.uses_landmark_cells:
        shapes = {(size, size) for size in (layer.trained_window if window is None else window for layer in layers)}
        for height, width in shapes | fixed:
            WindowGeometry(height, width, spec.landmarks)  # validates
    for layer in layers:
        layer.set_window(window)
    for module in modules:
        module.spec = spec


def attention_modules(model: nn.Module) -> list[SwitchableAttention]:
    return [m for m in model.modules() if isinstance(m, SwitchableAttention)]


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
