"""Issue items 1 and 5: a result stays with the picture it was made from; a new picture leaves no stale views."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np

from nystra_app.engine import read_image, write_image
from nystra_app.ui.main_window import MainWindow, Outcome

from .conftest import make_picture


def _idle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.job is None and window.queues.for_device(window.device).running is None,
                    timeout=60_000)


def test_result_of_a_picture_no_longer_open_is_never_shown_or_saved(qtbot, window: MainWindow,
                                                                     tmp_path: Path) -> None:
    first = make_picture(tmp_path / "a.png")
    second = tmp_path / "b.png"
    write_image(second, np.full((48, 64, 3), 0.25, np.float32))
    window.open_path(first)
    window.task_buttons["dehaze"].click()
    window.open_path(second)  # while A's run is queued or running
    _idle(qtbot, window)
    assert window.outcome is None and window.result() is None
    assert "Result (exact)" not in window.viewer.layer_names
    assert not window.save_action.isEnabled()
    assert window.save_result(tmp_path / "saved.png") is None and not (tmp_path / "saved.png").exists()
    # B's own run gives B's result, saved under B's name
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.task_buttons["dehaze"].click()
    outcome = cast(Outcome, window.outcome)  # set by the run (mypy still holds the `is None` above)
    assert outcome.picture is window.picture and outcome.name == "b.png"
    assert window.suggested_name().startswith("b_")
    saved = window.save_result(tmp_path / window.suggested_name())
    assert saved is not None
    assert np.allclose(read_image(saved).rgb, window.result().picture.rgb, atol=1 / 255)


def test_a_new_picture_clears_error_map_psnr_and_speedup(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.open_path(make_picture(tmp_path / "a.png"))
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.run_ab()
    assert window.viewer.error_names and window.timing.speedup() is not None
    assert "PSNR" in window.viewer.error_label.text()
    assert "higher means closer" in window.viewer.error_label.toolTip()  # the unit, said for a photographer
    window.open_path(make_picture(tmp_path / "b.png", 40, 56))
    assert window.viewer.error_names == [] and "PSNR" not in window.viewer.error_label.text()
    assert window.viewer._error_item.pixmap().isNull()
    assert window.timing.speedup() is None and "speed-up" not in window.timing.summary.text()
    window.set_fast(True)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.task_buttons["dehaze"].click()
    assert window.timing.speedup() is None  # one fast run on b is not compared with a's exact run
    assert "speed-up" not in window.timing.summary.text()
    assert window.timing.table.item(window.timing.table.rowCount() - 1, 0).text() == "b.png"
