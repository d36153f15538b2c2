"""Restoring a folder: walk it, name the outputs, skip what is done, record failures and go on.

A generator like `restore_picture`, so the GUI's batch dialog and a script drive the same loop: it
yields a `FileEvent` when a file starts and ends (and every `TileProgress` in between) and returns
a `BatchReport`. One bad file is recorded and the batch goes on; a cancel stops within one layer
(engine/steps.py) and the file in progress is not written (writes are atomic, so nothing partial is left).
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from ..attention import AttentionSpec
from ..crash import one_line
from ..errors import NystraError
from ..jobs import Cancelled
from ..models import LoadedModel
from .budget import OverBudget, PixelBudget, read_within_budget
from .evaluate import IMAGE_SUFFIXES
from .imageio import WRITABLE, open_picture, write_image
from .outputs import InputFiles, OutputNames, check_output_folder, resolved
from .restore import restore_picture
from .steps import StepProgress
from .tiling import TileProgress

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
    message: str = ""  # the error, for "failed"; why, for a large picture "skipped"; a note for "written"
    seconds: float = 0.0


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)  # (input, message)
    cancelled: bool = False

    def summary(self) -> str:
        """One line for the end of a run: how many were written, skipped and failed."""
        text = f"{len(self.written)} written, {len(self.skipped)} skipped, {len(self.failures)} failed"
        return text + (" (cancelled)" if self.cancelled else "")


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
    """Picture files in the input folder (sorted), leaving out anything under the output folder.

    A broken or looping symbolic link with a picture's name is kept, so it is reported as failed
    instead of vanishing from the run.
    """
    if not options.input_dir.is_dir():
        raise NystraError(f"{options.input_dir}: not a folder")
    pattern = "**/*" if options.recursive else "*"
    output_dir = resolved(options.output_dir)
    return sorted(
        p for p in options.input_dir.glob(pattern)
        if (p.is_file() or p.is_symlink()) and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        and output_dir not in resolved(p).parents
    )


def output_name(stem: str, model: str, mode: str, template: str = DEFAULT_TEMPLATE) -> str:
    """An output's file name without extension: `{stem}_{model}_{mode}` unless a template says otherwise."""
    return template.format(stem=stem, model=model, mode=mode)


def output_path(source: Path, options: BatchOptions, model: str, mode: str) -> Path:
    """Where `source`'s result goes: its sub-folder mirrored under output_dir, the template's name."""
    if options.format:
        ext = options.format.lower() if options.format.startswith(".") else "." + options.format.lower()
    else:
        ext = source.suffix.lower() if source.suffix.lower() in WRITABLE else ".png"
    name = output_name(source.stem, model, mode, options.template) + ext
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
    max_megapixels: float | None = None,
    run_anyway: Collection[Path] = (),
    skip_large: bool = False,
    on_step: Callable[[StepProgress], None] | None = None,
) -> Generator[FileEvent | TileProgress, None, BatchReport]:
    """Restore every picture under options.input_dir; `mode` ("exact"/"fast") names the outputs.

    Each picture is isolated: whatever it raises (a project error, or an unexpected one, whose
    report is written to a file) is recorded as its failure and the batch goes on. The output
    folder is checked before the first picture; outputs that would share a name get `-2`, `-3`...
    `max_megapixels` is the pixel budget (None: the default, see budget.py); a picture above it fails,
    naming the option that allows it, unless it is in `run_anyway` (the user said yes: see
    `budget.over_budget`) or `skip_large` is set (it is skipped, saying why in plain words: the GUI).
    `on_step` reports progress inside a picture's tiles (see `restore_picture`).
    """
    check_template(options.template)
    inputs = find_inputs(options)
    check_output_folder(options.output_dir)
    budget = PixelBudget(model, spec, window, device, max_megapixels)
    names, protect = OutputNames(), InputFiles(inputs)
    report = BatchReport()
    for index, source in enumerate(inputs, 1):
        target = names.claim(output_path(source, options, model.descriptor.id, mode))
        if options.skip_existing and target.exists():
            report.skipped.append(source)
            yield FileEvent(index, len(inputs), source, "skipped", target)
            continue
        yield FileEvent(index, len(inputs), source, "started", target)
        start = time.perf_counter()
        try:
            opened = open_picture(source)
            picture = opened.read() if source in run_anyway else read_within_budget(opened, budget)[0]
            result = yield from restore_picture(picture, model, spec, window=window, device=device, cancel=cancel,
                                                on_step=on_step)
            write_image(target, result.picture, protect=protect, quality=options.quality)
        except Cancelled:
            report.cancelled = True
            return report
        except Exception as exc:  # per-picture isolation: this picture fails (or is skipped), the batch goes on
            if skip_large and isinstance(exc, OverBudget):
                report.skipped.append(source)
                yield FileEvent(index, len(inputs), source, "skipped", target,
                                f"too large to restore without asking ({exc.overage.describe()})")
                continue
            message = one_line(exc, source)
            report.failures.append((source, message))
            yield FileEvent(index, len(inputs), source, "failed", target, message)
            continue
        report.written.append(target)
        yield FileEvent(index, len(inputs), source, "written", target, picture.note,
                        seconds=time.perf_counter() - start)
    return report
