"""Window attention with Swin's learned relative-position bias table, shared by SwinIR and Uformer.

The official code looks the bias up by integer offset in a ((2W-1)^2, heads) table, which
ties it to the trained window W. Here the table is evaluated as a function of offsets so that
Nyström's landmark-cell centres (half-token offsets) and larger inference windows work too.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..attention.module import PositionBiasAttention


def relative_position_index(window: int) -> Tensor:
    """(N, N) index into the bias table of each (query, key) pair: (dy + W-1) * (2W-1) + (dx + W-1)."""
    ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], dim=-1)  # (N, 2)
    rel = pos[:, None, :] - pos[None, :, :] + (window - 1)  # (N, N, 2)
    return rel[..., 0] * (2 * window - 1) + rel[..., 1]


def interpolate_table(table: Tensor, window: int, offsets: Tensor) -> Tensor:
    """Bilinear interpolation of a ((2W-1)^2, heads) bias table at (P, 2) float offsets -> (P, heads).

    Integer offsets inside the trained range return the table entries exactly. Offsets beyond
    ±(W-1), which only a window larger than trained produces, are clamped to the table's edge:
    every offset the model was trained on keeps its trained bias, and farther tokens get the
    bias of the farthest trained offset in that direction. (Resizing the table to the new window,
    as Swin fine-tuning does, would instead move the trained biases to wrong distances, which
    only makes sense when the model is fine-tuned afterwards.)
    """
    side = 2 * window - 1
    coords = (offsets + (window - 1)).clamp(0, side - 1)  # (P, 2) row, column in the table
    low = coords.floor()
    frac = coords - low
    low = low.long()
    high = (low + 1).clamp_max(side - 1)
    (y0, x0), (y1, x1), (fy, fx) = low.unbind(-1), high.unbind(-1), frac.unbind(-1)

    def at(y: Tensor, x: Tensor) -> Tensor:
        return table[y * side + x]  # (P, heads)

    fy, fx = fy[:, None], fx[:, None]
    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return top * (1 - fy) + bottom * fy


class TableBiasAttention(PositionBiasAttention):
    """Multi-head window attention whose bias is the official `relative_position_bias_table`.

    Subclasses own the q/k/v and output projections (their names differ between SwinIR and
    Uformer) and call `attend_windows`.
    """

    def __init__(self, num_heads: int, window_size: int) -> None:
        super().__init__(window_size)
        self.num_heads = num_heads
        self.table_window = window_size
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        # Kept only so official checkpoints load strictly; the bias is computed from offsets.
        self.register_buffer("relative_position_index", relative_position_index(window_size))

    def learned_bias(self, offsets: Tensor) -> Tensor:
        return interpolate_table(self.relative_position_bias_table, self.table_window, offsets)

    def attend_windows(self, q: Tensor, k: Tensor, v: Tensor, window: int, regions: Tensor | None) -> Tensor:
        """q, k, v: (B_, heads, N, d) -> (B_, N, heads * d)."""
        out = self.attend(q, k, v, scale=q.shape[-1] ** -0.5, window=(window, window), bias_fn=self.bias,
                          regions=regions)
        return out.transpose(1, 2).reshape(q.shape[0], q.shape[2], -1)
