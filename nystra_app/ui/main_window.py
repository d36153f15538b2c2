"""The main window: open a picture, pick a task, run it exact or fast, compare, time, save.

Models come from an injectable `ModelProvider`; runs go through the per-device `JobQueues`, so the
batch dialog and A/B runs share one queue per device with ordinary runs.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..attention import EXACT
from ..choices import OUTPUT_FORMATS
from ..engine import (
    Picture,
    RestoreResult,
    TileProgress,
    available_devices,
    read_image,
    restore_picture,
    set_cpu_threads,
    write_image,
)
from ..engine.batch import output_name
from ..engine.budget import Overage, runs_overage
from ..engine.compare import error_map
from ..engine.imageio import WRITABLE
from ..engine.steps import StepProgress
from ..errors import NystraError
from ..jobs import Cancelled
from ..models import ModelDescriptor, ModelEntry
from .about import show_about
from .budget_prompt import Question, picture_question
from .fast_panel import FastPanel, NystromOverrides
from .images import describe, display_pixels, from_qimage
from .progress import Eta, PictureProgress, describe_left
from .provider import TASKS, ModelProvider, Task
from .settings import AppSettings, load_settings, save_settings
from .timing import TimingPanel
from .viewer import CompareViewer, local_files
from .worker import Job, JobQueues

DEFAULT_SIZE = QSize(1280, 720)  # fits 1366×768 at 100% and 1920×1080 at 150% with a taskbar
SIDE_WIDTH = 320
PICTURE_SHARE = 84  # percent of the height the picture gets over the timing panel at first
SAVE_FILTERS = ";;".join(f"{f.label} (*{f.ext})" for f in OUTPUT_FORMATS)


@dataclass(frozen=True)
class RunStarted:
    """Yielded by a job before each of its runs (A/B has two)."""

    mode: str
    window: int | str  # 8, or 8x32 for a rectangular window
    number: int  # 1-based, of `runs`
    runs: int


@dataclass
class Outcome:
    """Results bound to the picture, model and settings they were made from (the picture by identity)."""

    model: ModelDescriptor
    picture: Picture
    name: str  # the picture's name as shown, for the timing panel and the saved file's name
    results: dict[str, RestoreResult] = field(default_factory=dict)


class MainWindow(QMainWindow):
    result_ready = Signal()  # after a run's pictures are shown
    run_failed = Signal(str)
    run_cancelled = Signal()
    models_changed = Signal()  # after models were installed from a folder

    def __init__(self, provider: ModelProvider | None = None, settings: AppSettings | None = None,
                 *, quiet: bool = False, persist: bool = True) -> None:
        """`quiet`: report errors in the status bar instead of modal boxes (tests, screenshots);
        `persist`: save the settings (window size included) on close; screenshots do not."""
        super().__init__()
        self.persist = persist
        self.settings = settings or load_settings()
        self.provider = provider or ModelProvider(self.settings.manager)
        self.provider.choices = self.settings.task_models  # the same dict: picks are saved with the settings
        self.queues = JobQueues(self)
        self.quiet = quiet
        self.picture: Picture | None = None
        self.picture_name = ""
        self.outcome: Outcome | None = None
        self.reference: Picture | None = None
        self.job: Job | None = None
        self.question: Question | None = None  # open while asking whether to restore a large picture
        self._allowed: Picture | None = None  # a large picture the user said to restore anyway
        self._kept_partial = False
        self._run_text = ""
        self._ab_exact_first = False  # flipped before each A/B run

        self.setWindowTitle("Nystra")
        self.setAcceptDrops(True)
        self.viewer = CompareViewer()
        self.viewer.dropped.connect(self.open_first)
        self.timing = TimingPanel()
        self._build_actions()
        self._build_controls()
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.viewer)
        splitter.addWidget(self.timing)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([PICTURE_SHARE, 100 - PICTURE_SHARE])
        side = QScrollArea()  # on a short screen the controls scroll instead of pushing the window taller
        side.setWidget(self.controls)
        side.setWidgetResizable(True)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side.setFrameShape(QFrame.Shape.NoFrame)
        side.setFixedWidth(self.controls.width() + side.verticalScrollBar().sizeHint().width())
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(side)
        row.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Open a picture (Ctrl+O), drop one here, or paste one (Ctrl+V)")
        self._restore_settings()
        self.refresh_tasks()

    # --- building --------------------------------------------------------------------------------

    def _icon(self, name: str):
        return self.style().standardIcon(getattr(QStyle.StandardPixmap, name))

    def _build_actions(self) -> None:
        def action(text: str, icon: str, slot, shortcut=None) -> QAction:
            act = QAction(self._icon(icon), text, self)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcut(shortcut)
            return act

        self.open_action = action("Open…", "SP_DialogOpenButton", self.choose_file, QKeySequence.StandardKey.Open)
        self.paste_action = action("Paste", "SP_FileDialogContentsView", self.paste, QKeySequence.StandardKey.Paste)
        self.save_action = action("Save result…", "SP_DialogSaveButton", self.choose_save, QKeySequence.StandardKey.Save)
        self.reference_action = action("Load ground truth…", "SP_FileDialogDetailedView", self.choose_reference)
        self.batch_action = action("Batch…", "SP_DirOpenIcon", self.open_batch)
        self.models_action = action("Model manager…", "SP_DriveNetIcon", self.open_models)
        self.about_action = action("About Nystra", "SP_MessageBoxInformation", lambda: show_about(self))
        self.settings_action = action("Settings…", "SP_FileDialogDetailedView", self.open_settings,
                                      QKeySequence.StandardKey.Preferences)
        self.cancel_action = action("Cancel the run", "SP_BrowserStop", self.cancel, Qt.Key.Key_Escape)
        self.addAction(self.cancel_action)  # Esc works wherever the focus is in the window
        self.save_action.setEnabled(False)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([self.open_action, self.paste_action])
        self.recent_menu = file_menu.addMenu("Open recent")
        file_menu.addActions([self.reference_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addAction(action("Quit", "SP_DialogCloseButton", self.close, QKeySequence.StandardKey.Quit))
        tools = self.menuBar().addMenu("&Tools")
        tools.addActions([self.batch_action, self.models_action, self.settings_action])
        self.menuBar().addMenu("&Help").addAction(self.about_action)

        bar = QToolBar("Main")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addActions([self.open_action, self.paste_action, self.save_action, self.reference_action])
        bar.addSeparator()
        bar.addActions([self.batch_action, self.models_action, self.settings_action])
        self.addToolBar(bar)

    def _build_controls(self) -> None:
        self.controls = QWidget()
        self.controls.setFixedWidth(SIDE_WIDTH)
        column = QVBoxLayout(self.controls)
        column.setContentsMargins(0, 0, 0, 0)

        self.setup_box = QGroupBox("Get started")
        setup = QVBoxLayout(self.setup_box)
        intro = QLabel("Nystra needs a model file for each kind of repair. If you were given a folder of model "
                       "files, choose it and they are installed.")
        intro.setWordWrap(True)
        self.folder_button = QPushButton(self._icon("SP_DirOpenIcon"), "Use a folder of model files…")
        self.folder_button.clicked.connect(self.choose_model_folder)
        more = QPushButton(self._icon("SP_DriveNetIcon"), "More ways: model manager…")
        more.clicked.connect(lambda: self.open_models())
        for widget in (intro, self.folder_button, more):
            setup.addWidget(widget)
        column.addWidget(self.setup_box)

        tasks = QGroupBox("Restore")
        task_layout = QGridLayout(tasks)
        task_layout.setColumnStretch(1, 1)
        self.task_buttons: dict[str, QPushButton] = {}
        self.model_combos: dict[str, QComboBox] = {}
        for row, task in enumerate(TASKS):
            button = QPushButton(task.label)
            button.clicked.connect(lambda _=False, t=task: self.run_task(t))
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
            combo.activated.connect(lambda _=0, t=task: self._pick_model(t))
            task_layout.addWidget(button, row, 0)
            task_layout.addWidget(combo, row, 1)
            self.task_buttons[task.key] = button
            self.model_combos[task.key] = combo
        self.ab_button = QPushButton(self._icon("SP_BrowserReload"), "A/B: exact vs fast")
        self.ab_button.setToolTip("Run the last task both exact and fast; compare results, difference and times")
        self.ab_button.clicked.connect(self.run_ab)
        task_layout.addWidget(self.ab_button, len(TASKS), 0, 1, 2)
        column.addWidget(tasks)

        self.fast_panel = FastPanel()
        column.addWidget(self.fast_panel)

        self.run_box = run_box = QGroupBox("Progress")
        run_layout = QVBoxLayout(run_box)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self._picture_progress, self._eta = PictureProgress(), Eta()
        self.cancel_button = QPushButton(self._icon("SP_BrowserStop"), "Cancel (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.run_label = QLabel("Idle")
        self.run_label.setWordWrap(True)
        run_layout.addWidget(self.run_label)
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.progress, 1)
        bar_row.addWidget(self.cancel_button)
        run_layout.addLayout(bar_row)
        column.addWidget(run_box)
        column.addStretch(1)

    # --- settings --------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        if s.geometry:
            self.restoreGeometry(QByteArray.fromHex(s.geometry.encode()))
        else:
            self.resize(DEFAULT_SIZE)
        if s.splitter:
            self.splitter.restoreState(QByteArray.fromHex(s.splitter.encode()))
        self.fast_panel.show_model(self.provider.describe(self.provider.available(TASKS[0])))
        self.fast_panel.load(s)
        self.apply_settings()
        self._fill_recent()

    def apply_settings(self) -> None:
        """Make the settings dialog's choices take effect: the device (an unknown one falls back to the
        CPU) and the number of CPU threads."""
        devices = {d.id: d.label for d in available_devices()}
        if self.settings.device not in devices:
            self.settings.device = "cpu"
        self.run_box.setTitle(f"Progress — {devices[self.settings.device]}")
        set_cpu_threads(self.settings.threads)

    def store_settings(self) -> None:
        s = self.settings
        s.geometry = bytes(self.saveGeometry().toHex().data()).decode()
        s.splitter = bytes(self.splitter.saveState().toHex().data()).decode()
        self.fast_panel.store(s)
        if self.persist:
            save_settings(s)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings()
            self.store_settings()
            self.refresh_tasks()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent:
            self.recent_menu.addAction(path, partial(self.open_path, Path(path)))
        self.recent_menu.setEnabled(bool(self.settings.recent))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Quit: a run in progress is cancelled (it stops within one layer) and waited for."""
        self.store_settings()
        self.queues.wait_all()
        super().closeEvent(event)

    # --- state -----------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        return self.settings.device

    @property
    def fast(self) -> bool:
        return self.fast_panel.fast

    def set_fast(self, on: bool) -> None:
        self.fast_panel.set_fast(on)

    def refresh_tasks(self) -> None:
        """Each task's model picker lists its installed models; a task with none offers to get one."""
        any_installed = False
        for task in TASKS:
            button, combo = self.task_buttons[task.key], self.model_combos[task.key]
            installed = self.provider.installed(task)
            entry = self.provider.available(task)
            known = self.provider.known(task)
            any_installed |= bool(installed)
            button.setEnabled(bool(known))
            combo.clear()
            for candidate in installed:
                combo.addItem(candidate.id, candidate.id)
                combo.setItemData(combo.count() - 1, candidate.description or candidate.arch,
                                  Qt.ItemDataRole.ToolTipRole)
            if entry is not None:
                combo.setCurrentIndex(combo.findData(entry.id))
                button.setToolTip(f"Run {entry.id} on the open picture")
                combo.setToolTip(f"The model {task.label} uses; {len(installed)} installed")
            else:
                combo.addItem("no model yet" if known else "none available")
                button.setToolTip("No model installed for this task: click to get one" if known
                                  else "No model for this task yet")
                combo.setToolTip(button.toolTip())
            combo.setEnabled(len(installed) > 1)
        self.setup_box.setVisible(not any_installed)
        self._show_fast_note(self._last_task())

    def _pick_model(self, task: Task) -> None:
        model_id = self.model_combos[task.key].currentData()
        if model_id:
            self.settings.task_models[task.key] = model_id
            self._show_fast_note(task)

    def choose_model_folder(self) -> None:
        """The first-run path: a folder of weight files becomes the mirror and everything in it is installed."""
        from .model_setup import ask_model_folder

        folder = ask_model_folder(self, self.settings.mirror)
        if folder is not None:
            self.install_model_folder(folder)

    def install_model_folder(self, folder: Path) -> None:
        from .model_setup import install_folder

        self.settings.mirror = str(folder)
        save_settings(self.settings)
        settings = self.settings.manager()
        job = Job(lambda cancel: install_folder(folder, settings, cancel=cancel), "installing models")
        job.succeeded.connect(self._on_models_installed)
        job.failed.connect(self._on_install_failed)
        self.folder_button.setEnabled(False)
        job.finished.connect(lambda: self.folder_button.setEnabled(True))
        self.run_label.setText(f"Installing the models in {folder}…")
        self.queues.for_device("models").submit(job)

    def _on_install_failed(self, message: str) -> None:
        self.run_label.setText("Installing failed")
        self.report(message)

    def _on_models_installed(self, ids: list[str]) -> None:
        self.refresh_tasks()
        self.run_label.setText("Models installed")
        self.statusBar().showMessage(f"Installed {', '.join(ids)}" if ids else "Those models were already installed")
        self.models_changed.emit()

    def _last_task(self) -> Task:
        key = self.outcome.model.task if self.outcome else "dehaze"
        return next((t for t in TASKS if t.task == key), TASKS[0])

    def _show_fast_note(self, task: Task) -> None:
        self.fast_panel.show_model(self.provider.describe(self.provider.available(task)))

    def report(self, message: str) -> None:
        self.statusBar().showMessage(message)
        if not self.quiet:
            QMessageBox.warning(self, "Nystra", message)

    # --- opening ---------------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a picture", self.settings.open_dir,
                                              "Pictures (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif)")
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        try:
            picture = read_image(path)
        except NystraError as exc:
            self.report(str(exc))
            return False
        self.settings.open_dir = str(path.parent)
        self.settings.add_recent(path)
        self._fill_recent()
        self.set_picture(picture, path.name)
        return True

    def paste(self) -> None:
        data = QApplication.clipboard().mimeData()
        if data.hasUrls() and data.urls()[0].isLocalFile():
            self.open_path(Path(data.urls()[0].toLocalFile()))
        elif data.hasImage():
            self.set_picture(from_qimage(QApplication.clipboard().image()), "pasted picture")
        else:
            self.statusBar().showMessage("The clipboard holds no picture")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.open_first(local_files(event))

    def open_first(self, paths: list[Path]) -> None:
        """Open the first of the dropped files that is a readable picture."""
        for path in paths:
            if self.open_path(path):
                break

    def set_picture(self, picture: Picture, name: str) -> None:
        """Show a new picture; everything made from the previous one goes (a run on it is cancelled)."""
        if self.job is not None:
            self.cancel()
        self.picture, self.picture_name, self.outcome, self.reference = picture, name, None, None
        self._allowed = None
        self.viewer.clear()
        self.timing.set_picture(name)
        self.viewer.set_layer("Input", *display_pixels(picture))
        self.viewer.left_combo.setCurrentText("Input")
        self.viewer.fit()
        self.save_action.setEnabled(False)
        width, height = picture.size
        self.setWindowTitle(f"Nystra — {name}")
        self.statusBar().showMessage(f"{name}: {width}×{height}, {describe(picture)}")

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load the ground truth", self.settings.open_dir)
        if path:
            self.load_reference(Path(path))

    def load_reference(self, path: Path) -> None:
        try:
            self.reference = read_image(path)
        except NystraError as exc:
            self.report(str(exc))
            return
        self.viewer.set_layer("Ground truth", *display_pixels(self.reference), show_right=False)
        self._update_errors()

    # --- running ---------------------------------------------------------------------------------

    def run_task(self, task: Task, modes: tuple[str, ...] | None = None) -> None:
        if self.picture is None:
            self.statusBar().showMessage("Open a picture first")
            return
        entry = self.provider.available(task)
        if entry is None:
            self._offer_install(task)
            return
        self._show_fast_note(task)
        modes = modes or (("fast",) if self.fast else ("exact",))
        settings = {mode: self._attention(entry, mode) for mode in modes}
        picture, name, provider, device = self.picture, self.picture_name, self.provider, self.device
        lifted = self._allowed is picture

        def work(cancel) -> Overage | Generator[object, None, Outcome]:
            """In the worker: load the model and, unless the user already said yes, measure the budget;
            a picture above it comes back as a question instead of a run."""
            model = provider.load(entry)
            overage = None if lifted else runs_overage(model, list(settings.values()), device, name, *picture.size)
            return overage if overage is not None else runs(model, cancel)

        def runs(model, cancel) -> Generator[object, None, Outcome]:
            outcome = Outcome(model.descriptor, picture, name)
            for number, (mode, (spec, window)) in enumerate(settings.items(), 1):
                yield RunStarted(mode, model.descriptor.window_label(window), number, len(settings))
                try:
                    outcome.results[mode] = yield from restore_picture(
                        picture, model, spec, window=window, device=device, cancel=cancel,
                        on_step=job.progress.emit)
                except Cancelled:
                    if outcome.results:  # A/B cancelled during its second run: keep the first
                        yield outcome
                    raise
            return outcome

        job = Job(work, f"{task.label} on {device}")
        job.progress.connect(self._on_progress)
        job.succeeded.connect(partial(self._on_succeeded, task, modes, picture))
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda j=job: self._on_cancelled(j))
        job.started.connect(lambda j=job: self._on_started(j))
        self.queues.for_device(device).submit(job)
        self.run_label.setText(f"Queued: {job.label}")

    def run_ab(self) -> None:
        """Both modes on the same picture; the order alternates between A/B runs, so neither mode always
        runs first (on a cold cache, or a machine that speeds up or slows down, that one would pay)."""
        self._ab_exact_first = not self._ab_exact_first
        self.run_task(self._last_task(), ("exact", "fast") if self._ab_exact_first else ("fast", "exact"))

    def _attention(self, entry: ModelEntry, mode: str):
        if mode == "exact":
            return EXACT, None
        return entry.fast.setting(**self.nystrom_overrides())

    def nystrom_overrides(self) -> NystromOverrides:
        return self.fast_panel.overrides()

    def _offer_install(self, task: Task) -> None:
        known = self.provider.known(task)
        if not known:
            self.statusBar().showMessage(f"No model for {task.label} in the registry")
            return
        if self.quiet:
            self.statusBar().showMessage(f"{known[0].id} is not installed")
            return
        answer = QMessageBox.question(self, "Model not installed",
                                      f"{task.label} needs {known[0].id}, which is not installed.\n"
                                      "Open the model manager to install it?")
        if answer == QMessageBox.StandardButton.Yes:
            self.open_models(select=known[0].id)

    def cancel(self) -> None:
        queue = self.queues.for_device(self.device)
        if self.job is None and queue.running is None and queue.pending is None:
            return
        self.queues.for_device(self.device).cancel_all()
        if self.job is not None:
            self.job.cancel()
        self.run_label.setText("Cancelling…")

    def _on_started(self, job: Job) -> None:
        self.job = job
        self._kept_partial = False
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.run_label.setText(f"Running: {job.label}")

    def _on_progress(self, event: object) -> None:
        if isinstance(event, RunStarted):
            self.timing.begin_run(event.mode)
            self._picture_progress, self._eta = PictureProgress(), Eta()
            self._run_text = f"{event.mode.capitalize()} run" + (
                f" ({event.number} of {event.runs})" if event.runs > 1 else "")
            self.progress.setValue(0)
            self.run_label.setText(f"{self._run_text}: starting")
        elif isinstance(event, (TileProgress, StepProgress)):
            if isinstance(event, TileProgress):
                self.timing.add_tile(event)
            fraction = self._picture_progress.update(event)
            self.progress.setValue(round(fraction * 1000))
            tiles = self._picture_progress.total
            where = f"tile {min(event.tile if isinstance(event, StepProgress) else event.index, tiles)} of {tiles}, " \
                if tiles > 1 else ""
            left = describe_left(self._eta.left(fraction)) or "working out how long"
            self.run_label.setText(f"{self._run_text}: {where}{left}")  # the bar shows the percentage
        elif isinstance(event, Outcome) and event.picture is self.picture:
            self._show(event)
            self._kept_partial = True

    def _finish(self, text: str) -> None:
        self.job = None
        self.cancel_button.setEnabled(False)
        self.progress.setValue(1000 if text == "Done" else 0)
        self.run_label.setText(text)

    def _on_succeeded(self, task: Task, modes: tuple[str, ...], picture: Picture, result: Outcome | Overage) -> None:
        if isinstance(result, Overage):
            self._ask_budget(task, modes, picture, result)
        else:
            self._on_done(result)

    def _ask_budget(self, task: Task, modes: tuple[str, ...], picture: Picture, overage: Overage) -> None:
        """The picture is above what this computer restores without asking: say how long, ask."""
        if picture is not self.picture:
            self._finish("Dropped")
            self.run_cancelled.emit()
            return
        self._finish("Waiting for your answer")
        self.question = picture_question(self, overage, len(modes))
        self.question.answered.connect(partial(self._on_budget_answer, task, modes, picture))
        self.question.open()

    def _on_budget_answer(self, task: Task, modes: tuple[str, ...], picture: Picture, yes: bool) -> None:
        self.question = None
        if yes and picture is self.picture:
            self._allowed = picture
            self.run_task(task, modes)
            return
        self._finish("Not run")
        self.statusBar().showMessage("Not restored: nothing was changed")
        self.run_cancelled.emit()

    def _on_done(self, outcome: Outcome) -> None:
        if outcome.picture is not self.picture:  # the user opened another picture meanwhile
            self._finish("Dropped")
            self.statusBar().showMessage(f"A result for {outcome.name}, no longer open, was dropped")
            self.run_cancelled.emit()
            return
        self._finish("Done")
        self._show(outcome)
        times = ", ".join(f"{m} {r.seconds:.1f} s" for m, r in outcome.results.items())
        self.statusBar().showMessage(f"{outcome.model.id}: {times}")
        self.result_ready.emit()

    def _show(self, outcome: Outcome) -> None:
        """Show a finished (or, after a cancelled A/B, partly finished) outcome of the open picture."""
        self.outcome = outcome
        for mode, result in outcome.results.items():
            window = outcome.model.window_label(result.window)
            self.timing.end_run(mode, result, window, outcome.name, outcome.model.id)
            self.viewer.set_layer(f"Result ({mode})", *display_pixels(result.picture))
        self.viewer.left_combo.setCurrentText("Input" if len(outcome.results) == 1 else "Result (exact)")
        if len(outcome.results) > 1:
            self.viewer.right_combo.setCurrentText("Result (fast)")
        self._update_errors()
        self.save_action.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self._finish("Failed")
        self.report(message)
        self.run_failed.emit(message)

    def _on_cancelled(self, job: Job) -> None:
        if job is self.job or self.job is None:
            self._finish("Cancelled")
            self.statusBar().showMessage("Cancelled: the finished result is kept" if self._kept_partial
                                         else "Cancelled: nothing was changed")
        self.run_cancelled.emit()

    def _update_errors(self) -> None:
        """|exact − fast| once both exist; |result − ground truth| when the sizes agree."""
        self.viewer.drop_errors()
        results = self.outcome.results if self.outcome else {}
        if "exact" in results and "fast" in results:
            self.viewer.set_error("|exact − fast|", error_map(results["exact"].picture, results["fast"].picture))
        if self.reference is not None:
            for mode, result in results.items():
                if result.picture.rgb.shape == self.reference.rgb.shape:
                    self.viewer.set_error(f"|{mode} − ground truth|", error_map(result.picture, self.reference))
                else:
                    self.statusBar().showMessage("The ground truth differs in size from the result; no error map")

    # --- saving ----------------------------------------------------------------------------------

    def result(self) -> RestoreResult | None:
        """The shown result: fast when the toggle says fast and it exists, else whichever there is."""
        if self.outcome is None or not self.outcome.results:
            return None
        results = self.outcome.results
        return results.get("fast" if self.fast else "exact") or next(iter(results.values()))

    def suggested_name(self) -> str:
        result = self.result()
        source = self.outcome.picture if self.outcome else self.picture
        stem = source.path.stem if source is not None and source.path else "pasted"
        mode = "exact" if result is None or result.spec.kind == "exact" else "fast"
        model = self.outcome.model.id if self.outcome else "result"
        return f"{output_name(stem, model, mode)}.{self.settings.save_format}"

    def choose_save(self) -> None:
        folder = self.settings.output_dir or self.settings.save_dir or self.settings.open_dir
        path, _ = QFileDialog.getSaveFileName(self, "Save the result", str(Path(folder) / self.suggested_name()),
                                              SAVE_FILTERS)
        if path:
            self.save_result(Path(path))

    def save_result(self, path: Path) -> Path | None:
        result = self.result()
        if result is None:
            return None
        if path.suffix.lower() not in WRITABLE:
            path = path.with_suffix(".png")
        source = self.outcome.picture if self.outcome else None
        protect = [p.path for p in (source, self.picture) if p is not None and p.path]
        try:
            written = write_image(path, result.picture, protect=protect, quality=self.settings.jpeg_quality)
        except NystraError as exc:
            self.report(str(exc))
            return None
        self.settings.save_dir = str(path.parent)
        self.statusBar().showMessage(f"Saved {written}")
        return written

    # --- dialogs ---------------------------------------------------------------------------------

    def open_batch(self) -> None:
        from .batch_dialog import BatchDialog

        BatchDialog(self).exec()

    def open_models(self, select: str | None = None) -> None:
        from .models_dialog import ModelsDialog

        ModelsDialog(self.settings, self, select=select, quiet=self.quiet).exec()
        self.refresh_tasks()
