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
    additive = bias
    if regions is not None:
        nW = regions.shape[0]
        mask = region_mask(regions)[:, None]  # (nW, 1, N, N)
        q, k, v = (t.reshape(B // nW, nW, H, N, t.shape[-1]) for t in (q, k, v))
        additive = mask if bias is None else bias + mask
    if resolve_impl(impl) == "sdpa":
        if additive is not None:
            additive = additive.to(q.dtype)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=additive, scale=scale)
    else:
        logits = (q @ k.transpose(-2, -1)) * scale
        if additive is not None:
            logits = logits + additive
        out = torch.softmax(logits, dim=-1) @ v
    return out.reshape(B, H, N, v.shape[-1])
