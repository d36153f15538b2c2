"""SwinIR (Liang et al., ICCVW 2021), written for Nystra.

Parameter and buffer names follow the official release (JingyunLiang/SwinIR) so its
checkpoints load strictly. Differences that matter at inference:
- the shifted-window regions are recomputed for whatever map and window are in use; the stored
  `attn_mask` buffers (tied to the training patch size) are kept only for strict loading;
- the relative-position bias is interpolated from the table (see table_attention), so the
  window can be changed at run time (`configure_attention`) and Nyström sees it at cell centres;
- the input is reflect-padded to a multiple of the current window and the output cropped back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .switch import windowed_layers
from .table_attention import TableBiasAttention
from .windows import pad_flip_past_multiple, pad_to_multiple, shift_regions, windowed

RGB_MEAN = (0.4488, 0.4371, 0.4040)  # DIV2K mean the official models subtract
UPSAMPLE_FEATURES = 64  # channels of the classical-SR reconstruction head


@dataclass(frozen=True)
class SwinIRConfig:
    """The official constructor arguments that the released checkpoints use."""

    upscale: int = 2
    in_chans: int = 3
    img_size: int = 64  # training patch size: fixes only the shape of the `attn_mask` buffers
    window_size: int = 8
    img_range: float = 1.0
    depths: tuple[int, ...] = (6, 6, 6, 6)
    embed_dim: int = 60
    num_heads: tuple[int, ...] = (6, 6, 6, 6)
    mlp_ratio: float = 2.0
    upsampler: str = ""  # "pixelshuffle", "pixelshuffledirect" or "" (denoising: no upsampling)
    resi_connection: str = "1conv"

    def __post_init__(self) -> None:
        if self.upsampler not in ("pixelshuffle", "pixelshuffledirect", ""):
            raise ValueError(f"unsupported SwinIR upsampler {self.upsampler!r}")
        if self.resi_connection != "1conv":
            raise ValueError(f"unsupported SwinIR resi_connection {self.resi_connection!r}: only '1conv'")
        if self.img_size <= self.window_size:
            raise ValueError(f"img_size {self.img_size} must exceed window_size {self.window_size}")
        if self.upsampler and self.upscale & (self.upscale - 1) and self.upscale != 3:
            raise ValueError(f"SwinIR upscale must be a power of 2 or 3, got {self.upscale}")



class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(TableBiasAttention):
    def __init__(self, dim: int, num_heads: int, window_size: int) -> None:
        super().__init__(num_heads, window_size)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, window: int, regions: Tensor | None) -> Tensor:
        """x: (B_, N, C) windows -> (B_, N, C)."""
        B_, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        return self.proj(self.attend_windows(q, k, v, window, regions))


class SwinBlock(nn.Module):
    """Official 'SwinTransformerBlock' on a (B, H, W, C) map; odd blocks shift by half a window."""

    def __init__(self, dim: int, num_heads: int, window_size: int, shifted: bool, mlp_ratio: float,
                 img_size: int) -> None:
        super().__init__()
        self.trained_window = window_size
        self.window = window_size
        self.shifted = shifted
        if shifted:
            labels = shift_regions(img_size, img_size, window_size, window_size // 2)
            mask = torch.zeros(labels.shape[0], labels.shape[1], labels.shape[1])
            self.register_buffer("attn_mask", mask.masked_fill_(labels[:, :, None] != labels[:, None, :], -100.0))
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, num_heads, window_size)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def set_window(self, window: int | None) -> None:
        self.window = self.trained_window if window is None else window

    def forward(self, x: Tensor) -> Tensor:
        shift = self.window // 2 if self.shifted else 0
        x = x + windowed(self.norm1(x), self.window, shift, lambda w, regions: self.attn(w, self.window, regions))
        return x + self.mlp(self.norm2(x))


class ResidualGroup(nn.Module):
    """Official 'BasicLayer': a sequence of Swin blocks."""

    def __init__(self, c: SwinIRConfig, depth: int, num_heads: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock(c.embed_dim, num_heads, c.window_size, i % 2 == 1, c.mlp_ratio, c.img_size) for i in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class RSTB(nn.Module):
    """Residual Swin Transformer Block: Swin blocks, a 3x3 conv, and a skip over both."""

    def __init__(self, c: SwinIRConfig, depth: int, num_heads: int) -> None:
        super().__init__()
        self.residual_group = ResidualGroup(c, depth, num_heads)
        self.conv = nn.Conv2d(c.embed_dim, c.embed_dim, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, H, W, C) tokens."""
        y = self.residual_group(x).permute(0, 3, 1, 2)
        return self.conv(y).permute(0, 2, 3, 1) + x


class PatchNorm(nn.Module):
    """Official 'PatchEmbed' with patch size 1: only a LayerNorm over the tokens."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x)


def _upsampler(scale: int, features: int) -> nn.Sequential:
    """Official 'Upsample': conv + pixel shuffle by 2, log2(scale) times, or once by 3."""
    steps = [3] if scale == 3 else [2] * int(math.log2(scale))
    layers: list[nn.Module] = []
    for factor in steps:
        layers += [nn.Conv2d(features, features * factor**2, 3, padding=1), nn.PixelShuffle(factor)]
    return nn.Sequential(*layers)


class SwinIR(nn.Module):
    """Super-resolution or denoising transformer; input and output in [0, 1], output `scale` times larger."""

    def __init__(self, config: SwinIRConfig = SwinIRConfig()) -> None:
        super().__init__()
        c = self.config = config
        self.scale = c.upscale if c.upsampler else 1
        self.in_channels = c.in_chans
        mean = torch.tensor(RGB_MEAN) if c.in_chans == 3 else torch.zeros(c.in_chans)
        self.register_buffer("mean", mean.view(1, -1, 1, 1), persistent=False)  # not in official state dicts
        self.conv_first = nn.Conv2d(c.in_chans, c.embed_dim, 3, padding=1)
        self.patch_embed = PatchNorm(c.embed_dim)
        self.layers = nn.ModuleList(RSTB(c, d, h) for d, h in zip(c.depths, c.num_heads))
        self.norm = nn.LayerNorm(c.embed_dim)
        self.conv_after_body = nn.Conv2d(c.embed_dim, c.embed_dim, 3, padding=1)
        if c.upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(
                nn.Conv2d(c.embed_dim, UPSAMPLE_FEATURES, 3, padding=1), nn.LeakyReLU(inplace=True)
            )
            self.upsample = _upsampler(c.upscale, UPSAMPLE_FEATURES)
            self.conv_last = nn.Conv2d(UPSAMPLE_FEATURES, c.in_chans, 3, padding=1)
        elif c.upsampler == "pixelshuffledirect":
            self.upsample = nn.Sequential(
                nn.Conv2d(c.embed_dim, c.upscale**2 * c.in_chans, 3, padding=1), nn.PixelShuffle(c.upscale)
            )
        else:
            self.conv_last = nn.Conv2d(c.embed_dim, c.in_chans, 3, padding=1)

    def input_multiple(self) -> int:
        """What height and width the padded input must be multiples of: the current window."""
        return max(layer.window for layer in windowed_layers(self))

    def official_test_padding(self, image: Tensor) -> tuple[Tensor, int, int]:
        """The input as main_test_swinir.py pads it (mirrored past the next multiple of the trained
        window), and where the picture sits in it (top, left)."""
        return pad_flip_past_multiple(image, self.config.window_size), 0, 0

    def _deep_features(self, x: Tensor) -> Tensor:
        """(B, C, H, W) shallow features -> deep features plus the long skip, same shape."""
        tokens = self.patch_embed(x.permute(0, 2, 3, 1))
        for layer in self.layers:
            tokens = layer(tokens)
        return self.conv_after_body(self.norm(tokens).permute(0, 3, 1, 2)) + x

    def forward(self, image: Tensor) -> Tensor:
        H, W = image.shape[2:]
        c = self.config
        x = (pad_to_multiple(image, self.input_multiple()) - self.mean) * c.img_range
        if c.upsampler == "pixelshuffle":
            out = self.conv_last(self.upsample(self.conv_before_upsample(self._deep_features(self.conv_first(x)))))
        elif c.upsampler == "pixelshuffledirect":
            out = self.upsample(self._deep_features(self.conv_first(x)))
        else:
            out = x + self.conv_last(self._deep_features(self.conv_first(x)))
        out = out / c.img_range + self.mean
        return out[:, :, : H * self.scale, : W * self.scale]
