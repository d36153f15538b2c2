"""Exact softmax attention over windows, with additive bias and shifted-window regions."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

ExactImpl = Literal["auto", "matmul", "sdpa"]


def region_mask(labels: Tensor, key_labels: Tensor | None = None) -> Tensor:
    """Additive mask (nW, Nq, Nk): 0 where query and key share a region, -inf elsewhere."""
    key_labels = labels if key_labels is None else key_labels
    same = labels[:, :, None] == key_labels[:, None, :]
    return torch.zeros(same.shape, dtype=torch.float32, device=labels.device).masked_fill_(~same, float("-inf"))


def resolve_impl(impl: ExactImpl) -> ExactImpl:
    """SDPA unless asked otherwise: with torch 2.13 it beat softmax(QK^T)V here on CPU too (about 5x
    without a bias; on par with one), and its fused kernels win on GPUs."""
    return "sdpa" if impl == "auto" else impl


CHUNK_BYTES = 1 << 28
"""Logits held at once: windows are processed in chunks so a large window cannot exhaust memory."""


def exact_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    scale: float,
    bias: Tensor | None = None,
    regions: Tensor | None = None,
    impl: ExactImpl = "auto",
) -> Tensor:
    """softmax(q k^T * scale + bias + mask) v for windows q, k, v of shape (B, H, N, d).

    bias broadcasts to (B, H, N, N). regions (nW, N) labels the shifted-window regions; the
    batch is then b * nW windows in batch-major order, as window partitioning produces.
    """
    B, H, N, _ = q.shape
    per_window = H * N * N * q.element_size()
    chunk = max(1, CHUNK_BYTES // per_window)
    if chunk < B:
        parts = []
        for start in range(0, B, chunk):
            pick = slice(start, min(start + chunk, B))
            labels = None if regions is None else regions[torch.arange(pick.start, pick.stop, device=q.device) % len(regions)]
            window_bias = bias if bias is None or bias.dim() < 4 or bias.shape[0] == 1 else bias[pick]
            parts.append(exact_attention(q[pick], k[pick], v[pick], scale=scale, bias=window_bias, regions=labels,
                                         impl=impl))
        return torch.cat(parts)
    if bias is not None and bias.dim() < 4:  # SDPA's fused CPU kernel takes 4-D masks only (3-D: 3x slower math path)
        bias = bias.reshape((1,) * (4 - bias.dim()) + tuple(bias.shape))
    if regions is None:
        return _attend(q, k, v, scale, bias, impl)
    return _attend_by_region_pattern(q, k, v, scale, bias, regions, impl)


def _attend_by_region_pattern(q: Tensor, k: Tensor, v: Tensor, scale: float, bias: Tensor | None, regions: Tensor,
                              impl: ExactImpl) -> Tensor:
    """Shifted windows grouped by the shape of their region mask: most windows lie inside one region
    and need no mask, the seam windows share a few patterns. Each group is one attention call with a
    (1, H, N, N) mask, instead of a mask per window (memory) or a 5-D batch (SDPA's slow path)."""
    B, H, N, _ = q.shape
    nW = regions.shape[0]
    patterns, which = torch.unique(regions - regions.amin(dim=-1, keepdim=True), dim=0, return_inverse=True)
    if len(patterns) == 1 and not patterns.any():
        return _attend(q, k, v, scale, bias, impl)
    out = q.new_empty(B, H, N, v.shape[-1])

    def by_window(t: Tensor) -> Tensor:  # (B, ...) -> (B // nW, nW, ...)
        return t.reshape(B // nW, nW, *t.shape[1:])

    for p, pattern in enumerate(patterns):
        windows = (which == p).nonzero()[:, 0]

        def pick(t: Tensor) -> Tensor:
            return by_window(t)[:, windows].flatten(0, 1)

        additive = bias if bias is None or bias.shape[0] == 1 else pick(bias)
        if pattern.any():
            mask = region_mask(pattern[None])[:, None].to(q.dtype)  # (1, 1, N, N)
            additive = mask if additive is None else additive + mask
        by_window(out)[:, windows] = _attend(pick(q), pick(k), pick(v), scale, additive, impl).unflatten(0, (B // nW, -1))
    return out


def _attend(q: Tensor, k: Tensor, v: Tensor, scale: float, additive: Tensor | None, impl: ExactImpl) -> Tensor:
    if resolve_impl(impl) == "sdpa":
        if additive is not None:
            additive = additive.to(q.dtype)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=additive, scale=scale)
    logits = (q @ k.transpose(-2, -1)) * scale
    if additive is not None:
        logits = logits + additive
    return torch.softmax(logits, dim=-1) @ v
