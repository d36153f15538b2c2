"""What a relative-position bias answers for offsets farther than its training ever showed it.

A model trained at window W learned biases for offsets up to ±(W-1). At a larger inference window
the bias is asked about farther offsets too, and how it answers decides much of the picture: the
enlarged DehazeFormer-T loses 13 dB indoors when its bias MLP simply extrapolates. These are the
training-free answers `nystra bench paper` measures against the model as trained; they plug into
the product's attention modules through `PositionBiasAttention.bias_transform`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..attention import AttentionSpec
from ..attention.module import PositionBiasAttention
from ..attention.positional import BiasFn
from ..models import configure_attention

REACH_POLICIES = ("extrapolate", "clamp", "neighbourhood")
"""extrapolate: evaluate the bias as it is (a table-based bias cannot, and clamps at its edge);
clamp: farther offsets get the bias of the farthest trained one in their direction;
neighbourhood: keys beyond the trained offsets are cut off, so each query sees the (2W-1)^2
neighbourhood it was trained on, wherever it sits in the larger window."""

OUT_OF_REACH = -1e4
"""Logit added beyond the trained offsets under "neighbourhood": its exp() is 0 in float32, and unlike
-inf it keeps max-subtraction finite."""


@dataclass(frozen=True)
class OffsetReach:
    trained: int | tuple[int, int]  # the window the bias was trained at (height, width)
    policy: str = "extrapolate"

    def __post_init__(self) -> None:
        if self.policy not in REACH_POLICIES:
            raise ValueError(f"unknown offset reach {self.policy!r}; choose from {', '.join(REACH_POLICIES)}")

    @property
    def cuts_off(self) -> bool:
        """Whether attention is cut to zero beyond the trained offsets (only exact attention can do that)."""
        return self.policy == "neighbourhood"

    def __call__(self, fn: BiasFn, offsets: Tensor, /) -> Tensor:
        """fn's bias at (P, 2) offsets, answered for the ones beyond the trained range as the policy says."""
        if self.policy == "extrapolate":
            return fn(offsets)
        h, w = (self.trained, self.trained) if isinstance(self.trained, int) else self.trained
        limit = torch.tensor([h - 1, w - 1], dtype=offsets.dtype, device=offsets.device)
        values = fn(torch.minimum(torch.maximum(offsets, -limit), limit))
        if self.cuts_off:
            values = values.masked_fill((offsets.abs() > limit).any(dim=-1, keepdim=True), OUT_OF_REACH)
        return values


def configure_with_reach(model: nn.Module, spec: AttentionSpec, window: int | None = None,
                         reach: str = "extrapolate") -> None:
    """configure_attention, and every position bias answering beyond its trained window as `reach` says.

    Raises ValueError before changing anything if the reach cuts attention off, which a low-rank
    kernel cannot represent (only exact attention can).
    """
    biased = [m for m in model.modules() if isinstance(m, PositionBiasAttention)]
    reaches = {m: OffsetReach(m.trained_window, reach) for m in biased}
    if spec.kind != "exact" and any(r.cuts_off for r in reaches.values()):
        raise ValueError(f"offset reach {reach!r} cuts attention off beyond the trained offsets, which a low-rank "
                         "kernel cannot represent; use it with exact attention")
    configure_attention(model, spec, window)
    for module, bias_reach in reaches.items():
        module.bias_transform = None if bias_reach.policy == "extrapolate" else bias_reach
