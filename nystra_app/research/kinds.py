"""The research attention kinds, registered with the product's registry of kinds on import.

The training-free baselines (Nyströmformer-style, Performer, Linformer-style, elu+1 linear) and
PnP-Nystra with the options only the report measures (a truncated-SVD solve, sampled-token
landmarks) run behind the same switch as the product's kinds, so every measurement goes through
the models exactly as a user's run does.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from ..attention import AttentionSpec, WindowGeometry, nystrom_attention
from ..attention.compute import describe_nystrom
from ..attention.guard import GuardedResult
from ..attention.kinds import AttentionKind, register_kind
from ..attention.positional import BiasFn
from .baselines import (
    linear_attention,
    linformer_attention,
    nystromformer_attention,
    performer_attention,
    random_projection,
)

SOLVES = ("iterative", "svd")


@dataclass(frozen=True)
class ResearchSpec(AttentionSpec):
    """An AttentionSpec with the options only research uses.

    Performer draws `features` random features; the Linformer-style projection keeps `landmarks`
    rows. For kind "nystrom-research", `solve` picks G_A's pseudoinverse (`iters` hyperpower steps
    or a truncated SVD) and `sampled_landmarks` takes each cell's centre token instead of its mean.
    """

    features: int = 64
    sampled_landmarks: bool = False
    solve: str = "iterative"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.features < 1:
            raise ValueError(f"random features must be at least 1, got {self.features}")
        if self.solve not in SOLVES:
            raise ValueError(f"unknown pseudoinverse solve {self.solve!r}: use iterative or svd")


def _options(spec: AttentionSpec) -> ResearchSpec:
    return spec if isinstance(spec, ResearchSpec) else ResearchSpec(spec.kind, spec.landmarks, spec.iters,
                                                                   spec.guard, spec.local)


def _geometry(spec: AttentionSpec, window: tuple[int, int]) -> WindowGeometry:
    return WindowGeometry(*window, landmarks=spec.landmarks, sampled=_options(spec).sampled_landmarks)


def _nystrom_research(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
                      window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    return nystrom_attention(q, k, v, scale=scale, geometry=_geometry(spec, window), iters=spec.iters, bias_fn=bias_fn,
                             regions=regions, guard=spec.guard, local=spec.local, solve=_options(spec).solve)


def _nystromformer(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
                   window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    return GuardedResult(nystromformer_attention(q, k, v, scale=scale, geometry=_geometry(spec, window),
                                                 iters=spec.iters, bias_fn=bias_fn, regions=regions), 0)


def _performer(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
               window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    return performer_attention(q, k, v, scale=scale, features=_options(spec).features, window=window, guard=spec.guard)


def _linear(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
            window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    return linear_attention(q, k, v, scale=scale, window=window, guard=spec.guard)


def _linformer(spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
               window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
    projection = random_projection(q.shape[-2], spec.landmarks, q.device, q.dtype)
    return GuardedResult(linformer_attention(q, k, v, scale=scale, projection=projection), 0)


def _describe_research_nystrom(spec: AttentionSpec) -> str:
    options = _options(spec)
    text = describe_nystrom(spec, None if options.solve == "iterative" else "svd",
                            ", sampled" if options.sampled_landmarks else "")
    return text.replace("nystrom-research(", "nystrom(", 1)


def _unguarded(spec: AttentionSpec) -> str:
    return "" if spec.guard else ", unguarded"


register_kind(AttentionKind("nystrom-research", _nystrom_research, True, _describe_research_nystrom))
register_kind(AttentionKind("nystromformer", _nystromformer, True,
                            lambda s: f"nystromformer(m={s.landmarks}, iters={s.iters})"))
register_kind(AttentionKind("performer", _performer, False,
                            lambda s: f"performer(features={_options(s).features}{_unguarded(s)})"))
register_kind(AttentionKind("linear", _linear, False, lambda s: f"linear(elu+1{_unguarded(s)})"))
register_kind(AttentionKind("linformer", _linformer, False, lambda s: f"linformer(rank={s.landmarks})"))
