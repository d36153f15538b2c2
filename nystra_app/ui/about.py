"""Versions of the app, torch and Qt and the device found: for the About box and `--version`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import PySide6
import torch
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from ..engine import available_devices, resolve_device


def app_version() -> str:
    try:
        return version("nystra-app")
    except PackageNotFoundError:
        return "0.1.0 (not installed)"


def versions() -> dict[str, str]:
    found = {d.id: d.label for d in available_devices()}
    best = str(resolve_device("auto"))
    return {
        "Nystra": app_version(),
        "torch": torch.__version__,
        "Qt": f"{qVersion()} (PySide6 {PySide6.__version__})",
        "device": f"{best}: {found.get(best, best)}",
    }


def version_text() -> str:
    return "\n".join(f"{name} {value}" for name, value in versions().items())


def show_about(parent: QWidget | None) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in versions().items())
    QMessageBox.about(parent, "About Nystra",
                      "<h3>Nystra</h3><p>Photo restoration with pretrained vision transformers, "
                      f"made fast with training-free PnP-Nystra attention.</p><table>{rows}</table>")
