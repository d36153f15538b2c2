"""Shared fixtures: where ../shared is, and fresh per-test state."""

from __future__ import annotations

import os
from pathlib import Path

# OpenMP threads that wait by sleeping, not spinning; read when torch loads, so set before importing it (and
# inherited by the subprocesses tests start). On this shared, loaded 2-core machine a spinning thread holds the
# core its partner needs: the paper-report test took 187 CPU-s with torch's default policy against 15 with this
# one, same two threads. A value the caller set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest
import torch

# ../shared next to the checkout; NYSTRA_SHARED points elsewhere (a worktree whose parent has none).
SHARED = Path(os.environ.get("NYSTRA_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
LAYOUTS = Path(__file__).resolve().parent / "data" / "checkpoint_layouts.json"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real weights and test images; tests that need them skip, saying why, when absent."""
    if not (SHARED / "weights").is_dir() or not (SHARED / "testimages").is_dir():
        pytest.skip(f"needs real weights and test images, but {SHARED} is absent")
    return SHARED


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)
