"""Pseudoinverse of small landmark kernels: hyperpower iterations (Razavi et al. 2014) or truncated SVD."""

from __future__ import annotations

import torch
from torch import Tensor

SVD_RTOL = 1e-3
"""Singular values below this fraction of the largest are dropped by the truncated-SVD solve."""


def landmark_pinv(a: Tensor, iters: int, solve: str = "iterative") -> Tensor:
    """G_A^+ by `iters` hyperpower steps or by a truncated SVD (rank cut at SVD_RTOL)."""
    return iterative_pinv(a, iters) if solve == "iterative" else torch.linalg.pinv(a, rtol=SVD_RTOL)


def iterative_pinv(a: Tensor, iters: int) -> Tensor:
    """Approximate pinv of each (m, m) matrix in a batch by `iters` hyperpower steps.

    The start is normalised per matrix, not per batch as in the reference code, so a window's
    result never depends on the other windows. Few steps act as a regulariser: G_A is badly
    conditioned (1e4-1e8) and an exact inverse amplifies noise.
    """
    abs_a = a.abs()
    norm = abs_a.sum(dim=-1).amax(dim=-1) * abs_a.sum(dim=-2).amax(dim=-1)  # (...)
    norm = norm.clamp_min(torch.finfo(a.dtype).tiny)
    z = a.transpose(-1, -2) / norm[..., None, None]
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    for _ in range(iters):
        az = a @ z
        z = 0.25 * z @ (13 * eye - az @ (15 * eye - az @ (7 * eye - az)))
    return z
