"""Window partitioning, padding and Swin's shifted-window regions, shared by the windowed architectures."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

WindowFn = Callable[[Tensor, "Tensor | None"], Tensor]
"""(B * nW, N, C) windows and their (nW, N) region labels (None: unshifted) -> (B * nW, N, C')."""

Window = int | tuple[int, int]
"""A square window's side, or a rectangle's (height, width) (DAT's 8x32 and 32x8, EMT's stripes)."""


def window_shape(window: Window) -> tuple[int, int]:
    return (window, window) if isinstance(window, int) else (int(window[0]), int(window[1]))


def split_windows(x: Tensor, window: Window) -> Tensor:
    """(B, H, W, C) with H, W multiples of the window -> (B * nW, wh * ww, C), batch-major, tokens row-major."""
    B, H, W, C = x.shape
    wh, ww = window_shape(window)
    x = x.view(B, H // wh, wh, W // ww, ww, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, wh * ww, C)


def merge_windows(windows: Tensor, window: Window, height: int, width: int) -> Tensor:
    """Inverse of split_windows: (B * nW, wh * ww, C) -> (B, H, W, C)."""
    C = windows.shape[-1]
    wh, ww = window_shape(window)
    x = windows.view(-1, height // wh, width // ww, wh, ww, C)
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


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Pad (B, C, H, W) at the bottom and right (see pad_reflect) up to multiples of `multiple`."""
    H, W = x.shape[-2:]
    return pad_reflect(x, (0, (-W) % multiple, 0, (-H) % multiple))


def pad_flip_past_multiple(x: Tensor, multiple: int) -> Tensor:
    """SwinIR's main_test_swinir.py: (B, C, H, W) extended at the bottom and right by its own mirror
    image (edge row included) up to the next multiple strictly above each side, so a side that is
    already a multiple still gains a whole `multiple`."""
    H, W = x.shape[-2:]
    x = torch.cat([x, x.flip(-2)], dim=-2)[..., : (H // multiple + 1) * multiple, :]
    return torch.cat([x, x.flip(-1)], dim=-1)[..., : (W // multiple + 1) * multiple]


def pad_centred_square(x: Tensor, multiple: int) -> tuple[Tensor, int, int]:
    """Uformer's test scripts ('expand2square'): (B, C, H, W) placed in the middle of a square of
    zeros whose side is max(H, W) rounded up to `multiple`; returns it and the picture's top, left."""
    H, W = x.shape[-2:]
    side = -(-max(H, W) // multiple) * multiple
    top, left = (side - H) // 2, (side - W) // 2
    square = x.new_zeros(*x.shape[:-2], side, side)
    square[..., top : top + H, left : left + W] = x
    return square, top, left


def shift_regions(height: int, width: int, window: Window, shift: Window,
                  device: torch.device | None = None) -> Tensor:
    """(nW, N) labels of Swin's shifted-window regions for a (height, width) map rolled by -shift.

    After the roll, the last `shift` rows (columns) wrap around from the top (left) and the
    `window - shift` before them are a distinct band; tokens attend only within their label,
    which is exactly the 0/-100 `attn_mask` of the official code, for any map and window size.
    Rectangle windows take a (rows, columns) shift.
    """
    (wh, ww), (sh, sw) = window_shape(window), window_shape(shift)

    def bands(n: int, size: int, by: int) -> Tensor:
        labels = torch.zeros(n, dtype=torch.long, device=device)
        labels[n - size : n - by] = 1
        labels[n - by :] = 2
        return labels

    labels = bands(height, wh, sh)[:, None] * 3 + bands(width, ww, sw)[None, :]  # (H, W)
    return split_windows(labels[None, :, :, None], window).squeeze(-1)


def windowed(x: Tensor, window: int, shift: int, fn: WindowFn) -> Tensor:
    """Apply `fn` to the (shifted) windows of a (B, H, W, C) map and reassemble it.

    The map is padded to a multiple of the window (cropped back after), then rolled by -shift
    as Swin does; `fn` receives the region labels of the rolled map.
    """
    _, H, W, _ = x.shape
    x = pad_to_multiple(x.permute(0, 3, 1, 2), window).permute(0, 2, 3, 1)
    Hp, Wp = x.shape[1:3]
    regions = None
    if shift:
        x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        regions = shift_regions(Hp, Wp, window, shift, x.device)
    out = merge_windows(fn(split_windows(x.contiguous(), window), regions), window, Hp, Wp)
    if shift:
        out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
    return out[:, :H, :W]
