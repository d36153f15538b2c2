"""`nystra-app --screenshot DIR`: every main view rendered offscreen to PNG, at two screen sizes, for docs
and review.

The two screens are a 1366×768 laptop at 100% and a 1920×1080 screen at 150% scaling (1280×720 logical
pixels). Qt's scale factor is fixed when the application starts, so the 150% set is rendered by a
second process. The pictures are made here (a synthetic hazy scene) and the model run is the installed
dehazer; every other model whose weights are found here fills its task's row, as it would for a user who
has them. Without a dehazer, the views that need no result are rendered with its architecture on random
weights, and the result views are left out with a note: an untrained model's "restoration" is noise,
which a reader of the screenshots would take for the app's work. Nothing the user saved (window size,
recent files) is read or written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ..engine import Picture, write_image
from ..manager import MIRROR_ENV, ManagerSettings, find_weights, get_entry, load_model, registry
from ..models import LoadedModel
from .batch_dialog import BatchDialog
from .main_window import MainWindow
from .models_dialog import ModelsDialog
from .provider import FixedProvider, ModelProvider
from .settings import AppSettings
from .settings_dialog import SettingsDialog

SCENE_SIZE = (192, 256)  # (height, width): small, so the A/B run takes seconds on a laptop CPU
BATCH_SIZE = (480, 640)  # big enough that the batch is still running when it is grabbed
TASKBAR = 40  # pixels of the screen a desktop keeps for itself
SCREENS = {"1366x768": (1366, 768, 1.0), "1920x1080@150": (1920, 1080, 1.5)}
RESULT_VIEWS = ("restored", "slider", "error_map")
VIEWS = ("first_run", *RESULT_VIEWS, "batch_running", "model_manager", "settings")
SCREENSHOT_MODEL = "dehazeformer-t-indoor"  # the model the result views run
UNTRAINED_NOTE = ("no DehazeFormer-T weights here (install them, or point NYSTRA_MODEL_MIRROR at a folder of model "
                  "files): the restored, slider and error-map views were not rendered, since an untrained model's "
                  "result is noise")


def hazy_scene(height: int, width: int) -> Picture:
    """Coloured blocks and a gradient, washed towards grey with depth: something to restore and compare."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([0.5 + 0.5 * np.sin(x / 17.0), 0.5 + 0.5 * np.cos(y / 23.0), (x + y) / (height + width)], axis=2)
    rgb[(x // 48 + y // 48) % 2 == 0] *= 0.6
    depth = (y / height)[..., None]
    return Picture((rgb * (1 - 0.6 * depth) + 0.75 * 0.6 * depth).astype(np.float32))


def screenshot_models() -> tuple[list[LoadedModel], bool]:
    """The installed dehazer first, then every other model whose weights are found; True when the dehazer
    is trained. Without its weights: its architecture on random weights, and False."""
    entry = get_entry(SCREENSHOT_MODEL)
    try:
        find_weights(entry)
        dehazer, trained = load_model(entry.id), True
    except Exception:  # noqa: BLE001 - no weights here: the views that need no result, on random weights
        dehazer, trained = load_model(entry.id, random_weights=True), False
    others = []
    for other in registry().values():
        if other.id == entry.id:
            continue
        try:
            find_weights(other)
            others.append(load_model(other.id))
        except Exception:  # noqa: BLE001 - not here, or not loadable: its row says "none available", as for a user
            continue
    return [dehazer, *others], trained


def _wait(signal, ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait_until(condition: Callable[[], bool], ms: int = 60_000) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(20)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    timer.stop()


class Shooter:
    """Renders the views for one screen size into `folder`, named `<view>.png`."""

    def __init__(self, folder: Path, width: int, height: int, scale: float, only: set[str]) -> None:
        self.folder = folder
        self.size = (round(width / scale), round((height - TASKBAR * scale) / scale))  # logical pixels
        self.only = only
        self.written: list[Path] = []

    def wanted(self, view: str) -> bool:
        return not self.only or view in self.only

    def grab(self, widget: QWidget, view: str) -> None:
        QApplication.processEvents()
        path = self.folder / f"{view}.png"
        widget.grab().save(str(path))
        self.written.append(path)

    def main_window(self, provider: ModelProvider) -> MainWindow:
        window = MainWindow(provider, AppSettings(), quiet=True, persist=False)
        window.resize(*self.size)
        window.show()
        return window

    def run(self, work: Path) -> list[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.wanted("first_run"):  # a fresh install: no models, no shared folder
            fresh = ManagerSettings(data_dir=work / "empty-data")
            mirror = os.environ.pop(MIRROR_ENV, None)
            try:
                window = self.main_window(ModelProvider(lambda: fresh))
                self.grab(window, "first_run")
                window.close()
            finally:
                if mirror is not None:
                    os.environ[MIRROR_ENV] = mirror
        loaded, trained = screenshot_models()
        window = self.main_window(FixedProvider(loaded))
        window.set_picture(hazy_scene(*SCENE_SIZE), "hazy scene (synthetic)")
        results = [view for view in RESULT_VIEWS if self.wanted(view)]
        if results and not trained:
            print(UNTRAINED_NOTE, file=sys.stderr)
        elif results:
            window.run_ab()
            _wait(window.result_ready)
            window.viewer.left_combo.setCurrentText("Input")
            window.viewer.right_combo.setCurrentText("Result (fast)")
            for index, view in enumerate(("restored", "slider", "error_map")):
                window.viewer.set_mode(index)
                window.viewer.fit()
                if self.wanted(view):
                    self.grab(window, view)
            window.viewer.set_mode(0)
        if self.wanted("batch_running"):
            self._batch(window, work)
        if self.wanted("model_manager"):
            models = ModelsDialog(window.settings, window, quiet=True)
            models.resize(min(900, self.size[0] - 80), min(520, self.size[1] - 80))
            models.show()
            self.grab(models, "model_manager")
            models.close()
        if self.wanted("settings"):
            dialog = SettingsDialog(window.settings, window)
            dialog.show()
            self.grab(dialog, "settings")
            dialog.close()
        window.queues.wait_all()
        window.close()
        return self.written

    def _batch(self, window: MainWindow, work: Path) -> None:
        source = work / "holiday photos"
        source.mkdir(exist_ok=True)
        for name in ("beach", "harbour", "hills"):
            write_image(source / f"{name}.jpg", hazy_scene(*BATCH_SIZE))
        batch = BatchDialog(window)
        batch.input_edit.setText(str(source))
        batch.show()
        batch.start()
        _wait_until(lambda: batch.file_progress.value() > 0 and bool(batch.eta_label.text()))
        self.grab(batch, "batch_running")
        batch.reject()


def render_screenshots(folder: Path, screen: str | None = None, only: set[str] | None = None) -> list[Path]:
    """Render the views into folder/<screen>/; without `screen`, both screens (the second in a child process)."""
    written: list[Path] = []
    for name in [screen] if screen else list(SCREENS):
        width, height, scale = SCREENS[name]
        if abs(scale - _scale()) < 1e-6:
            with tempfile.TemporaryDirectory(prefix="nystra-shots-") as work:
                written += Shooter(folder / name, width, height, scale, only or set()).run(Path(work))
        else:
            written += _in_child(folder, name, scale, only)
    return written


def _scale() -> float:
    return float(os.environ.get("QT_SCALE_FACTOR") or 1.0)


def _in_child(folder: Path, screen: str, scale: float, only: set[str] | None) -> list[Path]:
    env = dict(os.environ, QT_SCALE_FACTOR=str(scale), QT_QPA_PLATFORM="offscreen")
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "nystra_app.ui.app"]
    args = [*program, "--screenshot", str(folder), "--screen", screen]
    if only:
        args += ["--only", ",".join(sorted(only))]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"rendering the {screen} screenshots failed: {done.stderr.strip().splitlines()[-1:]}")
    return [Path(line) for line in done.stdout.splitlines() if line.endswith(".png")]
