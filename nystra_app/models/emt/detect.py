"""Telling an EMT checkpoint and its configuration from the official parameter names and shapes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from ..detection import block_count
from .model import EMTConfig


def detect_emt(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """Blocks and layers by counting them, the attending layers (n_GTLs) by their convolutions, widths
    and upscale from the shapes. Heads and stripe windows leave no trace in the weights (no position
    bias; q = k): the released configuration's are assumed, as for every released file."""
    head = state.get("head.weight")
    if head is None or head.ndim != 4 or "sub_mean.weight" not in state or "body.0.sa_list.0.attn.0.weight" not in state:
        return None
    dim, in_ch = head.shape[:2]
    layers = block_count(state, "body.0.sa_list.")
    released = EMTConfig()
    return {
        "upscale": math.isqrt(state["tail.0.weight"].shape[0] // in_ch),
        "num_in_ch": in_ch,
        "num_out_ch": in_ch,
        "dim": dim,
        "n_blocks": block_count(state, "body."),
        "n_layers": layers,
        "num_heads": released.num_heads,
        "mlp_ratio": state["body.0.mlp_list.0.fc1.weight"].shape[0] // dim,
        "n_GTLs": sum(f"body.0.sa_list.{i}.attn.0.weight" in state for i in range(layers)),
        "window_list": [list(w) for w in released.window_list],
        "shift_list": [list(s) for s in released.shift_list],
    }
