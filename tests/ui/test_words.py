"""Issue item 7: Fast explained in a photographer's words with the research one click away, and the
expert settings offering only values the model accepts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from nystra_app.attention.geometry import valid_landmarks
from nystra_app.engine import run_to_end
from nystra_app.engine.restore import restore_picture
from nystra_app.manager import get_entry
from nystra_app.models import describe_entry
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.provider import TASKS

JARGON = ("dB", "window", "Nystr", "docs/", "landmark", "offset", "trained")


def test_fast_is_explained_plainly_with_details_one_click_away(window: MainWindow, monkeypatch) -> None:
    panel = window.fast_panel
    entry = panel.model
    assert entry is not None and not entry.fast.faster  # the registry says Fast is not faster for this model
    text = panel.note.text()
    assert "no speed-up" in text and len(text.split()) < 25
    assert not any(word in text for word in JARGON), text
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, body: shown.append(body))
    panel.details_button.click()
    assert shown == [entry.fast.note]


def test_only_landmark_counts_the_window_accepts_are_offered(window: MainWindow, picture: Path) -> None:
    panel = window.fast_panel
    panel.expert.setChecked(True)
    windows = [panel.window_combo.itemData(i) for i in range(1, panel.window_combo.count())]
    described = panel.model
    assert described is not None
    assert windows and all(w % max(described.trained_window) == 0 for w in windows)
    window.open_path(picture)
    for index in range(panel.window_combo.count()):
        panel.window_combo.setCurrentIndex(index)
        size = panel.window_combo.currentData() or max(described.window(described.fast.window))
        offered = panel.offered_landmarks()
        assert offered and set(offered) <= set(valid_landmarks(size, size)), (size, offered)
        assert 0 not in offered and all(m < size * size for m in offered)
    panel.window_combo.setCurrentIndex(0)
    entry, opened = window.provider.available(TASKS[0]), window.picture
    assert entry is not None and opened is not None
    for m in panel.offered_landmarks():  # each offered count runs: no ValueError can reach the user
        panel.landmarks_combo.setCurrentIndex(panel.landmarks_combo.findData(m))
        spec, win = entry.fast.setting(**window.nystrom_overrides())
        model = window.provider.load(entry)
        run_to_end(restore_picture(opened, model, spec, window=win))


def test_a_model_with_fixed_windows_offers_only_its_own(window: MainWindow) -> None:
    """DAT attends in 8x32 and 32x8 windows it cannot change: no other window is offered, and the
    landmark counts fit the rectangle."""
    panel = window.fast_panel
    panel.expert.setChecked(True)
    panel.show_model(describe_entry(get_entry("dat-light-x2")))
    assert panel.window_combo.count() == 1 and panel.window_combo.itemData(0) == 0
    assert "8x32" in panel.window_combo.itemText(0)
    offered = panel.offered_landmarks()
    assert offered and set(offered) <= set(valid_landmarks(8, 32))
