"""PnP-Nystra: training-free Nyström approximation of windowed softmax attention.

G = exp(QK^T/sqrt(d) + bias) is approximated by G_L G_A^+ G_U with landmark queries and keys
taken as means over a grid of cells of the window; output = P(G_U [V,1]) split into numerator
and denominator, P = G_L G_A^+. Cost O(N m d) instead of O(N^2 d).
"""

from __future__ import annotations

from torch import Tensor

from .exact import region_mask
from .geometry import WindowGeometry
from .guard import ExactFallback, GuardedResult, guarded
from .pinv import iterative_pinv
from .positional import BiasFn, landmark_bias


def _stable_exp(logits: Tensor, dims: tuple[int, ...]) -> Tensor:
    """exp(logits - max over dims): one constant per row or per matrix, which cancels in the ratio.

    Works in place: the logits are temporaries.
    """
    return logits.sub_(logits.amax(dim=dims, keepdim=True)).exp_()


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
) -> GuardedResult:
    """Nyström attention for windows q, k, v of shape (B, H, N, d); see exact_attention for regions.

    Exponentials are taken after subtracting each row's maximum from Q K̄ᵀ and one constant per
    window from each of Q̄ K̄ᵀ and Q̄ Kᵀ (separate constants: a shared one underflowed G_A on real
    features). With `guard`, see guard.py.
    """
    logits_l, logits_a, logits_u = landmark_logits(q, k, scale=scale, geometry=geometry, bias_fn=bias_fn,
                                                   regions=regions)
    g_l = _stable_exp(logits_l, (-1,))
    g_a = _stable_exp(logits_a, (-2, -1))
    g_u = _stable_exp(logits_u, (-2, -1))
    z = iterative_pinv(g_a, iters)  # (B, H, m, m)
    # Numerator and denominator as separate products: P (G_U V) and P (G_U 1).
    t_num = z @ (g_u @ v)  # (B, H, m, dv)
    t_den = z @ g_u.sum(dim=-1, keepdim=True)  # (B, H, m, 1)
    numerator = g_l @ t_num  # (B, H, N, dv)
    denominator = g_l @ t_den  # (B, H, N, 1)
    if not guard:
        return GuardedResult(numerator / denominator, 0)
    magnitude = g_l @ t_den.abs()  # what the denominator would be without cancellation
    exact = ExactFallback(q, k, v, scale=scale, window=(geometry.height, geometry.width), bias_fn=bias_fn,
                          regions=regions)
    return guarded(numerator, denominator, magnitude, v, exact)
