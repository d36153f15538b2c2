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
from .positional import BiasFn, full_bias

DENOMINATOR_TOLERANCE = 1e-3
"""A denominator smaller than this fraction of the sum of its terms' magnitudes is cancellation noise."""

RANGE_TOLERANCE = 0.02
"""How far, as a fraction of V's range, an output may stray before its window is recomputed exactly."""


@dataclass(frozen=True)
class GuardedResult:
    output: Tensor  # (B, H, N, dv)
    fallback: int  # (window, head) pairs recomputed exactly by the guard


@dataclass(frozen=True)
class ExactFallback:
    """Exact attention for chosen (window, head) pairs of a batch, bias and mask included."""

    q: Tensor
    k: Tensor
    v: Tensor
    scale: float
    window: tuple[int, int]
    bias_fn: BiasFn | None = None
    regions: Tensor | None = None

    def __call__(self, b_idx: Tensor, h_idx: Tensor) -> Tensor:
        """(P, N, dv) exact outputs for the pairs (b_idx[i], h_idx[i])."""
        additive = None
        if self.bias_fn is not None:
            additive = full_bias(self.bias_fn, WindowGeometry(*self.window), self.q.device)[h_idx]
        if self.regions is not None:
            mask = region_mask(self.regions)[b_idx % self.regions.shape[0]]
            additive = mask if additive is None else additive + mask
        pick = (b_idx, h_idx)
        out = exact_attention(self.q[pick][:, None], self.k[pick][:, None], self.v[pick][:, None], scale=self.scale,
                              bias=None if additive is None else additive[:, None])
        return out[:, 0]


def guarded(numerator: Tensor, denominator: Tensor, magnitude: Tensor, v: Tensor,
            exact: ExactFallback) -> GuardedResult:
    """numerator / denominator, with unsafe (window, head) pairs recomputed by `exact`.

    numerator (B, H, N, dv); denominator and magnitude (B, H, N, 1), magnitude being what the
    denominator would be if none of its terms cancelled.
    """
    safe = denominator > DENOMINATOR_TOLERANCE * magnitude  # False for NaN too
    output = numerator.div_(torch.where(safe, denominator, torch.ones_like(denominator)))
    low, high = v.amin(dim=-2, keepdim=True), v.amax(dim=-2, keepdim=True)  # (B, H, 1, dv)
    clamped = torch.clamp(output, low, high)
    excess = output.sub_(clamped).abs_().amax(dim=-2)  # (B, H, dv); NaN where output was not finite
    within = (excess <= RANGE_TOLERANCE * (high - low).squeeze(-2)).all(dim=-1)  # (B, H)
    bad = ~(within & safe.all(dim=-2).squeeze(-1))
    fallback = int(bad.sum())
    if fallback:
        b_idx, h_idx = bad.nonzero(as_tuple=True)
        clamped[b_idx, h_idx] = exact(b_idx, h_idx).to(clamped.dtype)
    return GuardedResult(clamped, fallback)
