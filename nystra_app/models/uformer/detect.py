"""Telling a Uformer checkpoint and its configuration from the official parameter names and shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from ..detection import block_count, window_from_table
from .model import DOWNSAMPLINGS

LEVELS = [f"encoderlayer_{i}" for i in range(DOWNSAMPLINGS)] + ["conv"] + [f"decoderlayer_{i}" for i in range(DOWNSAMPLINGS)]


def detect_uformer(state: Mapping[str, Tensor]) -> dict[str, Any] | None:
    """Depths by counting blocks per level, heads and window from the bias tables, the modulator
    from its embedding. `img_size` leaves no trace in the weights and keeps its default, 128, what the
    official test scripts build with (it fixes which levels shift; see UformerConfig)."""
    proj = state.get("input_proj.proj.0.weight")
    if proj is None or f"{LEVELS[0]}.blocks.0.attn.relative_position_bias_table" not in state:
        return None
    tables = [state.get(f"{level}.blocks.0.attn.relative_position_bias_table") for level in LEVELS]
    if any(t is None for t in tables):
        return None
    first = state[f"{LEVELS[0]}.blocks.0.mlp.linear1.0.weight"]  # (hidden, dim)
    return {
        "embed_dim": proj.shape[0],
        "win_size": window_from_table(tables[0]),  # type: ignore[arg-type]
        "depths": [block_count(state, f"{level}.blocks.") for level in LEVELS],
        "num_heads": [t.shape[1] for t in tables],  # type: ignore[union-attr]
        "modulator": f"{LEVELS[-1]}.blocks.0.modulator.weight" in state,
        "dd_in": proj.shape[1],
        "in_chans": state["output_proj.proj.0.weight"].shape[0],
        "mlp_ratio": first.shape[0] / first.shape[1],
    }
