"""DehazeFormer (Song et al., TIP 2023), written for Nystra.

Parameter and buffer names follow the official release so its checkpoints load strictly. The
window attention's relative-position bias is a small MLP over log-scaled offsets, so it can be
evaluated at any offset: larger inference windows and landmark-cell centres included.
Shifted blocks pad by reflection instead of masking, so this model needs no region labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..attention.module import PositionBiasAttention
from .windows import merge_windows, pad_reflect, split_windows


@dataclass(frozen=True)
class DehazeFormerConfig:
    embed_dims: tuple[int, ...] = (24, 48, 96, 48, 24)
    depths: tuple[int, ...] = (4, 4, 4, 2, 2)
    num_heads: tuple[int, ...] = (2, 4, 6, 1, 1)
    mlp_ratios: tuple[float, ...] = (2.0, 4.0, 4.0, 2.0, 2.0)
    attn_ratio: tuple[float, ...] = (0.0, 0.5, 1.0, 0.0, 0.0)
    conv_type: str = "DWConv"
    window_size: int = 8
    in_chans: int = 3
    out_chans: int = 4



_VARIANT_FIELDS: dict[str, dict] = {
    "t": {},
    "s": {"depths": (8, 8, 8, 4, 4), "attn_ratio": (0.25, 0.5, 0.75, 0.0, 0.0)},
    "b": {"depths": (16, 16, 16, 8, 8), "attn_ratio": (0.25, 0.5, 0.75, 0.0, 0.0)},
    "m": {"depths": (12, 12, 12, 6, 6), "attn_ratio": (0.25, 0.5, 0.75, 0.0, 0.0), "conv_type": "Conv"},
    "l": {
        "embed_dims": (48, 96, 192, 96, 48),
        "depths": (16, 16, 16, 12, 12),
        "attn_ratio": (0.25, 0.5, 0.75, 0.0, 0.0),
        "conv_type": "Conv",
    },
}
VARIANTS: dict[str, DehazeFormerConfig] = {k: DehazeFormerConfig(**v) for k, v in _VARIANT_FIELDS.items()}


class RescaleNorm(nn.Module):
    """Normalises over (C, H, W) and returns the statistics' learned re-embedding (official 'RLN')."""

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, dim, 1, 1))
        self.meta1 = nn.Conv2d(1, dim, 1)
        self.meta2 = nn.Conv2d(1, dim, 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = ((x - mean).pow(2).mean(dim=(1, 2, 3), keepdim=True) + self.eps).sqrt()
        normed = (x - mean) / std * self.weight + self.bias
        return normed, self.meta1(std), self.meta2(mean)


class PointwiseMlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Conv2d(dim, hidden, 1), nn.ReLU(True), nn.Conv2d(hidden, dim, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x)


class MetaBiasAttention(PositionBiasAttention):
    """Window attention whose position bias is an MLP over sign(d) * log(1 + |d|) offsets."""

    def __init__(self, dim: int, num_heads: int, window_size: int) -> None:
        super().__init__(window_size)
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        # Kept only so official checkpoints (which store it) load strictly; offsets are computed
        # for whatever window is in use.
        self.register_buffer("relative_positions", _log_offsets_grid(window_size))
        self.meta = nn.Sequential(nn.Linear(2, 256), nn.ReLU(True), nn.Linear(256, num_heads))

    def learned_bias(self, offsets: Tensor) -> Tensor:
        return self.meta(torch.sign(offsets) * torch.log1p(offsets.abs()))

    def forward(self, qkv: Tensor, window: int) -> Tensor:
        """qkv: (windows, N, 3 * dim) -> (windows, N, dim)."""
        B, N, _ = qkv.shape
        q, k, v = qkv.reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = self.attend(q, k, v, scale=self.head_dim**-0.5, window=(window, window), bias_fn=self.bias)
        return out.transpose(1, 2).reshape(B, N, -1)


def _log_offsets_grid(window: int) -> Tensor:
    ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], dim=-1).float()
    rel = pos[:, None, :] - pos[None, :, :]  # (N, N, 2)
    return torch.sign(rel) * torch.log1p(rel.abs())


class MixingLayer(nn.Module):
    """Token mixing of one block: a (depthwise) conv branch plus, in attention blocks, windows."""

    def __init__(self, dim: int, num_heads: int, window_size: int, shifted: bool, use_attn: bool, conv_type: str):
        super().__init__()
        self.use_attn = use_attn
        self.conv_type = conv_type
        self.trained_window = window_size
        self.window = window_size
        self.shifted = shifted
        if conv_type == "Conv":
            self.conv = nn.Sequential(
                nn.Conv2d(dim, dim, 3, padding=1, padding_mode="reflect"),
                nn.ReLU(True),
                nn.Conv2d(dim, dim, 3, padding=1, padding_mode="reflect"),
            )
        else:
            self.conv = nn.Conv2d(dim, dim, 5, padding=2, groups=dim, padding_mode="reflect")
        if conv_type == "DWConv" or use_attn:
            self.V = nn.Conv2d(dim, dim, 1)
            self.proj = nn.Conv2d(dim, dim, 1)
        if use_attn:
            self.QK = nn.Conv2d(dim, dim * 2, 1)
            self.attn = MetaBiasAttention(dim, num_heads, window_size)

    def set_window(self, window: int | None) -> None:
        self.window = self.trained_window if window is None else window

    def _windowed_attention(self, qkv: Tensor) -> Tensor:
        _, _, H, W = qkv.shape
        ws = self.window
        shift = ws // 2 if self.shifted else 0
        pad_h, pad_w = (-H) % ws, (-W) % ws
        if shift:
            pads = (shift, (ws - shift + pad_w) % ws, shift, (ws - shift + pad_h) % ws)
        else:
            pads = (0, pad_w, 0, pad_h)
        padded = pad_reflect(qkv, pads)
        Hp, Wp = padded.shape[2:]
        windows = split_windows(padded.permute(0, 2, 3, 1), ws)  # (B * nW, ws * ws, 3C)
        out = merge_windows(self.attn(windows, ws), ws, Hp, Wp)  # (B, Hp, Wp, C)
        return out[:, shift : shift + H, shift : shift + W].permute(0, 3, 1, 2)

    def forward(self, x: Tensor) -> Tensor:
        if not self.use_attn:
            return self.conv(x) if self.conv_type == "Conv" else self.proj(self.conv(self.V(x)))
        v = self.V(x)
        attn_out = self._windowed_attention(torch.cat([self.QK(x), v], dim=1))
        return self.proj(self.conv(v) + attn_out)


class DehazeBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, window_size: int, shifted: bool,
                 use_attn: bool, conv_type: str) -> None:
        super().__init__()
        self.use_attn = use_attn
        if use_attn:
            self.norm1 = RescaleNorm(dim)
        self.attn = MixingLayer(dim, num_heads, window_size, shifted, use_attn, conv_type)
        self.mlp = PointwiseMlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        if self.use_attn:
            normed, rescale, rebias = self.norm1(x)
            x = x + self.attn(normed) * rescale + rebias
        else:
            x = x + self.attn(x)
        return x + self.mlp(x)


class Stage(nn.Module):
    def __init__(self, dim: int, depth: int, num_heads: int, mlp_ratio: float, window_size: int,
                 attn_ratio: float, conv_type: str) -> None:
        super().__init__()
        first_attn = depth - attn_ratio * depth  # attention sits in the last blocks of a stage
        self.blocks = nn.ModuleList(
            DehazeBlock(dim, num_heads, mlp_ratio, window_size, i % 2 == 1, i >= first_attn, conv_type)
            for i in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class Downsample(nn.Module):
    """Official 'PatchEmbed': a strided conv (also the stem, with stride 1)."""

    def __init__(self, in_dim: int, out_dim: int, stride: int, kernel: int | None = None) -> None:
        super().__init__()
        kernel = stride if kernel is None else kernel
        self.proj = nn.Conv2d(in_dim, out_dim, kernel, stride=stride, padding=(kernel - stride + 1) // 2,
                              padding_mode="reflect")

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class Upsample(nn.Module):
    """Official 'PatchUnEmbed': conv then pixel shuffle."""

    def __init__(self, in_dim: int, out_dim: int, factor: int, kernel: int | None = None) -> None:
        super().__init__()
        kernel = 1 if kernel is None else kernel
        self.proj = nn.Sequential(
            nn.Conv2d(in_dim, out_dim * factor**2, kernel, padding=kernel // 2, padding_mode="reflect"),
            nn.PixelShuffle(factor),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class SelectiveFusion(nn.Module):
    """Channel-wise softmax choice between the decoder path and the skip connection (SK fusion)."""

    def __init__(self, dim: int, branches: int = 2, reduction: int = 8) -> None:
        super().__init__()
        self.branches = branches
        hidden = max(dim // reduction, 4)
        self.mlp = nn.Sequential(
            nn.Conv2d(dim, hidden, 1, bias=False), nn.ReLU(True), nn.Conv2d(hidden, dim * branches, 1, bias=False)
        )

    def forward(self, feats: list[Tensor]) -> Tensor:
        B, C, H, W = feats[0].shape
        stacked = torch.stack(feats, dim=1)  # (B, branches, C, H, W)
        weights = self.mlp(stacked.sum(dim=1).mean(dim=(2, 3), keepdim=True))
        weights = torch.softmax(weights.view(B, self.branches, C, 1, 1), dim=1)
        return (stacked * weights).sum(dim=1)


class DehazeFormer(nn.Module):
    """U-shaped dehazing transformer; input and output RGB in [0, 1]."""

    scale = 1
    in_channels = 3

    def __init__(self, config: DehazeFormerConfig = DehazeFormerConfig()) -> None:
        super().__init__()
        c = config
        dims = c.embed_dims

        def stage(i: int) -> Stage:
            return Stage(dims[i], c.depths[i], c.num_heads[i], c.mlp_ratios[i], c.window_size,
                         c.attn_ratio[i], c.conv_type)

        self.config = config
        self.patch_embed = Downsample(c.in_chans, dims[0], stride=1, kernel=3)
        self.layer1 = stage(0)
        self.patch_merge1 = Downsample(dims[0], dims[1], stride=2)
        self.skip1 = nn.Conv2d(dims[0], dims[0], 1)
        self.layer2 = stage(1)
        self.patch_merge2 = Downsample(dims[1], dims[2], stride=2)
        self.skip2 = nn.Conv2d(dims[1], dims[1], 1)
        self.layer3 = stage(2)
        self.patch_split1 = Upsample(dims[2], dims[3], factor=2)
        self.fusion1 = SelectiveFusion(dims[3])
        self.layer4 = stage(3)
        self.patch_split2 = Upsample(dims[3], dims[4], factor=2)
        self.fusion2 = SelectiveFusion(dims[4])
        self.layer5 = stage(4)
        self.patch_unembed = Upsample(dims[4], c.out_chans, factor=1, kernel=3)

    def official_test_padding(self, image: Tensor) -> tuple[Tensor, int, int]:
        """The official test script pads nothing itself: the model's own reflection to a multiple of
        4 (in `forward`, as the official `check_image_size`) is the whole of it."""
        return image, 0, 0

    def forward(self, image: Tensor) -> Tensor:
        H, W = image.shape[2:]
        x = image * 2 - 1
        x = pad_reflect(x, (0, (-W) % 4, 0, (-H) % 4))
        f1 = self.layer1(self.patch_embed(x))
        f2 = self.layer2(self.patch_merge1(f1))
        f = self.patch_split1(self.layer3(self.patch_merge2(f2)))
        f = self.layer4(self.fusion1([f, self.skip2(f2)]) + f)
        f = self.patch_split2(f)
        f = self.layer5(self.fusion2([f, self.skip1(f1)]) + f)
        gain, offset = self.patch_unembed(f).split((1, 3), dim=1)
        restored = gain * x - offset + x  # the atmospheric scattering model, learned per pixel
        return restored[:, :, :H, :W] * 0.5 + 0.5
