"""Versions of the app, its libraries and the devices found: `--version`, the About box, bug reports.

PySide6 is looked up in the installed package metadata, never imported: the core must not load Qt,
and this must work where Qt cannot start.
"""

from __future__ import annotations

import importlib.metadata
import platform

import cv2
import numpy as np
import torch

from . import __version__
from .engine import available_devices

_PYSIDE_DISTRIBUTIONS = ("PySide6-Essentials", "PySide6")


def versions() -> dict[str, str]:
    return {
        "Nystra": __version__,
        "Python": f"{platform.python_version()} ({platform.system()} {platform.machine()})",
        "torch": f"{torch.__version__} (CUDA build: {torch.version.cuda or 'none'})",
        "numpy": np.__version__,
        "OpenCV": cv2.__version__,
        "PySide6 (Qt)": _distribution_version(_PYSIDE_DISTRIBUTIONS) or "not installed",
        "devices": "; ".join(f"{d.id} = {d.label}" for d in available_devices()),
    }


def version_report() -> str:
    """One item a line."""
    return "\n".join(f"{name} {value}" for name, value in versions().items())


def _distribution_version(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None
