"""Fresh config and data folders per test, tiny models, and a main window over them."""

from __future__ import annotations

from typing import Any

import os
from collections.abc import Iterator
from pathlib import Path

# Tests never need a display; set before any QApplication exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
import torch

from nystra_app.engine import write_image
from nystra_app.manager import get_entry
from nystra_app.models import LoadedModel
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.provider import FixedProvider
from nystra_app.ui.settings import load_settings
from tests.conftest import SHARED


@pytest.fixture(autouse=True)
def _fresh_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("NYSTRA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NYSTRA_MODEL_MIRROR", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def tiny_model(**config) -> LoadedModel:
    torch.manual_seed(0)
    values: dict[str, Any] = dict(embed_dims=(8, 8, 8, 8, 8), depths=(1, 2, 2, 1, 1), num_heads=(1, 2, 2, 1, 1))
    values.update(config)
    return LoadedModel.of(get_entry("dehazeformer-t-indoor"), DehazeFormer(DehazeFormerConfig(**values)).eval())


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    return tiny_model()


def make_picture(path: Path, height: int = 48, width: int = 64) -> Path:
    rng = np.random.default_rng(0)
    write_image(path, rng.random((height, width, 3), dtype=np.float32))
    return path


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    return make_picture(tmp_path / "hazy.png")


@pytest.fixture
def window(qtbot, tiny: LoadedModel) -> Iterator[MainWindow]:
    main = MainWindow(FixedProvider([tiny]), load_settings(), quiet=True)
    qtbot.addWidget(main)
    yield main
    main.queues.wait_all()
