"""Relative-position bias for exact attention and at landmark cells.

A model describes its bias as a function of (query - key) offsets in tokens, so the same
function serves the full N x N bias and the Nyström kernels between tokens and cell centres
(offsets there are multiples of half a token).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import torch
from torch import Tensor, nn

from .geometry import WindowGeometry

BiasFn = Callable[[Tensor], Tensor]
"""(P, 2) float offsets (row, column; query minus key) -> (P, heads) additive logits."""


_CACHE: OrderedDict[tuple, object] = OrderedDict()
_CACHE_SIZE = 64


def _memoised(kind: str, fn: BiasFn, geometry: WindowGeometry, device: torch.device, compute: Callable[[], object]):
    """Bias depends only on the weights and the geometry, yet every block asks for it on every
    tile; keep recent results. The key holds the owning module's parameter versions, which any
    in-place update (load_state_dict included) bumps, so a changed weight never hits a stale entry.
    """
    owner = getattr(fn, "__self__", None)
    if not isinstance(owner, nn.Module):
        return compute()
    versions = tuple(p._version for p in owner.parameters())
    key = (kind, fn, versions, geometry, device.type, device.index, torch.is_inference_mode_enabled())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = _CACHE[key] = compute()
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def full_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> Tensor:
    """(heads, N, N) bias between every pair of tokens; fn is evaluated once per distinct offset."""
    return _memoised("full", fn, geometry, device, lambda: _full_bias(fn, geometry, device))  # type: ignore[return-value]


def landmark_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Bias for G_L (heads, N, m), G_A (heads, m, m) and G_U (heads, m, N) at the landmarks."""
    return _memoised("landmark", fn, geometry, device, lambda: _landmark_bias(fn, geometry, device))  # type: ignore[return-value]


def _full_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> Tensor:
    h, w = geometry.height, geometry.width
    dy, dx = torch.meshgrid(
        torch.arange(-(h - 1), h, device=device, dtype=torch.float32),
        torch.arange(-(w - 1), w, device=device, dtype=torch.float32),
        indexing="ij",
    )
    table = fn(torch.stack([dy.flatten(), dx.flatten()], dim=-1))  # ((2h-1)(2w-1), heads)
    pos = geometry.token_positions(device).long()  # (N, 2)
    rel = pos[:, None, :] - pos[None, :, :]  # (N, N, 2)
    index = (rel[..., 0] + h - 1) * (2 * w - 1) + (rel[..., 1] + w - 1)
    return table[index].permute(2, 0, 1).contiguous()


def _landmark_bias(fn: BiasFn, geometry: WindowGeometry, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    tokens = geometry.token_positions(device)
    cells = geometry.cell_centres(device)
    offsets = [
        tokens[:, None, :] - cells[None, :, :],  # (N, m, 2)
        cells[:, None, :] - cells[None, :, :],  # (m, m, 2)
        cells[:, None, :] - tokens[None, :, :],  # (m, N, 2)
    ]
    flat = torch.cat([o.reshape(-1, 2) for o in offsets])
    # Offsets are multiples of 1/2: evaluate fn once per distinct value.
    unique, inverse = torch.unique((flat * 2).round(), dim=0, return_inverse=True)
    values = fn(unique / 2)[inverse]  # (P, heads)
    parts = values.split([o.shape[0] * o.shape[1] for o in offsets])
    return tuple(  # type: ignore[return-value]
        p.reshape(o.shape[0], o.shape[1], -1).permute(2, 0, 1).contiguous() for p, o in zip(parts, offsets)
    )
