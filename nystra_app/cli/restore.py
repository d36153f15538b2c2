"""`nystra restore`: restore picture files with a model, exact or PnP-Nystra."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..attention import EXACT, AttentionSpec
from ..engine import (
    TileProgress,
    output_extension,
    read_image,
    restore_picture,
    write_image,
)
from ..engine.execution import PRECISIONS, Execution
from ..engine.restore import RestoreResult
from ..errors import NystraError
from ..models import LoadedModel, configure_attention
from .common import (
    add_attention_options,
    add_json_option,
    add_model_options,
    emit,
    fast_setting,
    load_chosen_model,
)

FORMATS = ("png", "jpg", "tif", "webp", "bmp")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "restore", help="restore pictures (written as OUTDIR/<stem>_<model>_<exact|fast>.<ext>)",
        description="Restore pictures. Inputs are never overwritten; a file that fails is reported and "
                    "skipped, the others are still processed (exit code 1 if any failed).",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="picture files")
    parser.add_argument("-o", "--output", dest="outdir", type=Path, required=True, metavar="OUTDIR")
    add_model_options(parser)
    add_attention_options(parser)
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32",
                        help="bf16: opt-in, changes the picture slightly; faster only on CPUs with native bf16 "
                             "(avx512_bf16, AMX) and on GPUs (see `nystra bench photo --precision bf16`)")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="output format (default: the input's; 16-bit and alpha kept where it allows)")
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_chosen_model(args)
    if args.attention == "exact":
        spec, window, label = EXACT, args.window, "exact"
    else:
        (spec, window), label = fast_setting(args, model.entry), "fast"
    configure_attention(model.module, spec, window)  # a bad setting fails once, before any file
    if label == "fast" and not model.entry.fast.faster:
        print(f"nystra: note: Fast is not faster for {model.entry.id}. {model.entry.fast.note}", file=sys.stderr)
    files: list[dict[str, Any]] = []
    for path in args.inputs:
        try:
            files.append(_restore_file(path, model, args, spec, window, label))
        except (NystraError, ValueError) as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            print(f"nystra: error: {message}", file=sys.stderr)
            files.append({"input": str(path), "error": message})
    report = {"model": model.entry.id, "attention": spec.describe(), "window": window or model.entry.trained_window,
              "files": files}
    emit(report, args.json, _table(files))
    return 1 if any("error" in f for f in files) else 0


def _restore_file(path: Path, model: LoadedModel, args: argparse.Namespace, spec: AttentionSpec,
                  window: int | None, label: str) -> dict[str, Any]:
    picture = read_image(path)
    ext = output_extension(picture, args.format)
    target = args.outdir / f"{path.stem}_{model.entry.id}_{label}{ext}"
    progress = tqdm(desc=path.name, unit="tile", file=sys.stderr, disable=args.json, leave=False)
    with progress:
        job = restore_picture(picture, model, spec, window=window, device=args.device, tile=args.tile,
                              execution=Execution(precision=args.precision))
        result = _drive(job, progress)
    write_image(target, result.picture, protect=args.inputs)
    return {"input": str(path), "output": str(target), "seconds": result.seconds,
            "attention_seconds": result.attention_seconds, "attention_share": result.attention_share,
            "tiles": result.tiles, "fallback": result.fallback}


def _drive(job: Generator[TileProgress, None, RestoreResult], progress: tqdm) -> RestoreResult:
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        progress.total = event.total
        progress.n = event.index
        progress.refresh()


def _table(files: list[dict[str, Any]]) -> str:
    lines = []
    for f in files:
        if "error" in f:
            lines.append(f"FAILED  {f['input']}")
        else:
            lines.append(f"wrote   {f['output']}  {f['seconds']:.2f} s, attention {f['attention_share']:.0%}, "
                         f"{f['tiles']} tile(s), {f['fallback']} row(s) recomputed exactly by the guard")
    return "\n".join(lines)
