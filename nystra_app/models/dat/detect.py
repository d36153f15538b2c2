"""Telling a DAT checkpoint and its configuration from the official parameter names and shapes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from ..detection import block_count
from .model import UPSAMPLE_FEATURES, DATConfig

SPATIAL = "layers.{group}.blocks.0.attn.attns.0."  # block 0 of every group is a spatial-attention block


def detect_dat(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """Depths by counting blocks, heads from the position-bias MLP's last layer (half the heads per
    window shape), the windows from the offsets an official file stores (`rpe_biases`; without them the
    8x32 every released file but DAT-S uses), the training patch from a shifted block's stored mask."""
    first = state.get("conv_first.weight")
    if first is None or first.ndim != 4 or f"{SPATIAL.format(group=0)}pos.pos_proj.weight" not in state:
        return None
    embed_dim, in_chans = first.shape[:2]
    depth: list[int] = []
    heads: list[int] = []
    while (last := state.get(f"{SPATIAL.format(group=len(depth))}pos.pos3.2.weight")) is not None:
        depth.append(block_count(state, f"layers.{len(depth)}.blocks."))
        heads.append(2 * last.shape[0])
    split = _split_size(state.get(f"{SPATIAL.format(group=0)}rpe_biases"),
                        state.get(f"{SPATIAL.format(group=0)}relative_position_index"))
    return {
        "upscale": _upscale(state, in_chans),
        "in_chans": in_chans,
        "img_size": _img_size(state, split),
        "img_range": 1.0,
        "split_size": list(split),
        "depth": depth,
        "embed_dim": embed_dim,
        "num_heads": heads,
        "expansion_factor": state["layers.0.blocks.0.ffn.fc1.weight"].shape[0] / embed_dim,
        "qkv_bias": "layers.0.blocks.0.attn.qkv.bias" in state,
        "resi_connection": "1conv" if "conv_after_body.weight" in state else "3conv",
        "upsampler": "pixelshuffle" if "conv_before_upsample.0.weight" in state else "pixelshuffledirect",
    }


def _split_size(offsets: Tensor | None, index: Tensor | None) -> tuple[int, int]:
    """(rows, columns) of the first window shape from the shapes of its stored offset table
    ((2h-1)(2w-1) rows) and index (N = h w square): h + w and h w fix the pair, and the official
    configurations give the shorter side first."""
    if offsets is None or index is None:
        return DATConfig().split_size
    tokens = index.shape[0]
    total = (4 * tokens + 1 - offsets.shape[0]) // 2  # h + w
    short = (total - math.isqrt(total * total - 4 * tokens)) // 2
    return short, total - short


def _img_size(state: Mapping[str, Tensor], split: tuple[int, int]) -> int:
    """The training patch side from a shifted block's (windows in a patch, N, N) mask, where stored."""
    mask = next((v for k, v in state.items() if k.endswith(".attn.attn_mask_0")), None)
    if mask is None:
        return DATConfig().img_size
    return math.isqrt(mask.shape[0] * split[0] * split[1])


def _upscale(state: Mapping[str, Tensor], in_chans: int) -> int:
    if "conv_before_upsample.0.weight" in state:
        convs = [state[k] for k in sorted(state) if k.startswith("upsample.") and k.endswith(".weight")]
        return 3 if convs[0].shape[0] == 9 * UPSAMPLE_FEATURES else 2 ** len(convs)
    return math.isqrt(state["upsample.0.weight"].shape[0] // in_chans)
