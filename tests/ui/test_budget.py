"""Issue #13, the GUI side of the pixel budget: a picture above it is not refused with a command-line
option but asked about, with the estimated time here; No changes nothing, Yes restores it; a batch asks
once, and the pictures skipped are listed as skipped. The budget is made tiny (a slow machine) so the
pictures stay small; the speed is "measured" off the GUI thread."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from nystra_app.engine import budget
from nystra_app.engine.budget import describe_seconds
from nystra_app.ui.batch_dialog import BatchDialog
from nystra_app.ui.budget_prompt import Question
from nystra_app.ui.main_window import MainWindow

from .conftest import make_picture

SECONDS_PER_MP = 1e5  # the slow machine: the budget is TIME_BUDGET_S / this = 0.006 MP
MODEL = "dehazeformer-t-indoor"


@pytest.fixture
def slow_machine(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Every picture above 1,000 px is measured; returns the threads the measuring ran on."""
    threads: list[threading.Thread] = []

    def measure(*args: object) -> float:
        threads.append(threading.current_thread())
        return SECONDS_PER_MP

    monkeypatch.setattr(budget, "FLOOR_MP", 0.001)
    monkeypatch.setattr(budget, "measure_seconds_per_megapixel", measure)
    return threads


def about(height: int, width: int) -> str:
    return f"about {describe_seconds(height * width / 1e6 * SECONDS_PER_MP)}"


def asked(qtbot, owner: MainWindow | BatchDialog) -> Question:
    """The question `owner` opens, once it is on screen."""
    qtbot.waitUntil(lambda: owner.question is not None and owner.question.isVisible(), timeout=60_000)
    assert owner.question is not None
    return owner.question


def files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_large_picture_asks_with_the_time_here_and_cancel_changes_nothing(
        qtbot, window: MainWindow, tmp_path: Path, slow_machine: list[threading.Thread]) -> None:
    big = make_picture(tmp_path / "big.png", 96, 128)
    assert window.open_path(big)
    picture, layers, before = window.picture, list(window.viewer.layer_names), files(tmp_path)
    window.task_buttons["dehaze"].click()
    box = asked(qtbot, window)
    words = f"{box.text()} {box.informativeText()}"
    assert "big.png" in words and about(96, 128) in words and "on this computer" in words
    assert "--" not in words and "max-megapixels" not in words
    assert slow_machine and threading.main_thread() not in slow_machine  # measured in the worker
    with qtbot.waitSignal(window.run_cancelled, timeout=10_000):
        box.no_button.click()
    assert window.question is None and window.picture is picture and window.outcome is None
    assert list(window.viewer.layer_names) == layers and not window.save_action.isEnabled()
    assert window.statusBar().currentMessage() == "Not restored: nothing was changed"
    assert files(tmp_path) == before


def test_run_anyway_restores_it_and_does_not_ask_again_for_that_picture(
        qtbot, window: MainWindow, tmp_path: Path, slow_machine: list[threading.Thread]) -> None:
    assert window.open_path(make_picture(tmp_path / "small.png", 32, 32))  # measured, within the budget
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.task_buttons["dehaze"].click()
    assert slow_machine and window.question is None
    assert window.open_path(make_picture(tmp_path / "big.png", 96, 128))
    window.task_buttons["dehaze"].click()
    box = asked(qtbot, window)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        box.yes_button.click()
    assert "Result (exact)" in window.viewer.layer_names
    assert window.result().picture.rgb.shape == (96, 128, 3)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):  # the A/B of the same picture: no question
        window.run_ab()
    assert [r.mode for r in window.timing.runs[-2:]] == ["exact", "fast"] and window.question is None


def test_an_ab_question_counts_both_runs(qtbot, window: MainWindow, tmp_path: Path,
                                         slow_machine: list[threading.Thread]) -> None:
    assert window.open_path(make_picture(tmp_path / "big.png", 96, 128))
    window.run_ab()
    box = asked(qtbot, window)
    assert "Both runs" in box.text() and about(2 * 96, 128) in box.text()
    with qtbot.waitSignal(window.run_cancelled, timeout=10_000):
        box.no_button.click()


def _batch(qtbot, window: MainWindow, tmp_path: Path) -> tuple[BatchDialog, Question, Path, Path]:
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    make_picture(source / "a.png", 32, 32)
    make_picture(source / "big.png", 96, 128)
    make_picture(source / "wide.png", 64, 160)
    dialog = BatchDialog(window)
    qtbot.addWidget(dialog)
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText(str(out))
    dialog.start_button.click()
    return dialog, asked(qtbot, dialog), source, out


def test_a_batch_asks_once_and_skipped_pictures_are_listed_as_skipped(
        qtbot, window: MainWindow, tmp_path: Path, slow_machine: list[threading.Thread]) -> None:
    dialog, box, source, out = _batch(qtbot, window, tmp_path)
    text = box.text()
    assert f"big.png: {96 * 128 / 1e6:.1f} MP, {about(96, 128)}" in text and about(64, 160) in text
    assert "a.png" not in text and "2 pictures" in text
    before = files(source)
    with qtbot.waitSignal(dialog.finished_batch, timeout=60_000) as done:
        box.no_button.click()
    report = done.args[0]
    assert [p.name for p in report.skipped] == ["big.png", "wide.png"] and not report.failures
    assert [p.name for p in report.written] == [f"a_{MODEL}_exact.png"] and not report.cancelled
    assert dialog.file_label.text() == "1 written, 2 skipped, 0 failed"
    log = [dialog.log.item(i).text() for i in range(dialog.log.count())]
    assert "Skipping 2 large pictures" in log
    assert any(line.startswith("skipped big.png: too large to restore without asking") for line in log)
    assert not any("max-megapixels" in line or "FAILED" in line for line in log)
    assert sorted(p.name for p in out.iterdir()) == [f"a_{MODEL}_exact.png"] and files(source) == before


def test_a_batch_runs_them_too_when_told(qtbot, window: MainWindow, tmp_path: Path,
                                         slow_machine: list[threading.Thread]) -> None:
    dialog, box, _, out = _batch(qtbot, window, tmp_path)
    with qtbot.waitSignal(dialog.finished_batch, timeout=60_000) as done:
        box.yes_button.click()
    report = done.args[0]
    assert len(report.written) == 3 and not report.skipped and not report.failures
    assert len(list(out.iterdir())) == 3
