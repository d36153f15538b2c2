"""`nystra eval`: PSNR/SSIM and time of exact vs PnP-Nystra attention on image pairs (options: arguments.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from ..engine import Evaluation, Pair, evaluate, gaussian_noise, pair_folders
from ..engine.evaluate import list_images
from ..errors import NystraError
from ..jobs import run_to_end
from .common import emit, fast_setting, load_chosen_model


def run(args: argparse.Namespace) -> int:
    pairs = _pairs(args)
    model = load_chosen_model(args)
    spec, window = fast_setting(args, model.descriptor.fast)
    degrade = None if args.noise_sigma is None else gaussian_noise(args.noise_sigma)
    job = evaluate(model, pairs, spec, window=window, device=args.device, tile=args.tile, degrade=degrade,
                   padding=args.padding)
    with tqdm(total=len(pairs), unit="image", file=sys.stderr, disable=args.json, leave=False) as progress:
        report: Evaluation = run_to_end(job, lambda _: progress.update())
    emit(report.as_dict(), args.json, _table(report))
    return 0


def _pairs(args: argparse.Namespace) -> list[Pair]:
    if args.inputs is not None:
        return pair_folders(args.inputs, args.targets, args.limit)
    if args.noise_sigma is None:
        raise NystraError("--inputs is required unless --noise-sigma makes the inputs from the targets")
    clean = list_images(args.targets)[: args.limit] if args.limit else list_images(args.targets)
    return [Pair(path, path) for path in clean]


def _table(report: Evaluation) -> str:
    header = (f"{report.model}: exact at the trained window vs Nyström window {report.window}, "
              f"m={report.landmarks}, iters={report.iters}")
    columns = f"{'image':<24}{'exact dB':>10}{'fast dB':>10}{'fast/exact':>11}{'exact SSIM':>12}" \
              f"{'fast SSIM':>11}{'exact ms':>10}{'fast ms':>10}{'fallback':>10}"
    rows = [header, columns]
    mean = report.mean()
    for name, s in [(i.name, vars(i)) for i in report.images] + [("mean", mean)]:
        rows.append(f"{name[:23]:<24}{s['exact_psnr']:>10.2f}{s['nystrom_psnr']:>10.2f}"
                    f"{s['nystrom_vs_exact_psnr']:>11.2f}{s['exact_ssim']:>12.4f}{s['nystrom_ssim']:>11.4f}"
                    f"{s['exact_ms']:>10.0f}{s['nystrom_ms']:>10.0f}{s['fallback_fraction']:>10.1%}")
    return "\n".join(rows)
