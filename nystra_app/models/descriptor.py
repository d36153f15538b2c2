"""The model descriptor: everything the engine, CLI and GUI need to know about a loaded model.

One object per loaded model (the role spandrel's ImageModelDescriptor plays), built once from the
registry entry, the architecture package and the module itself; nothing else is probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from torch import Tensor, nn

from .architectures import get_architecture
from .registry import FastDefault, ModelEntry, Task
from .switch import ImageModel, attention_modules, windowed_layers

Window = tuple[int, int]
"""(height, width) in tokens; trained windows may be rectangular (8 x 32 stripes)."""


@dataclass(frozen=True)
class SizeRules:
    multiple_of: int  # the model pads its input to a multiple of this (and crops back)
    min_side: int  # a smaller tile would be mostly padding at the deepest stage


@dataclass(frozen=True)
class ModelDescriptor:
    id: str
    arch: str
    task: Task
    scale: int  # output side / input side
    channels: int  # 1 (gray) or 3 (RGB), in and out
    input_range: tuple[float, float]  # values the model expects; outputs are clamped to it
    trained_windows: tuple[Window, ...]  # every distinct window the attention layers were trained at
    downsampling: int  # stride of the deepest stage
    tiling_changes_result: bool  # image-wide statistics: run whole pictures where memory allows
    fast: FastDefault  # the measured 'Fast' setting, and whether it is faster at all
    noise_sigma: int | None = None  # denoisers trained for one noise level (0-255 scale)
    resizable_window: bool = True  # False: the architecture fixes its windows (DAT's 8x32 and 32x8)

    @property
    def trained_window(self) -> Window:
        """The largest trained window: what a run uses when no window is given."""
        return max(self.trained_windows, key=lambda w: w[0] * w[1])

    def window(self, override: int | None = None) -> Window:
        """The window a run uses: a square `override` where windows can be resized, else the trained one."""
        return (override, override) if override and self.resizable_window else self.trained_window

    def window_label(self, override: int | None = None) -> int | str:
        """How reports name that window: 8, or 8x32 for a rectangular one."""
        h, w = self.window(override)
        return h if h == w else f"{h}x{w}"

    def size_rules(self, override: int | None = None) -> SizeRules:
        side = max(self.window(override))
        multiple = get_architecture(self.arch).pad_multiple(side, max(self.trained_window))
        return SizeRules(multiple, max(multiple, self.downsampling * side))

    def official_padding(self, image: Tensor) -> tuple[Tensor, int, int]:
        """`image` (B, C, H, W) as the official test script pads it, and the picture's top, left in it:
        what `eval --padding official` runs so published numbers are reproduced."""
        pad = get_architecture(self.arch).official_padding
        return (image, 0, 0) if pad is None else pad(image, max(self.trained_window))



def describe(entry: ModelEntry, module: nn.Module) -> ModelDescriptor:
    """The descriptor of `module` built from `entry`: a model module declares `scale` and `in_channels`;
    its windowed layers declare `trained_window` (an int, or (height, width)), and attention modules
    whose window the architecture fixes declare it as `fixed_window`."""
    architecture = get_architecture(entry.arch)
    layers = windowed_layers(module)
    fixed = [m.fixed_window for m in attention_modules(module) if m.fixed_window is not None]
    trained = tuple(dict.fromkeys([_as_window(layer.trained_window) for layer in layers] + fixed)) or (
        (entry.trained_window, entry.trained_window),)
    return ModelDescriptor(
        id=entry.id,
        arch=entry.arch,
        task=entry.task,
        scale=int(cast(ImageModel, module).scale),
        channels=int(cast(ImageModel, module).in_channels),
        input_range=architecture.input_range,
        trained_windows=trained,
        downsampling=architecture.downsampling,
        tiling_changes_result=architecture.tiling_changes_result,
        fast=entry.fast,
        noise_sigma=entry.noise_sigma,
        resizable_window=bool(layers) or not fixed,
    )


def _as_window(window: int | tuple[int, int]) -> Window:
    return (window, window) if isinstance(window, int) else (int(window[0]), int(window[1]))

