"""Restoring a folder: walk it, name the outputs, skip what is done, record failures and go on.

A generator like `restore_picture`, so the GUI's batch dialog and a script drive the same loop: it
yields a `FileEvent` when a file starts and ends (and every `TileProgress` in between) and returns
a `BatchReport`. One bad file is recorded and the batch goes on; a cancel stops between tiles and
the file in progress is not written (writes are atomic, so nothing partial is left).
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from ..attention import AttentionSpec
from ..errors import NystraError
from ..models import LoadedModel
from .evaluate import IMAGE_SUFFIXES
from .imageio import WRITABLE, read_image, write_image
from .restore import restore_picture
from .steps import StepProgress
from .tiling import Cancelled, TileProgress

DEFAULT_TEMPLATE = "{stem}_{model}_{mode}"
TEMPLATE_FIELDS = ("stem", "model", "mode")


@dataclass(frozen=True)
class BatchOptions:
    input_dir: Path
    output_dir: Path
    recursive: bool = False  # sub-folders too, mirrored under output_dir
    template: str = DEFAULT_TEMPLATE  # output file name without extension; fields: {stem} {model} {mode}
    format: str | None = None  # output extension ("png", ".jpg"); None: the input's own when writable
    skip_existing: bool = True
    quality: int = 95  # JPEG quality, when the outputs are JPEG


@dataclass(frozen=True)
class FileEvent:
    index: int  # 1-based
    total: int
    source: Path
    status: Literal["started", "written", "skipped", "failed"]
    output: Path | None = None
    message: str = ""  # the error, for "failed"
    seconds: float = 0.0


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)  # (input, message)
    cancelled: bool = False


def check_template(template: str) -> None:
    """Refuse a name template that would give every output the same name or uses unknown fields."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = fields - set(TEMPLATE_FIELDS)
    if unknown:
        raise NystraError(f"unknown field(s) {', '.join('{' + f + '}' for f in sorted(unknown))} in the name "
                          f"template; use {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}")
    if "stem" not in fields:
        raise NystraError("the name template must contain {stem}, or every output would get the same name")


def find_inputs(options: BatchOptions) -> list[Path]:
    """Picture files in the input folder (sorted), leaving out anything under the output folder."""
    if not options.input_dir.is_dir():
        raise NystraError(f"{options.input_dir}: not a folder")
    pattern = "**/*" if options.recursive else "*"
    output_dir = options.output_dir.resolve()
    return sorted(
        p for p in options.input_dir.glob(pattern)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        and output_dir not in p.resolve().parents
    )


def output_path(source: Path, options: BatchOptions, model: str, mode: str) -> Path:
    """Where `source`'s result goes: its sub-folder mirrored under output_dir, the template's name."""
    if options.format:
        ext = options.format.lower() if options.format.startswith(".") else "." + options.format.lower()
    else:
        ext = source.suffix.lower() if source.suffix.lower() in WRITABLE else ".png"
    name = options.template.format(stem=source.stem, model=model, mode=mode) + ext
    return options.output_dir / source.parent.relative_to(options.input_dir) / name


def run_batch(
    options: BatchOptions,
    model: LoadedModel,
    spec: AttentionSpec,
    *,
    window: int | None = None,
    device: torch.device | str = "cpu",
    mode: str = "exact",
    cancel: threading.Event | None = None,
    on_step: Callable[[StepProgress], None] | None = None,
) -> Generator[FileEvent | TileProgress, None, BatchReport]:
    """Restore every picture under options.input_dir; `mode` ("exact"/"fast") names the outputs.

    `on_step` reports progress inside a picture's tiles (see `restore_picture`)."""
    check_template(options.template)
    inputs = find_inputs(options)
    report = BatchReport()
    for index, source in enumerate(inputs, 1):
        target = output_path(source, options, model.entry.id, mode)
        if options.skip_existing and target.exists():
            report.skipped.append(source)
            yield FileEvent(index, len(inputs), source, "skipped", target)
            continue
        yield FileEvent(index, len(inputs), source, "started", target)
        start = time.perf_counter()
        try:
            picture = read_image(source)
            result = yield from restore_picture(picture, model, spec, window=window, device=device, cancel=cancel,
                                                  on_step=on_step)
            write_image(target, result.picture, protect=inputs, quality=options.quality)
        except Cancelled:
            report.cancelled = True
            return report
        except (NystraError, ValueError) as exc:
            message = str(exc) if str(source) in str(exc) else f"{source}: {exc}"
            report.failures.append((source, message))
            yield FileEvent(index, len(inputs), source, "failed", target, message)
            continue
        report.written.append(target)
        yield FileEvent(index, len(inputs), source, "written", target, seconds=time.perf_counter() - start)
    return report
