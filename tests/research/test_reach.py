"""Offset reach: how a bias trained at window W answers offsets beyond ±(W-1)."""

from __future__ import annotations

import pytest
import torch

from nystra_app.attention import EXACT, AttentionSpec, exact_attention
from nystra_app.models.dehazeformer import DehazeFormer, MetaBiasAttention
from nystra_app.models.switch import windowed_layers
from nystra_app.research.reach import OffsetReach, configure_with_reach

from ..models.test_dehazeformer import TINY


def _ramp(offsets: torch.Tensor) -> torch.Tensor:
    """A bias that keeps growing with distance, so extrapolation and clamping differ: (P, 2) -> (P, 1)."""
    return offsets.abs().sum(-1, keepdim=True)


def test_offsets_in_the_trained_range_keep_their_bias_under_every_policy() -> None:
    inside = torch.tensor([[0.0, 0.0], [3.0, -7.0], [-7.0, 7.0], [0.5, -6.5]])
    for policy in ("extrapolate", "clamp", "neighbourhood"):
        assert torch.equal(OffsetReach(8, policy)(_ramp, inside), _ramp(inside))


def test_farther_offsets_extrapolate_clamp_or_are_cut_off() -> None:
    beyond = torch.tensor([[12.0, 0.0], [-3.0, -20.0]])
    assert OffsetReach(8, "extrapolate")(_ramp, beyond).flatten().tolist() == [12.0, 23.0]
    assert OffsetReach(8, "clamp")(_ramp, beyond).flatten().tolist() == [7.0, 10.0]  # (7, 0) and (-3, -7)
    assert (OffsetReach(8, "neighbourhood")(_ramp, beyond) < -1e3).all()


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown offset reach 'far'"):
        OffsetReach(8, "far")


def test_neighbourhood_equals_attention_over_the_trained_neighbourhood_only() -> None:
    """At window 16, a model trained at 4 sees exactly the keys within ±3 of each query."""
    torch.manual_seed(0)
    attn = MetaBiasAttention(dim=8, num_heads=2, window_size=4).eval()
    attn.bias_transform = OffsetReach(4, "neighbourhood")
    q, k, v = (torch.randn(3, 2, 256, 4) for _ in range(3))
    with torch.inference_mode():
        ours = attn.attend(q, k, v, scale=0.5, window=(16, 16), bias_fn=attn.bias)
        ys, xs = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
        pos = torch.stack([ys.flatten(), xs.flatten()], -1).float()
        rel = pos[:, None] - pos[None]  # (N, N, 2)
        bias = attn.learned_bias(rel.reshape(-1, 2)).reshape(256, 256, 2).permute(2, 0, 1)
        bias = bias.masked_fill((rel.abs() > 3).any(-1), float("-inf"))
        expected = exact_attention(q, k, v, scale=0.5, bias=bias)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_the_model_switch_sets_the_reach_and_the_bias_cache_follows_it() -> None:
    model = DehazeFormer(TINY).eval()
    x = torch.rand(1, 3, 64, 64)
    outputs: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode():
        for policy in ("extrapolate", "clamp", "extrapolate"):
            configure_with_reach(model, EXACT, window=32, reach=policy)
            outputs.setdefault(policy, []).append(model(x))
    assert torch.equal(outputs["extrapolate"][0], outputs["extrapolate"][1])
    assert not torch.allclose(outputs["extrapolate"][0], outputs["clamp"][0], atol=1e-5)
    configure_with_reach(model, EXACT)
    assert {m.bias_transform for m in model.modules() if isinstance(m, MetaBiasAttention)} == {None}


def test_a_cut_off_reach_is_refused_for_nystrom_before_anything_changes() -> None:
    model = DehazeFormer(TINY).eval()
    with pytest.raises(ValueError, match="only exact|use it with exact attention"):
        configure_with_reach(model, AttentionSpec("nystrom", landmarks=16), window=16, reach="neighbourhood")
    assert all(m.window == m.trained_window for m in windowed_layers(model))
    assert {m.bias_transform for m in model.modules() if isinstance(m, MetaBiasAttention)} == {None}
