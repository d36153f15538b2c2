"""Our DAT against the official code (layouts and outputs recorded from it) and the real checkpoints."""

from __future__ import annotations

import dataclasses
import json
import zlib
from functools import cache
from pathlib import Path

import pytest
import torch

from nystra_app.attention import AttentionSpec
from nystra_app.models import (
    CheckpointError,
    attention_modules,
    configure_attention,
    describe_entry,
    detect,
    load_strict,
    read_state_dict,
)
from nystra_app.models.architectures import build
from nystra_app.models.checkpoint import DerivedBuffers
from nystra_app.models.dat import DAT, VARIANTS, config_for
from nystra_app.models.dat.model import SpatialAttention
from nystra_app.manager import get_entry

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "dat_reference.json"
"""Written by running the official zhengchen1999/DAT code on small configurations with seeded weights:
its state-dict layout (derived buffers included) and its output on a seeded 9x14 input."""

DERIVED = ("rpe_biases", "relative_position_index", "attn_mask_0", "attn_mask_1")


@cache
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def seeded_state(model: DAT) -> dict[str, torch.Tensor]:
    """The same seeded weights the reference was recorded with: each tensor seeded by its key."""
    state = {}
    for key, value in model.state_dict().items():
        if not value.is_floating_point():
            state[key] = value
            continue
        x = torch.randn(value.shape, generator=torch.Generator().manual_seed(zlib.crc32(key.encode()))) * 0.3
        state[key] = x.abs() + 0.5 if key.endswith("running_var") else x
    return state


@pytest.mark.parametrize("name", sorted(reference()))
def test_state_dict_is_the_official_layout_less_the_derived_buffers(name: str) -> None:
    ref = reference()[name]
    ours = {k: list(v.shape) for k, v in DAT(config_for(ref["config"])).state_dict().items()}
    official = {k: s for k, s in ref["state_dict"].items() if k.rsplit(".", 1)[-1] not in DERIVED}
    assert ours == official
    assert len(ref["state_dict"]) > len(official)  # the official layout does carry derived buffers


@pytest.mark.parametrize("name", sorted(reference()))
def test_output_equals_the_official_code(name: str) -> None:
    ref = reference()[name]
    model = DAT(config_for(ref["config"])).eval()
    model.load_state_dict(seeded_state(model))
    x = torch.rand((1, 3, *ref["input"]), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        out = model(x)
    expected = torch.tensor(ref["output"]).reshape(ref["output_shape"])
    assert out.shape == expected.shape
    # Seeded weights make outputs of size up to ~1e3, where float32 itself rounds at 1e-4.
    assert (out - expected).abs().max() <= 1e-5 * expected.abs().max()


@pytest.mark.parametrize("name", sorted(reference()))
def test_derived_buffers_equal_the_official_ones(name: str) -> None:
    """Checked through loading: a state dict with the official derived buffers, made of our own
    derivation, loads; one with a wrong mask is refused."""
    ref = reference()[name]
    model = DAT(config_for(ref["config"]))
    derived = {f"{prefix}.{k}": v for prefix, m in model.named_modules() if isinstance(m, DerivedBuffers)
               for k, v in m.derived_buffers().items()}
    official_derived = {k: s for k, s in ref["state_dict"].items() if k.rsplit(".", 1)[-1] in DERIVED}
    assert {k: list(v.shape) for k, v in derived.items()} == official_derived
    load_strict(model, {**model.state_dict(), **derived})
    mask = next(k for k in derived if k.endswith("attn_mask_0"))
    with pytest.raises(CheckpointError, match="attn_mask_0"):
        load_strict(model, {**model.state_dict(), **derived, mask: torch.zeros_like(derived[mask])})


def test_a_file_for_other_windows_is_refused_though_its_weights_fit() -> None:
    """DAT-S (8x16) and DAT-2 (8x32) have the same weight shapes; only the derived buffers tell them apart."""
    dat_s, dat_2 = DAT(VARIANTS["s"]), DAT(VARIANTS["2"])
    file = {**dat_2.state_dict(),
            **{f"{p}.{k}": v for p, m in dat_2.named_modules() if isinstance(m, DerivedBuffers)
               for k, v in m.derived_buffers().items()}}
    with pytest.raises(CheckpointError, match="rpe_biases"):
        load_strict(dat_s, file)


def test_registry_names_every_official_variant_and_scale() -> None:
    for variant, stem in (("light", "dat-light"), ("s", "dat-s"), ("dat", "dat"), ("2", "dat-2")):
        for scale in (2, 3, 4):
            entry = get_entry(f"{stem}-x{scale}")
            assert entry.arch == "dat" and entry.scale == scale
            assert config_for(entry.config) == dataclasses.replace(VARIANTS[variant], upscale=scale)
    model = build("dat", get_entry("dat-light-x3").config)
    assert model.scale == 3 and model.in_channels == 3


@pytest.mark.parametrize("name", sorted(reference()))
@pytest.mark.parametrize("with_derived", [True, False])
def test_official_layouts_are_detected_as_their_configuration(name: str, with_derived: bool) -> None:
    """Windows and training patch come from the derived buffers' shapes where a file has them; with or
    without them the detected model takes the weights strictly (meta tensors: the derived values
    themselves are checked in test_derived_buffers_equal_the_official_ones)."""
    ref = reference()[name]
    zero = torch.zeros((), device="meta")
    state = {k: zero.expand(s) for k, s in ref["state_dict"].items()
             if with_derived or k.rsplit(".", 1)[-1] not in DERIVED}
    arch, config = detect(state, name)
    assert arch == "dat"
    if with_derived:
        assert config_for(config) == config_for(ref["config"])
    with torch.device("meta"):
        model = build(arch, config)
    load_strict(model, {k: v for k, v in state.items() if k.rsplit(".", 1)[-1] not in DERIVED}, name)


def test_descriptor_reports_the_trained_rectangles_and_refuses_a_window() -> None:
    described = describe_entry(get_entry("dat-light-x2"))
    assert set(described.trained_windows) == {(8, 32), (32, 8)}
    assert described.scale == 2 and described.input_range == (0.0, 1.0) and not described.resizable_window
    assert described.window(16) == described.trained_window  # a square override does not apply
    assert described.size_rules().min_side == 32
    model = DAT(config_for(reference()["light-like"]["config"]))
    with pytest.raises(ValueError, match="4x8, 8x4"):
        configure_attention(model, AttentionSpec("exact"), window=16)


def test_any_picture_size_keeps_its_shape() -> None:
    model = DAT(config_for(reference()["light-like"]["config"])).eval()
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 5, 37))
    assert out.shape == (1, 3, 10, 74) and torch.isfinite(out).all()


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_real_checkpoints_load_strictly_with_and_without_derived_buffers(shared, scale: int) -> None:
    state = read_state_dict(shared / "weights" / f"DAT_light_x{scale}.pth")
    model = build("dat", {"variant": "light", "upscale": scale})
    assert any(k.endswith("attn_mask_0") for k in state)  # the shipped files carry them
    load_strict(model, state)
    load_strict(model, {k: v for k, v in state.items() if k.rsplit(".", 1)[-1] not in DERIVED})
    assert torch.equal(model.state_dict()["conv_first.weight"], state["conv_first.weight"])
    arch, config = detect(state, f"DAT_light_x{scale}.pth")
    assert arch == "dat" and config_for(config) == dataclasses.replace(VARIANTS["light"], upscale=scale)


def test_switch_checks_landmarks_against_the_rectangle_windows_and_keeps_channel_attention_exact() -> None:
    config = config_for(reference()["light-like"]["config"])  # 4x8 and 8x4 windows
    fresh, sharp = DAT(config).eval(), DAT(config).eval()
    sharp.load_state_dict(seeded_state(sharp))  # far sharper attention than a fresh model's
    with pytest.raises(ValueError, match="choose one of"):
        configure_attention(fresh, AttentionSpec("nystrom", landmarks=3))
    assert all(m.spec.kind == "exact" for m in attention_modules(fresh))
    assert all(isinstance(m, SpatialAttention) for m in attention_modules(fresh))  # channel attention is not switched
    x = torch.rand(1, 3, 12, 20)

    def error(model: DAT, spec: AttentionSpec) -> float:
        with torch.inference_mode():
            configure_attention(model, AttentionSpec("exact"))
            exact = model(x)
            configure_attention(model, spec)
            return float((model(x) - exact).norm() / exact.norm())

    assert error(fresh, AttentionSpec("nystrom", landmarks=32, iters=30, guard=False)) <= 1e-4
    assert error(sharp, AttentionSpec("nystrom", landmarks=4)) > 1e-3
