"""Synthetic attention inputs with the structure of image features, for benchmarks and tests.

Random Gaussian tokens are the wrong test for Nyström: their cell means carry no information and
the method collapses, while real features vary smoothly over a window.
"""

from __future__ import annotations

import torch
from torch import Tensor


def smooth_tokens(batch: int, heads: int, window: int, dim: int, amplitude: float = 1.5,
                  generator: torch.Generator | None = None) -> Tensor:
    """(batch, heads, window^2, dim) features that vary smoothly with the token position."""
    ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], dim=-1).float() / window  # (N, 2)
    freqs = torch.randn(batch, heads, 2, dim, generator=generator)
    phase = torch.rand(batch, heads, 1, dim, generator=generator) * 6.283
    return amplitude * torch.sin(pos @ freqs + phase)
