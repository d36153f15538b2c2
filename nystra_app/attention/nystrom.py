"""PnP-Nystra: training-free Nyström approximation of windowed softmax attention.

G = exp(QK^T/sqrt(d) + bias) is approximated by G_L G_A^+ G_U with landmark queries and keys
taken as means over a grid of cells of the window; output = P(G_U [V,1]) split into numerator
and denominator, P = G_L G_A^+. Cost O(N m d) instead of O(N^2 d).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .exact import region_mask
from .geometry import WindowGeometry
from .guard import ExactFallback, GuardedResult, guarded
from .pinv import iterative_pinv
from .positional import BiasFn, full_bias, landmark_bias


def _masked(logits: Tensor, mask: Tensor | None, nW: int) -> Tensor:
    """Add a (nW, Nq, Nk) region mask to (B, H, Nq, Nk) logits whose batch is b * nW windows."""
    if mask is None:
        return logits
    B, H = logits.shape[:2]
    return (logits.reshape(B // nW, nW, H, *logits.shape[2:]) + mask[:, None]).reshape(logits.shape)


def landmark_logits(
    q: Tensor,
    k: Tensor,
    *,
    scale: float,
    geometry: WindowGeometry,
    bias_fn: BiasFn | None = None,
    regions: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Logits between tokens and landmark cells: Q K̄ᵀ (B,H,N,m), Q̄ K̄ᵀ (B,H,m,m), Q̄ Kᵀ (B,H,m,N).

    Bias is evaluated at the cell centres; the shifted-window mask by the cells' regions.
    """
    qm, km = geometry.cell_means(q), geometry.cell_means(k)  # (B, H, m, d)
    qm_scaled, km_scaled = qm * scale, km * scale  # scale the small factors, not the N x m products
    logits_l = q @ km_scaled.transpose(-2, -1)
    logits_a = qm_scaled @ km.transpose(-2, -1)
    logits_u = qm_scaled @ k.transpose(-2, -1)
    if bias_fn is not None:
        bias_l, bias_a, bias_u = landmark_bias(bias_fn, geometry, q.device)
        logits_l, logits_a, logits_u = logits_l + bias_l, logits_a + bias_a, logits_u + bias_u
    if regions is not None:
        nW = regions.shape[0]
        cell_regions = geometry.cell_labels(regions)  # (nW, m)
        logits_l = _masked(logits_l, region_mask(regions, cell_regions), nW)
        logits_a = _masked(logits_a, region_mask(cell_regions), nW)
        logits_u = _masked(logits_u, region_mask(cell_regions, regions), nW)
    return logits_l, logits_a, logits_u


def nystrom_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    scale: float,
    geometry: WindowGeometry,
    iters: int,
    bias_fn: BiasFn | None = None,
    regions: Tensor | None = None,
    guard: bool = True,
    local: int | None = None,
) -> GuardedResult:
    """Nyström attention for windows q, k, v of shape (B, H, N, d); see exact_attention for regions.

    Exponentials are taken after subtracting each row's maximum from Q K̄ᵀ and one constant per
    window from each of Q̄ K̄ᵀ and Q̄ Kᵀ (separate constants: a shared one underflowed G_A on real
    features). With `guard`, see guard.py.
    """
    logits_l, logits_a, logits_u = landmark_logits(q, k, scale=scale, geometry=geometry, bias_fn=bias_fn,
                                                   regions=regions)
    # One stabilising constant per row of G_L and per window for G_A and G_U; kept for the local
    # correction, which must work in the same scale.
    row_max = logits_l.amax(dim=-1, keepdim=True)  # (B, H, N, 1)
    a_max = logits_a.amax(dim=(-2, -1), keepdim=True)  # (B, H, 1, 1)
    u_max = logits_u.amax(dim=(-2, -1), keepdim=True)
    g_l = logits_l.sub_(row_max).exp_()
    g_a = logits_a.sub_(a_max).exp_()
    g_u = logits_u.sub_(u_max).exp_()
    z = iterative_pinv(g_a, iters)  # (B, H, m, m)
    # Numerator and denominator as separate products: P (G_U V) and P (G_U 1).
    t_num = z @ (g_u @ v)  # (B, H, m, dv)
    t_den = z @ g_u.sum(dim=-1, keepdim=True)  # (B, H, m, 1)
    numerator = g_l @ t_num  # (B, H, N, dv)
    denominator = g_l @ t_den  # (B, H, N, 1)
    magnitude = g_l @ t_den.abs()  # what the denominator would be without cancellation
    if local is not None and local < geometry.height:
        correction = local_correction(
            q, k, v, g_l @ z, g_u, row_max - a_max + u_max, scale=scale, geometry=geometry, local=local,
            bias_fn=bias_fn, regions=regions,
        )
        numerator += correction.numerator
        denominator += correction.denominator
        magnitude += correction.magnitude
    elif local is not None:  # the local block is the whole window: exact attention
        exact = ExactFallback(q, k, v, scale=scale, window=(geometry.height, geometry.width), bias_fn=bias_fn,
                              regions=regions)
        every = torch.ones(q.shape[:2], dtype=torch.bool, device=q.device).nonzero(as_tuple=True)
        return GuardedResult(exact(*every).reshape(v.shape), 0)
    if not guard:
        return GuardedResult(numerator / denominator, 0)
    exact = ExactFallback(q, k, v, scale=scale, window=(geometry.height, geometry.width), bias_fn=bias_fn,
                          regions=regions)
    return guarded(numerator, denominator, magnitude, v, exact)


@dataclass(frozen=True)
class LocalCorrection:
    numerator: Tensor  # (B, H, N, dv)
    denominator: Tensor  # (B, H, N, 1)
    magnitude: Tensor  # (B, H, N, 1)


def local_correction(q: Tensor, k: Tensor, v: Tensor, p: Tensor, g_u: Tensor, log_shift: Tensor, *, scale: float,
                     geometry: WindowGeometry, local: int, bias_fn: BiasFn | None,
                     regions: Tensor | None) -> LocalCorrection:
    """Exact kernel minus its Nyström estimate on pairs inside the same local x local block.

    Trained models attend sharply locally (DehazeFormer's bias reaches -15): a rank-m kernel cannot
    hold that, but the near field is small. Adding (G - G_L G_A^+ G_U) on local pairs makes the
    near field exact and leaves Nyström the smooth far field (sparse + low rank, as in
    Scatterbrain, Chen et al. 2021). With local = the trained window, the model keeps its trained
    neighbourhood exactly and gains context beyond it.

    p = G_L G_A^+ and g_u in the stabilised scale; log_shift (B, H, N, 1) converts exact logits to
    that scale (row max of G_L, minus G_A's constant, plus G_U's).
    """
    h, w = geometry.height, geometry.width
    if h % local or w % local:
        raise ValueError(f"a local block of {local} tokens does not divide the {h}x{w} attention window")
    B, H, N, dv = v.shape
    blocks = (h // local) * (w // local)
    perm = _block_order(h, w, local, q.device)  # tokens grouped by local block

    def by_block(x: Tensor) -> Tensor:  # (B, H, N, c) -> (B, H, blocks, local^2, c)
        return x[:, :, perm].reshape(B, H, blocks, local * local, x.shape[-1])

    logits = (by_block(q) * scale) @ by_block(k).transpose(-2, -1)  # (B, H, blocks, l2, l2)
    if bias_fn is not None:
        logits = logits + full_bias(bias_fn, WindowGeometry(local, local), q.device)[:, None]
    if regions is not None:
        nW = regions.shape[0]
        labels = regions[:, perm].reshape(nW, blocks, local * local)
        same = labels[..., :, None] == labels[..., None, :]  # (nW, blocks, l2, l2)
        logits = logits.reshape(B // nW, nW, H, blocks, *logits.shape[-2:])
        logits = logits.masked_fill(~same[:, None], float("-inf")).reshape(B, H, blocks, *same.shape[-2:])
    exact = torch.exp(logits - by_block(log_shift)).nan_to_num_(posinf=torch.finfo(q.dtype).max)
    estimate = by_block(p) @ g_u[:, :, :, perm].reshape(B, H, -1, blocks, local * local).transpose(2, 3)
    residual = exact - estimate  # (B, H, blocks, l2, l2)
    inverse = torch.argsort(perm)

    def unblock(x: Tensor) -> Tensor:  # (B, H, blocks, l2, c) -> (B, H, N, c)
        return x.reshape(B, H, N, x.shape[-1])[:, :, inverse]

    return LocalCorrection(
        unblock(residual @ by_block(v)),
        unblock(residual.sum(dim=-1, keepdim=True)),
        unblock(residual.abs().sum(dim=-1, keepdim=True)),
    )


def _block_order(height: int, width: int, local: int, device: torch.device) -> Tensor:
    """Token indices (row-major in the window) reordered so each local block is contiguous."""
    index = torch.arange(height * width, device=device).reshape(height // local, local, width // local, local)
    return index.permute(0, 2, 1, 3).flatten()
