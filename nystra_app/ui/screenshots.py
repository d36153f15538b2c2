"""`nystra-app --screenshot DIR`: the main views rendered offscreen to PNG files, for docs and review.

The pictures are made here (a synthetic hazy scene), and the model is the installed dehazer when
there is one, else its architecture with random weights (the views, not the restoration, are the
point). Every run goes through the same queue and worker as an interactive one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QWidget

from ..engine import Picture
from ..manager import find_weights, get_entry, load_model
from ..models import LoadedModel
from .batch_dialog import BatchDialog
from .main_window import MainWindow
from .models_dialog import ModelsDialog
from .provider import FixedProvider
from .settings import load_settings

SCENE_SIZE = (192, 256)  # (height, width): small, so the A/B run takes seconds on a laptop CPU


def hazy_scene(height: int, width: int) -> Picture:
    """Coloured blocks and a gradient, washed towards grey with depth: something to restore and compare."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([0.5 + 0.5 * np.sin(x / 17.0), 0.5 + 0.5 * np.cos(y / 23.0), (x + y) / (height + width)], axis=2)
    rgb[(x // 48 + y // 48) % 2 == 0] *= 0.6
    depth = (y / height)[..., None]
    return Picture((rgb * (1 - 0.6 * depth) + 0.75 * 0.6 * depth).astype(np.float32))


def screenshot_model() -> LoadedModel:
    entry = get_entry("dehazeformer-t-indoor")
    try:
        find_weights(entry)
        return load_model(entry.id)
    except Exception:  # noqa: BLE001 - no weights here: show the views with random weights
        return load_model(entry.id, random_weights=True)


def _wait(signal, ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _grab(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    return path


def render_screenshots(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    window = MainWindow(FixedProvider([screenshot_model()]), load_settings(), quiet=True)
    window.resize(1360, 860)
    window.show()
    window.set_picture(hazy_scene(*SCENE_SIZE), "hazy scene (synthetic)")
    window.run_ab()
    _wait(window.result_ready)
    window.viewer.left_combo.setCurrentText("Input")
    window.viewer.right_combo.setCurrentText("Result (fast)")
    window.viewer.fit()
    written = [_grab(window, folder / "main_window.png")]
    window.viewer.set_mode(1)
    window.viewer.fit()
    written.append(_grab(window, folder / "compare_slider.png"))
    window.viewer.set_mode(2)
    window.viewer.fit()
    written.append(_grab(window, folder / "error_map.png"))
    window.viewer.set_mode(0)
    written.append(_grab(window.timing, folder / "timing_panel.png"))
    batch = BatchDialog(window)
    batch.show()
    written.append(_grab(batch, folder / "batch_dialog.png"))
    batch.close()
    models = ModelsDialog(window.settings, window, quiet=True)
    models.show()
    written.append(_grab(models, folder / "model_manager.png"))
    models.close()
    window.queues.wait_all()
    window.close()
    return written
