"""Our EMT: the stripe-window layout, the fixed pixel shifts, the switch, and the real checkpoints."""

from __future__ import annotations

import hashlib
from typing import TypeVar

import pytest
import torch
import torch.nn.functional as F

from nystra_app.attention import EXACT, AttentionSpec
from nystra_app.engine import pair_folders, run_to_end
from nystra_app.engine.evaluate import evaluate
from nystra_app.manager import get_entry, load_model
from nystra_app.models import (
    CheckpointError,
    build,
    configure_attention,
    describe_entry,
    detect,
    get_architecture,
    load_strict,
    read_state_dict,
)
from nystra_app.models.emt import EMT, VARIANTS, EMTConfig
from nystra_app.models.emt.model import ShiftConv1x1, StripeAttention, TokenMixer

M = TypeVar("M", bound=torch.nn.Module)

TINY = EMTConfig(upscale=2, dim=10, n_blocks=2, n_layers=3, num_heads=1, n_GTLs=2,
                 window_list=((4, 2), (2, 4)), shift_list=((2, 1), (1, 2)))


def reference_stripes(qv: torch.Tensor, heads: int, window: tuple[int, int], shift: tuple[int, int]) -> torch.Tensor:
    """The official SWSA for one window shape, written window by window: pad, roll, softmax(q qᵀ) v, roll back."""
    _, C2, H, W = qv.shape
    wh, ww = window
    padded = F.pad(qv, (0, (-W) % ww, 0, (-H) % wh), mode="reflect")
    rolled = torch.roll(padded, shifts=shift, dims=(2, 3))
    d = C2 // (2 * heads)
    out = torch.zeros(qv.shape[0], heads * d, *rolled.shape[2:])
    for top in range(0, rolled.shape[2], wh):
        for left in range(0, rolled.shape[3], ww):
            tile = rolled[:, :, top:top + wh, left:left + ww].reshape(qv.shape[0], 2, heads, d, wh * ww)
            q, v = tile[:, 0].transpose(-1, -2), tile[:, 1].transpose(-1, -2)  # (B, heads, N, d)
            o = torch.softmax(q @ q.transpose(-1, -2), dim=-1) @ v
            out[:, :, top:top + wh, left:left + ww] = o.transpose(-1, -2).reshape(qv.shape[0], heads * d, wh, ww)
    return torch.roll(out, shifts=(-shift[0], -shift[1]), dims=(2, 3))[:, :, :H, :W]


def randomised(model: M) -> M:
    """Random BatchNorm statistics, so a fold that ignored them would show."""
    for norm in model.modules():
        if isinstance(norm, torch.nn.BatchNorm2d):
            assert norm.running_mean is not None and norm.running_var is not None
            norm.running_mean.uniform_(-0.5, 0.5)
            norm.running_var.uniform_(0.5, 2.0)
            norm.weight.data.uniform_(0.5, 1.5)
            norm.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


@pytest.mark.parametrize("shifted", [False, True])
def test_stripe_attention_matches_a_window_by_window_reference(shifted: bool) -> None:
    attention = randomised(StripeAttention(10, 1, TINY.window_list, TINY.shift_list if shifted else None))
    x = torch.randn(2, 10, 7, 9)  # neither side a multiple of a window: padding and crop are exercised
    with torch.inference_mode():
        ours = attention(x)
        qv = attention.attn(x)
        halves = qv.chunk(2, dim=1)
        shifts = TINY.shift_list if shifted else ((0, 0), (0, 0))
        expected = attention.proj(torch.cat([reference_stripes(h, 1, w, s)
                                             for h, w, s in zip(halves, TINY.window_list, shifts)], dim=1))
    assert torch.allclose(ours, expected, atol=1e-5)


def test_shifted_windows_mix_across_the_wrap_around_without_a_mask() -> None:
    """EMT rolls without masking: in the shifted layer a token near the bottom edge sees the top rows."""
    attention = randomised(StripeAttention(10, 1, ((4, 4),), ((2, 2),)))
    x = torch.randn(1, 10, 8, 8)
    changed = x.clone()
    changed[:, :, 0, 0] += 5.0
    with torch.inference_mode():
        delta = (attention(changed) - attention(x)).abs().sum(dim=1)[0]
    assert delta[7, 7] > 1e-4  # rolled into the same window as (0, 0)
    assert delta[4, 4] == 0  # a window the roll keeps apart from it


def test_shift_convolution_moves_each_channel_group_one_pixel() -> None:
    conv = ShiftConv1x1(10, 10)
    with torch.no_grad():
        assert conv.bias is not None
        conv.weight.copy_(torch.eye(10).view(10, 10, 1, 1))
        conv.bias.zero_()
    x = torch.randn(1, 10, 5, 6)
    padded = F.pad(x, (1, 1, 1, 1))  # zero padding, as the official depthwise convolution
    expected = torch.cat([padded[:, 0:2, 1:-1, 2:], padded[:, 2:4, 1:-1, :-2], padded[:, 4:6, 2:, 1:-1],
                          padded[:, 6:8, :-2, 1:-1], x[:, 8:]], dim=1)
    with torch.no_grad():
        assert torch.equal(conv(x), expected)
        # and the slices equal the official depthwise convolution with the stored mask
        assert torch.equal(conv(x), F.conv2d(F.conv2d(x, conv.mask, padding=1, groups=10), conv.weight, conv.bias))


def test_pixel_mixer_rolls_every_fifth_channel_around_the_edges() -> None:
    mixer = randomised(TokenMixer(10))
    x = torch.randn(1, 10, 5, 6)
    moved = x.clone()
    moved[:, 0::5] = torch.roll(x[:, 0::5], -1, dims=3)  # takes its right neighbour
    moved[:, 1::5] = torch.roll(x[:, 1::5], 1, dims=3)
    moved[:, 2::5] = torch.roll(x[:, 2::5], -1, dims=2)
    moved[:, 3::5] = torch.roll(x[:, 3::5], 1, dims=2)
    official = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), mixer.token_mixer.mask, groups=10)
    with torch.inference_mode():
        assert torch.equal(mixer.token_mixer(x), moved) and torch.equal(official, moved)
        assert torch.allclose(mixer(x), mixer.norm(moved - x), atol=1e-5)


def test_a_checkpoint_with_other_shift_masks_is_refused() -> None:
    state = EMT(TINY).state_dict()
    state["body.0.mlp_list.1.fc2.mask"] = torch.roll(state["body.0.mlp_list.1.fc2.mask"], 1, dims=0)
    with pytest.raises(CheckpointError, match="pixel-shift masks differ"):
        load_strict(EMT(TINY), state)


def test_tiny_model_keeps_its_shape_and_the_switch_reaches_its_attention() -> None:
    model = randomised(EMT(TINY))
    x = torch.rand(1, 3, 7, 10)
    with torch.inference_mode():
        exact = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=2, iters=6))
        coarse = model(x)
        configure_attention(model, AttentionSpec("exact"))
        back = model(x)
    assert exact.shape == (1, 3, 14, 20) and torch.isfinite(coarse).all()
    assert not torch.allclose(coarse, exact, atol=1e-4)
    assert torch.equal(back, exact)


def test_the_stripes_cannot_be_resized() -> None:
    with pytest.raises(ValueError, match=r"trained at \(2x4, 4x2\)"):
        configure_attention(EMT(TINY), AttentionSpec("exact"), window=8)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_released_layouts_are_detected_as_their_configuration(variant: str) -> None:
    state = EMT(VARIANTS[variant]).state_dict()
    arch, detected = detect(state, f"{variant}.pth")
    model = build(arch, detected)
    assert arch == "emt" and isinstance(model, EMT) and model.config == VARIANTS[variant]
    load_strict(model, state)


def test_widths_and_depths_are_read_from_the_keys() -> None:
    """Heads and stripes leave no trace in the weights; everything else is read from them."""
    config = get_architecture("emt").detect(EMT(TINY).state_dict())
    assert config is not None
    assert {k: config[k] for k in ("upscale", "dim", "n_blocks", "n_layers", "n_GTLs", "mlp_ratio")} == {
        "upscale": TINY.upscale, "dim": TINY.dim, "n_blocks": TINY.n_blocks, "n_layers": TINY.n_layers,
        "n_GTLs": TINY.n_GTLs, "mlp_ratio": TINY.mlp_ratio}


def test_descriptor_reports_the_trained_stripes() -> None:
    described = describe_entry(get_entry("emt-x4"))
    assert set(described.trained_windows) == {(32, 8), (8, 32)}
    assert described.scale == 4 and described.input_range == (0.0, 1.0) and not described.resizable_window


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_real_checkpoints_load_strictly_with_their_buffers(shared, scale: int) -> None:
    entry = get_entry(f"emt-x{scale}")
    path = shared / "weights" / entry.file
    data = path.read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (entry.size, entry.sha256)
    state = read_state_dict(path)
    assert any(k.endswith("running_var") for k in state) and any(k.endswith(".mask") for k in state)
    model = EMT(VARIANTS[f"lsr-x{scale}"])
    load_strict(model, state, path.name)
    assert load_model(entry.id, path).module.scale == scale
    arch, config = detect(state, path.name)
    assert arch == "emt" and build(arch, config).config == VARIANTS[f"lsr-x{scale}"]


PUBLISHED_SET5 = {2: 38.29, 3: 34.80, 4: 32.64}  # EMT paper (arXiv 2305.11403), lightweight SR table, Set5 Y-PSNR


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_set5_matches_the_published_psnr(shared, scale: int) -> None:
    model = load_model(f"emt-x{scale}", shared / "weights" / f"EMT_LSR_x{scale}.pth")
    set5 = shared / "testimages" / "Set5"
    pairs = pair_folders(set5 / "LR_bicubic" / f"X{scale}", set5 / "HR")
    result = run_to_end(evaluate(model, pairs, EXACT))
    assert abs(result.mean()["exact_psnr"] - PUBLISHED_SET5[scale]) <= 0.05
