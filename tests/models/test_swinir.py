"""Our SwinIR against the official layouts, and its window attention against the official formula."""

from __future__ import annotations

import pytest
import torch

from nystra_app.attention import AttentionSpec, WindowGeometry
from nystra_app.attention.positional import full_bias
from nystra_app.manager import load_model
from nystra_app.models import (
    CheckpointError,
    configure_attention,
    load_strict,
)
from nystra_app.models.configs import config_from_dict
from nystra_app.models.swinir.model import SwinIR, SwinIRConfig, WindowAttention
from nystra_app.models.table_attention import interpolate_table, relative_position_index
from nystra_app.models.windows import shift_regions, split_windows

from .layouts import layouts, official_state_dict
from .swin_helpers import assert_matches_layout, peak_bias_tables, relative_error

VARIANTS = sorted(k for k in layouts() if k.startswith("swinir"))
TINY = SwinIRConfig(upscale=2, img_size=16, window_size=4, depths=(2, 2), embed_dim=12, num_heads=(2, 2),
                    upsampler="pixelshuffledirect")


def build(variant: str) -> SwinIR:
    return SwinIR(config_from_dict(SwinIRConfig, layouts()[variant]["config"]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_matches_the_official_layout(variant: str) -> None:
    assert_matches_layout(build(variant), variant)


def test_lightweight_official_layout_runs() -> None:
    model = build("swinir-s-lightweight-x3").eval()
    load_strict(model, official_state_dict("swinir-s-lightweight-x3"))
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 10, 13))
    assert out.shape == (1, 3, 30, 39) and torch.isfinite(out).all()
    assert (model.scale, model.in_channels) == (3, 3)


def test_a_wrong_shape_is_refused_naming_the_key() -> None:
    state = official_state_dict("swinir-s-lightweight-x2")
    key = "layers.1.residual_group.blocks.3.attn.relative_position_bias_table"
    state[key] = torch.zeros(121, 6)
    with pytest.raises(CheckpointError, match=rf"{key.replace('.', '[.]')}: file \(121, 6\) vs model \(225, 6\)"):
        load_strict(build("swinir-s-lightweight-x2"), state)


def test_table_is_returned_exactly_at_integer_offsets_of_the_trained_window() -> None:
    table = torch.randn(15 * 15, 3)
    bias = full_bias(lambda o: interpolate_table(table, 8, o), WindowGeometry(8, 8), torch.device("cpu"))
    official = table[relative_position_index(8).view(-1)].view(64, 64, 3).permute(2, 0, 1)
    assert torch.equal(bias, official)


def test_table_interpolates_between_and_clamps_beyond_trained_offsets() -> None:
    table = torch.randn(7 * 7, 2)  # window 4: offsets -3..3
    grid = table.view(7, 7, 2)
    offsets = torch.tensor([[0.5, 0.0], [0.5, -1.5], [10.0, -9.0], [-3.5, 2.0]])
    expected = torch.stack([
        (grid[3, 3] + grid[4, 3]) / 2,
        (grid[3, 1] + grid[3, 2] + grid[4, 1] + grid[4, 2]) / 4,
        grid[6, 0],
        grid[0, 5],
    ])
    assert torch.allclose(interpolate_table(table, 4, offsets), expected, atol=1e-6)


@pytest.mark.parametrize("height, width, window", [(48, 48, 8), (16, 24, 8), (8, 8, 8), (64, 32, 16)])
def test_shift_regions_reproduce_the_official_mask(height: int, width: int, window: int) -> None:
    shift = window // 2
    img = torch.zeros(1, height, width, 1)
    label = 0
    for rows in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
        for cols in (slice(0, -window), slice(-window, -shift), slice(-shift, None)):
            img[:, rows, cols] = label
            label += 1
    official = split_windows(img, window).squeeze(-1)
    ours = shift_regions(height, width, window, shift)
    assert torch.equal(ours[:, :, None] != ours[:, None, :], official[:, :, None] != official[:, None, :])


def test_window_attention_is_the_official_formula() -> None:
    attn = WindowAttention(dim=8, num_heads=2, window_size=4)
    torch.nn.init.normal_(attn.relative_position_bias_table)
    x = torch.randn(2 * 4, 16, 8)  # batch 2, four windows each
    labels = shift_regions(8, 8, 4, 2)
    q, k, v = attn.qkv(x).reshape(8, 16, 3, 2, 4).permute(2, 0, 3, 1, 4)
    bias = attn.relative_position_bias_table[attn.relative_position_index.view(-1)].view(16, 16, 2).permute(2, 0, 1)
    mask = (labels[:, :, None] != labels[:, None, :]).float() * -100.0
    logits = (q * 4**-0.5) @ k.transpose(-2, -1) + bias
    logits = (logits.view(2, 4, 2, 16, 16) + mask[None, :, None]).view(8, 2, 16, 16)
    official = attn.proj((logits.softmax(-1) @ v).transpose(1, 2).reshape(8, 16, 8))
    assert torch.allclose(attn(x, 4, labels), official, atol=1e-5)


def test_denoiser_maps_input_to_output_in_image_range() -> None:
    """With the reconstruction conv at zero the residual denoiser is the identity: normalisation undone, crop exact."""
    model = SwinIR(SwinIRConfig(upscale=1, img_size=16, window_size=4, depths=(2,), embed_dim=8, num_heads=(2,),
                                img_range=255.0)).eval()
    torch.nn.init.zeros_(model.conv_last.weight)
    torch.nn.init.zeros_(model.conv_last.bias)  # type: ignore[arg-type]  # the layer has a bias
    x = torch.rand(1, 3, 9, 14)
    with torch.inference_mode():
        assert torch.allclose(model(x), x, atol=1e-5)


def test_nystrom_with_every_token_a_landmark_equals_exact() -> None:
    model = SwinIR(TINY).eval()
    peak_bias_tables(model)
    x = torch.rand(1, 3, 13, 17)
    with torch.inference_mode():
        exact = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=16, iters=40, guard=False))
        full_rank = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=4, iters=6, guard=False))
        coarse = model(x)
    assert exact.shape == (1, 3, 26, 34)
    assert relative_error(full_rank, exact) < 1e-3
    assert relative_error(coarse, exact) > 1e-3 and torch.isfinite(coarse).all()


def test_a_larger_window_changes_padding_and_restores() -> None:
    model = SwinIR(TINY).eval()
    x = torch.rand(1, 3, 13, 17)
    with torch.inference_mode():
        trained = model(x)
        for spec in (AttentionSpec("exact"), AttentionSpec("nystrom", landmarks=16, iters=6)):
            configure_attention(model, spec, window=16)
            assert model.input_multiple() == 16
            wide = model(x)
            assert wide.shape == (1, 3, 26, 34) and torch.isfinite(wide).all()
        configure_attention(model, AttentionSpec("exact"))
        assert torch.equal(model(x), trained)


def test_grayscale_denoiser_from_the_registry() -> None:
    loaded = load_model("swinir-m-graydn25", random_weights=True)
    assert loaded.descriptor.noise_sigma == 25 and loaded.descriptor.channels == 1 and loaded.descriptor.scale == 1
