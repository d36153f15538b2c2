"""PnP-Nystra: training-free Nyström approximation of windowed softmax attention.

G = exp(QK^T/sqrt(d) + bias) is approximated by G_L G_A^+ G_U with landmark queries and keys
taken as means over a grid of cells of the window; output = P(G_U [V,1]) split into numerator
and denominator, P = G_L G_A^+. Cost O(N m d) instead of O(N^2 d).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .exact import exact_attention, region_mask
from .geometry import BlockOrder, WindowGeometry
from .guard import ExactFallback, GuardedResult, guarded
from .pinv import landmark_pinv
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
    order: BlockOrder | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Logits between tokens and landmark cells: Q K̄ᵀ (B,H,N,m), Q̄ K̄ᵀ (B,H,m,m), Q̄ Kᵀ (B,H,m,N).

    Bias is evaluated at the cell centres; the shifted-window mask by the cells' regions (given in
    window order). With `order`, q and k and the token axes of the results are in that block order.
    """
    pooling = geometry.pooling_matrix(q.device, q.dtype)
    if order is not None:
        pooling = order.arrange(pooling.mT).mT
    qm, km = pooling @ q, pooling @ k  # (B, H, m, d)
    qm_scaled, km_scaled = qm * scale, km * scale  # scale the small factors, not the N x m products
    logits_l = q @ km_scaled.transpose(-2, -1)
    logits_a = qm_scaled @ km.transpose(-2, -1)
    logits_u = qm_scaled @ k.transpose(-2, -1)
    if bias_fn is not None:
        bias_l, bias_a, bias_u = landmark_bias(bias_fn, geometry, q.device, order)
        logits_l, logits_a, logits_u = logits_l.add_(bias_l), logits_a.add_(bias_a), logits_u.add_(bias_u)
    if regions is not None:
        nW = regions.shape[0]
        cell_regions = geometry.cell_labels(regions)  # (nW, m)
        token_regions = regions if order is None else order.arrange(regions[..., None])[..., 0]
        logits_l = _masked(logits_l, region_mask(token_regions, cell_regions), nW)
        logits_a = _masked(logits_a, region_mask(cell_regions), nW)
        logits_u = _masked(logits_u, region_mask(cell_regions, token_regions), nW)
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
    solve: str = "iterative",
) -> GuardedResult:
    """Nyström attention for windows q, k, v of shape (B, H, N, d); see exact_attention for regions.

    Exponentials are taken after subtracting each row's maximum from Q K̄ᵀ and one constant per
    window from each of Q̄ K̄ᵀ and Q̄ Kᵀ (separate constants: a shared one underflowed G_A on real
    features). With `guard`, see guard.py.
    """
    window = (geometry.height, geometry.width)
    if local is not None and local >= geometry.height and local >= geometry.width:  # the block is the window
        bias = None if bias_fn is None else full_bias(bias_fn, WindowGeometry(*window), q.device)
        return GuardedResult(exact_attention(q, k, v, scale=scale, bias=bias, regions=regions), 0)
    exact = ExactFallback(q, k, v, scale=scale, window=window, bias_fn=bias_fn, regions=regions)
    order = None if local is None else BlockOrder(geometry.height, geometry.width, local)
    if order is not None:  # from here tokens are in block order; the result is restored to window order
        q, k, v = order.arrange(q), order.arrange(k), order.arrange(v)
    logits_l, logits_a, logits_u = landmark_logits(q, k, scale=scale, geometry=geometry, bias_fn=bias_fn,
                                                   regions=regions, order=order)
    # One stabilising constant per row of G_L and per window for G_A and G_U; kept for the exact
    # near field, which must work in the same scale.
    row_max = logits_l.amax(dim=-1, keepdim=True)  # (B, H, N, 1)
    a_max = logits_a.amax(dim=(-2, -1), keepdim=True)  # (B, H, 1, 1)
    u_max = logits_u.amax(dim=(-2, -1), keepdim=True)
    g_l = logits_l.sub_(row_max).exp_()
    g_a = logits_a.sub_(a_max).exp_()
    g_u = logits_u.sub_(u_max).exp_()
    z = landmark_pinv(g_a, iters, solve)  # (B, H, m, m)
    dv = v.shape[-1]
    if order is None:
        # P (G_U [V, 1]) in one product each; the denominator's terms once more as magnitudes for the guard.
        t = z @ (g_u @ _with_ones(v))  # (B, H, m, dv + 1)
        parts = g_l @ torch.cat([t, t[..., dv:].abs()], dim=-1)  # (B, H, N, dv + 2)
    else:
        parts = order.restore(local_plus_far(q, k, v, g_l, z, g_u, row_max - a_max + u_max, scale=scale,
                                             order=order, bias_fn=bias_fn, regions=regions))
    numerator, denominator, magnitude = parts.split([dv, 1, 1], dim=-1)
    if not guard:
        return GuardedResult(numerator / denominator, 0)
    return guarded(numerator, denominator, magnitude, v, exact)


def _with_ones(v: Tensor) -> Tensor:
    """[V, 1]: one product then gives both the numerator and the denominator."""
    return torch.cat([v, torch.ones_like(v[..., :1])], dim=-1)


def local_plus_far(q: Tensor, k: Tensor, v: Tensor, g_l: Tensor, z: Tensor, g_u: Tensor, log_shift: Tensor, *,
                   scale: float, order: BlockOrder, bias_fn: BiasFn | None, regions: Tensor | None) -> Tensor:
    """Exact kernel on pairs inside the same local x local block, Nyström (G_L G_A^+ G_U) on the rest.

    Trained models attend sharply locally (DehazeFormer's bias reaches -15): a rank-m kernel cannot
    hold that, but the near field is small. Keeping it exact leaves Nyström the smooth far field
    (sparse + low rank, as in Scatterbrain, Chen et al. 2021). With local = the trained window, the
    model keeps its trained neighbourhood exactly and gains context beyond it.

    The far field of a token in block b is P_i (G_U [V, 1] - G_U^b [V^b, 1]): the Nyström sums minus
    the block's own share, so it costs no more than plain Nyström and no local x local estimate is
    formed. Tokens (q, k, v, the rows of g_l, the columns of g_u) come in block order; regions in
    window order. g_l, z, g_u are in the stabilised scale and log_shift (B, H, N, 1) converts exact
    logits to it (row max of G_L, minus G_A's constant, plus G_U's). Returns (B, H, N, dv + 2) in
    block order: numerator, denominator, and the denominator's magnitude for the guard.
    """
    B, H, N, dv = v.shape
    blocks, size = order.blocks, order.local**2

    def by_block(x: Tensor) -> Tensor:  # (B, H, N, c) -> (B, H, blocks, size, c)
        return x.reshape(B, H, blocks, size, x.shape[-1])

    logits = (by_block(q) * scale) @ by_block(k).transpose(-2, -1)  # (B, H, blocks, size, size)
    if bias_fn is not None:
        logits = logits.add_(full_bias(bias_fn, WindowGeometry(order.local, order.local), q.device)[:, None])
    if regions is not None:
        nW = regions.shape[0]
        labels = order.arrange(regions[..., None]).reshape(nW, blocks, size)
        same = labels[..., :, None] == labels[..., None, :]  # (nW, blocks, size, size)
        logits = logits.reshape(B // nW, nW, H, blocks, size, size)
        logits = logits.masked_fill_(~same[:, None], float("-inf")).reshape(B, H, blocks, size, size)
    # One constant per row for both fields: the larger of the local logits' maximum and the far
    # field's scale, so neither exponential can overflow.
    shift = log_shift.reshape(B, H, blocks, size, 1)
    row_scale = torch.maximum(logits.amax(dim=-1, keepdim=True), shift)
    near = logits.sub_(row_scale).exp_()
    far_factor = shift.sub_(row_scale).exp_()  # at most 1

    v_blocks = _with_ones(by_block(v))  # (B, H, blocks, size, dv + 1)
    own = g_u.reshape(B, H, -1, blocks, size).transpose(2, 3) @ v_blocks  # (B, H, blocks, m, dv + 1)
    far = z[:, :, None] @ (own.sum(dim=2, keepdim=True) - own)  # P's right factor for each block's far field
    far = torch.cat([far, far[..., dv:].abs()], dim=-1)
    near_part = near @ v_blocks
    parts = g_l.reshape(B, H, blocks, size, -1) @ far
    parts.mul_(far_factor)
    parts[..., :dv + 1] += near_part
    parts[..., dv + 1:] += near_part[..., dv:]  # exact terms are positive: their magnitude is their sum
    return parts.reshape(B, H, N, dv + 2)
