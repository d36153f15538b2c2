"""The measurements behind `nystra bench paper`: the shape of the paper's tables, on this machine.

Each function returns plain data; report.py turns it into markdown and plots. Real weights are
used where held (DehazeFormer-T), random weights for timing-only rows, and every row says which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ..attention import EXACT, AttentionSpec
from ..attention.module import AttentionCall
from ..models import LoadedModel, collect_stats, configure_attention
from ..models.calibration import apply_layer_guard, measure_layer_errors
from ..models.switch import observing
from .benchmark import CPU, AttentionBenchConfig, bench_attention
from .evaluate import Pair
from .imageio import read_image
from .metrics import psnr


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
    unguarded = AttentionSpec(**{**spec.__dict__, "guard": False}) if spec.kind != "exact" else spec
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
    reach: str = "extrapolate"  # how biases answer offsets beyond the trained window (attention.reach)


def fidelity(model: LoadedModel, pairs: list[Pair], variants: list[Variant]) -> list[dict]:
    """PSNR against ground truth and against exact attention at the same window, time, fallbacks.

    Whole pictures, no tiling: DehazeFormer normalises over the whole image.
    """
    module = model.module
    pictures = [(torch.from_numpy(read_image(p.input).rgb.transpose(2, 0, 1).copy())[None],
                 read_image(p.target).rgb, p.input.name) for p in pairs]
    exact_by_setting: dict[tuple[int | None, str], list[np.ndarray]] = {}  # (window, reach) -> outputs
    rows = []
    configure_attention(module, EXACT)
    with torch.inference_mode():  # one-time costs (allocator, kernels) must not land on the first variant timed
        module(pictures[0][0])
    for variant in sorted(variants, key=lambda v: v.spec.kind != "exact"):  # exact first: the references
        configure_attention(module, variant.spec, variant.window, variant.reach)
        fast_layers = None
        if variant.layer_tolerance is not None:
            errors = measure_layer_errors(module, variant.spec, pictures[0][0], variant.window)
            report = apply_layer_guard(module, variant.spec, errors, variant.layer_tolerance, variant.window)
            fast_layers = f"{sum(r.fast for r in report)}/{len(report)}"
        collect_stats(module, reset=True)
        outputs, seconds = [], 0.0
        for image, _, _ in pictures:
            start = time.perf_counter()
            with torch.inference_mode():
                out = module(image).clamp(0, 1)[0].permute(1, 2, 0).numpy()
            seconds += time.perf_counter() - start
            outputs.append(out)
        stats = collect_stats(module, reset=True)
        if variant.spec.kind == "exact":
            exact_by_setting.setdefault((variant.window, variant.reach), outputs)
        reference = exact_by_setting.get((variant.window, variant.reach))
        rows.append({
            "variant": variant.label,
            "attention": variant.spec.describe(),
            "window": variant.window or model.entry.trained_window,
            "reach": variant.reach,
            "psnr": {name: psnr(out, gt) for out, (_, gt, name) in zip(outputs, pictures)},
            "psnr_vs_exact": None if reference is None else float(np.mean([psnr(o, r) for o, r in zip(outputs, reference)])),
            "seconds": seconds,
            "fallback_fraction": stats.fallback / stats.rows if stats.rows else 0.0,
            "fast_layers": fast_layers,
        })
    configure_attention(module, EXACT)
    return rows


def dehaze_pairs(root: Path) -> list[Pair]:
    """Every hazy/GT pair under root (folders holding `hazy` and `GT`), SOTS-indoor first; hazy
    pictures without a ground truth are left out."""
    from .evaluate import pair_folders

    pairs: list[Pair] = []
    for folder in sorted(p for p in root.rglob("hazy") if (p.parent / "GT").is_dir()):
        found = pair_folders(folder, folder.parent / "GT", skip_unpaired=True)
        pairs = found + pairs if "indoor" in str(folder).lower() else pairs + found
    return pairs
