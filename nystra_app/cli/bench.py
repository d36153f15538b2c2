"""`nystra bench attention|model|photo|wait|backends|paper`: speed as ratios, both comparisons stated.

The measurements live in the research package, loaded only when a bench command runs; the paper
report's plots need the `bench` extra (matplotlib).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import torch

from ..attention import EXACT
from ..engine import read_image
from ..engine.execution import Execution
from ..errors import NystraError
from ..manager import get_entry, load_model
from .common import emit, fast_setting


def paper(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("matplotlib") is None:
        raise NystraError("`nystra bench paper` draws its plots with matplotlib, which is not installed; "
                          "install the bench extra: pip install 'nystra-app[bench]' (./bootstrap.sh installs it)")
    from ..research.report import FULL, QUICK, run_report

    report = run_report(args.data, args.out, QUICK if args.quick else FULL,
                        log=lambda step: print(f"nystra: {step}", file=sys.stderr, flush=True))
    print(report)
    return 0


def photo(args: argparse.Namespace) -> int:
    from ..research.photobench import bench_photo

    # loaded here too: the descriptor's facts (window, scale), and missing weights fail before any run
    described = load_model(args.model, args.weights, random_weights=args.random_weights).descriptor
    spec, window = (EXACT, args.window) if args.attention == "exact" else fast_setting(args, described.fast)
    picture = None if args.input is None else read_image(args.input).rgb
    r = bench_photo(described, args.megapixels, picture=picture, spec=spec, window=window,
                    tile=args.tile, repeats=args.repeats,
                    execution=Execution(precision=args.precision), weights=args.weights,
                    random_weights=args.random_weights,
                    log=lambda line: print(f"nystra: {line}", file=sys.stderr, flush=True))
    fidelity = "identical" if r["psnr_vs_baseline"] is None else f"{r['psnr_vs_baseline']:.1f} dB"
    emit(r, args.json, (
        f"{r['model']}, {r['attention']}, a {r['size'][0]}x{r['size'][1]} photo ({r['megapixels']:.1f} MP) in "
        f"{r['tiles']} tile(s) of {r['tile']} px; median of {r['repeats']}, alternated\n"
        f"  today's eager path ({r['baseline_execution']})  {r['baseline_seconds']:8.1f} s  "
        f"peak {r['baseline_peak_rss_mb']:6.0f} MB\n"
        f"  default path ({r['execution']})  {r['seconds']:8.1f} s  peak {r['peak_rss_mb']:6.0f} MB  "
        f"({r['megapixels_per_s']:.3f} MP/s, first progress after {r['first_progress_seconds']:.2f} s)\n"
        f"  speed-up {r['speedup']:.2f}x, default vs baseline picture: {fidelity} PSNR"
    ))
    return 0


def wait(args: argparse.Namespace) -> int:
    from ..research.wait import describe_wait, estimate_wait

    loaded = load_model(args.model, args.weights, random_weights=args.random_weights)
    spec, window = (EXACT, args.window) if args.attention == "exact" else fast_setting(args, loaded.descriptor.fast)
    r = estimate_wait(loaded, args.megapixels, spec=spec, window=window, tile=args.tile, timed_tiles=args.tiles,
                      log=lambda line: print(f"nystra: {line}", file=sys.stderr, flush=True))
    emit(r, args.json, describe_wait(r))
    return 0


def backends(args: argparse.Namespace) -> int:
    from ..research.backends import bench_backends

    load_model(args.model, args.weights, random_weights=args.random_weights)  # a missing model fails before any run
    r = bench_backends(args.model, args.megapixels, args.backends, repeats=args.repeats, weights=args.weights,
                       random_weights=args.random_weights,
                       log=lambda line: print(f"nystra: {line}", file=sys.stderr, flush=True))
    lines = [f"{r['model']}, {r['attention']}, one {r['size'][0]}x{r['size'][1]} tile ({r['megapixels']:.2f} MP), "
             f"{r['threads']} threads; median of {r['repeats']} processes each, alternated; load {r['load_before']:.1f} -> "
             f"{r['load_after']:.1f}",
             f"  {'backend':12s} {'setup':>8s} {'per tile':>9s} {'vs eager':>9s} {'PSNR vs eager':>14s}"]
    for row in r["rows"]:
        if row["error"]:
            lines.append(f"  {row['backend']:12s} not run: {row['error']}")
            continue
        fidelity = "identical" if row["psnr_vs_eager"] is None else f"{row['psnr_vs_eager']:.1f} dB"
        lines.append(f"  {row['backend']:12s} {row['setup_seconds']:7.1f}s {row['seconds']:8.2f}s "
                     f"{row['speedup_vs_eager']:8.2f}x {fidelity:>14s}")
    emit(r, args.json, "\n".join(lines))
    return 0


def attention(args: argparse.Namespace) -> int:
    from ..research.benchmark import AttentionBenchConfig, bench_attention

    cfg = AttentionBenchConfig(tokens=args.tokens, dim=args.dim, landmarks=args.landmarks, iters=args.iters,
                               windows=args.windows, heads=args.heads, repeats=args.repeats, guard=not args.no_guard)
    r = bench_attention(cfg, torch.device(args.device))
    emit(r, args.json, (
        f"{r['comparison']} ({r['device']}, {r['windows']} windows x {r['heads']} heads, N={r['tokens']}, "
        f"d={r['dim']}, m={r['landmarks']}, {r['iters']} iterations; median of {r['repeats']})\n"
        f"  exact softmax(QK^T)V  {r['exact_ms']:9.2f} ms\n"
        f"  exact SDPA            {r['sdpa_ms']:9.2f} ms\n"
        f"  PnP-Nystra            {r['nystrom_ms']:9.2f} ms\n"
        f"  speed-up over the faster exact form: {r['speedup']:.1f}x   relative error {r['relative_error']:.3g}"
    ))
    return 0


def model(args: argparse.Namespace) -> int:
    from ..research.benchmark import bench_model

    spec, window = fast_setting(args, get_entry(args.model).fast)
    device = torch.device(args.device)
    loaded = load_model(args.model, args.weights, random_weights=args.random_weights, device=device)
    r = bench_model(loaded, args.size, window, spec, repeats=args.repeats, device=device)
    share = r["attention_share"]
    emit(r, args.json, (
        f"{r['model']} on a {r['size']}x{r['size']} input ({r['device']}, {r['weights']} weights; median of {r['repeats']})\n"
        f"  exact, trained window {r['trained_window']!s:>3}   {r['exact_trained_ms']:9.1f} ms  (attention {share['exact_trained']:.0%})\n"
        f"  exact, window {r['window']!s:>3}           {r['exact_ms']:9.1f} ms  (attention {share['exact']:.0%})\n"
        f"  {r['nystrom']:26s} {r['nystrom_ms']:9.1f} ms  "
        f"(attention {share['nystrom']:.0%}, guard fell back on {r['fallback_fraction']:.1%} of query rows)\n"
        f"  speed-up vs exact at the same window (the paper's comparison): {r['speedup']:.2f}x\n"
        f"  speed-up vs the model as trained (the user's comparison):    {r['speedup_vs_trained']:.2f}x\n"
        f"  Nyström output vs exact at the same window: {r['nystrom_vs_exact_psnr']:.2f} dB PSNR"
    ))
    return 0
