"""Other training-free linear-cost attentions, for comparison with PnP-Nystra in the same harness.

Each approximates softmax attention on the same windows. Nyströmformer-style uses the same
landmark cells, and so honours bias and masks as PnP-Nystra does; Performer, Linformer-style and
elu+1 linear attention have no way to apply an N x N bias or mask and ignore them, as in the
paper's baselines. All share PnP-Nystra's guard where they form a denominator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..attention.geometry import WindowGeometry
from ..attention.guard import ExactFallback, GuardedResult, guarded
from ..attention.nystrom import landmark_logits
from ..attention.pinv import iterative_pinv
from ..attention.positional import BiasFn

SEED = 0
"""Random features and projections are drawn from a fixed seed, so results are reproducible."""


def nystromformer_attention(q: Tensor, k: Tensor, v: Tensor, *, scale: float, geometry: WindowGeometry, iters: int,
                            bias_fn: BiasFn | None = None, regions: Tensor | None = None) -> Tensor:
    """Xiong et al. 2021: the Nyström construction on three softmax-normalised blocks (no guarantee)."""
    logits_l, logits_a, logits_u = landmark_logits(q, k, scale=scale, geometry=geometry, bias_fn=bias_fn,
                                                   regions=regions)
    kernel_l, kernel_a, kernel_u = (torch.softmax(x, dim=-1) for x in (logits_l, logits_a, logits_u))
    return kernel_l @ (iterative_pinv(kernel_a, iters) @ (kernel_u @ v))


def _generator(device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(SEED)


def _kernel_attention(phi_q: Tensor, phi_k: Tensor, v: Tensor, exact: ExactFallback, guard: bool) -> GuardedResult:
    """Attention with a factorised kernel phi(q) . phi(k): O(N r d) for r features."""
    numerator = phi_q @ (phi_k.transpose(-2, -1) @ v)  # (B, H, N, dv)
    denominator = phi_q @ phi_k.sum(dim=-2, keepdim=True).transpose(-2, -1)  # (B, H, N, 1)
    if not guard:
        return GuardedResult(numerator / denominator, 0)
    # Positive features cannot cancel: the magnitude is the denominator itself.
    return guarded(numerator, denominator, denominator, v, exact)


def performer_attention(q: Tensor, k: Tensor, v: Tensor, *, scale: float, features: int, window: tuple[int, int],
                        guard: bool = True) -> GuardedResult:
    """Choromanski et al. 2021, positive random features: exp(x.y) = E[phi(x) phi(y)].

    phi(x) = exp(w.x - |x|^2 / 2) / sqrt(r) with w ~ N(0, I); the constants subtracted for
    stability (per query row, and one per window for keys) cancel in the ratio.
    """
    d = q.shape[-1]
    w = torch.randn(d, features, generator=_generator(q.device), device=q.device, dtype=q.dtype)
    root = scale**0.5
    qs, ks = q * root, k * root
    proj_q = qs @ w - qs.pow(2).sum(dim=-1, keepdim=True) / 2  # (B, H, N, r)
    proj_k = ks @ w - ks.pow(2).sum(dim=-1, keepdim=True) / 2
    phi_q = (proj_q - proj_q.amax(dim=-1, keepdim=True)).exp()
    phi_k = (proj_k - proj_k.amax(dim=(-2, -1), keepdim=True)).exp()
    return _kernel_attention(phi_q, phi_k, v, ExactFallback(q, k, v, scale=scale, window=window), guard)


def linear_attention(q: Tensor, k: Tensor, v: Tensor, *, scale: float, window: tuple[int, int],
                     guard: bool = True) -> GuardedResult:
    """Katharopoulos et al. 2020: the kernel elu(x) + 1 in place of exp; cheap but a different kernel."""
    return _kernel_attention(F.elu(q) + 1, F.elu(k) + 1, v, ExactFallback(q, k, v, scale=scale, window=window), guard)


def random_projection(tokens: int, rank: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """(rank, N) Gaussian projection scaled to preserve norms in expectation (untrained Linformer)."""
    return torch.randn(rank, tokens, generator=_generator(device), device=device, dtype=dtype) / rank**0.5


def linformer_attention(q: Tensor, k: Tensor, v: Tensor, *, scale: float, projection: Tensor) -> Tensor:
    """Wang et al. 2020 without training: keys and values projected along the token axis, E K and E V."""
    return torch.softmax((q @ (projection @ k).transpose(-2, -1)) * scale, dim=-1) @ (projection @ v)
