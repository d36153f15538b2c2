"""The model manager dialog over `nystra_app.manager`: list, install (progress, cancel), import, remove, and a
shared folder (the manager's "mirror") explained in plain words."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..manager import Progress, get_entry, import_checkpoint, install, list_models, remove
from ..manager.paths import is_url
from .model_setup import ask_model_folder, install_folder, no_source_message, size_text
from .settings import AppSettings, save_settings
from .worker import Job, Work

COLUMNS = ("Model", "Task", "Installed", "Size", "Licence")
EXPLAIN = ("Each kind of repair needs a model file. Three ways to get one: <b>Use a folder of model files</b> "
           "if someone gave you a folder (a USB stick, a shared drive) — Nystra copies every model it recognises "
           "and checks it; <b>Import a file</b> for a single downloaded file; or select a model and "
           "<b>Download</b> it where its authors publish an address. The shared folder is remembered and looked "
           "in first next time; a web address of such a folder works too.")


class ModelsDialog(QDialog):
    operation_done = Signal(str)  # "" on success, else the error message

    def __init__(self, settings: AppSettings, parent: QWidget | None = None, *, select: str | None = None,
                 quiet: bool = False) -> None:
        super().__init__(parent)
        self.settings = settings
        self.quiet = quiet
        self.job: Job | None = None
        self.setWindowTitle("Model manager")
        self.resize(820, 420)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        icon = self.style().standardIcon
        self.folder_button = QPushButton(icon(QStyle.StandardPixmap.SP_DirOpenIcon), "Use a folder of model files…")
        self.install_button = QPushButton(icon(QStyle.StandardPixmap.SP_DialogSaveButton), "Download selected")
        self.import_button = QPushButton(icon(QStyle.StandardPixmap.SP_FileIcon), "Import a file…")
        self.remove_button = QPushButton(icon(QStyle.StandardPixmap.SP_TrashIcon), "Remove")
        self.cancel_button = QPushButton(icon(QStyle.StandardPixmap.SP_BrowserStop), "Cancel")
        self.cancel_button.setEnabled(False)
        self.folder_button.clicked.connect(self.choose_folder)
        self.install_button.clicked.connect(self.install_selected)
        self.import_button.clicked.connect(self.choose_import)
        self.remove_button.clicked.connect(self.remove_selected)
        self.cancel_button.clicked.connect(self.cancel)

        explain = QLabel(EXPLAIN)
        explain.setWordWrap(True)
        self.mirror_edit = QLineEdit(settings.mirror)
        self.mirror_edit.setPlaceholderText("none: a folder, or a web address (http…) of one, holding model files")
        apply_mirror = QPushButton("Remember")
        apply_mirror.setToolTip("Look in this folder or address first when installing")
        apply_mirror.clicked.connect(self.apply_mirror)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setValue(0)
        self.progress.hide()  # shown while something is being installed

        buttons = QHBoxLayout()
        for button in (self.folder_button, self.import_button, self.install_button, self.remove_button,
                       self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        mirror_row = QHBoxLayout()
        mirror_row.addWidget(QLabel("Shared folder:"))
        mirror_row.addWidget(self.mirror_edit, 1)
        mirror_row.addWidget(apply_mirror)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(mirror_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.refresh(select)

    def refresh(self, select: str | None = None) -> None:
        statuses = list_models(self.settings.manager())
        self.table.setRowCount(len(statuses))
        for row, status in enumerate(statuses):
            entry = status.entry
            installed = "yes" + (" (imported)" if status.imported else "") if status.installed else "no"
            for column, text in enumerate((entry.id, entry.task, installed, size_text(self._size(status)),
                                           entry.licence)):
                item = QTableWidgetItem(text)
                item.setToolTip(entry.description or text)
                self.table.setItem(row, column, item)
            if entry.id == select:
                self.table.selectRow(row)
        if self.table.currentRow() < 0 and statuses:
            self.table.selectRow(0)

    def _size(self, status) -> int | None:
        """The installed file's size, else the registry's, else the file's in the shared folder."""
        if status.installed:
            return status.path.stat().st_size
        if status.entry.size is not None:
            return status.entry.size
        mirror = self.settings.mirror
        shared = Path(mirror) / status.entry.file if mirror and not is_url(mirror) else None
        return shared.stat().st_size if shared is not None and shared.is_file() else None

    def selected(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return None if item is None else item.text()

    def apply_mirror(self) -> None:
        self.settings.mirror = self.mirror_edit.text().strip()
        save_settings(self.settings)
        self.status.setText(f"Shared folder: {self.settings.mirror}" if self.settings.mirror else "No shared folder")

    # --- operations ------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = ask_model_folder(self, self.settings.mirror)
        if folder is not None:
            self.install_from_folder(folder)

    def install_from_folder(self, folder: Path) -> None:
        self.mirror_edit.setText(str(folder))
        self.apply_mirror()
        settings = self.settings.manager()
        self._run(lambda cancel: install_folder(folder, settings, cancel),
                  f"Installing the models in {folder}")

    def install_selected(self) -> None:
        model_id = self.selected()
        if model_id is not None:
            self.apply_mirror()
            settings = self.settings.manager()
            refusal = no_source_message(get_entry(model_id, settings), settings)
            if refusal is not None:
                self.status.setText(refusal)
                if not self.quiet:
                    QMessageBox.information(self, "Download", refusal)
                return
            self._run(lambda cancel: install(model_id, settings=settings, cancel=cancel),
                      f"Installing {model_id}")

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a checkpoint", "", "Checkpoints (*.pth *.pt *.safetensors *.ckpt)")
        if not path:
            return
        name, ok = QInputDialog.getText(self, "Import a checkpoint", "Name for this model:", text=Path(path).stem)
        if ok and name:
            self.import_file(Path(path), name)

    def import_file(self, path: Path, name: str) -> None:
        settings = self.settings.manager()
        self._run(lambda cancel: import_checkpoint(path, name, settings=settings, cancel=cancel),
                  f"Importing {path.name}")

    def remove_selected(self) -> None:
        model_id = self.selected()
        if model_id is None:
            return
        if not self.quiet and QMessageBox.question(self, "Remove", f"Delete the weights of {model_id}?") \
                != QMessageBox.StandardButton.Yes:
            return
        settings = self.settings.manager()
        self._run(lambda cancel: remove(model_id, settings), f"Removing {model_id}")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _run(self, operation: Work, label: str) -> None:
        """Run a manager call in a thread; the worker drains a job's Progress events into its signal."""
        if self.job is not None:
            return
        self.job = job = Job(operation, label, self)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(lambda _: self._end(f"{label}: done", ""))
        job.failed.connect(lambda message: self._end(f"{label}: failed\n{message}", message))
        job.cancelled.connect(lambda: self._end(f"{label}: cancelled", "cancelled"))
        self.status.setText(label + "…")
        self.progress.show()
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        job.start()

    def _on_progress(self, event: Progress) -> None:
        if event.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * event.done / event.total))
        eta = f", {event.eta:.0f} s left" if event.eta is not None else ""
        self.status.setText(f"{event.phase}: {size_text(event.done)} of {size_text(event.total)} from "
                            f"{event.source}{eta}")

    def _end(self, text: str, error: str) -> None:
        if self.job is not None:
            self.job.wait()
            self.job.deleteLater()
        self.job = None
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.status.setText(text)
        self.refresh(self.selected())
        self.operation_done.emit(error)

    def reject(self) -> None:
        self.cancel()
        if self.job is not None:
            self.job.wait()
        super().reject()
