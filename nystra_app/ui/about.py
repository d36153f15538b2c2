"""The About box: the versions `nystra-app --version` prints, and the Qt runtime."""

from __future__ import annotations

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from ..versions import versions


def show_about(parent: QWidget | None) -> None:
    found = versions() | {"Qt runtime": qVersion()}
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in found.items())
    QMessageBox.about(parent, "About Nystra",
                      "<h3>Nystra</h3><p>Restores photos (dehaze, denoise, deblur, enlarge) with published "
                      "vision-transformer models. Its <b>Fast</b> mode swaps their attention for a training-free "
                      "approximation (PnP-Nystra); whether that is quicker depends on the model and its settings, "
                      "and for some models it is not: the app says so next to the Fast switch.</p>"
                      f"<table>{rows}</table>")
