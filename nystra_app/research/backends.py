"""`nystra bench backends`: one photo-sized tile through the model with each execution backend.

Issue #17 asks whether torch.compile (inductor on the CPU), ONNX Runtime or OpenVINO beats the default eager
path by a clear margin, at the fidelity bar (>= 60 dB against eager in fp32). Each backend runs the product's
own tile function (`engine.execution.model_forward`: input range, padding, channels-last), so the figures are
what a restore's tile would cost. Setup (compiling, exporting, building a session) is timed apart: it is paid
once per tile shape, and a restore's tile shape follows the picture.

Each run is its own process, as in a product that would use one backend: on two cores, another runtime's
thread pool still spinning after its own run (ONNX Runtime's and OpenMP's wait by spinning) would slow the
next backend down. Runs alternate between the backends in a rotating order, so a machine whose load drifts
penalises each alike; figures are medians.

ONNX Runtime and OpenVINO are not dependencies of the app: they are imported in the worker only, and a
backend whose package is missing is a row that says so. Both run one ONNX file exported by torch's TorchScript
exporter at the tile's fixed shape (`torch.export`, which the newer exporter needs, stops at the bias cache's
`data_ptr()`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ..attention import EXACT
from ..engine.execution import DEFAULT, allocator_for, model_forward
from ..manager import load_model
from ..models import LoadedModel
from ..models.padding import run_padded
from .photobench import float_psnr, photo_size, run_in_process, synthetic_photo

BACKENDS = ("eager", "compile", "onnxruntime", "openvino")
_PACKAGES = {"onnxruntime": "onnxruntime", "openvino": "openvino"}  # not the app's dependencies

TileFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class BackendJob:
    """What one worker process runs: plain data, passed as JSON on its command line."""

    backend: str
    model: str
    megapixels: float
    output: str  # where the worker saves its restored tile (.npy)
    weights: str | None = None
    random_weights: bool = False


def _eager(model: LoadedModel) -> TileFn:
    """The default path's tile function, as `restore_picture` builds it."""
    module, described = model.module, model.descriptor
    return model_forward(module, DEFAULT, torch.device("cpu"), described.input_range,
                         call=lambda image: run_padded(module, described, image, "reflect"))


class _TileModule(nn.Module):
    """The tile function as a module, for the ONNX exporter (which traces modules)."""

    def __init__(self, model: LoadedModel) -> None:
        super().__init__()
        self.model = model.module
        self.forward_tile = _eager(model)

    def forward(self, tile: Tensor) -> Tensor:
        return self.forward_tile(tile)


def _export_onnx(model: LoadedModel, tile: Tensor, folder: Path) -> Path:
    path = folder / "tile.onnx"
    torch.onnx.export(_TileModule(model), (tile,), str(path), dynamo=False, input_names=["tile"],
                      output_names=["restored"])
    return path


def _onnxruntime(model: LoadedModel, tile: Tensor, folder: Path) -> TileFn:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # the same cores as torch
    session = onnxruntime.InferenceSession(str(_export_onnx(model, tile, folder)), options,
                                           providers=["CPUExecutionProvider"])
    return lambda x: torch.from_numpy(session.run(None, {"tile": x.contiguous().numpy()})[0])


def _openvino(model: LoadedModel, tile: Tensor, folder: Path) -> TileFn:
    import openvino

    # f32 asked for explicitly: on CPUs with native bf16 OpenVINO would otherwise compute in bf16.
    compiled = openvino.Core().compile_model(
        str(_export_onnx(model, tile, folder)), "CPU",
        {"INFERENCE_NUM_THREADS": torch.get_num_threads(), "INFERENCE_PRECISION_HINT": "f32",
         "PERFORMANCE_HINT": "LATENCY"})
    return lambda x: torch.from_numpy(np.asarray(compiled(x.contiguous().numpy())[0]))


def _compile(model: LoadedModel, tile: Tensor, folder: Path) -> TileFn:
    compiled = torch.compile(_eager(model), dynamic=False)
    with torch.inference_mode():
        compiled(tile)  # compiles: the setup this backend pays per tile shape
    return compiled


_SETUP: dict[str, Callable[[LoadedModel, Tensor, Path], TileFn]] = {
    "eager": lambda model, tile, folder: _eager(model), "compile": _compile,
    "onnxruntime": _onnxruntime, "openvino": _openvino,
}


def photo_tile(megapixels: float) -> Tensor:
    """The generated 4:3 photo as one (1, 3, H, W) tile: the same pixels in every process."""
    return torch.from_numpy(synthetic_photo(megapixels)).permute(2, 0, 1)[None].contiguous()


def run_job(job: BackendJob) -> dict:
    """Worker side: set the backend up (timed), one untimed warm-up run, one timed run; save the output."""
    torch.manual_seed(0)  # random weights: the same model in every process
    model = load_model(job.model, Path(job.weights) if job.weights else None, random_weights=job.random_weights)
    model.configure(EXACT, None)
    model.module.eval()
    tile = photo_tile(job.megapixels)
    with tempfile.TemporaryDirectory(prefix="nystra-backend-") as folder:
        start = time.perf_counter()
        try:
            run = _SETUP[job.backend](model, tile, Path(folder))
        except Exception as exc:  # a backend that cannot take this model is a finding, not a crash
            first_line = (str(exc).strip().splitlines() or [""])[0]
            return {"error": f"{type(exc).__name__}: {first_line[:300]}"}
        setup = time.perf_counter() - start
    with torch.inference_mode(), allocator_for(DEFAULT):  # the memory a restore keeps, as restore_picture does
        run(tile)  # first-call costs (thread pools, primitive caches) are not the steady state
        start = time.perf_counter()
        out = run(tile).float().clamp(0.0, 1.0)
        seconds = time.perf_counter() - start
    np.save(job.output, out.numpy())
    return {"setup_seconds": setup, "seconds": seconds}


def bench_backends(model_id: str, megapixels: float, backends: tuple[str, ...] = BACKENDS, *, repeats: int = 3,
                   weights: Path | None = None, random_weights: bool = False,
                   log: Callable[[str], None] = lambda _: None) -> dict:
    """`repeats` runs of each backend, each in its own process, alternated; eager is the reference."""
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown backend(s) {', '.join(sorted(unknown))}; choose from {', '.join(BACKENDS)}")
    names = ("eager", *(b for b in backends if b != "eager"))
    missing = {n: f"{_PACKAGES[n]} is not installed (pip install {_PACKAGES[n]})" for n in names
               if n in _PACKAGES and importlib.util.find_spec(_PACKAGES[n]) is None}
    errors = dict(missing)
    runs: dict[str, list[dict]] = {n: [] for n in names if n not in missing}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nystra-backends-") as folder:
        for round_ in range(repeats):
            ready = [n for n in runs if n not in errors]
            shift = round_ % len(ready)
            for name in ready[shift:] + ready[:shift]:
                job = BackendJob(name, model_id, megapixels, str(Path(folder) / f"{name}.npy"),
                                 str(weights) if weights else None, random_weights)
                result = run_in_process(__name__, job)
                if "error" in result:
                    errors[name] = result["error"]
                else:
                    runs[name].append(result)
                log(f"round {round_ + 1}/{repeats}: {name}: "
                    + (errors[name] if name in errors else f"{result['seconds']:.2f} s (setup {result['setup_seconds']:.1f} s)"))
        outputs = {n: np.load(Path(folder) / f"{n}.npy") for n in runs if n not in errors}
    eager_seconds = statistics.median(r["seconds"] for r in runs["eager"])
    rows: list[dict] = []
    for name in names:
        if name in errors:
            rows.append({"backend": name, "error": errors[name]})
            continue
        median = statistics.median(r["seconds"] for r in runs[name])
        rows.append({"backend": name, "error": "", "seconds": median, "speedup_vs_eager": eager_seconds / median,
                     "setup_seconds": statistics.median(r["setup_seconds"] for r in runs[name]),
                     "psnr_vs_eager": float_psnr(outputs[name], outputs["eager"]), "runs": runs[name]})
    height, width = photo_size(megapixels)
    return {"model": model_id, "size": [width, height], "megapixels": width * height / 1e6,
            "attention": EXACT.describe(), "threads": torch.get_num_threads(), "repeats": repeats,
            "load_before": load_before, "load_after": os.getloadavg()[0], "rows": rows}


if __name__ == "__main__":  # a worker: one run, its figures as the last line on stdout
    print(json.dumps(run_job(BackendJob(**json.loads(sys.argv[1])))))
