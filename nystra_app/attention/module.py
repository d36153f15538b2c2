"""The base class every model's window-attention module derives from, so one switch reaches all."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from .compute import compute_attention
from .guard import GuardedResult
from .positional import BiasFn
from .spec import EXACT, AttentionSpec


@dataclass
class AttentionStats:
    """What a module's attention cost and how often the Nyström guard fell back to exact."""

    calls: int = 0
    seconds: float = 0.0
    rows: int = 0  # query rows computed (windows x heads x tokens)
    fallback: int = 0  # of which the guard recomputed exactly

    def add(self, other: AttentionStats) -> None:
        self.calls += other.calls
        self.seconds += other.seconds
        self.rows += other.rows
        self.fallback += other.fallback


@dataclass(frozen=True)
class AttentionCall:
    """One call's inputs, so an attention hook can recompute it with another spec."""

    q: Tensor
    k: Tensor
    v: Tensor
    scale: float
    window: tuple[int, int]
    bias_fn: BiasFn | None
    regions: Tensor | None

    def compute(self, spec: AttentionSpec, v: Tensor | None = None) -> GuardedResult:
        return compute_attention(spec, self.q, self.k, self.v if v is None else v, scale=self.scale,
                                 window=self.window, bias_fn=self.bias_fn, regions=self.regions)


AttentionHook = Callable[[AttentionCall, Tensor], None]
"""Called with every attention call's inputs and its output (measurements on real features)."""


class SwitchableAttention(nn.Module):
    """Computes attention on partitioned windows as `spec` says: exact or PnP-Nystra.

    Subclasses own their parameters (named as the official checkpoints name them) and call
    `attend`; `nystra_app.models.switch` changes `spec` on every instance at once. Observers
    (the research package's measurements) attach through `register_attention_hook`, as torch's
    forward hooks do, so the product carries no field for them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.spec: AttentionSpec = EXACT
        # (height, width) where the architecture fixes this module's window (DAT's rectangles, EMT's
        # stripes), so the switch can check landmarks against it; None where a windowed layer sets it.
        self.fixed_window: tuple[int, int] | None = None
        self.stats = AttentionStats()
        self.timing = False  # synchronise and time each call (costly on GPUs, so opt-in)
        self._attention_hooks: OrderedDict[int, AttentionHook] = OrderedDict()  # weakly referenced by handles

    def register_attention_hook(self, hook: AttentionHook) -> RemovableHandle:
        handle = RemovableHandle(self._attention_hooks)
        self._attention_hooks[handle.id] = hook
        return handle

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
        start = self._clock(q.device) if self.timing else 0.0  # untimed: no clock for torch.compile to break at
        result = compute_attention(self.spec, q, k, v, scale=scale, window=window, bias_fn=bias_fn, regions=regions)
        out, fallback = result.output, result.fallback
        self.stats.calls += 1
        self.stats.rows += q.shape[0] * q.shape[1] * q.shape[2]
        self.stats.fallback += fallback
        if self.timing:
            self.stats.seconds += self._clock(q.device) - start
        for hook in list(self._attention_hooks.values()):
            hook(AttentionCall(q, k, v, scale, window, bias_fn, regions), out)
        return out

    def _clock(self, device: torch.device) -> float:
        if self.timing and device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()


class BiasTransform(Protocol):
    """Changes how a learned bias answers offsets (the research package's offset reach). Must be
    hashable: the bias cache keys on it."""

    def __call__(self, learned: BiasFn, offsets: Tensor, /) -> Tensor: ...

    def __hash__(self) -> int: ...


class PositionBiasAttention(SwitchableAttention):
    """Window attention with a relative-position bias learned at one window size (height, width).

    Subclasses give only the learned bias, as `learned_bias`. `bias_transform`, None in the
    product, is the hook through which research changes the bias beyond the trained offsets.
    """

    def __init__(self, trained_window: int | tuple[int, int]) -> None:
        super().__init__()
        self.trained_window: tuple[int, int] = (
            (trained_window, trained_window) if isinstance(trained_window, int) else tuple(trained_window))  # type: ignore[assignment]
        self.bias_transform: BiasTransform | None = None

    def bias(self, offsets: Tensor) -> Tensor:
        if self.bias_transform is None:
            return self.learned_bias(offsets)
        return self.bias_transform(self.learned_bias, offsets)

    def learned_bias(self, offsets: Tensor) -> Tensor:
        """(P, 2) offsets -> (P, heads) logits, as trained."""
        raise NotImplementedError
