"""Padding as the official test scripts do it, against ours."""

from __future__ import annotations

from typing import cast

import pytest
import torch

from torch import nn

from nystra_app.models import ModelDescriptor, ModelEntry, describe, get_architecture
from nystra_app.models.dehazeformer import DehazeFormer
from nystra_app.models.padding import Padding, run_padded
from nystra_app.models.switch import ImageModel
from nystra_app.models.swinir import SwinIR
from nystra_app.models.uformer import Uformer
from nystra_app.models.windows import pad_centred_square, pad_flip_past_multiple

from .test_dehazeformer import TINY as TINY_DEHAZE
from .test_official_computation import perturbed
from .test_swinir import TINY as TINY_SWINIR
from .test_uformer import TINY as TINY_UFORMER


def run(model: nn.Module, arch: str, x: torch.Tensor, padding: Padding) -> torch.Tensor:
    """run_padded with the descriptor a registry entry of this tiny model would give."""
    return run_padded(model, described(model, arch), x, padding)


def described(model: nn.Module, arch: str) -> ModelDescriptor:
    entry = ModelEntry(f"tiny-{arch}", arch, {}, get_architecture(arch).default_task, int(cast(ImageModel, model).scale), "tiny.pth")
    return describe(entry, model)


def test_flip_padding_adds_a_whole_window_to_a_multiple() -> None:
    x = torch.rand(1, 3, 16, 13)
    padded = pad_flip_past_multiple(x, 8)
    assert padded.shape[-2:] == (24, 16)
    assert torch.equal(padded[..., :16, :13], x)
    assert torch.equal(padded[..., 16, :13], x[..., 15, :])  # the edge row is repeated, then mirrored
    assert torch.equal(padded[..., 23, :13], x[..., 8, :])
    assert torch.equal(padded[..., :16, 13:], x[..., :, [12, 11, 10]])


def test_centred_square_of_zeros() -> None:
    x = torch.rand(1, 3, 96, 130) + 1
    square, top, left = pad_centred_square(x, 128)
    assert square.shape[-2:] == (256, 256) and (top, left) == (80, 63)
    assert torch.equal(square[..., top : top + 96, left : left + 130], x)
    assert float(square.sum()) == pytest.approx(float(x.sum()), rel=1e-6)  # zeros everywhere else


def test_swinir_official_padding_is_its_test_script() -> None:
    model = perturbed(SwinIR(TINY_SWINIR))
    x = torch.rand(1, 3, 16, 12)  # multiples of the window 4: the script still adds one
    with torch.inference_mode():
        official = run(model, "swinir", x, "official")
        rows = torch.cat([x, x.flip(-2)], -2)[..., :20, :]  # rows first, then columns, as the script does
        by_hand = model(torch.cat([rows, rows.flip(-1)], -1)[..., :16])
        ours = run(model, "swinir", x, "reflect")
    assert official.shape == ours.shape == (1, 3, 32, 24)
    assert torch.allclose(official, by_hand[..., :32, :24], atol=1e-6)
    assert not torch.allclose(official, ours, atol=1e-4)


def test_uformer_official_padding_is_a_centred_zero_square() -> None:
    model = perturbed(Uformer(TINY_UFORMER))
    x = torch.rand(1, 3, 48, 40)
    with torch.inference_mode():
        official = run(model, "uformer", x, "official")
        square = torch.zeros(1, 3, 64, 64)
        square[..., 8:56, 12:52] = x
        by_hand = model(square)[..., 8:56, 12:52]
        ours = run(model, "uformer", x, "reflect")
    assert official.shape == ours.shape == x.shape
    assert torch.allclose(official, by_hand, atol=1e-6)
    assert not torch.allclose(official, ours, atol=1e-4)


def test_dehazeformer_official_padding_is_its_own() -> None:
    model = perturbed(DehazeFormer(TINY_DEHAZE))
    x = torch.rand(1, 3, 21, 30)
    with torch.inference_mode():
        assert torch.equal(run(model, "dehazeformer", x, "official"), run(model, "dehazeformer", x, "reflect"))


def test_an_unknown_padding_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown padding 'zeros'"):
        run(DehazeFormer(TINY_DEHAZE), "dehazeformer", torch.rand(1, 3, 8, 8), "zeros")  # type: ignore[arg-type]
