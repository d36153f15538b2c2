"""Asking before a long restore: one picture, or the large pictures of a batch, above the pixel budget.

The figures (size, estimated time here, the limit and why) come from the engine's `Overage`
(engine/budget.py); this module only words them for a photographer. The question opens without
blocking (`open`, window-modal) and answers through a signal, so tests can answer it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ..engine.budget import Overage, describe_seconds

LISTED = 10  # pictures named in a batch question; the rest are counted
TEXT_WIDTH = "QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel { min-width: 440px; }"  # fewer broken lines


class Question(QMessageBox):
    """A yes/no question whose default (Enter, Esc, closing the box) is no."""

    answered = Signal(bool)  # True: yes

    def __init__(self, parent: QWidget, title: str, text: str, details: str, yes: str, no: str) -> None:
        super().__init__(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        self.setInformativeText(details)
        self.setStyleSheet(TEXT_WIDTH)
        self.yes_button = self.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        self.no_button = self.addButton(no, QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.no_button)
        self.setEscapeButton(self.no_button)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.finished.connect(lambda _: self.answered.emit(self.clickedButton() is self.yes_button))


def _limit(overage: Overage) -> str:
    budget = overage.budget
    return f"Nystra asks before restoring pictures larger than {budget.megapixels:.1f} MP here ({budget.reason})."


def _time(seconds: float | None) -> str:
    return f"about {describe_seconds(seconds)}" if seconds is not None else "a long time"


def picture_question(parent: QWidget, overage: Overage, runs: int = 1) -> Question:
    """Run anyway / Cancel for one picture; `runs` is 2 for an A/B comparison (the estimate covers both)."""
    which = "Both runs of the comparison together" if runs > 1 else "Restoring it"
    text = (f"{overage.subject} is a large picture ({overage.width} × {overage.height}, "
            f"{overage.megapixels:.1f} MP).\n{which} will take {_time(overage.seconds)} on this computer.")
    return Question(parent, "A large picture", text, _limit(overage), "Run anyway", "Cancel")


def batch_question(parent: QWidget, large: Mapping[Path, Overage]) -> Question:
    """Run them too / Skip them for the batch's pictures above the budget, each with its estimate."""
    count = len(large)
    lines = [f"{path.name}: {o.megapixels:.1f} MP, {_time(o.seconds)}" for path, o in list(large.items())[:LISTED]]
    if count > LISTED:
        lines.append(f"and {count - LISTED} more")
    head = "One picture is" if count == 1 else f"{count} pictures are"
    text = f"{head} large and will take long to restore on this computer:\n\n" + "\n".join(lines)
    details = _limit(next(iter(large.values()))) + " Skipped pictures are listed as skipped; nothing is lost."
    return Question(parent, "Large pictures in the batch", text, details,
                    "Run them too" if count > 1 else "Run it too", "Skip them" if count > 1 else "Skip it")
