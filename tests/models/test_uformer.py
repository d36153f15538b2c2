"""Our Uformer against the official layouts; windows, shift and modulator at trained and larger windows."""

from __future__ import annotations

import pytest
import torch

from nystra_app.attention import AttentionSpec
from nystra_app.manager import get_entry, load_model
from nystra_app.models import (
    CheckpointError,
    configure_attention,
    load_strict,
)
from nystra_app.models.configs import config_from_dict
from nystra_app.models.uformer.model import LeWinBlock, Uformer, UformerConfig

from .layouts import layouts, official_state_dict
from .swin_helpers import assert_matches_layout, peak_bias_tables, relative_error

VARIANTS = sorted(k for k in layouts() if k.startswith("uformer"))
TINY = UformerConfig(embed_dim=8, win_size=4, depths=(2,) * 9, num_heads=(1, 2, 2, 2, 2, 2, 2, 2, 2), modulator=True)


def build(variant: str) -> Uformer:
    return Uformer(config_from_dict(UformerConfig, layouts()[variant]["config"]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_matches_the_official_layout(variant: str) -> None:
    assert_matches_layout(build(variant), variant)


def test_tiny_official_layout_runs() -> None:
    model = build("uformer-t").eval()
    load_strict(model, official_state_dict("uformer-t"))
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 30, 44))
    assert out.shape == (1, 3, 30, 44) and torch.isfinite(out).all()
    assert model.input_multiple() == 128


def test_a_wrong_shape_is_refused_naming_the_key() -> None:
    state = official_state_dict("uformer-t")
    key = "decoderlayer_2.blocks.1.modulator.weight"
    state[key] = torch.zeros(256, 64)
    with pytest.raises(CheckpointError, match=rf"{key.replace('.', '[.]')}: file \(256, 64\) vs model \(64, 64\)"):
        load_strict(build("uformer-t"), state)


def test_output_is_input_plus_residual() -> None:
    model = Uformer(TINY).eval()
    conv = model.output_proj.proj[0]
    torch.nn.init.zeros_(conv.weight)
    torch.nn.init.zeros_(conv.bias)
    x = torch.rand(2, 3, 21, 35)
    with torch.inference_mode():
        assert torch.equal(model(x), x)


def test_modulator_is_tiled_over_a_larger_window() -> None:
    block = LeWinBlock(6, 2, UformerConfig(win_size=4), shifted=False, modulator=True)
    windows = torch.zeros(3, 64, 6)
    tiled = block._modulate(windows, 8).view(3, 8, 8, 6)
    table = block.modulator.weight.view(4, 4, 6)
    assert torch.equal(tiled[1, :4, :4], table) and torch.equal(tiled[2, 4:, :4], table)
    assert torch.equal(block._modulate(torch.zeros(1, 16, 6), 4)[0], block.modulator.weight)


def test_a_map_no_larger_than_the_window_is_one_unshifted_window() -> None:
    """The official rule: a 4x4 map with window 8 uses one 4x4 window and no shift."""
    shifted = LeWinBlock(6, 2, UformerConfig(win_size=4), shifted=True, modulator=True).eval()
    plain = LeWinBlock(6, 2, UformerConfig(win_size=4), shifted=False, modulator=True).eval()
    plain.load_state_dict(shifted.state_dict())
    x = torch.randn(1, 4, 4, 6)
    shifted.set_window(8)
    with torch.inference_mode():
        assert torch.allclose(shifted(x), plain(x), atol=1e-6)
        shifted.set_window(None)
        y = torch.randn(1, 8, 8, 6)
        assert not torch.allclose(shifted(y), plain(y), atol=1e-3)  # an 8x8 map with window 4 is shifted


def test_nystrom_with_every_token_a_landmark_equals_exact() -> None:
    model = Uformer(TINY).eval()
    peak_bias_tables(model)
    x = torch.rand(1, 3, 40, 56)
    with torch.inference_mode():
        exact = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=16, iters=40, guard=False))
        full_rank = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=4, iters=6, guard=False))
        coarse = model(x)
    assert relative_error(full_rank, exact) < 1e-3
    assert relative_error(coarse, exact) > 1e-3 and torch.isfinite(coarse).all()


def test_a_larger_window_runs_and_restores() -> None:
    model = Uformer(TINY).eval()
    x = torch.rand(1, 3, 40, 56)
    with torch.inference_mode():
        trained = model(x)
        for spec in (AttentionSpec("exact"), AttentionSpec("nystrom", landmarks=16, iters=6)):
            configure_attention(model, spec, window=16)
            wide = model(x)
            assert wide.shape == x.shape and torch.isfinite(wide).all()
            assert not torch.allclose(wide, trained, atol=1e-4)
        configure_attention(model, AttentionSpec("exact"))
        assert torch.equal(model(x), trained)


@pytest.mark.parametrize("model_id, task", [("uformer-b-sidd", "denoise"), ("uformer-b-gopro", "deblur")])
def test_registry_entries_build(model_id: str, task: str) -> None:
    loaded = load_model(model_id, random_weights=True)
    assert loaded.descriptor.task == task and get_entry(model_id).urls == () and loaded.descriptor.scale == 1
