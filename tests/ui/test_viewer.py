"""Issue items 4 and 9: drops on the picture panes, an empty pane's hint, zoom (buttons, keys,
percentage), re-fit on resize, a split dragged on the picture with labels, transparency on a checkerboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from nystra_app.engine import write_image
from nystra_app.ui.main_window import MainWindow



def _shown(qtbot, main: MainWindow) -> None:
    main.resize(1200, 800)
    main.show()
    main.activateWindow()
    qtbot.waitActive(main)


def _key(qtbot, main: MainWindow, key: Qt.Key) -> None:
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=5_000)
    qtbot.keyClick(main, key, Qt.KeyboardModifier.ControlModifier)


def _drop(view, path: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    centre = QPointF(view.viewport().rect().center())
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(centre, Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)


def test_a_photo_dropped_on_a_pane_opens_and_empty_panes_say_so(qtbot, window: MainWindow, picture: Path) -> None:
    _shown(qtbot, window)
    view = window.viewer.left_view
    assert view.empty
    image = view.grab().toImage()
    lightness = {image.pixelColor(x, y).lightness() for x in range(0, image.width(), 2)
                 for y in range(0, image.height(), 2)}
    assert max(lightness) - min(lightness) > 100  # light text over the dark background
    _drop(view, picture)
    assert window.picture is not None and window.picture.path == picture
    assert not view.empty and "Input" in window.viewer.layer_names


def test_zoom_buttons_keys_and_percentage_and_refit_on_resize(qtbot, window: MainWindow, picture: Path) -> None:
    _shown(qtbot, window)
    window.open_path(picture)
    viewer = window.viewer
    fitted = viewer.zoom()
    assert fitted > 1 and viewer.zoom_label.text() == f"{fitted:.0%}"  # a 64×48 picture fills the pane
    _key(qtbot, window, Qt.Key.Key_1)
    assert viewer.zoom() == 1.0 and viewer.zoom_label.text() == "100%"
    _key(qtbot, window, Qt.Key.Key_Plus)
    assert abs(viewer.zoom() - 1.25) < 1e-9
    _key(qtbot, window, Qt.Key.Key_Minus)
    assert abs(viewer.zoom() - 1.0) < 1e-9
    window.resize(1300, 900)  # not fitted: the zoom stays
    qtbot.wait(50)
    assert abs(viewer.zoom() - 1.0) < 1e-9
    _key(qtbot, window, Qt.Key.Key_0)
    before = viewer.zoom()
    window.resize(1000, 700)  # fitted: follows the window
    qtbot.wait(50)
    assert viewer.zoom() < before


def test_split_is_dragged_on_the_picture_and_labelled(qtbot, window: MainWindow, picture: Path) -> None:
    _shown(qtbot, window)
    window.open_path(picture)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.task_buttons["dehaze"].click()
    viewer = window.viewer
    viewer.set_mode(1)
    viewer.fit()
    view = viewer.split_view
    point = view.mapFromScene(QPointF(64 * 0.25, 24))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))
    assert abs(viewer.slider.value() - 250) <= 20
    item = view.item
    assert (item.left_name, item.right_name) == ("Input", "Result (exact)")


def test_transparency_is_shown_on_a_checkerboard_and_described(qtbot, window: MainWindow, tmp_path: Path) -> None:
    _shown(qtbot, window)
    rgb = np.full((64, 64, 3), 0.5, np.float32)
    alpha = np.zeros((64, 64), np.float32)
    alpha[:, 32:] = 1.0
    path = write_image(tmp_path / "cut-out.png", rgb, 8, alpha)
    window.open_path(path)
    message = window.statusBar().currentMessage()
    assert "with transparency" in message and "channel" not in message
    image = window.viewer.left_view.grab().toImage()
    left_half = {image.pixelColor(x, y).lightness() for x in range(image.width() // 2 - 60, image.width() // 2 - 10)
                 for y in range(image.height() // 2 - 30, image.height() // 2 + 30)}
    assert len({v // 16 for v in left_half}) >= 2  # two checker greys show through the transparent half
