"""What kind of attention a module computes; plain data so the CLI, GUI and registry share it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AttentionKind = Literal["exact", "nystrom", "nystromformer", "performer", "linformer", "linear"]
KINDS: tuple[str, ...] = AttentionKind.__args__  # type: ignore[attr-defined]
ExactImpl = Literal["auto", "matmul", "sdpa"]
Solve = Literal["iterative", "svd"]


@dataclass(frozen=True)
class AttentionSpec:
    """Exact softmax attention, PnP-Nystra, or one of the training-free baselines.

    PnP-Nystra and Nyströmformer use `landmarks` cells and `iters` pseudoinverse steps; the
    Linformer-style projection keeps `landmarks` rows; Performer draws `features` random features.
    `guard` recomputes exactly the rows where an approximation is unsafe (see guard.py). `solve`
    picks G_A's pseudoinverse: `iters` hyperpower steps, or a truncated SVD (a regularised solve,
    measured against the iterations in the benchmark report).
    """

    kind: AttentionKind = "exact"
    landmarks: int = 16
    iters: int = 6
    guard: bool = True
    exact_impl: ExactImpl = "auto"
    features: int = 64
    sampled_landmarks: bool = False  # landmark = a cell's centre token instead of its mean
    local: int | None = None  # exact attention within local x local blocks, Nyström beyond (see nystrom.py)
    solve: Solve = "iterative"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown attention kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.landmarks < 1:
            raise ValueError(f"landmarks must be at least 1, got {self.landmarks}")
        if self.local is not None and self.local < 1:
            raise ValueError(f"the local block must be at least 1 token, got {self.local}")
        if self.features < 1:
            raise ValueError(f"random features must be at least 1, got {self.features}")
        if self.iters < 1:
            raise ValueError(f"pseudoinverse iterations must be at least 1, got {self.iters}")
        if self.solve not in ("iterative", "svd"):
            raise ValueError(f"unknown pseudoinverse solve {self.solve!r}: use iterative or svd")
        if self.exact_impl not in ("auto", "matmul", "sdpa"):
            raise ValueError(f"unknown exact implementation {self.exact_impl!r}")

    @property
    def uses_landmark_cells(self) -> bool:
        return self.kind in ("nystrom", "nystromformer")

    def describe(self) -> str:
        guard = "" if self.guard else ", unguarded"
        if self.kind == "exact":
            return "exact"
        if self.kind == "performer":
            return f"performer(features={self.features}{guard})"
        if self.kind == "linear":
            return f"linear(elu+1{guard})"
        if self.kind == "linformer":
            return f"linformer(rank={self.landmarks})"
        solve = f"iters={self.iters}" if self.solve == "iterative" else "svd"
        sampled = (", sampled" if self.sampled_landmarks else "") + (f", local={self.local}" if self.local else "")
        return f"{self.kind}(m={self.landmarks}, {solve}{sampled}{guard if self.kind == 'nystrom' else ''})"


EXACT = AttentionSpec()
