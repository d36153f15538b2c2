"""Telling a SwinIR checkpoint and its configuration from the official parameter names and shapes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from ..detection import block_count, window_from_table

UPSAMPLE_FEATURES = 64


def detect_swinir(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """Depths by counting blocks, heads and window from the bias tables, the training patch from the
    shifted blocks' stored masks, the upscale from the pixel-shuffle convolutions."""
    first = state.get("conv_first.weight")
    if first is None or "conv_after_body.weight" not in state or first.ndim != 4:
        return None
    embed_dim, in_chans = first.shape[:2]
    depths: list[int] = []
    heads: list[int] = []
    while (table := state.get(f"layers.{len(depths)}.residual_group.blocks.0.attn.relative_position_bias_table")) is not None:
        depths.append(block_count(state, f"layers.{len(depths)}.residual_group.blocks."))
        heads.append(table.shape[1])
    if not depths:
        return None
    window = window_from_table(state["layers.0.residual_group.blocks.0.attn.relative_position_bias_table"])
    mask = state.get("layers.0.residual_group.blocks.1.attn_mask")  # (windows in a patch, N, N)
    img_size = window * math.isqrt(mask.shape[0]) if mask is not None else 64
    upsampler, upscale = "", 1
    if "conv_before_upsample.0.weight" in state:
        upsampler = "pixelshuffle"
        convs = [state[k] for k in sorted(state) if k.startswith("upsample.") and k.endswith(".weight")]
        upscale = 3 if convs[0].shape[0] == 9 * UPSAMPLE_FEATURES else 2 ** len(convs)
    elif "upsample.0.weight" in state:
        upsampler = "pixelshuffledirect"
        upscale = math.isqrt(state["upsample.0.weight"].shape[0] // in_chans)
    return {
        "upscale": upscale,
        "in_chans": in_chans,
        "img_size": img_size,
        "window_size": window,
        "img_range": 1.0,
        "depths": depths,
        "embed_dim": embed_dim,
        "num_heads": heads,
        "mlp_ratio": state["layers.0.residual_group.blocks.0.mlp.fc1.weight"].shape[0] / embed_dim,
        "upsampler": upsampler,
        "resi_connection": "1conv",
    }
