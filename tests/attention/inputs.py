"""Query/key/value fixtures with a known answer."""

from __future__ import annotations

import torch
from torch import Tensor

from nystra_app.research.synthetic import smooth_tokens

__all__ = ["relative_error", "smooth_tokens", "well_conditioned"]


def well_conditioned(batch: int, heads: int, tokens: int, dim: int, self_logit: float = 6.0) -> Tensor:
    """Tokens of equal norm, so exp(q k^T) with k = q is diagonally dominant and well conditioned."""
    q = torch.nn.functional.normalize(torch.randn(batch, heads, tokens, dim), dim=-1)
    return q * (self_logit * dim**0.5) ** 0.5


def relative_error(a: Tensor, b: Tensor) -> float:
    return float((a - b).norm() / b.norm())
