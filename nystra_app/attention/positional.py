"""Relative-position bias for exact attention and at landmark cells.

A model describes its bias as a function of (query - key) offsets in tokens, so the same
function serves the full N x N bias and the Nyström kernels between tokens and cell centres
(offsets there are multiples of half a token).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .geometry import BlockOrder, WindowGeometry

BiasFn = Callable[[Tensor], Tensor]
"""(P, 2) float offsets (row, column; query minus key) -> (P, heads) additive logits."""


FULL_CACHE_ELEMENTS = 1 << 22
"""Full N x N biases are kept only up to this size: larger ones cost little next to the attention."""


def _memoised(kind: object, fn: BiasFn, geometry: WindowGeometry, device: torch.device, compute: Callable[[], object],
              keep: bool = True):
    """Bias depends only on the weights and the geometry, yet every block asks for it on every
    tile; each module keeps its own. The key holds each parameter's version (which any in-place
    update, load_state_dict included, bumps), storage, dtype and device (which `.to()` and
    `.data =` change), so a changed weight never hits a stale entry. Inference tensors (a model
    made or deep-copied under inference_mode) keep no version, so an in-place change to them
    could not be seen: such modules are not cached.
    """
    owner = getattr(fn, "__self__", None)
    if not keep or not isinstance(owner, nn.Module):
        return compute()
    params = list(owner.parameters())
    if any(p.is_inference() for p in params):
        return compute()
    state = tuple((p._version, p.data_ptr(), p.dtype, p.device) for p in params)
    cache = owner.__dict__.setdefault("_bias_cache", {})
    if cache.get("state") != state:
        cache.clear()
        cache["state"] = state
    # A bias transform (research's offset reach) changes the values without touching a weight.
    key = (kind, geometry, getattr(owner, "bias_transform", None), device.type, device.index, torch.is_inference_mode_enabled())
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _offset_dtype(fn: BiasFn) -> torch.dtype:
    """Offsets go into the bias function's own weights (an MLP in DehazeFormer), so they take their dtype."""
    owner = getattr(fn, "__self__", None)
    param = next(owner.parameters(), None) if isinstance(owner, nn.Module) else None
    return torch.get_default_dtype() if param is None or not param.is_floating_point() else param.dtype


def full_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> Tensor:
    """(heads, N, N) bias between every pair of tokens; fn is evaluated once per distinct offset."""
    keep = geometry.tokens**2 <= FULL_CACHE_ELEMENTS
    return _memoised("full", fn, geometry, device, lambda: _full_bias(fn, geometry, device), keep)  # type: ignore[return-value]


def landmark_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device,
                  order: BlockOrder | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Bias for G_L (heads, N, m), G_A (heads, m, m) and G_U (heads, m, N) at the landmarks, with the
    token axes in block `order` when given (kept in that order, not re-ordered on every call)."""

    def compute() -> tuple[Tensor, Tensor, Tensor]:
        bias_l, bias_a, bias_u = _landmark_bias(fn, geometry, device)
        if order is None:
            return bias_l, bias_a, bias_u
        return order.arrange(bias_l), bias_a, order.arrange(bias_u.mT).mT.contiguous()

    return _memoised(("landmark", order), fn, geometry, device, compute)  # type: ignore[return-value]


def row_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device, heads: Tensor, rows: Tensor) -> Tensor:
    """(C, R, N) bias of query rows `rows` (C, R) in heads `heads` (C,) against every key.

    For the guard's exact fallback: at large windows the full N x N bias is not kept, and building
    it for a few rows would cost more than the rows themselves.
    """
    if geometry.tokens**2 <= FULL_CACHE_ELEMENTS:
        return full_bias(fn, geometry, device)[heads[:, None], rows]
    table = _memoised("table", fn, geometry, device, lambda: _offset_table(fn, geometry, device))
    pos = geometry.token_positions(device).long()  # (N, 2)
    return table[_offset_index(geometry, pos[rows][:, :, None, :] - pos), heads[:, None, None]]


def _offset_table(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> Tensor:
    """((2h-1)(2w-1), heads) bias of every integer offset a window can hold."""
    h, w, dtype = geometry.height, geometry.width, _offset_dtype(fn)
    dy, dx = torch.meshgrid(
        torch.arange(-(h - 1), h, device=device, dtype=dtype),
        torch.arange(-(w - 1), w, device=device, dtype=dtype),
        indexing="ij",
    )
    return fn(torch.stack([dy.flatten(), dx.flatten()], dim=-1))


def _offset_index(geometry: WindowGeometry, rel: Tensor) -> Tensor:
    """Row of _offset_table for integer offsets rel (..., 2)."""
    return (rel[..., 0] + geometry.height - 1) * (2 * geometry.width - 1) + (rel[..., 1] + geometry.width - 1)


def _full_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> Tensor:
    pos = geometry.token_positions(device).long()  # (N, 2)
    table = _offset_table(fn, geometry, device)
    return table[_offset_index(geometry, pos[:, None, :] - pos[None, :, :])].permute(2, 0, 1).contiguous()


def _landmark_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    tokens = geometry.token_positions(device)
    cells = geometry.cell_centres(device)
    offsets = [
        tokens[:, None, :] - cells[None, :, :],  # (N, m, 2)
        cells[:, None, :] - cells[None, :, :],  # (m, m, 2)
        cells[:, None, :] - tokens[None, :, :],  # (m, N, 2)
    ]
    doubled = (torch.cat([o.reshape(-1, 2) for o in offsets]) * 2).round().long()  # offsets are multiples of 1/2
    # One integer per offset, so a 1-D unique finds the distinct ones: fn is evaluated once for each.
    span_y, span_x = 2 * geometry.height - 1, 2 * geometry.width - 1
    codes = (doubled[:, 0] + span_y) * (2 * span_x + 1) + (doubled[:, 1] + span_x)
    unique, inverse = torch.unique(codes, return_inverse=True)
    distinct = torch.stack([unique // (2 * span_x + 1) - span_y, unique % (2 * span_x + 1) - span_x], dim=-1)
    values = fn(distinct.to(_offset_dtype(fn)) / 2)[inverse]  # (P, heads)
    parts = values.split([o.shape[0] * o.shape[1] for o in offsets])
    return tuple(  # type: ignore[return-value]
        p.reshape(o.shape[0], o.shape[1], -1).permute(2, 0, 1).contiguous() for p, o in zip(parts, offsets)
    )
