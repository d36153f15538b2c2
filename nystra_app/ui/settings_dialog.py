"""The settings dialog: where runs happen (device, CPU threads), how results are saved (format, JPEG
quality, default folder), and the shared folder models are installed from."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..choices import OUTPUT_FORMATS
from ..engine import available_devices
from .settings import AppSettings

MIN_WIDTH = 560  # room for a folder path
# From the one table of output formats; the ones that hold 16 bits say so.
SAVE_FORMATS = tuple((f.label + (" (keeps 16-bit)" if f.deep else ""), f.ext[1:]) for f in OUTPUT_FORMATS)


def folder_row(edit: QLineEdit, title: str) -> QWidget:
    """A path field with a Choose… button that opens a folder dialog (also used by the batch dialog)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    browse = QPushButton(box.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Choose…")

    def choose() -> None:
        folder = QFileDialog.getExistingDirectory(box, title, edit.text())
        if folder:
            edit.setText(folder)

    browse.clicked.connect(choose)
    row.addWidget(browse)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        self.setMinimumWidth(MIN_WIDTH)
        self.device_combo = QComboBox()
        for device in available_devices():
            self.device_combo.addItem(device.label, device.id)
        self.device_combo.setCurrentIndex(max(self.device_combo.findData(settings.device), 0))
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, os.cpu_count() or 1)
        self.threads_spin.setSpecialValueText("automatic")
        self.threads_spin.setValue(settings.threads)
        self.format_combo = QComboBox()
        for label, ext in SAVE_FORMATS:
            self.format_combo.addItem(label, ext)
        self.format_combo.setCurrentIndex(max(self.format_combo.findData(settings.save_format), 0))
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setValue(settings.jpeg_quality)
        self.quality_spin.setSuffix(" %")
        self.format_combo.currentIndexChanged.connect(self._quality_applies)
        self.output_edit = QLineEdit(settings.output_dir)
        self.output_edit.setPlaceholderText("none: next to where the last result was saved")
        self.mirror_edit = QLineEdit(settings.mirror)
        self.mirror_edit.setPlaceholderText("none")

        form = QFormLayout()
        form.addRow("Run on", self.device_combo)
        form.addRow("CPU threads", self.threads_spin)
        form.addRow("Save results as", self.format_combo)
        form.addRow("JPEG quality", self.quality_spin)
        form.addRow("Default output folder", folder_row(self.output_edit, "Default output folder"))
        form.addRow("Shared model folder", folder_row(self.mirror_edit, "Folder holding model files"))
        explain = QLabel("The shared model folder is where Nystra looks first for model files: a folder "
                         "someone gave you, a USB stick or a network drive. A web address of such a folder "
                         "works too.")
        explain.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(explain)
        layout.addWidget(buttons)
        self._quality_applies()

    def _quality_applies(self) -> None:
        self.quality_spin.setEnabled(self.format_combo.currentData() == "jpg")

    def accept(self) -> None:
        s = self.settings
        s.device = str(self.device_combo.currentData())
        s.threads = self.threads_spin.value()
        s.save_format = str(self.format_combo.currentData())
        s.jpeg_quality = self.quality_spin.value()
        s.output_dir = self.output_edit.text().strip()
        s.mirror = self.mirror_edit.text().strip()
        super().accept()
