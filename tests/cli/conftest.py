from __future__ import annotations

import pytest
import torch

from nystra_app.cli import common
from nystra_app.manager import get_entry
from nystra_app.models import LoadedModel
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig


@pytest.fixture
def tiny_registry_model(monkeypatch) -> LoadedModel:
    """The real registry entry with a tiny random DehazeFormer behind it, for fast command tests."""
    torch.manual_seed(0)
    config = DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(1, 2, 2, 1, 1), num_heads=(1, 2, 2, 1, 1))
    model = LoadedModel.of(get_entry("dehazeformer-t-indoor"), DehazeFormer(config).eval())
    monkeypatch.setattr(common, "load_model", lambda model_id, weights=None, device="cpu": model)
    return model

