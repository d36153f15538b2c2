"""The official checkpoints' keys and shapes (tests/data/checkpoint_layouts.json) as state dicts."""

from __future__ import annotations

import json
from functools import cache

import torch

from ..conftest import LAYOUTS


@cache
def layouts() -> dict:
    return json.loads(LAYOUTS.read_text())


def official_shapes(variant: str) -> dict[str, list[int]]:
    return layouts()[variant]["state_dict"]


def official_state_dict(variant: str) -> dict[str, torch.Tensor]:
    """Random tensors with exactly the official keys and shapes (what a released file holds)."""
    return {k: torch.randn(shape) * 0.02 for k, shape in official_shapes(variant).items()}
