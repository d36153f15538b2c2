"""One picture through one model with one attention setting: the path the CLI, GUI and eval share.

The GUI's A/B view runs this twice on the same picture (exact, then Nyström), so everything that
differs between the two runs is in `spec` and `window`; the rest (channels, alpha, tiling,
timing) is identical by construction.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from torch import Tensor

from ..attention import AttentionSpec
from ..jobs import relay
from ..models import LoadedModel, collect_stats, set_attention_timing
from ..models.padding import Padding, run_padded
from .device import resolve_device
from .execution import DEFAULT, Execution, allocator_for, model_forward
from .imageio import Picture
from .small import crop_output, pad_to_min_side
from .steps import StepProgress, watch_steps
from .tiling import TILE_ALIGN, TileProgress, run_tiled

# BT.601 luma, as cv2 and Pillow convert RGB to gray.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class RestoreResult:
    picture: Picture  # the output: same channels, bit depth and format as the input; alpha resized
    seconds: float  # the whole run: tiles, transfers, blending
    tile_seconds: list[float] = field(default_factory=list)
    attention_seconds: float = 0.0
    fallback: int = 0  # query rows the Nyström guard recomputed exactly
    attention_rows: int = 0  # query rows computed in all
    tile: int = 0  # the tile side finally used
    spec: AttentionSpec = field(default_factory=AttentionSpec)
    window: int | None = None  # None: the trained window
    device: str = "cpu"
    tiling_changed: bool = False  # tiled, on a model whose result depends on the whole picture (slightly)

    @property
    def tiles(self) -> int:
        return len(self.tile_seconds)

    @property
    def attention_share(self) -> float:
        return self.attention_seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def fallback_fraction(self) -> float:
        return self.fallback / self.attention_rows if self.attention_rows else 0.0


def estimate_bytes_per_pixel(window: int, scale: int = 1) -> float:
    """A deliberately generous guess of peak memory per input pixel, for choosing a tile size.

    Measured peak on DehazeFormer-T (CPU, 256², exact): ~2 KiB per pixel at window 8, ~15 KiB at
    window 32, i.e. ~14 bytes per window² per pixel for the score rows. Wider models (SwinIR-M) need
    several times the feature memory, hence the margin. Wrong guesses are survivable: an
    out-of-memory error halves the tile.
    """
    return 8192.0 * scale * scale + 32.0 * window * window


def restore_picture(
    picture: Picture,
    model: LoadedModel,
    spec: AttentionSpec,
    *,
    window: int | None = None,
    device: torch.device | str = "cpu",
    tile: int | None = None,
    cancel: threading.Event | None = None,
    on_step: Callable[[StepProgress], None] | None = None,
    execution: Execution = DEFAULT,
    padding: Padding = "reflect",
) -> Generator[TileProgress, None, RestoreResult]:
    """Restore `picture`; yields a TileProgress when the tiles are planned (index 0) and per tile,
    and returns the RestoreResult.

    `on_step` is called from inside each tile's forward pass (the calling thread) a few times a second.
    `padding` (see models.padding) is applied to each tile: "official" reproduces an official test
    script only where the picture is one tile.
    Raises ValueError when `spec` does not fit the window, `Cancelled` when `cancel` is set (checked
    before every layer, so a run stops within one layer's time).
    A picture smaller than one window at the model's deepest stage is padded, and its output cropped.
    A gray picture on an RGB model is run as RGB and converted back; an RGB picture on a gray
    model is run channel by channel. Alpha goes around the model, resized by its scale.
    """
    module, described = model.module, model.descriptor
    scale = described.scale
    device = resolve_device(device)
    model.configure(spec, window)
    module.to(device)
    height, width = picture.rgb.shape[:2]
    rules = described.size_rules(window)
    smallest = rules.min_side  # a smaller picture is padded up to it, then cropped back
    batch = pad_to_min_side(_to_model_layout(picture.rgb, described.channels), smallest)  # (B, channels, H', W') in [0, 1]

    run_model = model_forward(module, execution, device, described.input_range,
                              call=lambda image: run_padded(module, described, image, padding))

    def forward(tile_input: Tensor) -> Tensor:
        watch.begin_tile()
        return run_model(tile_input)

    set_attention_timing(module, True)
    collect_stats(module, reset=True)
    start = time.perf_counter()
    tile_seconds: list[float] = []
    last_tile = 0

    def record(event: TileProgress) -> None:
        nonlocal tile_seconds, last_tile
        if event.index:  # index 0: tiles planned, none run yet (again after a back-off)
            tile_seconds = tile_seconds[: event.index - 1] + [event.seconds]
        last_tile = event.tile
    try:
        with torch.inference_mode(), allocator_for(execution), watch_steps(module, cancel, on_step) as watch:
            tiled = run_tiled(forward, batch, scale=scale, tile=tile, device=device, cancel=cancel,
                              bytes_per_pixel=estimate_bytes_per_pixel(max(described.window(window)), scale),
                              min_tile=smallest, align=math.lcm(TILE_ALIGN, rules.multiple_of))
            output = yield from relay(tiled, record)
    finally:
        set_attention_timing(module, False)
    seconds = time.perf_counter() - start
    stats = collect_stats(module, reset=True)
    rgb = _from_model_layout(crop_output(output, height, width, scale), picture.channels)
    alpha = None if picture.alpha is None else _resize(picture.alpha, scale)
    restored = Picture(rgb, alpha, picture.bit_depth, None, picture.format)
    tiling_changed = described.tiling_changes_result and len(tile_seconds) > 1
    return RestoreResult(restored, seconds, tile_seconds, stats.seconds, stats.fallback, stats.rows,
                         last_tile, spec, window, str(device), tiling_changed)


def _to_model_layout(rgb: np.ndarray, model_channels: int) -> Tensor:
    """(H, W, C) in [0, 1] -> (B, model_channels, H, W); gray pictures on RGB models are replicated.

    A view, not a copy: (H, W, C) memory is channels-last already, and each tile is laid out for the
    model when it runs (a 12 MP picture: 144 MB and 0.1 s saved before the first progress event).
    """
    chw = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)
    if chw.shape[0] == model_channels:
        return chw[None]
    if model_channels == 3:  # gray picture, RGB model
        return chw.expand(3, -1, -1)[None].contiguous()
    return chw[:, None]  # RGB picture, gray model: each channel is one batch item


def _from_model_layout(out: Tensor, channels: int) -> np.ndarray:
    """Inverse of _to_model_layout: (B, C', H, W) -> (H, W, channels) float32."""
    if out.shape[0] > 1:  # channels were run as a batch of gray pictures
        out = out.transpose(0, 1)
    hwc = out[0].permute(1, 2, 0).numpy().astype(np.float32)
    if hwc.shape[2] == channels:
        return np.ascontiguousarray(hwc)
    return (hwc @ _LUMA)[..., None]  # RGB result of a gray picture


def _resize(alpha: np.ndarray, scale: int) -> np.ndarray:
    """Alpha follows the picture: bicubic (clipped) when the model upscales."""
    if scale == 1:
        return alpha
    h, w = alpha.shape
    return np.clip(cv2.resize(alpha, (w * scale, h * scale), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
