"""The measurements behind `nystra bench paper`: the shape of the paper's tables, on this machine.

Each function returns plain data; report.py turns it into markdown and plots. Real weights are
used where held (DehazeFormer-T), random weights for timing-only rows, and every row says which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ..attention import EXACT, AttentionSpec
from ..attention.module import AttentionCall, AttentionStats
from ..engine.evaluate import Pair, pair_folders
from ..engine.imageio import read_image
from ..engine.metrics import psnr
from ..models import LoadedModel, collect_stats, configure_attention
from .benchmark import CPU, AttentionBenchConfig, bench_attention
from .calibration import apply_layer_guard, measure_layer_errors
from .observe import observing
from .reach import configure_with_reach


def time_vs_tokens(tokens: list[int], repeats: int, device: torch.device = CPU) -> list[dict]:
    """Fig. 5: attention-core time against tokens per window, exact and Nyström (m = 16)."""
    return [bench_attention(AttentionBenchConfig(tokens=n, windows=8, heads=4, repeats=repeats, warmup=1), device)
            for n in tokens]


def capture_calls(model: nn.Module, image: Tensor, window: int | None, max_windows: int = 4) -> list[tuple[str, AttentionCall]]:
    """Real queries, keys and values of every attention layer (first `max_windows` windows)."""
    configure_attention(model, EXACT, window)
    calls: list[tuple[str, AttentionCall]] = []

    def observer_for(name: str):
        def observe(call: AttentionCall, _: Tensor) -> None:
            keep = slice(0, max_windows)
            calls.append((name, AttentionCall(call.q[keep].clone(), call.k[keep].clone(), call.v[keep].clone(),
                                              call.scale, call.window, call.bias_fn,
                                              None if call.regions is None else call.regions[keep])))
        return observe

    with observing(model, observer_for), torch.inference_mode():
        model(image)
    configure_attention(model, EXACT)
    return calls


def attention_matrices(call: AttentionCall, spec: AttentionSpec) -> Tensor:
    """(B, H, N, N) attention matrix a spec implies: its output for V = identity."""
    B, H, N, _ = call.q.shape
    eye = torch.eye(N, dtype=call.q.dtype).expand(B, H, N, N)
    unguarded = replace(spec, guard=False) if spec.kind != "exact" else spec
    with torch.inference_mode():
        return call.compute(unguarded, v=eye).output


def matrix_mse(calls: list[tuple[str, AttentionCall]], specs: list[AttentionSpec]) -> dict[str, float]:
    """Table VI: mean squared error of each spec's attention matrix against exact softmax."""
    errors: dict[str, list[float]] = {s.describe(): [] for s in specs}
    for _, call in calls:
        exact = attention_matrices(call, EXACT)
        for spec in specs:
            approx = attention_matrices(call, spec)
            errors[spec.describe()].append(float(torch.nan_to_num((approx - exact) ** 2, nan=1.0).mean()))
    return {k: float(np.mean(v)) for k, v in errors.items()}


def spectrum(calls: list[tuple[str, AttentionCall]], keep: int = 64) -> np.ndarray:
    """Fig. 1: median over windows and heads of sigma_i / sigma_1 of the exact attention matrices."""
    curves = []
    for _, call in calls:
        s = torch.linalg.svdvals(attention_matrices(call, EXACT).double())  # (B, H, N)
        curves.append((s / s[..., :1]).reshape(-1, s.shape[-1]).numpy())
    stacked = np.concatenate(curves)
    return np.median(stacked, axis=0)[:keep]


@dataclass(frozen=True)
class Variant:
    label: str
    spec: AttentionSpec
    window: int | None = None  # None: trained
    layer_tolerance: float | None = None  # per-layer guard, calibrated once on the first picture
    reach: str = "extrapolate"  # how biases answer offsets beyond the trained window (reach.py)


def fidelity(model: LoadedModel, pairs: list[Pair], variants: list[Variant]) -> list[dict]:
    """PSNR against ground truth and against exact attention at the same window, time, fallbacks.

    Whole pictures, no tiling: DehazeFormer normalises over the whole image. Timing is picture by
    picture with every variant in turn, so a machine that slows down over a long run slows every
    variant alike; each variant's one-time costs (its biases) are paid in an untimed run first.
    """
    module = model.module
    pictures = [(torch.from_numpy(read_image(p.input).rgb.transpose(2, 0, 1).copy())[None],
                 read_image(p.target).rgb, p.input.name) for p in pairs]
    guards = {v.label: measure_layer_errors(module, v.spec, pictures[0][0], v.window)
              for v in variants if v.layer_tolerance is not None}  # calibrated once, on the first picture

    def configure(variant: Variant) -> str | None:
        configure_with_reach(module, variant.spec, variant.window, variant.reach)
        if variant.layer_tolerance is None:
            return None
        report = apply_layer_guard(module, variant.spec, guards[variant.label], variant.layer_tolerance, variant.window)
        return f"{sum(r.fast for r in report)}/{len(report)}"

    def run(image: Tensor) -> np.ndarray:
        with torch.inference_mode():
            return module(image).clamp(0, 1)[0].permute(1, 2, 0).numpy()

    fast_layers = {}
    for variant in variants:
        fast_layers[variant.label] = configure(variant)
        run(pictures[0][0])
    scores: dict[str, dict[str, float]] = {v.label: {} for v in variants}  # picture -> PSNR against ground truth
    vs_exact: dict[str, list[float]] = {v.label: [] for v in variants}
    seconds = dict.fromkeys(scores, 0.0)
    stats = {label: AttentionStats() for label in scores}
    ordered = sorted(variants, key=lambda v: v.spec.kind != "exact")  # exact first: the references
    collect_stats(module, reset=True)
    for image, truth, name in pictures:
        references: dict[tuple[int | None, str], np.ndarray] = {}
        for variant in ordered:
            configure(variant)
            start = time.perf_counter()
            out = run(image)
            seconds[variant.label] += time.perf_counter() - start
            stats[variant.label].add(collect_stats(module, reset=True))
            scores[variant.label][name] = psnr(out, truth)
            if variant.spec.kind == "exact":
                references.setdefault((variant.window, variant.reach), out)
            if (variant.window, variant.reach) in references:
                vs_exact[variant.label].append(psnr(out, references[variant.window, variant.reach]))
    configure_with_reach(module, EXACT)

    rows = []
    for variant in variants:
        counted = stats[variant.label]
        rows.append({
            "variant": variant.label,
            "attention": variant.spec.describe(),
            "window": model.descriptor.window_label(variant.window),
            "reach": variant.reach,
            "psnr": scores[variant.label],
            "psnr_vs_exact": float(np.mean(vs_exact[variant.label])) if vs_exact[variant.label] else None,
            "seconds": seconds[variant.label],
            "fallback_fraction": counted.fallback / counted.rows if counted.rows else 0.0,
            "fast_layers": fast_layers[variant.label],
        })
    return rows


def dehaze_pairs(root: Path) -> list[Pair]:
    """Every hazy/GT pair under root (folders holding `hazy` and `GT`), SOTS-indoor first; hazy
    pictures without a ground truth are left out."""
    pairs: list[Pair] = []
    for folder in sorted(p for p in root.rglob("hazy") if (p.parent / "GT").is_dir()):
        found = pair_folders(folder, folder.parent / "GT", skip_unpaired=True)
        pairs = found + pairs if "indoor" in str(folder).lower() else pairs + found
    return pairs
