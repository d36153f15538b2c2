"""The About box: the versions `nystra-app --version` prints, and the Qt runtime."""

from __future__ import annotations

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from ..versions import versions


def show_about(parent: QWidget | None) -> None:
    found = versions() | {"Qt runtime": qVersion()}
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in found.items())
    QMessageBox.about(parent, "About Nystra",
                      "<h3>Nystra</h3><p>Photo restoration with pretrained vision transformers, "
                      f"made fast with training-free PnP-Nystra attention.</p><table>{rows}</table>")
