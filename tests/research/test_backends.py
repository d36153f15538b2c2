"""`nystra bench backends`: the rows it reports, run in-process here (the command runs each in its own process)."""

from __future__ import annotations

import importlib.util

import pytest

from nystra_app.cli.arguments import BACKEND_NAMES
from nystra_app.research import backends
from nystra_app.research.photobench import photo_size


@pytest.fixture
def in_process(monkeypatch) -> None:
    monkeypatch.setattr(backends, "run_in_process", lambda module, job: backends.run_job(job))


def test_the_command_offers_the_backends_the_benchmark_knows():
    assert BACKEND_NAMES == backends.BACKENDS


def test_each_row_is_timed_against_eager_or_says_why_it_did_not_run(in_process, monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):  # openvino missing; onnxruntime present (its setup is replaced below)
        return None if name == "openvino" else object() if name == "onnxruntime" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    def cannot_export(*args):
        raise RuntimeError("cannot export this model\nsecond line")

    monkeypatch.setitem(backends._SETUP, "onnxruntime", cannot_export)
    r = backends.bench_backends("dehazeformer-t-indoor", 0.01, ("onnxruntime", "openvino"), repeats=2,
                                random_weights=True)
    rows = {row["backend"]: row for row in r["rows"]}
    assert list(rows) == ["eager", "onnxruntime", "openvino"]  # eager first: the reference
    assert rows["eager"]["speedup_vs_eager"] == 1.0 and rows["eager"]["psnr_vs_eager"] is None
    assert len(rows["eager"]["runs"]) == 2 and rows["eager"]["seconds"] > 0
    assert rows["onnxruntime"]["error"] == "RuntimeError: cannot export this model"
    assert rows["openvino"]["error"] == "openvino is not installed (pip install openvino)"
    height, width = photo_size(0.01)
    assert r["size"] == [width, height]


@pytest.mark.slow  # exports the whole model to ONNX
@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_an_exported_backend_restores_the_tile_as_eager_does(in_process, backend):
    pytest.importorskip(backend)
    r = backends.bench_backends("dehazeformer-t-indoor", 0.01, (backend,), repeats=1, random_weights=True)
    row = r["rows"][1]
    assert row["backend"] == backend and row["error"] == ""
    assert row["psnr_vs_eager"] is None or row["psnr_vs_eager"] >= 60  # fp32: rounding differences only
