"""Small models for engine tests: a tiny random DehazeFormer and pointwise fakes with known outputs."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from nystra_app.manager import get_entry
from nystra_app.models import LoadedModel
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig



def tiny_dehazeformer() -> LoadedModel:
    torch.manual_seed(0)
    config = DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(1, 2, 2, 1, 1), num_heads=(1, 2, 2, 1, 1))
    return LoadedModel.of(get_entry("dehazeformer-t-indoor"), DehazeFormer(config).eval())


class Pointwise(nn.Module):
    """out = 1 - x, each pixel repeated `scale` times per axis: every output pixel depends on one input."""

    def __init__(self, scale: int = 1, in_channels: int = 3) -> None:
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1] == self.in_channels
        return (1 - x).repeat_interleave(self.scale, dim=2).repeat_interleave(self.scale, dim=3)


def fake_model(scale: int = 1, in_channels: int = 3) -> LoadedModel:
    entry = replace(get_entry("dehazeformer-t-indoor"), scale=scale)
    return LoadedModel.of(entry, Pointwise(scale, in_channels))


@pytest.fixture(name="fake_model")
def fake_model_factory():
    """Builds pointwise fake models: fake_model(scale=2, in_channels=1)."""
    return fake_model


@pytest.fixture(scope="session")
def tiny_model() -> LoadedModel:
    return tiny_dehazeformer()

