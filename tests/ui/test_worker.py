"""The worker thread turns whatever a job raises into one line for the status bar: our own errors as
written, a bug as its type and a pointer to the report file (never a traceback in the window)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nystra_app.errors import NystraError
from nystra_app.ui.worker import Job


def _failure(qtbot, error: Exception) -> str:
    def work(_cancel: threading.Event) -> None:
        raise error

    job = Job(work, "test")
    messages: list[str] = []
    job.failed.connect(messages.append)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    return messages[0]


def test_an_unexpected_error_is_one_line_naming_its_report(qtbot, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    message = _failure(qtbot, KeyError("boom\nsecond line"))
    reports = list((tmp_path / "reports").iterdir())
    assert "\n" not in message and "KeyError" in message
    assert len(reports) == 1 and str(reports[0]) in message


def test_our_own_error_is_shown_as_written(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    assert _failure(qtbot, NystraError("photo.png: not a picture")) == "photo.png: not a picture"
    assert not (tmp_path / "reports").exists()
