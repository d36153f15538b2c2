"""The per-module bias cache follows dtype, device and inference-tensor parameters."""

from __future__ import annotations

import copy

import pytest
import torch

from nystra_app.attention import AttentionSpec, WindowGeometry
from nystra_app.attention.positional import full_bias, landmark_bias
from nystra_app.models import configure_attention
from nystra_app.models.dehazeformer import DehazeFormer, MetaBiasAttention

from ..models.test_dehazeformer import TINY

GEOMETRY = WindowGeometry(8, 8)
CPU = torch.device("cpu")


def _attention() -> MetaBiasAttention:
    attn = MetaBiasAttention(8, 2, 8)
    with torch.no_grad():
        for p in attn.parameters():
            p.add_(torch.randn_like(p))
    return attn


def test_a_dtype_change_after_a_run_rebuilds_the_bias() -> None:
    attn = _attention()
    before = full_bias(attn.bias, GEOMETRY, CPU)
    assert before.dtype == torch.float32
    attn.double()
    after = full_bias(attn.bias, GEOMETRY, CPU)
    assert after.dtype == torch.float64
    assert torch.allclose(after, before.double(), atol=1e-5)
    assert landmark_bias(attn.bias, WindowGeometry(8, 8, landmarks=16), CPU)[1].dtype == torch.float64


def test_replaced_weights_rebuild_the_bias() -> None:
    """`.data =` assigns new storage without bumping any version."""
    attn = _attention()
    before = full_bias(attn.bias, GEOMETRY, CPU)
    last = attn.meta[2]
    assert isinstance(last, torch.nn.Linear)
    last.bias.data = last.bias.data + 1.0
    assert torch.allclose(full_bias(attn.bias, GEOMETRY, CPU), before + 1.0, atol=1e-5)


def test_a_device_change_rebuilds_the_bias_on_that_device() -> None:
    attn = _attention()
    full_bias(attn.bias, GEOMETRY, CPU)
    meta = torch.device("meta")
    attn.to(meta)
    assert full_bias(attn.bias, GEOMETRY, meta).device.type == "meta"


def test_inference_tensor_parameters_work_and_follow_changes() -> None:
    model = DehazeFormer(TINY).eval()
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        expected = model(x)
    with torch.inference_mode():
        copied = copy.deepcopy(model)
        assert all(p.is_inference() for p in copied.parameters())
        assert torch.allclose(copied(x), expected, atol=1e-6)
        attn = next(m for m in copied.modules() if isinstance(m, MetaBiasAttention))
        before = full_bias(attn.bias, GEOMETRY, CPU)
        attn.meta[2].bias.add_(1.0)  # in place, no version to see it by
        assert torch.allclose(full_bias(attn.bias, GEOMETRY, CPU), before + 1.0, atol=1e-5)


@pytest.mark.parametrize("spec", [AttentionSpec("exact"), AttentionSpec("nystrom", landmarks=16, iters=6)])
def test_a_float64_dehazeformer_runs(spec: AttentionSpec) -> None:
    model = DehazeFormer(TINY).eval().double()
    x = torch.rand(1, 3, 24, 32, dtype=torch.float64)
    configure_attention(model, spec)
    with torch.inference_mode():
        double = model(x)
        single = model.float()(x.float())
    assert double.dtype == torch.float64
    assert torch.allclose(double.float(), single, atol=1e-4)
