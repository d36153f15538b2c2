"""Execution choices: the default path gives the baseline's picture, and freed memory is reused."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest
import torch

from nystra_app.attention import EXACT
from nystra_app.engine import Picture, restore_picture, run_to_end
from nystra_app.engine.allocator import retain_freed_memory
from nystra_app.engine.execution import BASELINE, DEFAULT, Execution
from nystra_app.engine.metrics import psnr


def _picture() -> Picture:
    rgb = np.random.default_rng(3).random((96, 80, 3), dtype=np.float32)
    return Picture(rgb, None, 8, None, "PNG")


def test_default_path_matches_the_eager_baseline(tiny_model):
    base = run_to_end(restore_picture(_picture(), tiny_model, EXACT, execution=BASELINE)).picture.rgb
    fast = run_to_end(restore_picture(_picture(), tiny_model, EXACT, execution=DEFAULT)).picture.rgb
    assert psnr(fast, base) >= 60


def test_bf16_runs_and_stays_close(tiny_model):
    base = run_to_end(restore_picture(_picture(), tiny_model, EXACT, execution=BASELINE)).picture.rgb
    low = run_to_end(restore_picture(_picture(), tiny_model, EXACT, execution=Execution(precision="bf16"))).picture
    assert low.rgb.dtype == np.float32 and 25 <= psnr(low.rgb, base) < 200


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        Execution(precision="fp8")  # type: ignore[arg-type]


def _faults_for_big_allocations(count: int) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(count):
        torch.ones(16 * 2**20)  # 64 MiB: above glibc's largest mmap threshold
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc tuning applies to glibc only")
def test_freed_memory_is_reused_not_faulted_in_again():
    if not retain_freed_memory():
        pytest.skip("not glibc")
    _faults_for_big_allocations(10)  # the first few grow the heap
    pages = 64 * 2**20 // resource.getpagesize()
    assert _faults_for_big_allocations(5) < pages  # without reuse: about 5 x pages
