"""The guard that keeps an attention approximation inside what exact attention could give.

Exact attention is a convex combination of V's rows, so every output lies in V's per-channel
range and every denominator is positive. Plain PnP-Nystra broke DehazeFormer (NaN, 4-16 dB)
because its sharply local bias makes the kernel far from low rank and denominators went
negative. A (window, head) whose denominators are not safely positive or whose outputs leave
V's range is recomputed exactly; smaller excursions are clamped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .exact import exact_attention, region_mask
from .geometry import WindowGeometry
from .positional import BiasFn, row_bias

DENOMINATOR_TOLERANCE = 1e-3
"""A denominator smaller than this fraction of the sum of its terms' magnitudes is cancellation noise."""

RANGE_TOLERANCE = 0.02
"""How far, as a fraction of V's range, an output may stray before its window is recomputed exactly."""


ROWS_PER_CHUNK = 1 << 24
"""Query rows times keys recomputed at once by the fallback, bounding its bias and logits in memory."""


@dataclass(frozen=True)
class GuardedResult:
    output: Tensor  # (B, H, N, dv)
    fallback: int  # query rows recomputed exactly by the guard


@dataclass(frozen=True)
class ExactFallback:
    """Exact attention for chosen query rows of a batch of windows, bias and mask included."""

    q: Tensor
    k: Tensor
    v: Tensor
    scale: float
    window: tuple[int, int]
    bias_fn: BiasFn | None = None
    regions: Tensor | None = None

    def rows(self, b_idx: Tensor, h_idx: Tensor, n_idx: Tensor) -> Tensor:
        """(P, dv) exact outputs of query rows n_idx[i] in windows b_idx[i], heads h_idx[i].

        Rows are grouped by (window, head) and padded to the most rows any pair in a chunk has, so
        the cost follows the rows asked for, not the whole windows they sit in.
        """
        B, H, N, _ = self.q.shape
        pair = b_idx * H + h_idx
        pairs, slot, counts = torch.unique(pair, return_inverse=True, return_counts=True)
        grouped = torch.argsort(slot, stable=True)
        rank = torch.empty_like(slot)
        rank[grouped] = torch.arange(len(slot), device=slot.device) - (counts.cumsum(0) - counts)[slot[grouped]]
        out = torch.empty(len(slot), self.v.shape[-1], dtype=self.v.dtype, device=self.v.device)
        step = max(1, ROWS_PER_CHUNK // (N * int(counts.max())))
        for first in range(0, len(pairs), step):
            chunk = slice(first, first + step)
            pb, ph = pairs[chunk] // H, pairs[chunk] % H
            width = int(counts[chunk].max())
            index = torch.zeros(len(pb), width, dtype=torch.long, device=pair.device)  # padding: row 0
            mine = (slot >= first) & (slot < first + len(pb))
            index[slot[mine] - first, rank[mine]] = n_idx[mine]
            q = self.q[pb[:, None], ph[:, None], index]  # (C, width, d)
            out[mine] = self._attend(q, pb, ph, index)[slot[mine] - first, rank[mine]]
        return out

    def _attend(self, q: Tensor, pb: Tensor, ph: Tensor, index: Tensor) -> Tensor:
        additive = None
        if self.bias_fn is not None:
            additive = row_bias(self.bias_fn, WindowGeometry(*self.window), self.q.device, ph, index)  # (C, width, N)
        if self.regions is not None:
            labels = self.regions[pb % self.regions.shape[0]]  # (C, N)
            mask = region_mask(labels.gather(1, index), labels)
            additive = mask if additive is None else additive + mask
        out = exact_attention(q[:, None], self.k[pb, ph][:, None], self.v[pb, ph][:, None], scale=self.scale,
                              bias=None if additive is None else additive[:, None])
        return out[:, 0]


def guarded(numerator: Tensor, denominator: Tensor, magnitude: Tensor, v: Tensor,
            exact: ExactFallback) -> GuardedResult:
    """numerator / denominator, with unsafe query rows recomputed by `exact`.

    numerator (B, H, N, dv); denominator and magnitude (B, H, N, 1), magnitude being what the
    denominator would be if none of its terms cancelled.
    """
    safe = denominator > DENOMINATOR_TOLERANCE * magnitude  # False for NaN too
    output = numerator.div_(torch.where(safe, denominator, torch.ones_like(denominator)))
    low, high = v.amin(dim=-2, keepdim=True), v.amax(dim=-2, keepdim=True)  # (B, H, 1, dv)
    clamped = torch.clamp(output, low, high)
    excess = output.sub_(clamped).abs_()  # (B, H, N, dv); NaN where output was not finite
    within = (excess <= RANGE_TOLERANCE * (high - low)).all(dim=-1)  # (B, H, N)
    bad = ~(within & safe.squeeze(-1))
    fallback = int(bad.sum())
    if fallback:
        b_idx, h_idx, n_idx = bad.nonzero(as_tuple=True)
        clamped[b_idx, h_idx, n_idx] = exact.rows(b_idx, h_idx, n_idx).to(clamped.dtype)
    return GuardedResult(clamped, fallback)
