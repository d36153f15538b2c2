"""Window partitioning shared by the windowed architectures."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def split_windows(x: Tensor, window: int) -> Tensor:
    """(B, H, W, C) with H, W multiples of `window` -> (B * nW, window * window, C), batch-major."""
    B, H, W, C = x.shape
    x = x.view(B, H // window, window, W // window, window, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, C)


def merge_windows(windows: Tensor, window: int, height: int, width: int) -> Tensor:
    """Inverse of split_windows: (B * nW, window * window, C) -> (B, H, W, C)."""
    C = windows.shape[-1]
    x = windows.view(-1, height // window, width // window, window, window, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, height, width, C)


def pad_reflect(x: Tensor, pads: tuple[int, int, int, int]) -> Tensor:
    """Reflection padding (as the official models pad) of (B, C, H, W) by (left, right, top, bottom).

    Reflection cannot pad by as much as the side it reflects, which happens when a feature map is
    smaller than the window (small images, enlarged windows); edge replication takes over there.
    """
    left, right, top, bottom = pads
    H, W = x.shape[-2:]
    mode = "reflect" if max(left, right) < W and max(top, bottom) < H else "replicate"
    return F.pad(x, pads, mode=mode)
