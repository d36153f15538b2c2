"""`nystra bench photo`: one photo-sized picture through the eager baseline and the default path.

The user's wait is the whole restore, so this times `restore_picture` end to end (tiles, blending,
allocation), not the model alone. Each run is its own process: peak memory (`ru_maxrss`) is then
the run's own, and the baseline gets glibc's default malloc behaviour that the default path changes
process-wide. Runs alternate baseline / default so a machine whose load drifts penalises both alike;
figures are medians. Both paths get the same tile side (today's rule, from free memory, chosen once
here), so their pictures differ only by how they were computed.
"""

from __future__ import annotations

import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ..attention import AttentionSpec
from ..engine.execution import BASELINE, DEFAULT, Execution
from ..engine.imageio import Picture
from ..engine.restore import estimate_bytes_per_pixel, restore_picture
from ..engine.tiling import auto_tile
from ..jobs import run_to_end
from ..manager import load_model
from ..models import ModelDescriptor

ASPECT = 4 / 3  # a camera's photo


@dataclass(frozen=True)
class PhotoJob:
    """What one worker process runs: plain data, passed as JSON on its command line."""

    model: str
    picture: str  # .npy (H, W, 3) float32 in [0, 1]
    output: str  # where the worker saves its restored .npy
    spec: dict
    window: int | None
    tile: int
    execution: dict
    weights: str | None = None
    random_weights: bool = False


def photo_size(megapixels: float) -> tuple[int, int]:
    """(height, width) of a 4:3 picture of about `megapixels`, sides multiples of 4."""
    width = int(math.sqrt(megapixels * 1e6 * ASPECT)) // 4 * 4
    return int(width / ASPECT) // 4 * 4, width


def synthetic_photo(megapixels: float, seed: int = 0) -> np.ndarray:
    """A photo-like (H, W, 3) float32 picture: smooth shading, edges, fine texture and a veil of haze.

    Speed does not depend on content, but fidelity figures (baseline vs default) are more telling
    on structure than on flat noise.
    """
    height, width = photo_size(megapixels)
    rng = np.random.default_rng(seed)
    picture = np.zeros((height, width, 3), np.float32)
    for cells, weight in ((4, 0.5), (32, 0.3), (256, 0.15)):  # coarse shading to fine detail
        coarse = rng.random((cells * 3 // 4 + 2, cells + 2, 3), dtype=np.float32)
        picture += weight * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(40):  # hard edges: rectangles of flat colour
        y, x = rng.integers(0, height), rng.integers(0, width)
        h, w = rng.integers(height // 40, height // 6), rng.integers(width // 40, width // 6)
        picture[y : y + h, x : x + w] = 0.5 * picture[y : y + h, x : x + w] + 0.5 * rng.random(3)
    picture += rng.normal(0, 0.02, picture.shape).astype(np.float32)  # sensor noise
    return np.clip(0.65 * picture + 0.3, 0.0, 1.0).astype(np.float32)  # haze: low contrast, lifted blacks


def run_job(job: PhotoJob) -> dict:
    """Worker side: load the model, restore once, save the output; seconds and peak memory."""
    rgb = np.load(job.picture)
    torch.manual_seed(0)  # random weights: the same model in every process
    model = load_model(job.model, Path(job.weights) if job.weights else None, random_weights=job.random_weights)
    execution = Execution(**job.execution)
    start = time.perf_counter()
    first_event: list[float] = []  # seconds to the first progress event (the planned tiles)

    def seen(_event: object) -> None:
        if not first_event:
            first_event.append(time.perf_counter() - start)

    restore = restore_picture(Picture(rgb, None, 8, None, "PNG"), model, AttentionSpec(**job.spec),
                              window=job.window, device="cpu", tile=job.tile, execution=execution)
    result = run_to_end(restore, seen)
    np.save(job.output, result.picture.rgb)
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the whole process: loading included
    return {"seconds": result.seconds, "tiles": result.tiles, "tile": result.tile, "first_progress_seconds": first_event[0],
            "peak_rss_mb": usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10),  # KiB on Linux
            "user_seconds": usage.ru_utime, "system_seconds": usage.ru_stime, "minor_faults": usage.ru_minflt}


def run_in_process(module: str, job: object) -> dict:
    """Run `python -m module JOB-AS-JSON` (a dataclass) and return the JSON of its last stdout line."""
    command = [sys.executable, "-m", module, json.dumps(asdict(job))]  # type: ignore[call-overload]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"a benchmark run failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def float_psnr(a: np.ndarray, b: np.ndarray) -> float | None:
    """PSNR of [0, 1] pictures before any 8-bit rounding (which would hide differences below a
    level); None when identical."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return None if mse == 0 else 10.0 * math.log10(1.0 / mse)


def bench_photo(
    described: ModelDescriptor,
    megapixels: float,
    *,
    picture: np.ndarray | None = None,
    spec: AttentionSpec = AttentionSpec(),
    window: int | None = None,
    tile: int | None = None,
    repeats: int = 1,
    execution: Execution = DEFAULT,
    weights: Path | None = None,
    random_weights: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> dict:
    """Baseline and `execution` runs alternated `repeats` times each; the JSON `nystra bench photo` prints."""
    rgb = synthetic_photo(megapixels) if picture is None else picture
    height, width = rgb.shape[:2]
    if tile is None:
        per_pixel = estimate_bytes_per_pixel(max(described.window(window)), described.scale)  # as restore does
        tile = auto_tile(height, width, torch.device("cpu"), per_pixel)
    runs: dict[str, list[dict]] = {"baseline": [], "default": []}
    with tempfile.TemporaryDirectory(prefix="nystra-photo-") as folder:
        source = Path(folder) / "picture.npy"
        np.save(source, rgb)
        for round_ in range(repeats):
            order = ("baseline", "default") if round_ % 2 == 0 else ("default", "baseline")
            for name in order:
                chosen = BASELINE if name == "baseline" else execution
                job = PhotoJob(described.id, str(source), str(Path(folder) / f"{name}.npy"), asdict(spec), window, tile,
                               asdict(chosen), str(weights) if weights else None, random_weights)
                log(f"round {round_ + 1}/{repeats}: {name} ({chosen.describe()})")
                runs[name].append(run_in_process(__name__, job))
                log(f"  {runs[name][-1]['seconds']:.1f} s, peak {runs[name][-1]['peak_rss_mb']:.0f} MB")
        fidelity = float_psnr(np.load(Path(folder) / "default.npy"), np.load(Path(folder) / "baseline.npy"))
    seconds = statistics.median(r["seconds"] for r in runs["default"])
    baseline_seconds = statistics.median(r["seconds"] for r in runs["baseline"])
    return {
        "model": described.id, "megapixels": height * width / 1e6, "size": [width, height],
        "attention": spec.describe(), "window": described.window_label(window),
        "execution": execution.describe(), "baseline_execution": BASELINE.describe(),
        "seconds": seconds, "baseline_seconds": baseline_seconds, "speedup": baseline_seconds / seconds,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs["default"]),
        "baseline_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["baseline"]),
        "megapixels_per_s": height * width / 1e6 / seconds,
        "psnr_vs_baseline": fidelity,
        "tiles": runs["default"][0]["tiles"], "tile": tile,
        "first_progress_seconds": statistics.median(r["first_progress_seconds"] for r in runs["default"]),
        "repeats": repeats, "runs": runs,
    }


if __name__ == "__main__":  # a worker: one run, its figures as the last line on stdout
    print(json.dumps(run_job(PhotoJob(**json.loads(sys.argv[1])))))
