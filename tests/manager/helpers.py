"""Helpers for the model manager tests: a tiny real checkpoint's entry, fast settings, a test HTTP server."""

from __future__ import annotations

from typing import Any

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nystra_app.manager import ManagerSettings
from nystra_app.models.registry import ModelEntry
from tests.conftest import SHARED

SHARED_WEIGHTS = SHARED / "weights"
REAL_T = SHARED_WEIGHTS / "dehazeformer-t_indoor_ITS.pth"

TINY_CONFIG = {
    "embed_dims": [8, 8, 8, 8, 8],
    "depths": [1, 1, 2, 1, 1],
    "num_heads": [1, 1, 2, 1, 1],
    "mlp_ratios": [2.0, 2.0, 2.0, 2.0, 2.0],
    "attn_ratio": [0.0, 0.0, 1.0, 0.0, 0.0],
    "window_size": 4,
}


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    data: bytes
    sha256: str


def tiny_entry(tiny: Checkpoint, urls: tuple[str, ...] = (), *, known_hash: bool = True, **changes) -> ModelEntry:
    fields: dict[str, Any] = dict(id="tiny", arch="dehazeformer", config=TINY_CONFIG, task="dehaze", scale=1, file="tiny.pth",
                  urls=urls, sha256=tiny.sha256 if known_hash else None, size=len(tiny.data) if known_hash else None,
                  trained_window=4)
    fields.update(changes)
    return ModelEntry(**fields)


def fast_settings(**changes) -> ManagerSettings:
    """Short timeouts and back-off so failure paths end quickly."""
    values: dict[str, Any] = dict(connect_timeout=2.0, read_timeout=0.4, retries=1, backoff=0.01)
    values.update(changes)
    return ManagerSettings(**values)


@dataclass
class FileServer:
    """What the test server serves and how it misbehaves; it logs every request it gets."""

    files: dict[str, bytes]
    port: int = 0
    ranges: bool = True  # False: ignore Range, always 200 with the whole body
    cut: int = 0  # this many responses send half their body, then close the connection
    stall: float = 0.0  # seconds to wait before answering (bounded by `release`)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        state: FileServer = self.server.state  # type: ignore[attr-defined]
        state.requests.append((self.path, self.headers.get("Range")))
        if state.stall:
            state.release.wait(state.stall)
        body = state.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        start = 0
        requested = self.headers.get("Range")
        if requested and state.ranges:
            start = int(requested.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Accept-Ranges", "bytes" if state.ranges else "none")
        self.end_headers()
        if state.cut > 0:
            state.cut -= 1
            payload = payload[: len(payload) // 2]
            self.close_connection = True
        try:
            self.wfile.write(payload)
        except ConnectionError:
            pass  # the client gave up (a timeout test); nothing to report

    def log_message(self, format: str, *args: object) -> None:
        pass
