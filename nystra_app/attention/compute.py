"""One entry point that computes attention as an AttentionSpec says, for modules and benchmarks."""

from __future__ import annotations

from torch import Tensor

from .baselines import (
    linear_attention,
    linformer_attention,
    nystromformer_attention,
    performer_attention,
    random_projection,
)
from .exact import exact_attention
from .geometry import WindowGeometry
from .guard import GuardedResult
from .nystrom import nystrom_attention
from .positional import BiasFn, full_bias
from .spec import AttentionSpec


def compute_attention(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float, window: tuple[int, int],
                      bias_fn: BiasFn | None = None, regions: Tensor | None = None) -> GuardedResult:
    """q, k, v: (B, H, N, d) windows of window[0] x window[1] tokens -> (B, H, N, dv) and fallbacks."""
    if spec.kind == "exact":
        bias = None if bias_fn is None else full_bias(bias_fn, WindowGeometry(*window), q.device)
        return GuardedResult(exact_attention(q, k, v, scale=scale, bias=bias, regions=regions, impl=spec.exact_impl), 0)
    if spec.kind == "nystrom":
        geometry = WindowGeometry(*window, landmarks=spec.landmarks, sampled=spec.sampled_landmarks)
        return nystrom_attention(q, k, v, scale=scale, geometry=geometry, iters=spec.iters, bias_fn=bias_fn, regions=regions,
                                 guard=spec.guard, local=spec.local, solve=spec.solve)
    if spec.kind == "nystromformer":
        geometry = WindowGeometry(*window, landmarks=spec.landmarks, sampled=spec.sampled_landmarks)
        return GuardedResult(nystromformer_attention(q, k, v, scale=scale, geometry=geometry, iters=spec.iters,
                                                     bias_fn=bias_fn, regions=regions), 0)
    if spec.kind == "performer":
        return performer_attention(q, k, v, scale=scale, features=spec.features, window=window, guard=spec.guard)
    if spec.kind == "linear":
        return linear_attention(q, k, v, scale=scale, window=window, guard=spec.guard)
    projection = random_projection(q.shape[-2], spec.landmarks, q.device, q.dtype)
    return GuardedResult(linformer_attention(q, k, v, scale=scale, projection=projection), 0)
