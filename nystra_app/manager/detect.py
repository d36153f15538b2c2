"""Telling a checkpoint's architecture and configuration from its key names and tensor shapes.

A plug-in table: each architecture adds a function state_dict -> config (or None when the keys are
not its own). The caller confirms a detection by building the model and loading strictly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from torch import Tensor

from ..models.checkpoint import CheckpointError
from ..models.dehazeformer import DehazeFormerConfig
from ..models.registry import Task

Detector = Callable[[Mapping[str, Tensor]], "dict[str, Any] | None"]


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


def detect_uformer(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """Uformer's nine layers (four encoder levels, the bottleneck `conv`, four decoder levels), read
    from the official parameter names. `img_size` leaves no trace in the weights: it takes the
    official test scripts' 128 (see UformerConfig)."""
    stem = state.get("input_proj.proj.0.weight")  # (embed_dim, dd_in, 3, 3)
    head = state.get("output_proj.proj.0.weight")  # (in_chans, 2 * embed_dim, 3, 3)
    if stem is None or head is None or stem.ndim != 4:
        return None
    depths, heads = [], []
    window = 0
    for layer in [f"encoderlayer_{i}" for i in range(4)] + ["conv"] + [f"decoderlayer_{i}" for i in range(4)]:
        prefix = f"{layer}.blocks."
        blocks = {int(key[len(prefix):].split(".", 1)[0]) for key in state if key.startswith(prefix)}
        table = state.get(f"{prefix}0.attn.relative_position_bias_table")  # ((2w - 1)², heads)
        if not blocks or table is None or f"{prefix}0.attn.qkv.to_q.weight" not in state:
            return None
        depths.append(max(blocks) + 1)
        heads.append(table.shape[1])
        window = (math.isqrt(table.shape[0]) + 1) // 2
    hidden, dim = state["encoderlayer_0.blocks.0.mlp.linear1.0.weight"].shape
    return {
        "embed_dim": stem.shape[0],
        "win_size": window,
        "depths": depths,
        "num_heads": heads,
        "modulator": "decoderlayer_0.blocks.0.modulator.weight" in state,
        "dd_in": stem.shape[1],
        "in_chans": head.shape[0],
        "mlp_ratio": hidden / dim,
    }


DETECTORS: dict[str, Detector] = {
    "dehazeformer": detect_dehazeformer,
    "uformer": detect_uformer,
}

DEFAULT_TASKS: dict[str, Task] = {
    "dehazeformer": "dehaze",
}


def detect(state: Mapping[str, Tensor], name: str = "checkpoint") -> tuple[str, dict[str, Any]]:
    """(arch, config) of the one detector that recognises the keys; CheckpointError otherwise."""
    found = [(arch, config) for arch, fn in DETECTORS.items() if (config := fn(state)) is not None]
    if len(found) == 1:
        return found[0]
    if found:
        raise CheckpointError(f"{name} looks like several architectures ({', '.join(a for a, _ in found)})")
    sample = ", ".join(list(state)[:4])
    raise CheckpointError(
        f"{name}: architecture not recognised from its keys ({sample}, ...); "
        f"recognised: {', '.join(sorted(DETECTORS))}"
    )
