"""What kind of attention a module computes; plain data so the CLI, GUI and registry share it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

AttentionKind = Literal["exact", "nystrom"]
ExactImpl = Literal["auto", "matmul", "sdpa"]


@dataclass(frozen=True)
class AttentionSpec:
    """Exact softmax attention, or PnP-Nystra with `landmarks` cells and `iters` pseudoinverse steps.

    `guard` keeps Nyström honest: windows whose denominators are not safely positive or whose
    output leaves the range of V are recomputed exactly (see nystrom.py).
    """

    kind: AttentionKind = "exact"
    landmarks: int = 16
    iters: int = 6
    guard: bool = True
    exact_impl: ExactImpl = "auto"

    def __post_init__(self) -> None:
        if self.kind not in ("exact", "nystrom"):
            raise ValueError(f"unknown attention kind {self.kind!r}: use 'exact' or 'nystrom'")
        if self.landmarks < 1:
            raise ValueError(f"landmarks must be at least 1, got {self.landmarks}")
        if self.iters < 1:
            raise ValueError(f"pseudoinverse iterations must be at least 1, got {self.iters}")
        if self.exact_impl not in ("auto", "matmul", "sdpa"):
            raise ValueError(f"unknown exact implementation {self.exact_impl!r}")

    def with_kind(self, kind: AttentionKind) -> AttentionSpec:
        return replace(self, kind=kind)

    def describe(self) -> str:
        if self.kind == "exact":
            return "exact"
        guard = "" if self.guard else ", unguarded"
        return f"nystrom(m={self.landmarks}, iters={self.iters}{guard})"


EXACT = AttentionSpec()
