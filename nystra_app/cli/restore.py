"""`nystra restore`: restore picture files with a model, exact or PnP-Nystra."""

from __future__ import annotations

import argparse
import sys
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
from ..engine.batch import output_name
from ..engine.imageio import OUTPUT_FORMATS
from ..errors import NystraError
from ..jobs import run_to_end
from ..models import LoadedModel
from .common import (
    add_attention_options,
    add_json_option,
    add_model_options,
    emit,
    fast_setting,
    load_chosen_model,
)



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
    parser.add_argument("--format", choices=[f.ext[1:] for f in OUTPUT_FORMATS], default=None,
                        help="output format (default: the input's; 16-bit and alpha kept where it allows)")
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_chosen_model(args)
    if args.attention == "exact":
        spec, window, label = EXACT, args.window, "exact"
    else:
        (spec, window), label = fast_setting(args, model.descriptor.fast), "fast"
    model.configure(spec, window)  # a bad setting fails once, before any file
    described = model.descriptor
    if label == "fast" and not described.fast.faster:
        print(f"nystra: note: Fast is not faster for {described.id}. {described.fast.note}", file=sys.stderr)
    files: list[dict[str, Any]] = []
    for path in args.inputs:
        try:
            files.append(_restore_file(path, model, args, spec, window, label))
        except (NystraError, ValueError) as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            print(f"nystra: error: {message}", file=sys.stderr)
            files.append({"input": str(path), "error": message})
    report = {"model": described.id, "attention": spec.describe(), "window": described.window_label(window),
              "files": files}
    emit(report, args.json, _table(files))
    return 1 if any("error" in f for f in files) else 0


def _restore_file(path: Path, model: LoadedModel, args: argparse.Namespace, spec: AttentionSpec,
                  window: int | None, label: str) -> dict[str, Any]:
    picture = read_image(path)
    ext = output_extension(picture, args.format)
    target = args.outdir / (output_name(path.stem, model.descriptor.id, label) + ext)
    progress = tqdm(desc=path.name, unit="tile", file=sys.stderr, disable=args.json, leave=False)
    with progress:
        job = restore_picture(picture, model, spec, window=window, device=args.device, tile=args.tile)
        result = run_to_end(job, lambda event: _show(progress, event))
    write_image(target, result.picture, protect=args.inputs)
    return {"input": str(path), "output": str(target), "seconds": result.seconds,
            "attention_seconds": result.attention_seconds, "attention_share": result.attention_share,
            "tiles": result.tiles, "fallback": result.fallback, "tiling_changed": result.tiling_changed}


def _show(progress: tqdm, event: TileProgress) -> None:
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
                         f"{f['tiles']} tile(s), {f['fallback']} row(s) recomputed exactly by the guard"
                         + (" (tiled: this model normalises over the whole picture, so it differs slightly "
                            "from an untiled run)" if f["tiling_changed"] else ""))
    return "\n".join(lines)
