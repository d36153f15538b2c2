"""Issue item 8 (the window fits small screens, the photo gets most of it, the timing panel's size is
remembered) and the settings dialog, About and --screenshot leaving the saved window alone."""

from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtWidgets import QMessageBox

from nystra_app.engine import read_image
from nystra_app.ui.app import main as app_main
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.provider import FixedProvider
from nystra_app.ui.settings import load_settings, save_settings
from nystra_app.ui.settings_dialog import SettingsDialog

# 1366×768 at 100% and 1920×1080 at 150% (1280×720 logical) both leave this much, less a title bar and taskbar
SMALLEST_SCREEN = (1280, 720 - 60)


def test_window_fits_the_smallest_screen_and_the_photo_gets_most_of_it(qtbot, window: MainWindow,
                                                                        picture: Path) -> None:
    window.open_path(picture)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.run_ab()
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALLEST_SCREEN[0] and hint.height() <= SMALLEST_SCREEN[1], hint
    assert window.width() <= SMALLEST_SCREEN[0] and window.height() <= 720  # the first size
    window.resize(*SMALLEST_SCREEN)
    window.show()
    qtbot.waitExposed(window)
    photo = window.viewer.width() * window.viewer.height()
    assert photo > 0.5 * window.width() * window.height(), (window.viewer.size(), window.size())
    assert window.timing.height() < window.viewer.height() / 2


def test_timing_panel_size_is_remembered(qtbot, tiny) -> None:
    first = MainWindow(FixedProvider([tiny]), load_settings(), quiet=True)
    qtbot.addWidget(first)
    first.show()
    first.splitter.setSizes([300, 250])
    sizes = first.splitter.sizes()
    first.close()
    second = MainWindow(FixedProvider([tiny]), load_settings(), quiet=True)
    qtbot.addWidget(second)
    second.show()
    assert second.splitter.sizes() == sizes


def test_settings_dialog_sets_device_threads_format_quality_folders(qtbot, window: MainWindow, picture: Path,
                                                                    tmp_path: Path) -> None:
    threads = torch.get_num_threads()
    try:
        dialog = SettingsDialog(window.settings, window)
        qtbot.addWidget(dialog)
        assert not dialog.quality_spin.isEnabled()  # only JPEG has a quality
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("jpg"))
        assert dialog.quality_spin.isEnabled()
        dialog.quality_spin.setValue(40)
        dialog.threads_spin.setValue(1)
        dialog.output_edit.setText(str(tmp_path / "results"))
        dialog.mirror_edit.setText(str(tmp_path / "stick"))
        dialog.accept()
        window.apply_settings()
        window.store_settings()
        assert torch.get_num_threads() == 1
        saved = load_settings()
        assert (saved.save_format, saved.jpeg_quality, saved.output_dir, saved.mirror, saved.device) == (
            "jpg", 40, str(tmp_path / "results"), str(tmp_path / "stick"), "cpu")
        window.open_path(picture)
        with qtbot.waitSignal(window.result_ready, timeout=60_000):
            window.task_buttons["dehaze"].click()
        name = window.suggested_name()
        assert name.endswith(".jpg")
        low = window.save_result(tmp_path / "results" / name)
        window.settings.jpeg_quality = 100
        high = window.save_result(tmp_path / "results" / "high.jpg")
        assert low is not None and high is not None
        assert read_image(low).size == (64, 48) and low.stat().st_size < high.stat().st_size
    finally:
        torch.set_num_threads(threads)


def test_about_is_honest(window: MainWindow, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _p, _t, text: shown.append(text))
    window.about_action.trigger()
    assert "made fast" not in shown[0] and "not" in shown[0]


def test_screenshot_leaves_the_saved_window_alone(qtbot, tmp_path: Path) -> None:
    settings = load_settings()
    settings.geometry, settings.recent = "01d9d0cb", ["/photos/mine.png"]
    save_settings(settings)
    assert app_main(["--screenshot", str(tmp_path / "shots"), "--only", "main"]) == 0
    after = load_settings()
    assert after.geometry == "01d9d0cb" and after.recent == ["/photos/mine.png"]


def test_screenshot_without_weights_leaves_out_the_result_views_and_says_why(qtbot, tmp_path: Path, capsys) -> None:
    # the fresh per-test state has no weights installed and no mirror folder
    assert app_main(["--screenshot", str(tmp_path / "shots"), "--screen", "1366x768",
                     "--only", "restored,error_map,settings"]) == 0
    shots = tmp_path / "shots" / "1366x768"
    assert (shots / "settings.png").is_file()
    assert not (shots / "restored.png").exists() and not (shots / "error_map.png").exists()
    assert "were not rendered" in capsys.readouterr().err
