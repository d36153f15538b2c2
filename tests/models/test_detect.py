"""Architecture and configuration detection from key names and shapes, on every official layout
(each architecture's detector lives in its package: models/<arch>/detect.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nystra_app.models import CheckpointError, build, detect, get_architecture, load_strict, read_state_dict, unwrap
from nystra_app.models.architectures import known_architectures
from nystra_app.models.configs import config_from_dict
from nystra_app.models.dehazeformer import VARIANTS, DehazeFormerConfig
from nystra_app.models.swinir import SwinIRConfig
from nystra_app.models.uformer import UformerConfig

LAYOUTS = json.loads((Path(__file__).resolve().parents[1] / "data" / "checkpoint_layouts.json").read_text())
DEHAZEFORMER = sorted(name for name in LAYOUTS if name.startswith("dehazeformer-"))
OTHERS = sorted(name for name in LAYOUTS if not name.startswith("dehazeformer-"))


def zeros_state(name: str) -> dict[str, torch.Tensor]:
    """The official layout as a state dict of zeros (unwrapped like a real file); meta tensors cost no memory."""
    zero = torch.zeros((), device="meta")
    return unwrap({key: zero.expand(shape) for key, shape in LAYOUTS[name]["state_dict"].items()}, name)


@pytest.mark.parametrize("name", DEHAZEFORMER)
def test_every_official_dehazeformer_layout_is_detected_exactly(name: str) -> None:
    state = zeros_state(name)
    arch, config = detect(state, name)
    assert arch == "dehazeformer"
    assert config_from_dict(DehazeFormerConfig, config) == VARIANTS[name.removeprefix("dehazeformer-")]
    with torch.device("meta"):  # only keys and shapes matter here; skip allocating and initialising weights
        model = build(arch, config)
    load_strict(model, state, name)  # raises if any key or shape differs


CONFIGS = {"swinir": SwinIRConfig, "uformer": UformerConfig}


@pytest.mark.parametrize("name", OTHERS)
def test_every_official_swinir_and_uformer_layout_is_detected_exactly(name: str) -> None:
    """Replaces 'other architectures are not taken for dehazeformer': each is now recognised as itself."""
    state = zeros_state(name)
    arch, config = detect(state, name)
    assert arch == name.split("-")[0]
    official: object = config_from_dict(CONFIGS[arch], LAYOUTS[name]["config"])
    assert config_from_dict(CONFIGS[arch], config) == official
    with torch.device("meta"):
        model = build(arch, config)
    load_strict(model, state, name)


@pytest.mark.parametrize("arch", known_architectures())
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_other_architectures_are_not_taken_for_this_one(arch: str, name: str) -> None:
    if not name.startswith(f"{arch}-"):
        assert get_architecture(arch).detect(zeros_state(name)) is None


def test_unrecognised_keys_name_what_was_seen_and_what_is_known() -> None:
    with pytest.raises(CheckpointError, match=r"odd\.pth: architecture not recognised .*conv\.weight.*dat, dehazeformer, emt, swinir, uformer"):
        detect({"conv.weight": torch.zeros(3, 3, 1, 1)}, "odd.pth")


def test_the_real_dehazeformer_t_checkpoint_is_detected_as_variant_t(real_t: Path) -> None:
    arch, config = detect(read_state_dict(real_t), real_t.name)
    assert arch == "dehazeformer" and config_from_dict(DehazeFormerConfig, config) == VARIANTS["t"]
