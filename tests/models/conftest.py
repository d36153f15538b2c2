"""The real DehazeFormer-T checkpoint, where ../shared holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..manager.helpers import REAL_T, SHARED_WEIGHTS


@pytest.fixture(scope="session")
def real_t() -> Path:
    if not REAL_T.is_file():
        pytest.skip(f"needs the real DehazeFormer-T checkpoint in {SHARED_WEIGHTS}, skipped because ../shared is absent")
    return REAL_T
