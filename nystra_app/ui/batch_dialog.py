"""The batch dialog: a folder of pictures through one task, exact or fast, with per-file progress.

The loop (walking, naming, skipping, recording failures) is `engine.batch.run_batch`; this dialog
gathers its options, runs it on the main window's device queue and lists what happened. Pictures
above the pixel budget are found before the batch starts (in the worker: it may time the model) and
the user is asked once whether to run them too or skip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QStyle,
    QVBoxLayout,
)

from ..attention import EXACT, AttentionSpec
from ..choices import OUTPUT_FORMATS
from ..engine import TileProgress
from ..engine.batch import (
    DEFAULT_TEMPLATE,
    BatchOptions,
    BatchReport,
    FileEvent,
    find_inputs,
    run_batch,
)
from ..engine.budget import Overage, PixelBudget, over_budget
from ..engine.steps import StepProgress
from ..errors import NystraError
from ..models import ModelEntry
from .budget_prompt import Question, batch_question
from .progress import Eta, PictureProgress, describe_left
from .provider import TASKS
from .settings_dialog import folder_row
from .worker import Job

if TYPE_CHECKING:
    from .main_window import MainWindow

DEFAULT_SUBFOLDER = "restored"  # where results go when no output folder is given: inside the input folder
FORMATS = (("Same as input", None), *((f.label, f.ext[1:]) for f in OUTPUT_FORMATS))


@dataclass(frozen=True)
class _Plan:
    """What Start gathered, kept for the run that follows the question about large pictures."""

    entry: ModelEntry
    spec: AttentionSpec
    window: int | None
    mode: str  # "exact" or "fast"
    options: BatchOptions
    inputs: list[Path]
    device: str


class BatchDialog(QDialog):
    finished_batch = Signal(object)  # the BatchReport

    def __init__(self, main: MainWindow) -> None:
        super().__init__(main)
        self.main = main
        self.job: Job | None = None
        self.question: Question | None = None  # open while asking about large pictures
        self.report: BatchReport | None = None
        self.setWindowTitle("Batch restore")
        self.resize(640, 520)
        settings = main.settings

        self.input_edit = QLineEdit(settings.batch_input)
        self.output_edit = QLineEdit(settings.batch_output)
        self.output_edit.setPlaceholderText(f"blank: {settings.output_dir}" if settings.output_dir else
                                            f"blank: a '{DEFAULT_SUBFOLDER}' folder inside the input folder")
        self.recursive = QCheckBox("Include sub-folders (mirrored in the output folder)")
        self.template_edit = QLineEdit(DEFAULT_TEMPLATE)
        self.template_edit.setToolTip("Fields: {stem} (input name), {model}, {mode} (exact or fast)")
        self.format_combo = QComboBox()
        for label, ext in FORMATS:
            self.format_combo.addItem(label, ext)
        self.skip_existing = QCheckBox("Skip pictures whose output already exists")
        self.skip_existing.setChecked(True)
        self.task_combo = QComboBox()
        for task in TASKS:
            entry = main.provider.available(task)
            if entry is not None:
                self.task_combo.addItem(f"{task.label} ({entry.id})", task.key)
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(["Exact", "Fast (PnP-Nystra)"])
        self.mode_combo.setCurrentIndex(1 if main.fast else 0)

        form = QFormLayout()
        form.addRow("Input folder", folder_row(self.input_edit, "Folder of pictures to restore"))
        form.addRow("", self.recursive)
        form.addRow("Output folder", folder_row(self.output_edit, "Folder for the results"))
        form.addRow("Name template", self.template_edit)
        form.addRow("Format", self.format_combo)
        form.addRow("", self.skip_existing)
        form.addRow("Task", self.task_combo)
        form.addRow("Attention", self.mode_combo)
        form.addRow("Device", QLabel(main.run_box.title().removeprefix("Progress — ")))

        self.file_label = QLabel("Not started")
        self.file_label.setWordWrap(True)
        self.file_progress = QProgressBar()
        self.file_progress.setRange(0, 1000)
        self.file_progress.setFormat("this picture: %p%")
        self.overall = QProgressBar()
        self.overall.setFormat("%v / %m pictures")
        self.eta_label = QLabel("")
        self.log = QListWidget()
        self.tally = BatchReport()  # what the events said so far: the truth if the batch is cancelled
        self._picture = PictureProgress()
        self._eta = Eta()
        self._position = (1, 1)  # (picture in progress, pictures)

        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.cancel_button = buttons.addButton("Cancel batch", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        self.open_button = buttons.addButton("Open output folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_output)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        close.clicked.connect(self.reject)
        self.start_button.setEnabled(self.task_combo.count() > 0)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.file_label)
        layout.addWidget(self.file_progress)
        layout.addWidget(self.overall)
        layout.addWidget(self.eta_label)
        layout.addWidget(self.log, 1)
        layout.addWidget(buttons)

    def output_dir(self) -> Path:
        """The folder typed in, else the default output folder of the settings, else a sub-folder of the
        input folder: never the folder the app was started in."""
        typed = self.output_edit.text().strip() or self.main.settings.output_dir
        return Path(typed) if typed else Path(self.input_edit.text().strip()) / DEFAULT_SUBFOLDER

    def options(self) -> BatchOptions:
        return BatchOptions(Path(self.input_edit.text().strip()), self.output_dir(),
                            recursive=self.recursive.isChecked(), template=self.template_edit.text(),
                            format=self.format_combo.currentData(), skip_existing=self.skip_existing.isChecked(),
                            quality=self.main.settings.jpeg_quality)

    def start(self) -> None:
        if not self.input_edit.text().strip():
            self.file_label.setText("Choose the folder of pictures to restore first")
            return
        task = next(t for t in TASKS if t.key == self.task_combo.currentData())
        entry = self.main.provider.available(task)
        if entry is None:
            self.log.addItem(f"No installed model for {task.label}: install one in the model manager")
            return
        fast = self.mode_combo.currentIndex() == 1
        spec, window = entry.fast.setting(**self.main.nystrom_overrides()) if fast else (EXACT, None)
        options = self.options()
        try:
            inputs = find_inputs(options)
        except NystraError as exc:
            self.file_label.setText(str(exc))
            return
        self.main.settings.batch_input, self.main.settings.batch_output = self.input_edit.text(), self.output_edit.text()
        self.log.clear()
        self.log.addItem(f"Writing to {options.output_dir}")
        self.overall.setRange(0, max(len(inputs), 1))
        self.overall.setValue(0)
        self.report = None
        self.tally = BatchReport()
        self._eta = Eta()
        self.eta_label.clear()
        self.open_button.setEnabled(False)
        self._plan = _Plan(entry, spec, window, "fast" if fast else "exact", options, inputs, self.main.device)
        self._submit(None)

    def _submit(self, run_anyway: frozenset[Path] | None) -> None:
        """Queue the batch. `run_anyway` None: first find the pictures above the pixel budget, and ask
        about them if there are any (the run follows the answer); else run, those pictures included."""
        plan, provider = self._plan, self.main.provider

        def work(cancel):
            model = provider.load(plan.entry)
            if run_anyway is None:
                large = over_budget(plan.inputs, PixelBudget(model, plan.spec, plan.window, plan.device), cancel)
                if large:
                    return large
            return run_batch(plan.options, model, plan.spec, window=plan.window, device=plan.device, mode=plan.mode,
                             cancel=cancel, run_anyway=run_anyway or frozenset(), skip_large=True,
                             on_step=job.progress.emit)

        job = self.job = Job(work, "batch")
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.file_label.setText("Waiting for the device…")
        self.main.queues.for_device(plan.device).submit(job)

    def _on_succeeded(self, result: BatchReport | dict[Path, Overage]) -> None:
        if isinstance(result, BatchReport):
            self._on_done(result)
            return
        self.job = None
        self.cancel_button.setEnabled(False)
        self.file_label.setText("Waiting for your answer about the large pictures")
        self.question = batch_question(self, result)
        self.question.answered.connect(lambda yes, large=frozenset(result): self._on_answer(large, yes))
        self.question.open()

    def _on_answer(self, large: frozenset[Path], yes: bool) -> None:
        self.question = None
        pictures = f"{len(large)} large picture{'s' if len(large) > 1 else ''}"
        self.log.addItem(f"Restoring {pictures} too" if yes else f"Skipping {pictures}")
        self._submit(large if yes else frozenset())

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_progress(self, event: object) -> None:
        if isinstance(event, (TileProgress, StepProgress)):
            self.file_progress.setValue(round(self._picture.update(event) * 1000))
            self._show_eta()
            return
        if not isinstance(event, FileEvent):
            return
        self.overall.setRange(0, event.total)
        self._position = (event.index, event.total)
        if event.status == "started":
            self.file_label.setText(f"{event.index}/{event.total}: {event.source.name}")
            self._picture = PictureProgress()
            self.file_progress.setValue(0)
            return
        self.overall.setValue(event.index)
        if event.status == "failed":
            self.tally.failures.append((event.source, event.message))
            self.log.addItem(f"FAILED  {event.message}")
            return
        if event.status == "written" and event.output is not None:
            self.tally.written.append(event.output)
        elif event.status == "skipped":
            self.tally.skipped.append(event.source)
            if event.message:
                self.log.addItem(f"skipped {event.source.name}: {event.message}")
                return
        self.log.addItem(f"{event.status:<8}{event.source.name} → {event.output.name if event.output else ''}")

    def _show_eta(self) -> None:
        index, total = self._position
        left = describe_left(self._eta.left((index - 1 + self._picture.fraction) / total))
        self.eta_label.setText(f"Whole batch: {left}" if left else "")

    def _on_cancelled(self) -> None:
        report = self.tally
        report.cancelled = True
        self._on_done(report)

    def open_output(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.output_dir())))

    def _on_done(self, report: BatchReport) -> None:
        self.job = None
        self.report = report
        self.eta_label.clear()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.open_button.setEnabled(self.output_dir().is_dir())
        summary = (f"{len(report.written)} written, {len(report.skipped)} skipped, "
                   f"{len(report.failures)} failed" + (" — cancelled" if report.cancelled else ""))
        self.file_label.setText(summary)
        if report.failures:
            self.log.addItem("Failures:")
            self.log.addItems([f"  {message}" for _, message in report.failures])
        self.finished_batch.emit(report)

    def _on_failed(self, message: str) -> None:
        self.log.addItem(f"Batch stopped: {message}")
        self._on_done(BatchReport(failures=[(Path(self.input_edit.text()), message)]))

    def reject(self) -> None:
        """Closing stops the batch (the picture in progress within one layer's time) and waits for it."""
        job = self.job
        self.cancel()
        if job is not None:
            job.wait(5_000)
        super().reject()
