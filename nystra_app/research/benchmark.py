"""Benchmarks that compare attention forms on the same input in the same run.

Speed is reported as ratios of medians over interleaved runs (A B C A B C ...), so drift in the
machine's speed hits every form alike. These are measurements to print, never test assertions.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ..attention import (
    AttentionSpec,
    WindowGeometry,
    exact_attention,
    nystrom_attention,
)
from ..models import (
    LoadedModel,
    collect_stats,
    configure_attention,
    set_attention_timing,
)
from .synthetic import smooth_tokens

CPU = torch.device("cpu")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeats: int, warmup: int,
                        device: torch.device) -> dict[str, float]:
    """Median seconds of each fn, run in turn `repeats` times after `warmup` untimed rounds."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(warmup + repeats):
        for name, fn in fns.items():
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            if round_ >= warmup:
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


@dataclass(frozen=True)
class AttentionBenchConfig:
    tokens: int = 1024
    dim: int = 32
    landmarks: int = 16
    iters: int = 6
    windows: int = 8
    heads: int = 4
    repeats: int = 11
    warmup: int = 2
    guard: bool = True


def bench_attention(cfg: AttentionBenchConfig, device: torch.device = CPU) -> dict:
    """Exact (matmul and SDPA) vs Nyström on the same image-like windows of `tokens` tokens."""
    side = math.isqrt(cfg.tokens)
    if side * side != cfg.tokens:
        raise ValueError(f"--tokens must be a square window (e.g. 1024 = 32x32), got {cfg.tokens}")
    geometry = WindowGeometry(side, side, cfg.landmarks)
    gen = torch.Generator().manual_seed(0)
    q, k, v = (smooth_tokens(cfg.windows, cfg.heads, side, cfg.dim, generator=gen).to(device) for _ in range(3))
    scale = cfg.dim**-0.5
    outputs: dict[str, Tensor] = {}

    def run(name: str, fn: Callable[[], Tensor]) -> Callable[[], None]:
        def call() -> None:
            with torch.inference_mode():
                outputs[name] = fn()
        return call

    medians = interleaved_medians(
        {
            "exact": run("exact", lambda: exact_attention(q, k, v, scale=scale, impl="matmul")),
            "sdpa": run("sdpa", lambda: exact_attention(q, k, v, scale=scale, impl="sdpa")),
            "nystrom": run("nystrom", lambda: nystrom_attention(
                q, k, v, scale=scale, geometry=geometry, iters=cfg.iters, guard=cfg.guard).output),
        },
        cfg.repeats, cfg.warmup, device,
    )
    fastest_exact = min(medians["exact"], medians["sdpa"])
    error = float((outputs["nystrom"] - outputs["exact"]).norm() / outputs["exact"].norm())
    return {
        "comparison": "Nyström vs exact attention, same window, attention core only",
        "device": str(device),
        "tokens": cfg.tokens, "dim": cfg.dim, "landmarks": cfg.landmarks, "iters": cfg.iters,
        "windows": cfg.windows, "heads": cfg.heads, "repeats": cfg.repeats, "guard": cfg.guard,
        "exact_ms": medians["exact"] * 1e3,
        "sdpa_ms": medians["sdpa"] * 1e3,
        "nystrom_ms": medians["nystrom"] * 1e3,
        "speedup": fastest_exact / medians["nystrom"],
        "relative_error": error,
    }


def test_image(size: int, device: torch.device) -> Tensor:
    """A deterministic (1, 3, size, size) picture with edges, gradients and texture."""
    ys, xs = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    r = 0.5 + 0.4 * torch.sin(6 * xs + 2 * ys)
    g = 0.5 + 0.3 * torch.cos(9 * ys) * (xs > 0.4).float()
    b = 0.3 + 0.6 * ((xs - 0.5) ** 2 + (ys - 0.5) ** 2 < 0.08).float() * (0.8 + 0.2 * torch.sin(60 * xs))
    return torch.stack([r, g, b])[None].clamp(0, 1).to(device)


def bench_model(model: LoadedModel, size: int, window: int | None, spec: AttentionSpec, *, repeats: int = 3,
                warmup: int = 1, device: torch.device = CPU) -> dict:
    """The model as trained (exact, trained window) vs exact and Nyström at `window`, same input."""
    module, described = model.module, model.descriptor
    x = test_image(size, device)
    if described.channels == 1:
        x = x.mean(dim=1, keepdim=True)
    forms = {
        "exact_trained": (AttentionSpec("exact"), None),
        "exact": (AttentionSpec("exact"), window),
        "nystrom": (spec, window),
    }
    outputs: dict[str, Tensor] = {}
    shares: dict[str, float] = {}
    fallback = 0
    rows = 0

    def runner(name: str) -> Callable[[], None]:
        form_spec, form_window = forms[name]

        def call() -> None:
            nonlocal fallback, rows
            configure_attention(module, form_spec, form_window)
            collect_stats(module, reset=True)
            start = time.perf_counter()
            with torch.inference_mode():
                outputs[name] = module(x)
            _sync(device)
            stats = collect_stats(module, reset=True)
            shares[name] = stats.seconds / (time.perf_counter() - start)
            if name == "nystrom":
                fallback, rows = stats.fallback, stats.rows
        return call

    set_attention_timing(module, True)
    try:
        medians = interleaved_medians({name: runner(name) for name in forms}, repeats, warmup, device)
    finally:
        set_attention_timing(module, False)
        configure_attention(module, AttentionSpec("exact"))
    mse = float(((outputs["nystrom"].clamp(0, 1) - outputs["exact"].clamp(0, 1)) ** 2).mean())
    return {
        "comparisons": {
            "speedup": "Nyström vs exact attention at the same window (the paper's comparison)",
            "speedup_vs_trained": "Nyström at the window vs the model as trained (exact, trained window)",
        },
        "model": described.id,
        "weights": "random" if model.weights is None else str(model.weights),
        "device": str(device), "size": size, "trained_window": described.window_label(), "window": described.window_label(window),
        "nystrom": f"{spec.describe()}, window {described.window_label(window)}",
        "landmarks": spec.landmarks, "iters": spec.iters, "local": spec.local, "guard": spec.guard, "repeats": repeats,
        "exact_trained_ms": medians["exact_trained"] * 1e3,
        "exact_ms": medians["exact"] * 1e3,
        "nystrom_ms": medians["nystrom"] * 1e3,
        "speedup": medians["exact"] / medians["nystrom"],
        "speedup_vs_trained": medians["exact_trained"] / medians["nystrom"],
        "attention_share": {k: round(v, 4) for k, v in shares.items()},
        "fallback": fallback,
        "fallback_fraction": fallback / rows if rows else 0.0,
        "nystrom_vs_exact_psnr": 10 * math.log10(1 / mse) if mse > 0 else math.inf,
    }
