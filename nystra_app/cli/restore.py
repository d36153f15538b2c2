"""`nystra restore`: restore picture files with a model, exact or PnP-Nystra (options: arguments.py)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..attention import EXACT, AttentionSpec
from ..engine import (
    TileProgress,
    output_extension,
    restore_picture,
    write_image,
)
from ..engine.batch import output_name
from ..engine.budget import Budget, PixelBudget, describe_seconds, read_within_budget
from ..engine.execution import Execution
from ..engine.imageio import open_picture
from ..engine.outputs import InputFiles, OutputNames, check_output_folder
from ..jobs import run_to_end
from ..models import LoadedModel
from .boundary import failure_line
from .common import emit, fast_setting, load_chosen_model


def run(args: argparse.Namespace) -> int:
    """Restore each input in turn; one input's failure is reported and the others still run."""
    check_output_folder(args.outdir)  # before the model loads: a wrong -o costs nothing
    model = load_chosen_model(args)
    if args.attention == "exact":
        spec, window, label = EXACT, args.window, "exact"
    else:
        (spec, window), label = fast_setting(args, model.descriptor.fast), "fast"
    model.configure(spec, window)  # a bad setting fails once, before any file
    described = model.descriptor
    if label == "fast" and not described.fast.faster:
        print(f"nystra: note: Fast is not faster for {described.id}. {described.fast.note}", file=sys.stderr)
    run_state = _Run(PixelBudget(model, spec, window, args.device, args.max_megapixels), OutputNames(),
                     InputFiles(args.inputs))
    files: list[dict[str, Any]] = []
    for path in args.inputs:
        try:
            files.append(_restore_file(path, model, args, spec, window, label, run_state))
        except Exception as exc:  # per-picture isolation: any failure is this picture's alone
            message = failure_line(exc, path, getattr(args, "debug", False))
            print(f"nystra: error: {message}", file=sys.stderr)
            files.append({"input": str(path), "error": message})
    failed = sum("error" in f for f in files)
    if failed and len(files) > 1:
        print(f"nystra: {failed} of {len(files)} pictures failed; the others were written", file=sys.stderr)
    report = {"model": described.id, "attention": spec.describe(), "window": described.window_label(window),
              "written": len(files) - failed, "failed": failed, "files": files}
    emit(report, args.json, _table(files))
    return 1 if failed else 0


@dataclass(frozen=True)
class _Run:
    """What the pictures of one run share: the pixel budget, the output names already given, the inputs."""

    budget: PixelBudget
    names: OutputNames
    inputs: InputFiles  # never written over


def _restore_file(path: Path, model: LoadedModel, args: argparse.Namespace, spec: AttentionSpec,
                  window: int | None, label: str, run_state: _Run) -> dict[str, Any]:
    source = open_picture(path)  # the header only: a bad file fails here, as one line, before any bar
    # Drawn now, before the budget's speed probe and the decoding: the first sign of life on a large picture.
    progress = tqdm(desc=path.name, unit="tile", file=sys.stderr, leave=False)  # stderr: shown with --json too
    with progress:
        picture, budget = read_within_budget(source, run_state.budget)
        _announce(path, picture.size, budget)
        if picture.note:
            tqdm.write(f"nystra: note: {picture.note}", file=sys.stderr)
        ext = output_extension(picture, args.format)
        target = run_state.names.claim(args.outdir / (output_name(path.stem, model.descriptor.id, label) + ext))
        job = restore_picture(picture, model, spec, window=window, device=args.device, tile=args.tile,
                              execution=Execution(precision=args.precision))
        result = run_to_end(job, lambda event: _show(progress, event))
    write_image(target, result.picture, protect=run_state.inputs)
    return {"input": str(path), "output": str(target), "seconds": result.seconds,
            "attention_seconds": result.attention_seconds, "attention_share": result.attention_share,
            "tiles": result.tiles, "fallback": result.fallback, "tiling_changed": result.tiling_changed}


def _announce(path: Path, size: tuple[int, int], budget: Budget) -> None:
    """A line on stderr before a picture long enough to need one (above its bar; with --json too)."""
    estimate = budget.estimate_seconds(size[0] * size[1])
    if estimate is not None and estimate >= 10:
        tqdm.write(f"nystra: restoring {path} ({size[0] * size[1] / 1e6:.1f} MP, about {describe_seconds(estimate)} here)",
                   file=sys.stderr)


def _show(progress: tqdm, event: TileProgress) -> None:
    progress.total = event.total
    progress.n = event.index
    progress.refresh()


def _table(files: list[dict[str, Any]]) -> str:
    failed = sum("error" in f for f in files)
    lines = []
    for f in files:
        if "error" in f:
            lines.append(f"FAILED  {f['input']}")
        else:
            lines.append(f"wrote   {f['output']}  {f['seconds']:.2f} s, attention {f['attention_share']:.0%}, "
                         f"{f['tiles']} tile(s), {f['fallback']} row(s) recomputed exactly by the guard"
                         + (" (tiled: this model normalises over the whole picture, so it differs slightly "
                            "from an untiled run)" if f["tiling_changed"] else ""))
    if failed:
        lines.append(f"{len(files) - failed} written, {failed} failed")
    return "\n".join(lines)
