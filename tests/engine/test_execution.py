"""Execution choices: the default path gives the baseline's picture, and freed memory is reused."""

from __future__ import annotations

import resource
import subprocess
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


_WORKER_CHURN = """
import resource, sys, threading
from nystra_app.engine.allocator import retain_freed_memory, share_one_arena
if sys.argv[1] == "shared":
    assert share_one_arena()
retain_freed_memory()
import torch

def churn(rounds):  # a layer's pattern: blocks of several sizes, some below a thread heap's 64 MB, freed in turn
    for _ in range(rounds):
        a, b = torch.ones(6 * 2**20), torch.ones(10 * 2**20)
        del a
        c = torch.ones(20 * 2**20)
        del b, c

faults = []
def work():
    churn(3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    churn(10)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
thread = threading.Thread(target=work)
thread.start()
thread.join()
print(faults[0])
"""


def _worker_thread_faults(arena: str) -> int:
    done = subprocess.run([sys.executable, "-c", _WORKER_CHURN, arena], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc tuning applies to glibc only")
def test_a_worker_thread_reuses_freed_memory_once_threads_share_one_arena():
    if not retain_freed_memory():
        pytest.skip("not glibc")
    pages_per_round = 36 * 2**22 // resource.getpagesize()  # 24 + 40 + 80 MiB
    own_arena = _worker_thread_faults("own")
    if own_arena < 3 * pages_per_round:
        pytest.skip("this glibc keeps a thread's heaps: nothing to fix")
    assert _worker_thread_faults("shared") < own_arena / 2
