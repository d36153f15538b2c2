"""Scoring exact and Nyström attention against ground truth over a folder of image pairs.

Every picture is restored twice through `restore_picture`: exact attention at the trained window
(the model as published) and Nyström at the requested window; both are scored against the target
and against each other. Pairing, scoring (Y channel, border) and an optional degradation (e.g.
seeded noise for denoisers, where the clean picture is both source and target) are parameters,
so SR and denoising benchmarks reuse this loop.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..attention import EXACT, AttentionSpec
from ..errors import NystraError
from ..models import LoadedModel
from ..models.padding import Padding
from .imageio import WRITABLE, Picture, read_image
from .metrics import psnr, ssim
from .restore import RestoreResult, restore_picture
from ..jobs import run_to_end

IMAGE_SUFFIXES = frozenset(WRITABLE) | {".gif", ".ppm", ".pgm"}
Degrade = Callable[[Picture, int], Picture]  # (clean or input picture, its index) -> model input


@dataclass(frozen=True)
class Pair:
    input: Path
    target: Path


@dataclass(frozen=True)
class Scoring:
    """How outputs are scored: SR papers use the Y channel and crop `scale` pixels at the border."""

    y_channel: bool = False
    border: int = 0

    @classmethod
    def for_scale(cls, scale: int) -> Scoring:
        return cls(y_channel=True, border=scale) if scale > 1 else cls()


@dataclass
class ImageScore:
    name: str
    exact_psnr: float
    nystrom_psnr: float
    nystrom_vs_exact_psnr: float
    exact_ssim: float
    nystrom_ssim: float
    exact_ms: float
    nystrom_ms: float
    fallback: int
    fallback_fraction: float


@dataclass
class Evaluation:
    model: str
    window: int | str  # the Nyström window (8, or 8x32); exact always runs at the trained one
    landmarks: int
    iters: int
    padding: str = "official"
    images: list[ImageScore] = field(default_factory=list)

    def mean(self) -> dict[str, float]:
        numeric = [k for k, v in asdict(self.images[0]).items() if k != "name"] if self.images else []
        return {k: float(np.mean([getattr(s, k) for s in self.images])) for k in numeric}

    def as_dict(self) -> dict:
        return {"model": self.model, "window": self.window, "landmarks": self.landmarks, "iters": self.iters,
                "padding": self.padding, "images": [asdict(s) for s in self.images], "mean": self.mean()}


def list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise NystraError(f"{folder}: not a folder")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def find_target(source: Path, targets: list[Path]) -> Path | None:
    """The target of `source`: the same file name, else the same stem, else the stem without the
    scale suffix of the SwinIR layout (LR_bicubic/X2/babyx2.png -> HR/baby.png), else the stem up
    to its first '_' (RESIDE: hazy/1438_10.png -> GT/1438.png)."""
    by_name = {t.name: t for t in targets}
    if source.name in by_name:
        return by_name[source.name]
    for stem in _candidate_stems(source.stem):
        matches = [t for t in targets if t.stem == stem]
        if matches:
            return matches[0]
    return None


def _candidate_stems(stem: str) -> list[str]:
    return [stem, re.sub(r"x\d+$", "", stem), stem.split("_", 1)[0]]


def pair_folders(inputs: Path, targets: Path, limit: int | None = None, *, skip_unpaired: bool = False) -> list[Pair]:
    """Every input with its target; an input without one is an error unless `skip_unpaired`."""
    sources, candidates = list_images(Path(inputs)), list_images(Path(targets))
    if not sources:
        raise NystraError(f"{inputs}: no images found")
    pairs = []
    for source in sources[:limit] if limit else sources:
        target = find_target(source, candidates)
        if target is None and skip_unpaired:
            continue
        if target is None:
            looked = " or ".join(repr(s) for s in dict.fromkeys(_candidate_stems(source.stem)))
            raise NystraError(f"no target for {source.name} in {targets} (looked for the same name or the stem {looked})")
        pairs.append(Pair(source, target))
    return pairs


def evaluate(
    model: LoadedModel,
    pairs: list[Pair],
    spec: AttentionSpec,
    *,
    window: int | None = None,
    device: torch.device | str = "cpu",
    tile: int | None = None,
    scoring: Scoring | None = None,
    degrade: Degrade | None = None,
    cancel: threading.Event | None = None,
    padding: Padding = "official",
) -> Generator[ImageScore, None, Evaluation]:
    """Yields each picture's scores, returns them all; `spec` is the Nyström setting to compare.

    `padding` defaults to the official test scripts' (models.padding), as published numbers were
    measured with it.
    """
    scoring = scoring or Scoring.for_scale(model.descriptor.scale)
    report = Evaluation(model.descriptor.id, model.descriptor.window_label(window), spec.landmarks, spec.iters,
                        padding)
    for index, pair in enumerate(pairs):
        source = read_image(pair.input)
        if degrade is not None:
            source = degrade(source, index)
        target = read_image(pair.target).rgb

        def run(picture: Picture, run_spec: AttentionSpec, run_window: int | None) -> RestoreResult:
            return run_to_end(restore_picture(picture, model, run_spec, window=run_window, device=device,
                                              tile=tile, cancel=cancel, padding=padding))

        exact, fast = run(source, EXACT, None), run(source, spec, window)
        exact_rgb, fast_rgb, target = _common_crop(exact.picture.rgb, fast.picture.rgb, target, pair)

        def score(metric: Callable[..., float], a: np.ndarray, b: np.ndarray) -> float:
            return metric(a, b, border=scoring.border, y_channel=scoring.y_channel)

        result = ImageScore(
            name=pair.input.name,
            exact_psnr=score(psnr, exact_rgb, target),
            nystrom_psnr=score(psnr, fast_rgb, target),
            nystrom_vs_exact_psnr=score(psnr, fast_rgb, exact_rgb),
            exact_ssim=score(ssim, exact_rgb, target),
            nystrom_ssim=score(ssim, fast_rgb, target),
            exact_ms=exact.seconds * 1000.0,
            nystrom_ms=fast.seconds * 1000.0,
            fallback=fast.fallback,
            fallback_fraction=fast.fallback_fraction,
        )
        report.images.append(result)
        yield result
    return report


def _common_crop(exact: np.ndarray, fast: np.ndarray, target: np.ndarray, pair: Pair):
    """Outputs and target cut to their common size: SR targets are often a few pixels larger
    than scale x input (benchmarks 'modcrop' them); anything else must match in channels."""
    if exact.shape[2] != target.shape[2]:
        raise NystraError(f"{pair.input.name} has {exact.shape[2]} channel(s) but its target "
                          f"{pair.target.name} has {target.shape[2]}")
    h, w = min(exact.shape[0], target.shape[0]), min(exact.shape[1], target.shape[1])
    return exact[:h, :w], fast[:h, :w], target[:h, :w]


def gaussian_noise(sigma: float, seed: int = 0) -> Degrade:
    """Additive white Gaussian noise of `sigma` (0..255 scale), seeded per picture index so runs
    repeat (as the denoising benchmarks do); not clipped, like SwinIR's test protocol."""

    def degrade(picture: Picture, index: int) -> Picture:
        rng = np.random.default_rng(seed + index)
        noisy = picture.rgb + rng.normal(0.0, sigma / 255.0, picture.rgb.shape).astype(np.float32)
        return Picture(noisy, picture.alpha, picture.bit_depth, picture.path, picture.format)

    return degrade

