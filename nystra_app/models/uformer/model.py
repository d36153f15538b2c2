"""Uformer (Wang et al., CVPR 2022), written for Nystra.

Parameter and buffer names follow the official release (ZhendongWang6/Uformer, model.py) so
its checkpoints load strictly. The released models use shifted windows (shift_flag defaults to
True) with the mask computed on the fly, and a `modulator` (a learned per-position embedding
added to every window before attention) in the decoder layers only.

Inference windows and padding:
- the input is reflect-padded to a multiple of 16 x the trained window (the official test
  scripts' factor of 128 for window 8), so every level's map is a multiple of the trained window;
- which blocks shift is fixed when the model is built, from `img_size`, as the official
  constructor fixes it: a level whose map at `img_size` (img_size / 2^level) is no larger than
  the window never shifts, whatever the input size. The official test scripts build with
  `img_size` = 128, so the bottleneck (128 / 16 = 8 = the window) never shifts, even on the
  256-pixel and larger pictures they evaluate;
- at run time a level whose map is smaller than the (possibly enlarged) window uses one window
  of that side and no shift; that keeps a larger inference window from padding the deep levels
  (a 128-pixel input would otherwise grow to 512 for window 32). A map of exactly one window
  still shifts where the block was built to, as the official code does (a model built with
  img_size 256 shifts its 8 x 8 bottleneck on a 128-pixel input);
- the modulator, learned for the trained window, is tiled over a larger window: each token gets
  the embedding of its position modulo the trained window, as it would in a trained-size window.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..table_attention import TableBiasAttention
from ..windows import pad_to_multiple, windowed

DOWNSAMPLINGS = 4


@dataclass(frozen=True)
class UformerConfig:
    """The official constructor arguments that the released checkpoints use."""

    img_size: int = 128  # decides which levels shift (see the module docstring); no parameter depends on it
    embed_dim: int = 32
    win_size: int = 8
    token_projection: str = "linear"
    token_mlp: str = "leff"
    depths: tuple[int, ...] = (2, 2, 2, 2, 2, 2, 2, 2, 2)
    num_heads: tuple[int, ...] = (1, 2, 4, 8, 16, 16, 8, 4, 2)
    modulator: bool = False
    dd_in: int = 3
    in_chans: int = 3
    mlp_ratio: float = 4.0
    shift_flag: bool = True

    def __post_init__(self) -> None:
        if self.token_projection != "linear" or self.token_mlp != "leff":
            raise ValueError("only token_projection='linear' and token_mlp='leff' (the released models) are supported")
        if len(self.depths) != 2 * DOWNSAMPLINGS + 1 or len(self.num_heads) != len(self.depths):
            raise ValueError(f"Uformer needs {2 * DOWNSAMPLINGS + 1} depths and num_heads")
        if self.img_size < self.win_size * 2**DOWNSAMPLINGS:
            # The official code then shrinks the deepest windows and their bias tables, which no
            # released checkpoint has.
            raise ValueError(f"Uformer img_size {self.img_size} must be at least {self.win_size * 2**DOWNSAMPLINGS}"
                             f" (16 x win_size)")

    def shifts_at(self, level: int) -> bool:
        """Whether the odd blocks of a level (0 = full size, 4 = bottleneck) shift: the official
        constructor's rule, decided from the map side at `img_size`."""
        return self.shift_flag and self.img_size // 2**level > self.win_size



def _channels_first(fn: nn.Module, x: Tensor) -> Tensor:
    """Apply a conv module to a (B, H, W, C) map."""
    return fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class LinearProjection(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.to_q = nn.Linear(dim, dim)
        self.to_kv = nn.Linear(dim, dim * 2)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(B_, N, C) -> q, k, v of shape (B_, heads, N, C / heads)."""
        B_, N, _ = x.shape
        q = self.to_q(x).reshape(B_, N, self.num_heads, -1).transpose(1, 2)
        k, v = self.to_kv(x).reshape(B_, N, 2, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        return q, k, v


class WindowAttention(TableBiasAttention):
    def __init__(self, dim: int, num_heads: int, window_size: int) -> None:
        super().__init__(num_heads, window_size)
        self.qkv = LinearProjection(dim, num_heads)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, window: int, regions: Tensor | None) -> Tensor:
        """x: (B_, N, C) windows -> (B_, N, C)."""
        q, k, v = self.qkv(x)
        return self.proj(self.attend_windows(q, k, v, window, regions))


class LeFF(nn.Module):
    """Locally-enhanced feed-forward: linear, 3x3 depthwise conv, linear."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.linear1 = nn.Sequential(nn.Linear(dim, hidden), nn.GELU())
        self.dwconv = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden), nn.GELU())
        self.linear2 = nn.Sequential(nn.Linear(hidden, dim))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(_channels_first(self.dwconv, self.linear1(x)))


class LeWinBlock(nn.Module):
    """Official 'LeWinTransformerBlock' on a (B, H, W, C) map."""

    def __init__(self, dim: int, num_heads: int, c: UformerConfig, shifted: bool, modulator: bool) -> None:
        super().__init__()
        self.trained_window = c.win_size
        self.window = c.win_size
        self.shifted = shifted
        self.modulator = nn.Embedding(c.win_size**2, dim) if modulator else None
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, num_heads, c.win_size)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = LeFF(dim, int(dim * c.mlp_ratio))

    def set_window(self, window: int | None) -> None:
        self.window = self.trained_window if window is None else window

    def _modulate(self, windows: Tensor, window: int) -> Tensor:
        """Add the modulator to (B_, N, C) windows, tiled by position modulo the trained window."""
        if self.modulator is None:
            return windows
        pos = torch.arange(window, device=windows.device) % self.trained_window
        index = (pos[:, None] * self.trained_window + pos[None, :]).flatten()
        return windows + self.modulator.weight[index]

    def forward(self, x: Tensor) -> Tensor:
        side = min(x.shape[1], x.shape[2])
        fits = side >= self.window  # a map smaller than the window is one window, never shifted
        window = self.window if fits else side
        shift = window // 2 if self.shifted and fits else 0

        def attend(windows: Tensor, regions: Tensor | None) -> Tensor:
            return self.attn(self._modulate(windows, window), window, regions)

        x = x + windowed(self.norm1(x), window, shift, attend)
        return x + self.mlp(self.norm2(x))


class UformerLayer(nn.Module):
    """Official 'BasicUformerLayer'."""

    def __init__(self, dim: int, depth: int, num_heads: int, c: UformerConfig, level: int, modulator: bool) -> None:
        super().__init__()
        shifts = c.shifts_at(level)
        self.blocks = nn.ModuleList(
            LeWinBlock(dim, num_heads, c, shifts and i % 2 == 1, modulator) for i in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class ConvStep(nn.Module):
    """Official 'Downsample' (4x4 stride-2 conv), 'Upsample' (2x2 stride-2 transposed conv) and
    'InputProj'/'OutputProj' (3x3 conv), on (B, H, W, C) maps; `name` is the official attribute."""

    def __init__(self, name: str, *layers: nn.Module) -> None:
        super().__init__()
        self.add_module(name, nn.Sequential(*layers))
        self.name = name

    def forward(self, x: Tensor) -> Tensor:
        return _channels_first(getattr(self, self.name), x)


class Uformer(nn.Module):
    """U-shaped LeWin transformer for denoising and deblurring; input and output RGB in [0, 1]."""

    scale = 1

    def __init__(self, config: UformerConfig = UformerConfig()) -> None:
        super().__init__()
        c = self.config = config
        self.in_channels = c.in_chans
        dim, depths, heads = c.embed_dim, c.depths, c.num_heads
        enc_dims = [dim * 2**i for i in range(DOWNSAMPLINGS + 1)]  # the bottleneck is the last
        dec_dims = [dim * 2 ** (DOWNSAMPLINGS + 1 - i) for i in range(1, DOWNSAMPLINGS + 1)]  # 16C, 8C, 4C, 2C
        self.input_proj = ConvStep("proj", nn.Conv2d(c.dd_in, dim, 3, padding=1), nn.LeakyReLU(inplace=True))
        self.output_proj = ConvStep("proj", nn.Conv2d(2 * dim, c.in_chans, 3, padding=1))
        for i in range(DOWNSAMPLINGS):
            self.add_module(f"encoderlayer_{i}", UformerLayer(enc_dims[i], depths[i], heads[i], c, i, False))
            self.add_module(f"dowsample_{i}", ConvStep("conv", nn.Conv2d(enc_dims[i], enc_dims[i + 1], 4, 2, 1)))
        self.conv = UformerLayer(enc_dims[-1], depths[DOWNSAMPLINGS], heads[DOWNSAMPLINGS], c, DOWNSAMPLINGS, False)
        up_in = [enc_dims[-1]] + dec_dims[:-1]
        for i in range(DOWNSAMPLINGS):
            j = DOWNSAMPLINGS + 1 + i
            self.add_module(f"upsample_{i}", ConvStep("deconv", nn.ConvTranspose2d(up_in[i], dec_dims[i] // 2, 2, 2)))
            level = DOWNSAMPLINGS - 1 - i
            self.add_module(f"decoderlayer_{i}", UformerLayer(dec_dims[i], depths[j], heads[j], c, level, c.modulator))

    def input_multiple(self) -> int:
        """What height and width the padded input must be multiples of (see the module docstring)."""
        return self.config.win_size * 2**DOWNSAMPLINGS

    def forward(self, image: Tensor) -> Tensor:
        H, W = image.shape[2:]
        x = pad_to_multiple(image, self.input_multiple())
        y = self.input_proj(x.permute(0, 2, 3, 1))
        skips = []
        for i in range(DOWNSAMPLINGS):
            y = getattr(self, f"encoderlayer_{i}")(y)
            skips.append(y)
            y = getattr(self, f"dowsample_{i}")(y)
        y = self.conv(y)
        for i in range(DOWNSAMPLINGS):
            y = torch.cat([getattr(self, f"upsample_{i}")(y), skips.pop()], dim=-1)
            y = getattr(self, f"decoderlayer_{i}")(y)
        out = self.output_proj(y).permute(0, 3, 1, 2)
        if self.config.dd_in == 3:
            out = x + out
        return out[:, :, :H, :W]
