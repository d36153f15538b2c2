"""Each architecture against an independent, dense reference of the official computation.

Every window-attention block of our model is replaced by a plain transcription of what the
official block does — roll, partition, an explicit (nW, N, N) shift mask of -100 built by the
official slicing, the bias gathered from the table by the official index (or DehazeFormer's MLP
on its log offsets), softmax, merge, roll back — with the window and shift the official
constructor would fix. The convolutions and MLPs around the blocks are shared. Our model, run
unchanged, must give the same output at 128 and 256 px: a Uformer keeps the shifts its img_size
gave it at any input size (unshifted bottleneck at 256 px for img_size 128 and 4 x win_size;
a shifted single-window bottleneck at 128 px for img_size 256).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MethodType

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nystra_app.models.dehazeformer.model import DehazeFormer, DehazeFormerConfig, MixingLayer
from nystra_app.models.swinir.model import SwinBlock, SwinIR, SwinIRConfig
from nystra_app.models.uformer.model import LeWinBlock, Uformer, UformerConfig

SIZES = (128, 256)


def partition(x: Tensor, ws: int) -> Tensor:
    """(B, H, W, C) -> (B * nW, ws * ws, C), windows row-major within each picture."""
    B, H, W, C = x.shape
    return x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)


def reverse(windows: Tensor, ws: int, H: int, W: int) -> Tensor:
    C = windows.shape[-1]
    return windows.view(-1, H // ws, W // ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, H, W, C)


def shift_mask(H: int, W: int, ws: int, shift: int) -> Tensor:
    """(nW, N, N): 0 within a region of the rolled map, -100 across, from the official slices."""
    labels = torch.zeros(1, H, W, 1, dtype=torch.float64)
    cnt = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            labels[:, hs, wsl, :] = cnt
            cnt += 1
    flat = partition(labels, ws).squeeze(-1)
    diff = flat[:, None, :] - flat[:, :, None]
    return torch.where(diff != 0, -100.0, 0.0)


def token_offsets(ws: int) -> Tensor:
    """(N, N, 2) query minus key position, row-major tokens."""
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)  # (2, N)
    return (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)


def table_bias(table: Tensor, ws: int) -> Tensor:
    rel = token_offsets(ws) + (ws - 1)
    index = rel[..., 0] * (2 * ws - 1) + rel[..., 1]
    return table[index].permute(2, 0, 1)  # (heads, N, N)


def dense_attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, mask: Tensor | None) -> Tensor:
    """q, k, v: (B_, heads, N, d) -> (B_, N, heads * d), softmax(q k^T / sqrt(d) + bias + mask) v."""
    B_, heads, N, d = q.shape
    attn = (q * d**-0.5) @ k.transpose(-2, -1) + bias[None]
    if mask is not None:
        nW = mask.shape[0]
        attn = (attn.view(B_ // nW, nW, heads, N, N) + mask[None, :, None].to(attn.dtype)).view(B_, heads, N, N)
    return (attn.softmax(-1) @ v).transpose(1, 2).reshape(B_, N, heads * d)


def rolled_windows(x: Tensor, ws: int, shift: int, attend) -> Tensor:
    """The official roll / partition / attend / merge / roll back on a (B, H, W, C) map."""
    _, H, W, _ = x.shape
    rolled = torch.roll(x, (-shift, -shift), (1, 2)) if shift else x
    mask = shift_mask(H, W, ws, shift) if shift else None
    out = reverse(attend(partition(rolled, ws), mask), ws, H, W)
    return torch.roll(out, (shift, shift), (1, 2)) if shift else out


def uformer_reference(block: LeWinBlock, x: Tensor, ws: int, shift: int) -> Tensor:
    attn = block.attn
    heads = attn.num_heads

    def attend(windows: Tensor, mask: Tensor | None) -> Tensor:
        if block.modulator is not None:
            windows = windows + block.modulator.weight
        B_, N, C = windows.shape
        q = attn.qkv.to_q(windows).reshape(B_, N, heads, C // heads).transpose(1, 2)
        k, v = attn.qkv.to_kv(windows).reshape(B_, N, 2, heads, C // heads).permute(2, 0, 3, 1, 4)
        return attn.proj(dense_attention(q, k, v, table_bias(attn.relative_position_bias_table, ws), mask))

    x = x + rolled_windows(block.norm1(x), ws, shift, attend)
    return x + block.mlp(block.norm2(x))


def swin_reference(block: SwinBlock, x: Tensor, ws: int, shift: int) -> Tensor:
    attn = block.attn
    heads = attn.num_heads

    def attend(windows: Tensor, mask: Tensor | None) -> Tensor:
        B_, N, C = windows.shape
        q, k, v = attn.qkv(windows).reshape(B_, N, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
        return attn.proj(dense_attention(q, k, v, table_bias(attn.relative_position_bias_table, ws), mask))

    x = x + rolled_windows(block.norm1(x), ws, shift, attend)
    return x + block.mlp(block.norm2(x))


def dehaze_reference(layer: MixingLayer, x: Tensor, ws: int, shift: int) -> Tensor:
    """Official DehazeFormer 'Attention': shifted windows by reflection padding, no mask."""
    B, C, H, W = x.shape
    v = layer.V(x)
    qkv = torch.cat([layer.QK(x), v], dim=1)
    pad_h, pad_w = (ws - H % ws) % ws, (ws - W % ws) % ws
    pads = (shift, (ws - shift + pad_w) % ws, shift, (ws - shift + pad_h) % ws) if shift else (0, pad_w, 0, pad_h)
    padded = F.pad(qkv, pads, mode="reflect").permute(0, 2, 3, 1)
    Ht, Wt = padded.shape[1:3]
    windows = partition(padded, ws)
    B_, N, _ = windows.shape
    heads = layer.attn.num_heads
    q, k, vv = windows.reshape(B_, N, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
    rel = token_offsets(ws).to(x.dtype)
    bias = layer.attn.meta(torch.sign(rel) * torch.log1p(rel.abs())).permute(2, 0, 1)
    out = reverse(dense_attention(q, k, vv, bias, None), ws, Ht, Wt)[:, shift : shift + H, shift : shift + W]
    return layer.proj(layer.conv(v) + out.permute(0, 3, 1, 2))


def _official_uformer_windows(model: Uformer) -> dict[nn.Module, tuple[int, int]]:
    """(window, shift) of every block, as the official constructor fixes them from img_size."""
    c = model.config
    layers = [(getattr(model, f"encoderlayer_{i}"), i) for i in range(4)] + [(model.conv, 4)]
    layers += [(getattr(model, f"decoderlayer_{i}"), 3 - i) for i in range(4)]
    fixed = {}
    for layer, level in layers:
        resolution = c.img_size // 2**level
        for i, block in enumerate(layer.blocks):
            shifted = c.shift_flag and i % 2 == 1 and resolution > c.win_size
            fixed[block] = (min(c.win_size, resolution), c.win_size // 2 if shifted else 0)
    return fixed


def _with_reference_blocks(model: nn.Module) -> nn.Module:
    """Route every window-attention block of `model` (in place) through the official reference."""
    if isinstance(model, Uformer):
        for block, (ws, shift) in _official_uformer_windows(model).items():
            block.forward = MethodType(lambda b, x, ws=ws, shift=shift: uformer_reference(b, x, ws, shift), block)
    for module in model.modules():
        if isinstance(module, SwinBlock):
            ws = module.trained_window
            shift = ws // 2 if module.shifted else 0
            _route(module, lambda b, x, ws=ws, shift=shift: swin_reference(b, x, ws, shift))
        if isinstance(module, MixingLayer) and module.use_attn:
            ws = module.trained_window
            shift = ws // 2 if module.shifted else 0
            _route(module, lambda m, x, ws=ws, shift=shift: dehaze_reference(m, x, ws, shift))
    return model


def _route(module: nn.Module, forward: Callable[..., Tensor]) -> None:
    """Replace one module's forward (typed as nn.Module, whose `forward` is an assignable attribute)."""
    module.forward = MethodType(forward, module)


def perturbed(model: nn.Module) -> nn.Module:
    """Random weights plus noise on every parameter (zero-initialised bias tables included)."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


BUILDERS = {
    "dehazeformer": lambda: DehazeFormer(DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(2, 2, 2, 1, 1),
                                                            num_heads=(1, 2, 2, 1, 1), window_size=4,
                                                            attn_ratio=(0.5, 1.0, 1.0, 0.0, 0.0))),
    "swinir": lambda: SwinIR(SwinIRConfig(upscale=1, img_size=16, window_size=4, depths=(2, 2), embed_dim=8,
                                          num_heads=(2, 2), upsampler="")),
    "uformer": lambda: Uformer(UformerConfig(img_size=64, embed_dim=4, win_size=4, depths=(2,) * 9,
                                             num_heads=(1, 1, 2, 2, 2, 2, 2, 1, 1), modulator=True)),
    # Built as trained on 256-pixel patches (GoPro): at 128 px its bottleneck is one shifted window.
    "uformer-img256": lambda: Uformer(UformerConfig(img_size=256, embed_dim=4, win_size=8, depths=(2,) * 9,
                                                    num_heads=(1, 1, 2, 2, 2, 2, 2, 1, 1), modulator=True)),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("arch", sorted(BUILDERS))
def test_equals_the_official_computation(arch: str, size: int) -> None:
    model = perturbed(BUILDERS[arch]())
    reference = _with_reference_blocks(perturbed(BUILDERS[arch]()))
    reference.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, size, size)
    with torch.no_grad():
        ours, expected = model(x), reference(x)
    assert ours.shape == expected.shape
    assert torch.allclose(ours, expected, atol=1e-5, rtol=0), float((ours - expected).abs().max())


def test_the_reference_sees_a_wrong_shift() -> None:
    """The check can fail: shifting the Uformer bottleneck, which img_size 64 leaves unshifted, is caught."""
    model = perturbed(BUILDERS["uformer"]())
    reference = _with_reference_blocks(perturbed(BUILDERS["uformer"]()))
    reference.load_state_dict(model.state_dict())
    model.conv.blocks[1].shifted = True
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        gap = float((model(x) - reference(x)).abs().max())
    assert gap > 1e-4 and math.isfinite(gap)
