"""The model manager: weight cache, verified resumable downloads, mirrors, import of local checkpoints.

No Qt here: the GUI drives the same calls from a worker thread, passing a progress callback and a
threading.Event to cancel. The submodules are exported lazily (PEP 562) because models.loading and
models.registry import `manager.paths`, while the rest of the manager imports models: loading
everything here eagerly would make that a cycle.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .paths import DATA_DIR_ENV, MIRROR_ENV, ManagerSettings, data_dir, models_dir

_LAZY = {
    "Cancelled": "progress",
    "Progress": "progress",
    "DownloadError": "download",
    "InstallError": "store",
    "InstallRecord": "record",
    "ModelStatus": "store",
    "VerifyResult": "store",
    "install": "store",
    "list_models": "store",
    "remove": "store",
    "verify": "store",
    "DETECTORS": "detect",
    "detect": "detect",
    "import_checkpoint": "importer",
}

__all__ = ["DATA_DIR_ENV", "MIRROR_ENV", "ManagerSettings", "data_dir", "models_dir", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_LAZY[name]}", __name__), name)
