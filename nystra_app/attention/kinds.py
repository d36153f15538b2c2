"""The registry of attention kinds: what `AttentionSpec.kind` may name and how each is computed.

The product registers exact softmax and PnP-Nystra (compute.py); the research package adds its
training-free baselines here when it is imported, so product types carry no research options.
Adding a duplicate name is an error, as in every registry of this project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from torch import Tensor

from .positional import BiasFn

if TYPE_CHECKING:
    from .guard import GuardedResult
    from .spec import AttentionSpec


class ComputeFn(Protocol):
    def __call__(self, spec: AttentionSpec, q: Tensor, k: Tensor, v: Tensor, *, scale: float,
                 window: tuple[int, int], bias_fn: BiasFn | None, regions: Tensor | None) -> GuardedResult:
        """q, k, v: (B, H, N, d) windows of window[0] x window[1] tokens -> (B, H, N, dv) and fallbacks."""
        ...


@dataclass(frozen=True)
class AttentionKind:
    name: str
    compute: ComputeFn
    uses_landmark_cells: bool  # the switch checks the landmarks fit every window before changing anything
    describe: Callable[[AttentionSpec], str]


_KINDS: dict[str, AttentionKind] = {}


def register_kind(kind: AttentionKind) -> None:
    if kind.name in _KINDS:
        raise ValueError(f"attention kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind


def get_kind(name: str) -> AttentionKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise ValueError(f"unknown attention kind {name!r}: use one of {', '.join(known_kinds())}") from None


def known_kinds() -> tuple[str, ...]:
    return tuple(_KINDS)

