"""Shared fixtures: where ../shared is, and fresh per-test state."""

from __future__ import annotations

import os
from pathlib import Path

import nystra_app  # noqa: F401, I001 - first: it makes OpenMP threads wait by sleeping (set before torch loads)

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
