"""Fixtures for the model manager: an isolated data folder, a tiny real checkpoint, a local HTTP server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from nystra_app.models.configs import config_from_dict
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig

from .helpers import (
    REAL_T,
    SHARED_WEIGHTS,
    TINY_CONFIG,
    Checkpoint,
    FileServer,
    Handler,
)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user data folder; never go through a proxy to reach the test server."""
    data = tmp_path / "nystra-data"
    monkeypatch.setenv("NYSTRA_DATA_DIR", str(data))
    monkeypatch.delenv("NYSTRA_MODEL_MIRROR", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return data


@pytest.fixture
def cache(_isolated_data_dir: Path) -> Path:
    return _isolated_data_dir / "models"


@pytest.fixture(scope="session")
def real_t() -> Path:
    if not REAL_T.is_file():
        pytest.skip(f"needs the real DehazeFormer-T checkpoint in {SHARED_WEIGHTS}, skipped because ../shared is absent")
    return REAL_T


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Checkpoint:
    """A real (tiny) DehazeFormer checkpoint, saved the way the official release wraps it."""
    torch.manual_seed(0)
    model = DehazeFormer(config_from_dict(DehazeFormerConfig, TINY_CONFIG))
    path = tmp_path_factory.mktemp("tiny") / "tiny.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, path)
    data = path.read_bytes()
    return Checkpoint(path, data, hashlib.sha256(data).hexdigest())


@pytest.fixture
def server(tiny: Checkpoint) -> Iterator[FileServer]:
    state = FileServer({"tiny.pth": tiny.data})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state = state  # type: ignore[attr-defined]
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()
