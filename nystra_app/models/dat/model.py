"""DAT, the Dual Aggregation Transformer (Chen et al., ICCV 2023), written for Nystra.

Parameter names follow the official release (zhengchen1999/DAT) so its checkpoints load strictly.
Blocks alternate between spatial attention, in rectangle windows (split_size, e.g. 8x32 on half
the channels and 32x8 on the other half) with a dynamic position bias (a small MLP over relative
offsets) and Swin-style shifted windows in some blocks, and channel attention (a d x d attention
over the whole picture per head). Only the spatial attention is switchable: it is windowed, while
channel attention is already linear in the number of pixels.

Differences from the official code that do not change the output: the position bias is evaluated
once per weights and window and kept (official: its MLP runs on every call); the shifted-window
regions are recomputed for whatever map is in use, and the offset grid, index and mask buffers the
official files carry are derived, not held (see DerivedBuffers).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...attention import SwitchableAttention, WindowGeometry
from ..checkpoint import DerivedBuffers
from ..swinir.model import RGB_MEAN, _upsampler
from ..windows import merge_windows, shift_regions, split_windows

UPSAMPLE_FEATURES = 64  # channels of the classical-SR reconstruction head ('pixelshuffle')
MASKED = -100.0  # the official shifted-window mask value (as stored in its files)


@dataclass(frozen=True)
class DATConfig:
    """The official constructor arguments the released checkpoints use (options/Test/*.yml)."""

    upscale: int = 2
    in_chans: int = 3
    img_size: int = 64  # training patch size: fixes only the official mask buffers
    img_range: float = 1.0
    split_size: tuple[int, int] = (8, 32)
    depth: tuple[int, ...] = (18,)
    embed_dim: int = 60
    num_heads: tuple[int, ...] = (6,)
    expansion_factor: float = 2.0
    qkv_bias: bool = True
    resi_connection: str = "3conv"
    upsampler: str = "pixelshuffledirect"

    def __post_init__(self) -> None:
        if self.upsampler not in ("pixelshuffle", "pixelshuffledirect"):
            raise ValueError(f"unsupported DAT upsampler {self.upsampler!r}")
        if self.resi_connection not in ("1conv", "3conv"):
            raise ValueError(f"unsupported DAT resi_connection {self.resi_connection!r}")
        if len(self.depth) != len(self.num_heads):
            raise ValueError("DAT needs one head count per residual group")
        if any(h % 2 for h in self.num_heads):
            raise ValueError("DAT splits the heads between its two window shapes: head counts must be even")


_LARGE: dict[str, Any] = {"depth": (6,) * 6, "num_heads": (6,) * 6, "embed_dim": 180, "resi_connection": "1conv",
          "upsampler": "pixelshuffle"}
VARIANTS: dict[str, DATConfig] = {
    "light": DATConfig(),
    "s": DATConfig(split_size=(8, 16), expansion_factor=2.0, **_LARGE),
    "dat": DATConfig(split_size=(8, 32), expansion_factor=4.0, **_LARGE),
    "2": DATConfig(split_size=(8, 32), expansion_factor=2.0, **_LARGE),
}


def config_for(data: dict[str, Any]) -> DATConfig:
    """A registry config: an official variant with overrides (e.g. the scale), or every field."""
    data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    base = VARIANTS[data.pop("variant")] if "variant" in data else DATConfig()
    known = {f.name for f in dataclasses.fields(DATConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown DATConfig keys {unknown}")
    return dataclasses.replace(base, **data)


def _is_shifted(group: int, block: int) -> bool:
    """Which spatial blocks shift their windows (official rule: even groups from block 2 every 4th,
    odd groups from block 0 every 4th)."""
    return (group % 2 == 0 and block > 0 and (block - 2) % 4 == 0) or (group % 2 == 1 and block % 4 == 0)


class DynamicPosBias(nn.Module):
    """Official 'DynamicPosBias' (non-residual form): an MLP from a (row, column) offset to a bias per head."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        hidden = dim // 4
        self.pos_proj = nn.Linear(2, hidden)
        self.pos1 = nn.Sequential(nn.LayerNorm(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, hidden))
        self.pos2 = nn.Sequential(nn.LayerNorm(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, hidden))
        self.pos3 = nn.Sequential(nn.LayerNorm(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, num_heads))

    def forward(self, offsets: Tensor) -> Tensor:
        return self.pos3(self.pos2(self.pos1(self.pos_proj(offsets))))


class SpatialAttention(SwitchableAttention, DerivedBuffers):
    """One window shape of the spatial attention (official 'Spatial_Attention').

    The bias is the MLP at (query - key) offsets in tokens, so Nyström can evaluate it at landmark
    cell centres too.
    """

    def __init__(self, dim: int, num_heads: int, window: tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.window = window
        self.fixed_window = window
        self.scale = (dim // num_heads) ** -0.5
        self.pos = DynamicPosBias(dim // 4, num_heads)

    def bias(self, offsets: Tensor) -> Tensor:
        return self.pos(offsets)

    def derived_buffers(self) -> dict[str, Tensor]:
        h, w = self.window
        dy, dx = torch.meshgrid(torch.arange(1 - h, h), torch.arange(1 - w, w), indexing="ij")
        pos = WindowGeometry(h, w).token_positions().long()
        rel = pos[:, None, :] - pos[None, :, :]
        index = (rel[..., 0] + h - 1) * (2 * w - 1) + rel[..., 1] + w - 1
        return {"rpe_biases": torch.stack([dy.flatten(), dx.flatten()], dim=-1).float(),
                "relative_position_index": index}

    def forward(self, qkv: Tensor, regions: Tensor | None) -> Tensor:
        """qkv: (3, B, Hp, Wp, C) map whose sides are multiples of the window -> (B, Hp, Wp, C)."""
        _, B, Hp, Wp, C = qkv.shape
        window = self.window
        windows = split_windows(qkv.reshape(3 * B, Hp, Wp, C), window)  # (3 * B * nW, N, C)
        N = windows.shape[1]
        q, k, v = windows.reshape(3, -1, N, self.num_heads, C // self.num_heads).transpose(2, 3)
        out = self.attend(q, k, v, scale=self.scale, window=window, bias_fn=self.bias, regions=regions)
        return merge_windows(out.transpose(1, 2).reshape(-1, N, C), window, Hp, Wp)


class AdaptiveInteraction(nn.Module):
    """The official Adaptive Interaction Module's layers, shared by both attention kinds: a
    depthwise-conv branch on V, and the channel and spatial gates that mix it with attention."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.dwconv = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim), nn.BatchNorm2d(dim), nn.GELU())
        self.channel_interaction = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(dim, dim // 8, 1), nn.BatchNorm2d(dim // 8), nn.GELU(),
            nn.Conv2d(dim // 8, dim, 1),
        )
        self.spatial_interaction = nn.Sequential(
            nn.Conv2d(dim, dim // 16, 1), nn.BatchNorm2d(dim // 16), nn.GELU(), nn.Conv2d(dim // 16, 1, 1)
        )

    def interact(self, attended: Tensor, conv: Tensor, conv_gates_channels: bool) -> Tensor:
        """attended (B, L, C) and conv (B, C, H, W) -> proj of their gated sum (B, L, C).

        Spatial attention gates its channels from the conv branch and the conv branch's pixels from
        itself (`conv_gates_channels`); channel attention the other way round.
        """
        B, L, C = attended.shape
        H, W = conv.shape[2:]
        attended_map = attended.transpose(1, 2).reshape(B, C, H, W)
        if conv_gates_channels:
            channel_gate = self.channel_interaction(conv).reshape(B, 1, C)
            attended = attended * torch.sigmoid(channel_gate)
            conv = torch.sigmoid(self.spatial_interaction(attended_map)) * conv
        else:
            attended = attended * torch.sigmoid(self.spatial_interaction(conv).reshape(B, L, 1))
            conv = conv * torch.sigmoid(self.channel_interaction(attended_map))
        return self.proj(attended + conv.flatten(2).transpose(1, 2))


class AdaptiveSpatialAttention(AdaptiveInteraction, DerivedBuffers):
    """Official 'Adaptive_Spatial_Attention': half the channels in split_size windows, half in the
    transposed windows; shifted blocks roll the map by half a window first and mask across the seam."""

    def __init__(self, dim: int, num_heads: int, split_size: tuple[int, int], shifted: bool, img_size: int,
                 qkv_bias: bool) -> None:
        super().__init__(dim)
        h, w = split_size
        self.windows = ((h, w), (w, h))
        self.shifted = shifted
        self.img_size = img_size
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attns = nn.ModuleList(SpatialAttention(dim // 2, num_heads // 2, window) for window in self.windows)

    def _shifts(self) -> list[tuple[int, int]]:
        return [(wh // 2, ww // 2) for wh, ww in self.windows] if self.shifted else [(0, 0), (0, 0)]

    def derived_buffers(self) -> dict[str, Tensor]:
        if not self.shifted:
            return {}
        masks = {}
        for i, (window, shift) in enumerate(zip(self.windows, self._shifts())):
            labels = shift_regions(self.img_size, self.img_size, window, shift)
            differ = labels[:, :, None] != labels[:, None, :]
            masks[f"attn_mask_{i}"] = torch.zeros(differ.shape).masked_fill_(differ, MASKED)
        return masks

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        """x: (B, H * W, C) tokens -> (B, H * W, C)."""
        B, L, C = x.shape
        qkv = self.qkv(x).reshape(B, H, W, 3, C).permute(3, 0, 1, 2, 4)  # (3, B, H, W, C)
        conv = self.dwconv(qkv[2].permute(0, 3, 1, 2))
        # Zero-padded after the projection, as officially: padding tokens have q = k = v = 0.
        side = max(max(window) for window in self.windows)
        qkv = F.pad(qkv, (0, 0, 0, (-W) % side, 0, (-H) % side))
        Hp, Wp = qkv.shape[2:4]
        halves = []
        for attn, window, half, (sh, sw) in zip(self.attns, self.windows, qkv.chunk(2, dim=-1), self._shifts()):
            regions = None
            if sh or sw:
                half = torch.roll(half, shifts=(-sh, -sw), dims=(2, 3))
                regions = shift_regions(Hp, Wp, window, (sh, sw), x.device)
            out = attn(half, regions)
            if sh or sw:
                out = torch.roll(out, shifts=(sh, sw), dims=(1, 2))
            halves.append(out[:, :H, :W])
        attended = torch.cat(halves, dim=-1).reshape(B, L, C)
        return self.interact(attended, conv, conv_gates_channels=True)


class AdaptiveChannelAttention(AdaptiveInteraction):
    """Official 'Adaptive_Channel_Attention': per head, a (d x d) attention between channels over all
    pixels (cosine similarity with a learned temperature). Always exact: its cost is linear in pixels."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool) -> None:
        super().__init__(dim)
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        B, L, C = x.shape
        q, k, v = self.qkv(x).reshape(B, L, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 4, 1)
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)  # (B, heads, d, L)
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.temperature, dim=-1)
        attended = (attn @ v).permute(0, 3, 1, 2).reshape(B, L, C)
        conv = self.dwconv(v.reshape(B, C, H, W))
        return self.interact(attended, conv, conv_gates_channels=False)


class SpatialGate(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        x1, x2 = x.chunk(2, dim=-1)
        B, L, C = x2.shape
        gate = self.conv(self.norm(x2).transpose(1, 2).reshape(B, C, H, W))
        return x1 * gate.flatten(2).transpose(1, 2)


class SpatialGateFFN(nn.Module):
    """Official 'SGFN': fc, GELU, half the channels gated by a depthwise conv of the other half, fc."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.sg = SpatialGate(hidden // 2)
        self.fc2 = nn.Linear(hidden // 2, dim)

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        return self.fc2(self.sg(self.act(self.fc1(x)), H, W))


class DATBlock(nn.Module):
    """Official 'DATB': even blocks spatial attention, odd blocks channel attention, then the SGFN."""

    def __init__(self, c: DATConfig, num_heads: int, group: int, index: int) -> None:
        super().__init__()
        dim = c.embed_dim
        self.norm1 = nn.LayerNorm(dim)
        if index % 2 == 0:
            self.attn: nn.Module = AdaptiveSpatialAttention(dim, num_heads, c.split_size, _is_shifted(group, index),
                                                            c.img_size, c.qkv_bias)
        else:
            self.attn = AdaptiveChannelAttention(dim, num_heads, c.qkv_bias)
        self.ffn = SpatialGateFFN(dim, int(dim * c.expansion_factor))
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        x = x + self.attn(self.norm1(x), H, W)
        return x + self.ffn(self.norm2(x), H, W)


def _residual_conv(dim: int, kind: str) -> nn.Module:
    if kind == "1conv":
        return nn.Conv2d(dim, dim, 3, padding=1)
    return nn.Sequential(
        nn.Conv2d(dim, dim // 4, 3, padding=1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(dim // 4, dim // 4, 1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(dim // 4, dim, 3, padding=1),
    )


class ResidualGroup(nn.Module):
    def __init__(self, c: DATConfig, depth: int, num_heads: int, group: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(DATBlock(c, num_heads, group, i) for i in range(depth))
        self.conv = _residual_conv(c.embed_dim, c.resi_connection)

    def forward(self, x: Tensor, H: int, W: int) -> Tensor:
        res = x
        for block in self.blocks:
            x = block(x, H, W)
        B, L, C = x.shape
        x = self.conv(x.transpose(1, 2).reshape(B, C, H, W))
        return res + x.flatten(2).transpose(1, 2)


class _Tokens(nn.Module):
    """(B, C, H, W) -> (B, H * W, C); a placeholder at the official 'before_RG.0' (einops Rearrange)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(2).transpose(1, 2)


class DAT(nn.Module):
    """Super-resolution transformer; input and output RGB in [0, 1], output `scale` times larger."""

    mean: Tensor  # a buffer

    def __init__(self, config: DATConfig = DATConfig()) -> None:
        super().__init__()
        c = self.config = config
        self.scale = c.upscale
        self.in_channels = c.in_chans
        mean = torch.tensor(RGB_MEAN) if c.in_chans == 3 else torch.zeros(c.in_chans)
        self.register_buffer("mean", mean.view(1, -1, 1, 1), persistent=False)  # not in official state dicts
        dim = c.embed_dim
        self.conv_first = nn.Conv2d(c.in_chans, dim, 3, padding=1)
        self.before_RG = nn.Sequential(_Tokens(), nn.LayerNorm(dim))
        self.layers = nn.ModuleList(ResidualGroup(c, d, h, i) for i, (d, h) in enumerate(zip(c.depth, c.num_heads)))
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = _residual_conv(dim, c.resi_connection)
        if c.upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, UPSAMPLE_FEATURES, 3, padding=1),
                                                      nn.LeakyReLU(inplace=True))
            self.upsample = _upsampler(c.upscale, UPSAMPLE_FEATURES)
            self.conv_last = nn.Conv2d(UPSAMPLE_FEATURES, c.in_chans, 3, padding=1)
        else:
            self.upsample = nn.Sequential(nn.Conv2d(dim, c.upscale**2 * c.in_chans, 3, padding=1),
                                          nn.PixelShuffle(c.upscale))

    def _deep_features(self, x: Tensor) -> Tensor:
        B, C, H, W = x.shape
        tokens = self.before_RG(x)
        for layer in self.layers:
            tokens = layer(tokens, H, W)
        return self.conv_after_body(self.norm(tokens).transpose(1, 2).reshape(B, C, H, W)) + x

    def forward(self, image: Tensor) -> Tensor:
        c = self.config
        x = self._deep_features(self.conv_first((image - self.mean) * c.img_range))
        if c.upsampler == "pixelshuffle":
            out = self.conv_last(self.upsample(self.conv_before_upsample(x)))
        else:
            out = self.upsample(x)
        return out / c.img_range + self.mean
