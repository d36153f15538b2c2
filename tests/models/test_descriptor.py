"""The model descriptor: one object that says what a loaded model needs, read from its parts."""

from __future__ import annotations

from dataclasses import replace

import torch

from nystra_app.attention import EXACT
from nystra_app.manager import get_entry, load_model
from nystra_app.models import LoadedModel, describe, describe_entry
from nystra_app.models.dehazeformer import DehazeFormer

from .test_dehazeformer import TINY


def test_descriptors_of_every_family_state_scale_channels_windows_and_size_rules() -> None:
    with torch.device("meta"):
        swinir = load_model("swinir-m-x4", random_weights=True, device="meta").descriptor
        gray = load_model("swinir-m-graydn25", random_weights=True, device="meta").descriptor
        uformer = load_model("uformer-b-sidd", random_weights=True, device="meta").descriptor
    assert (swinir.task, swinir.scale, swinir.channels, swinir.trained_windows) == ("super-resolve", 4, 3, ((8, 8),))
    assert (gray.channels, gray.noise_sigma, gray.scale) == (1, 25, 1)
    assert swinir.size_rules(32).multiple_of == 32 and swinir.size_rules(None).multiple_of == 8
    assert uformer.size_rules(None).multiple_of == 128 and uformer.size_rules(64).min_side == 16 * 64
    assert not swinir.tiling_changes_result and swinir.input_range == (0.0, 1.0)


def test_the_descriptor_reads_the_trained_window_from_the_layers_and_names_rectangles() -> None:
    model = DehazeFormer(TINY)
    described = describe(replace(get_entry("dehazeformer-t-indoor"), trained_window=99), model)
    assert described.trained_windows == ((TINY.window_size,) * 2,) and described.tiling_changes_result
    assert described.window_label(None) == TINY.window_size and described.window_label(16) == 16
    assert replace(described, trained_windows=((8, 32), (8, 8))).window_label(None) == "8x32"
    assert described.size_rules(16).min_side == 4 * 16


def test_an_entry_is_described_without_weights_exactly_as_its_loaded_model() -> None:
    """What the GUI shows before a run (describe_entry, on the meta device) is what a run then uses."""
    for model_id in ("uformer-b-sidd", "swinir-m-graydn25", "dehazeformer-t-indoor"):
        with torch.device("meta"):
            loaded = load_model(model_id, random_weights=True, device="meta").descriptor
        assert describe_entry(get_entry(model_id)) == loaded, model_id


def test_the_switch_on_a_loaded_model_changes_every_layer_and_back() -> None:
    loaded = LoadedModel.of(get_entry("dehazeformer-t-indoor"), DehazeFormer(TINY).eval())
    spec, window = loaded.descriptor.fast.setting(window=16)
    loaded.configure(spec, window)
    assert {m.spec for m in loaded.module.modules() if hasattr(m, "spec")} == {spec}
    loaded.configure(EXACT)
    assert {m.spec for m in loaded.module.modules() if hasattr(m, "spec")} == {EXACT}
