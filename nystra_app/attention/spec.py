"""What kind of attention a module computes; plain data so the CLI, GUI and registry share it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AttentionSpec:
    """Exact softmax attention or PnP-Nystra: the options the product offers.

    PnP-Nystra uses `landmarks` cells and `iters` pseudoinverse steps; `local` computes exact
    attention within local x local blocks and Nyström beyond (see nystrom.py); `guard` recomputes
    exactly the rows where the approximation is unsafe (see guard.py). Other kinds (the research
    baselines) are registered in kinds.py and may extend this class with their own options.
    """

    kind: str = "exact"
    landmarks: int = 16
    iters: int = 6
    guard: bool = True
    local: int | None = None

    def __post_init__(self) -> None:
        # The kind is checked where it is used (the switch, compute_attention), against the kinds
        # registered by then: the research kinds exist only once that package is imported.
        if self.landmarks < 1:
            raise ValueError(f"landmarks must be at least 1, got {self.landmarks}")
        if self.local is not None and self.local < 1:
            raise ValueError(f"the local block must be at least 1 token, got {self.local}")
        if self.iters < 1:
            raise ValueError(f"pseudoinverse iterations must be at least 1, got {self.iters}")

    @property
    def uses_landmark_cells(self) -> bool:
        from .kinds import get_kind

        return get_kind(self.kind).uses_landmark_cells

    def describe(self) -> str:
        from .kinds import get_kind

        return get_kind(self.kind).describe(self)


EXACT = AttentionSpec()
