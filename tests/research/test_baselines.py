"""Each training-free baseline against a case with a known answer."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nystra_app.attention import WindowGeometry, exact_attention
from nystra_app.research.baselines import (
    linear_attention,
    linformer_attention,
    nystromformer_attention,
    performer_attention,
)
from nystra_app.attention.compute import compute_attention
from nystra_app.research import ResearchSpec

from ..attention.inputs import relative_error, smooth_tokens, well_conditioned

SCALE = 16**-0.5


def test_performer_converges_to_exact_as_features_grow() -> None:
    q, k, v = (smooth_tokens(2, 2, 8, 16, amplitude=0.8) for _ in range(3))
    exact = exact_attention(q, k, v, scale=SCALE)
    errors = [
        relative_error(performer_attention(q, k, v, scale=SCALE, features=r, window=(8, 8), guard=False).output, exact)
        for r in (64, 1024, 16384)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < errors[0] / 6  # Monte Carlo: error ~ 1 / sqrt(features)


def test_nystromformer_equals_exact_when_landmarks_are_the_tokens() -> None:
    q = well_conditioned(2, 2, 64, 16)
    v = torch.randn(2, 2, 64, 16)
    approx = nystromformer_attention(q, q, v, scale=SCALE, geometry=WindowGeometry(8, 8, 64), iters=30)
    assert relative_error(approx, exact_attention(q, q, v, scale=SCALE)) <= 1e-4


def test_linformer_with_the_identity_projection_is_exact() -> None:
    q, k, v = (torch.randn(2, 2, 64, 16) for _ in range(3))
    approx = linformer_attention(q, k, v, scale=SCALE, projection=torch.eye(64))
    assert relative_error(approx, exact_attention(q, k, v, scale=SCALE)) <= 1e-5


def test_linear_attention_equals_its_quadratic_form() -> None:
    q, k, v = (torch.randn(2, 2, 64, 16) for _ in range(3))
    kernel = (F.elu(q) + 1) @ (F.elu(k) + 1).transpose(-2, -1)  # (B, H, N, N)
    quadratic = (kernel / kernel.sum(dim=-1, keepdim=True)) @ v
    fast = linear_attention(q, k, v, scale=SCALE, window=(8, 8), guard=False).output
    assert relative_error(fast, quadratic) <= 1e-5


def test_every_kind_runs_through_one_entry_point() -> None:
    q, k, v = (smooth_tokens(2, 2, 8, 16) for _ in range(3))
    exact = exact_attention(q, k, v, scale=SCALE)
    for kind in ("exact", "nystrom", "nystrom-research", "nystromformer", "performer", "linformer", "linear"):
        out = compute_attention(ResearchSpec(kind, landmarks=16), q, k, v, scale=SCALE, window=(8, 8)).output
        assert out.shape == exact.shape and torch.isfinite(out).all(), kind
