"""The base class every model's window-attention module derives from, so one switch reaches all."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .compute import compute_attention
from .positional import BiasFn
from .spec import EXACT, AttentionSpec


@dataclass
class AttentionStats:
    """What a module's attention cost and how often the Nyström guard fell back to exact."""

    calls: int = 0
    seconds: float = 0.0
    pairs: int = 0  # (window, head) pairs computed
    fallback: int = 0  # of which the guard recomputed exactly
    probe_error_sq: float = 0.0  # |probe - output|^2 summed, when a probe spec is set
    probe_norm_sq: float = 0.0  # |output|^2 summed over the same calls

    @property
    def probe_relative_error(self) -> float:
        return (self.probe_error_sq / self.probe_norm_sq) ** 0.5 if self.probe_norm_sq else 0.0

    def add(self, other: AttentionStats) -> None:
        self.calls += other.calls
        self.seconds += other.seconds
        self.pairs += other.pairs
        self.fallback += other.fallback
        self.probe_error_sq += other.probe_error_sq
        self.probe_norm_sq += other.probe_norm_sq


class SwitchableAttention(nn.Module):
    """Computes attention on partitioned windows as `spec` says: exact or PnP-Nystra.

    Subclasses own their parameters (named as the official checkpoints name them) and call
    `attend`; `nystra_app.models.switch` changes `spec` on every instance at once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.spec: AttentionSpec = EXACT
        self.stats = AttentionStats()
        self.timing = False  # synchronise and time each call (costly on GPUs, so opt-in)
        # Also compute this spec on the same inputs and record its error (calibration); the
        # module's output stays that of `spec`, so later layers see unchanged features.
        self.probe: AttentionSpec | None = None

    def attend(
        self,
        q: Tensor,
        k: Tensor,
        v: Tensor,
        *,
        scale: float,
        window: tuple[int, int],
        bias_fn: BiasFn | None = None,
        regions: Tensor | None = None,
    ) -> Tensor:
        """q, k, v: (B, H, N, d) windows of window[0] x window[1] tokens -> (B, H, N, dv)."""
        start = self._clock(q.device)
        result = compute_attention(self.spec, q, k, v, scale=scale, window=window, bias_fn=bias_fn, regions=regions)
        out, fallback = result.output, result.fallback
        self.stats.calls += 1
        self.stats.pairs += q.shape[0] * q.shape[1]
        self.stats.fallback += fallback
        if self.timing:
            self.stats.seconds += self._clock(q.device) - start
        if self.probe is not None:
            probe = compute_attention(self.probe, q, k, v, scale=scale, window=window, bias_fn=bias_fn, regions=regions)
            self.stats.probe_error_sq += float((probe.output - out).pow(2).sum())
            self.stats.probe_norm_sq += float(out.pow(2).sum())
        return out

    def _clock(self, device: torch.device) -> float:
        if self.timing and device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()
