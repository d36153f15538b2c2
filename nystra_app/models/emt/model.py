"""EMT, the Efficient Mixed Transformer (Zheng et al., 2023), written for Nystra.

Parameter and buffer names follow the official release (Fried-Rice-Lab/EMT) so its checkpoints load
strictly, BatchNorm statistics and the fixed pixel-shift masks included. What the model does:
- each Mixed Transformer Block runs `n_layers` layers; the first `n_GTLs` mix tokens with striped-window
  self-attention (SWSA), the others with a parameter-free Pixel Mixer (channel groups shifted by one
  pixel, wrapping around the picture's edges);
- SWSA splits the heads' channels in two halves: one attends in 32x8 windows, the other in 8x32. Queries
  are also the keys (logits q qᵀ, no 1/sqrt(d) scale, no position bias), and the second attention layer
  of a block rolls the map by half a window *without* a mask, so a shifted window mixes content across
  the wrap-around;
- pixels are in [0, 255] inside, with the DF2K mean subtracted (the official `MeanShift` layers).

Inference only: BatchNorm uses its running statistics, folded into the neighbouring operation on each
call (a fold of a few hundred numbers, so loading new weights never leaves a stale cache). The fixed
pixel shifts are done with slices, not the official depthwise convolutions (same numbers, faster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...attention.module import SwitchableAttention
from ..checkpoint import CheckpointError
from ..windows import pad_reflect

PIXEL_RANGE = 255.0  # the official model works on 8-bit pixel values


@dataclass(frozen=True)
class EMTConfig:
    """The official constructor arguments (options/EMT.yml with LSR_x*.yml) of the released checkpoints."""

    upscale: int = 4
    num_in_ch: int = 3
    num_out_ch: int = 3
    task: str = "lsr"
    dim: int = 60
    n_blocks: int = 6
    n_layers: int = 6
    num_heads: int = 3
    mlp_ratio: int = 2
    n_GTLs: int = 2  # the official name: layers per block that attend (the rest use the Pixel Mixer)
    window_list: tuple[tuple[int, int], ...] = ((32, 8), (8, 32))
    shift_list: tuple[tuple[int, int], ...] = ((16, 4), (4, 16))

    def __post_init__(self) -> None:
        # registry JSON stores pairs as lists
        object.__setattr__(self, "window_list", tuple(tuple(w) for w in self.window_list))
        object.__setattr__(self, "shift_list", tuple(tuple(s) for s in self.shift_list))
        if self.task != "lsr":
            raise ValueError(f"unsupported EMT task {self.task!r}: only 'lsr' (the released checkpoints)")
        if len(self.shift_list) != len(self.window_list):
            raise ValueError("EMT needs one shift per window shape")
        if (2 * self.dim) % (len(self.window_list) * 2 * self.num_heads):
            raise ValueError(f"dim {self.dim} does not split into {len(self.window_list)} window shapes "
                             f"x {self.num_heads} heads")
        if self.dim % 5 or (self.dim * self.mlp_ratio) % 5:
            raise ValueError(f"EMT shifts channels in five groups: dim {self.dim} and its MLP width must be "
                             "multiples of 5")
        if self.n_GTLs > self.n_layers:
            raise ValueError(f"n_GTLs {self.n_GTLs} exceeds n_layers {self.n_layers}")


VARIANTS: dict[str, EMTConfig] = {f"lsr-x{s}": EMTConfig(upscale=s) for s in (2, 3, 4)}
"""The released lightweight super-resolution models (modelzoo/EMT/EMT_LSR_x{2,3,4}.pth)."""

DF2K_MEAN = (0.4690, 0.4490, 0.4036)  # what the official MeanShift layers subtract and add back
BN_EPS = 1e-5


def _norm_affine(norm: nn.BatchNorm2d) -> tuple[Tensor, Tensor]:
    """Inference-mode BatchNorm as y = factor * x + offset, per channel."""
    assert norm.running_mean is not None and norm.running_var is not None  # tracked statistics (official)
    factor = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return factor, norm.bias - norm.running_mean * factor


def _folded(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> tuple[Tensor, Tensor]:
    """A convolution followed by inference-mode BatchNorm, as one convolution's weight and bias."""
    factor, offset = _norm_affine(norm)
    assert conv.bias is not None
    return conv.weight * factor.view(-1, 1, 1, 1), conv.bias * factor + offset


class MeanShift(nn.Conv2d):
    """Official 'MeanShift': a fixed 1x1 convolution that subtracts (sign -1) or adds the DF2K mean."""

    def __init__(self, sign: int) -> None:
        super().__init__(3, 3, 1)
        self.requires_grad_(False)
        assert self.bias is not None
        with torch.no_grad():
            self.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.bias.copy_(sign * PIXEL_RANGE * torch.tensor(DF2K_MEAN))


SHIFT_TAPS = ((1, 2), (1, 0), (2, 1), (0, 1), (1, 1))
"""Where each of the five channel groups reads in a 3x3 neighbourhood: right, left, below, above, itself."""


def channel_groups(channels: int, interleaved: bool) -> list[slice]:
    """The five groups: consecutive fifths (the last takes the remainder), or every fifth channel."""
    if interleaved:
        return [slice(g, None, 5) for g in range(5)]
    per_group = channels // 5
    return [slice(g * per_group, (g + 1) * per_group) for g in range(4)] + [slice(4 * per_group, None)]


def shift_mask(groups: list[slice], channels: int) -> Tensor:
    """The official depthwise (channels, 1, 3, 3) kernel with each group's tap set to one."""
    mask = torch.zeros(channels, 1, 3, 3)
    for picked, (row, col) in zip(groups, SHIFT_TAPS):
        mask[picked, 0, row, col] = 1.0
    return mask


def shift_pixels(x: Tensor, groups: list[slice], circular: bool) -> Tensor:
    """(B, C, H, W) -> (B, C, H, W), each group read one pixel away; zeros or wrap-around beyond the edge.

    Slices instead of the official depthwise convolution: the same numbers, several times faster on CPU.
    """
    out = torch.empty_like(x) if circular else torch.zeros_like(x)
    H, W = x.shape[-2:]
    for picked, (row, col) in zip(groups, SHIFT_TAPS):
        dy, dx = row - 1, col - 1
        if circular:
            out[:, picked] = torch.roll(x[:, picked], shifts=(-dy, -dx), dims=(2, 3))
        else:
            out[:, picked, max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)] = \
                x[:, picked, max(0, dy):H - max(0, -dy), max(0, dx):W - max(0, -dx)]
    return out


def _check_mask(module: ShiftConv1x1 | PixelMixer, _incompatible: object) -> None:
    """Masks are fixed by the architecture, never trained: a file with other masks is not EMT."""
    if not torch.equal(module.mask, shift_mask(module.shift_groups, module.mask.shape[0]).to(module.mask)):
        raise CheckpointError("this checkpoint's pixel-shift masks differ from EMT's fixed ones: it is not an EMT model")


class ShiftConv1x1(nn.Conv2d):
    """Official 'ShiftConv2d1x1': consecutive fifths of the channels shifted one pixel (zero padding),
    then a 1x1 convolution. `mask` is the official depthwise kernel, kept for strict loading."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 1)
        self.shift_groups = channel_groups(in_channels, interleaved=False)
        self.mask = nn.Parameter(shift_mask(self.shift_groups, in_channels), requires_grad=False)
        self.register_load_state_dict_post_hook(_check_mask)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(shift_pixels(x, self.shift_groups, circular=False), self.weight, self.bias)


class PixelMixer(nn.Module):
    """Official 'PixelMixer': every fifth channel shifted one pixel, wrapping around the picture's edges."""

    def __init__(self, planes: int) -> None:
        super().__init__()
        self.shift_groups = channel_groups(planes, interleaved=True)
        self.mask = nn.Parameter(shift_mask(self.shift_groups, planes), requires_grad=False)
        self.register_load_state_dict_post_hook(_check_mask)

    def forward(self, x: Tensor) -> Tensor:
        return shift_pixels(x, self.shift_groups, circular=True)


class TokenMixer(nn.Module):
    """Official 'TokenMixer': BatchNorm(PixelMixer(x) - x), in place on the shifted copy."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.token_mixer = PixelMixer(dim)
        self.norm = nn.BatchNorm2d(dim, eps=BN_EPS)

    def forward(self, x: Tensor) -> Tensor:
        factor, offset = _norm_affine(self.norm)
        return (self.token_mixer(x) - x).mul_(factor[:, None, None]).add_(offset[:, None, None])


class Stripes(SwitchableAttention):
    """Attention within one stripe shape (height, width), fixed by the architecture: pads the map by
    reflection to whole windows, rolls it by its shift (shifted layers), attends, rolls back."""

    def __init__(self, num_heads: int, window: tuple[int, int], shift: tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.window = window
        self.fixed_window = window
        self.shift = shift

    def forward(self, qv: Tensor) -> Tensor:
        """(B, 2 * heads * d, H, W) queries-and-values -> (B, heads * d, H, W)."""
        B, C2, H, W = qv.shape
        wh, ww = self.window
        shift = self.shift
        heads, d = self.num_heads, C2 // (2 * self.num_heads)
        qv = pad_reflect(qv, (0, (-W) % ww, 0, (-H) % wh))
        Hp, Wp = qv.shape[-2:]
        if shift != (0, 0):
            qv = torch.roll(qv, shifts=shift, dims=(2, 3))
        nh, nw = Hp // wh, Wp // ww
        tokens = qv.view(B, 2, heads, d, nh, wh, nw, ww).permute(1, 0, 4, 6, 2, 5, 7, 3)
        q, v = tokens.reshape(2, B * nh * nw, heads, wh * ww, d)  # each (B * nW, heads, N, d)
        out = self.attend(q, q, v, scale=1.0, window=self.window)
        out = out.view(B, nh, nw, heads, wh, ww, d).permute(0, 3, 6, 1, 4, 2, 5).reshape(B, heads * d, Hp, Wp)
        if shift != (0, 0):
            out = torch.roll(out, shifts=(-shift[0], -shift[1]), dims=(2, 3))
        return out[:, :, :H, :W]


class StripeAttention(nn.Module):
    """Official 'SWSA': q = k, v from a 1x1 convolution + BatchNorm; channels split between the window
    shapes, each attended by its own `Stripes` (what the model switch reaches; no weights of its own)."""

    def __init__(self, dim: int, num_heads: int, windows: tuple[tuple[int, int], ...],
                 shifts: tuple[tuple[int, int], ...] | None) -> None:
        super().__init__()
        shifts = shifts if shifts is not None else ((0, 0),) * len(windows)
        self.stripes = nn.ModuleList(Stripes(num_heads, window, shift) for window, shift in zip(windows, shifts))
        self.attn = nn.Sequential(nn.Conv2d(dim, dim * 2, 1), nn.BatchNorm2d(dim * 2, eps=BN_EPS))
        self.proj = nn.Sequential(nn.Conv2d(dim, dim, 1))

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        weight, bias = _folded(cast(nn.Conv2d, self.attn[0]), cast(nn.BatchNorm2d, self.attn[1]))
        qv = F.conv2d(x, weight, bias)  # (B, 2C, H, W)
        splits = qv.chunk(len(self.stripes), dim=1)
        return self.proj(torch.cat([stripes(part) for stripes, part in zip(self.stripes, splits)], dim=1))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = ShiftConv1x1(dim, hidden)
        self.fc2 = ShiftConv1x1(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.silu(self.fc1(x)))  # the official 'Swish'


class MixedTransformerBlock(nn.Module):
    """Official 'MixedTransformerBlock': attention in the first n_GTLs layers (every second one shifted),
    the Pixel Mixer in the rest, each followed by the shift-convolution MLP."""

    def __init__(self, c: EMTConfig) -> None:
        super().__init__()
        self.sa_list = nn.ModuleList(
            StripeAttention(c.dim, c.num_heads, c.window_list, c.shift_list if i % 2 == 1 else None)
            if i < c.n_GTLs else TokenMixer(c.dim)
            for i in range(c.n_layers)
        )
        self.mlp_list = nn.ModuleList(Mlp(c.dim, c.dim * c.mlp_ratio) for _ in range(c.n_layers))

    def forward(self, x: Tensor) -> Tensor:
        for mixer, mlp in zip(self.sa_list, self.mlp_list):
            x = x + mixer(x)
            x = x + mlp(x)
        return x


class EMT(nn.Module):
    """Lightweight super-resolution transformer; input and output in [0, 1], output `scale` times larger."""

    def __init__(self, config: EMTConfig = EMTConfig()) -> None:
        super().__init__()
        c = self.config = config
        self.scale = c.upscale
        self.in_channels = c.num_in_ch
        self.sub_mean = MeanShift(-1)
        self.add_mean = MeanShift(+1)
        self.head = nn.Conv2d(c.num_in_ch, c.dim, 3, padding=1)
        self.body = nn.Sequential(*(MixedTransformerBlock(c) for _ in range(c.n_blocks)))
        self.tail = nn.Sequential(nn.Conv2d(c.dim, c.num_out_ch * c.upscale**2, 3, padding=1),
                                  nn.PixelShuffle(c.upscale))

    def forward(self, image: Tensor) -> Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, 3, scale * H, scale * W), not clamped."""
        shallow = self.head(self.sub_mean(image * PIXEL_RANGE))
        return self.add_mean(self.tail(self.body(shallow) + shallow)) / PIXEL_RANGE
