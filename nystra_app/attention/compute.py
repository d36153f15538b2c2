"""One entry point that computes attention as an AttentionSpec says; the product's two kinds."""

from __future__ import annotations

from torch import Tensor

from .exact import exact_attention
from .geometry import WindowGeometry
from .guard import GuardedResult
from .kinds import AttentionKind, get_kind, register_kind
from .nystrom import nystrom_attention
from .positional import BiasFn, full_bias
from .spec import AttentionSpec


def compute_attention(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float, window: tuple[int, int],
                      bias_fn: BiasFn | None = None, regions: Tensor | None = None) -> GuardedResult:
    """q, k, v: (B, H, N, d) windows of window[0] x window[1] tokens -> (B, H, N, dv) and fallbacks."""
    return get_kind(spec.kind).compute(spec, q, k, v, scale=scale, window=window, bias_fn=bias_fn, regions=regions)


def _exact(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float, window: tuple[int, int],
           bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    bias = None if bias_fn is None else full_bias(bias_fn, WindowGeometry(*window), q.device)
    return GuardedResult(exact_attention(q, k, v, scale=scale, bias=bias, regions=regions), 0)


def _nystrom(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float, window: tuple[int, int],
             bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    geometry = WindowGeometry(*window, landmarks=spec.landmarks)
    return nystrom_attention(q, k, v, scale=scale, geometry=geometry, iters=spec.iters, bias_fn=bias_fn,
                             regions=regions, guard=spec.guard, local=spec.local)


def describe_nystrom(spec: AttentionSpec, solve: str | None = None, extra: str = "") -> str:
    """`nystrom(m=16, iters=6, local=8)`: how reports and the CLI name a PnP-Nystra setting."""
    local = f", local={spec.local}" if spec.local else ""
    return (f"{spec.kind}(m={spec.landmarks}, {solve or f'iters={spec.iters}'}{extra}{local}"
            f"{'' if spec.guard else ', unguarded'})")


register_kind(AttentionKind("exact", _exact, uses_landmark_cells=False, describe=lambda _: "exact"))
register_kind(AttentionKind("nystrom", _nystrom, uses_landmark_cells=True, describe=describe_nystrom))
