"""The per-layer guard: errors measured on real features, layers above tolerance kept exact."""

from __future__ import annotations

import torch

from nystra_app.attention import AttentionSpec
from nystra_app.models import configure_attention
from nystra_app.research.calibration import apply_layer_guard, measure_layer_errors
from nystra_app.models.dehazeformer import DehazeFormer

from ..models.test_dehazeformer import TINY

FAST = AttentionSpec("nystrom", landmarks=4, iters=6)


def forward(model, x):
    with torch.inference_mode():
        return model(x)


def test_tolerance_decides_which_layers_run_nystrom() -> None:
    model = DehazeFormer(TINY).eval()
    x = torch.rand(1, 3, 32, 32)
    exact = forward(model, x)
    configure_attention(model, FAST)
    all_fast = forward(model, x)

    errors = measure_layer_errors(model, FAST, x)
    assert set(errors) == {n for n, m in model.named_modules() if hasattr(m, "register_attention_hook")}
    assert all(e > 0 for e in errors.values())

    report = apply_layer_guard(model, FAST, errors, tolerance=0.0)
    assert not any(r.fast for r in report)
    assert torch.equal(forward(model, x), exact)

    report = apply_layer_guard(model, FAST, errors, tolerance=float("inf"))
    assert all(r.fast for r in report)
    assert torch.equal(forward(model, x), all_fast)

    middle = sorted(errors.values())[len(errors) // 2]
    report = apply_layer_guard(model, FAST, errors, tolerance=middle)
    assert 0 < sum(r.fast for r in report) < len(report)
    assert all(r.fast == (r.relative_error <= middle) for r in report)
