"""Telling a DehazeFormer checkpoint and its configuration from the official parameter names and shapes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from .model import DehazeFormerConfig


def detect_dehazeformer(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """DehazeFormer's five stages layer1..layer5, read from the official parameter names.

    Head counts of stages without attention leave no trace in the weights (and change nothing);
    they take the defaults, so an official variant is detected with exactly its official config.
    """
    stem = state.get("patch_embed.proj.weight")
    head = state.get("patch_unembed.proj.0.weight")
    if stem is None or head is None or stem.ndim != 4:
        return None
    defaults = DehazeFormerConfig()
    dims, depths, heads, mlp_ratios, attn_ratios = [], [], [], [], []
    window = defaults.window_size
    for stage in range(5):
        prefix = f"layer{stage + 1}.blocks."
        blocks = {int(key[len(prefix):].split(".", 1)[0]) for key in state if key.startswith(prefix)}
        first_mlp = state.get(f"{prefix}0.mlp.mlp.0.weight")
        if not blocks or first_mlp is None:
            return None
        hidden, dim = first_mlp.shape[:2]  # (hidden, dim, 1, 1)
        attention = sorted(i for i in blocks if f"{prefix}{i}.attn.QK.weight" in state)
        if attention:
            layer = f"{prefix}{attention[0]}.attn.attn."
            heads.append(state[f"{layer}meta.2.weight"].shape[0])  # (heads, 256)
            window = math.isqrt(state[f"{layer}relative_positions"].shape[0])  # (ws², ws², 2)
        else:
            heads.append(defaults.num_heads[stage])
        dims.append(dim)
        depths.append(max(blocks) + 1)
        mlp_ratios.append(hidden / dim)
        attn_ratios.append(len(attention) / depths[-1])  # attention sits in the last blocks
    return {
        "embed_dims": dims,
        "depths": depths,
        "num_heads": heads,
        "mlp_ratios": mlp_ratios,
        "attn_ratio": attn_ratios,
        "conv_type": "Conv" if "layer1.blocks.0.attn.conv.0.weight" in state else "DWConv",
        "window_size": window,
        "in_chans": stem.shape[1],
        "out_chans": head.shape[0],
    }
