"""What the SwinIR and Uformer tests share: checking a model against an official layout, and a
relative-position bias that keeps the landmark kernel well conditioned."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nystra_app.models import load_strict
from nystra_app.models.table_attention import TableBiasAttention

from .layouts import official_shapes, official_state_dict


def assert_matches_layout(model: nn.Module, variant: str) -> None:
    """Same keys and shapes as the official state dict, buffers included, and a strict load of it."""
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours == official_shapes(variant)
    own = model.state_dict()
    state = {k: v.to(own[k].dtype) for k, v in official_state_dict(variant).items()}
    load_strict(model, state, variant)
    assert torch.equal(model.state_dict()[next(iter(state))], next(iter(state.values())))


def peak_bias_tables(model: nn.Module, slope: float = 2.0) -> None:
    """Bias -slope * (|dy| + |dx|): exp of it is a positive-definite kernel, so G_A = G is invertible."""
    for module in model.modules():
        if isinstance(module, TableBiasAttention):
            w = module.table_window
            d = torch.arange(-(w - 1), w).abs().float()
            table = -slope * (d[:, None] + d[None, :]).flatten()
            module.relative_position_bias_table.data = table[:, None].repeat(1, module.num_heads)


def relative_error(a: Tensor, b: Tensor) -> float:
    return float((a - b).norm() / b.norm())
