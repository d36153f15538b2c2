"""Exact or Fast, said in a photographer's words, with the research detail one click away and, for
experts, Fast's settings offering only values the model accepts.

What Fast does for a model and which windows it was trained at come from its descriptor (measured:
`fast`); which landmark counts fit a window comes from the attention geometry, so no choice here can be
refused later.
"""

from __future__ import annotations

from typing import TypedDict

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..attention.geometry import valid_landmarks
from ..models import ModelDescriptor, Window
from .settings import AppSettings

WINDOW_FACTORS = (1, 2, 4, 8)  # windows offered: the trained one times these
MAX_WINDOW = 64
MAX_ITERS = 20


class NystromOverrides(TypedDict, total=False):
    """The expert settings of Fast, as FastDefault.setting takes them."""

    landmarks: int
    iters: int
    window: int


EXACT_OR_FAST = "Exact runs the model as it was trained. Fast uses a shortcut inside the model."
REACH = "How far each point of the model looks around it (attention window)"


def plain_words(model: ModelDescriptor | None) -> str:
    """What choosing Fast means for this model, without jargon."""
    if model is None:
        return EXACT_OR_FAST
    if not model.fast.faster:
        return "Fast gives no speed-up for this model on our tests: use Exact."
    return "Fast was quicker than Exact for this model on our tests; results can differ slightly (check with A/B)."


class FastPanel(QGroupBox):
    """The Exact/Fast toggle, its explanation, and the expert settings (0 everywhere: the model's own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Exact or Fast", parent)
        self.model: ModelDescriptor | None = None
        column = QVBoxLayout(self)
        toggle = QHBoxLayout()
        self.exact_radio, self.fast_radio = QRadioButton("Exact"), QRadioButton("Fast")
        self.exact_radio.setToolTip("The model as its authors trained it")
        self.fast_radio.setToolTip("The same model with a quicker approximation of its attention (PnP-Nystra)")
        self.group = QButtonGroup(self)
        for radio in (self.exact_radio, self.fast_radio):
            self.group.addButton(radio)
            toggle.addWidget(radio)
        self.exact_radio.setChecked(True)
        toggle.addStretch(1)
        self.details_button = QPushButton("Why?")
        self.details_button.setToolTip("The measurements behind this advice")
        self.details_button.clicked.connect(self.show_details)
        toggle.addWidget(self.details_button)
        column.addLayout(toggle)
        self.note = QLabel(plain_words(None))
        self.note.setWordWrap(True)
        column.addWidget(self.note)

        self.expert = QCheckBox("Tune Fast (experts)")
        self.expert_rows = QWidget()  # hidden while the box is off, so it takes no room
        self.expert.toggled.connect(self.expert_rows.setVisible)
        self.expert_rows.setVisible(False)
        form = QFormLayout(self.expert_rows)
        form.setContentsMargins(0, 0, 0, 0)
        self.window_combo, self.landmarks_combo = QComboBox(), QComboBox()
        self.iters_spin = QSpinBox()
        self.iters_spin.setRange(0, MAX_ITERS)
        self.iters_spin.setSpecialValueText("model's own")
        self.window_combo.setToolTip(REACH)
        self.landmarks_combo.setToolTip("How many summary points stand in for the window (landmarks); "
                                        "only counts that divide the window evenly are offered")
        self.iters_spin.setToolTip("Refinement steps of the approximation (pseudo-inverse iterations)")
        self.window_combo.currentIndexChanged.connect(self._fill_landmarks)
        form.addRow("Reach", self.window_combo)
        form.addRow("Summary points", self.landmarks_combo)
        form.addRow("Refinement steps", self.iters_spin)
        column.addWidget(self.expert)
        column.addWidget(self.expert_rows)
        self.show_model(None)

    @property
    def fast(self) -> bool:
        return self.fast_radio.isChecked()

    def set_fast(self, on: bool) -> None:
        (self.fast_radio if on else self.exact_radio).setChecked(True)

    def show_model(self, model: ModelDescriptor | None) -> None:
        """Explain Fast for `model` and offer the windows and landmark counts it accepts."""
        self.model = model
        self.note.setText(plain_words(model))
        slow = model is not None and not model.fast.faster
        self.note.setStyleSheet("color: #b35c00;" if slow else "")
        self.details_button.setEnabled(bool(model and model.fast.note))
        kept = self.window_combo.currentData() or 0
        trained = max(model.trained_window) if model else 8
        self.window_combo.blockSignals(True)
        self.window_combo.clear()
        self.window_combo.addItem(f"model's own ({self._label(None)})", 0)
        resizable = model is None or model.resizable_window  # DAT's and EMT's windows are fixed
        for window in sorted({trained * f for f in WINDOW_FACTORS if trained * f <= MAX_WINDOW} if resizable else ()):
            self.window_combo.addItem(str(window), window)
        self.window_combo.setCurrentIndex(max(self.window_combo.findData(kept), 0))
        self.window_combo.blockSignals(False)
        self.iters_spin.setSpecialValueText(f"model's own ({model.fast.iters})" if model else "model's own")
        self._fill_landmarks()

    def _window(self) -> Window:
        """The window Fast runs at with the current choice: the chosen one, else the model's Fast default."""
        chosen = self.window_combo.currentData() or None
        if self.model is None:
            return (chosen or 8, chosen or 8)
        return self.model.window(chosen or self.model.fast.window)

    def _label(self, window: int | None) -> int | str:
        if self.model is None:
            return window or 8
        return self.model.window_label(window or self.model.fast.window)

    def _fill_landmarks(self) -> None:
        kept = self.landmarks_combo.currentData() or 0
        height, width = self._window()
        default = self.model.fast.landmarks if self.model else 16
        self.landmarks_combo.clear()
        self.landmarks_combo.addItem(f"model's own ({default})", 0)
        for m in valid_landmarks(height, width):
            if m < height * width:  # as many landmarks as tokens is exact attention, only slower
                self.landmarks_combo.addItem(str(m), m)
        self.landmarks_combo.setCurrentIndex(max(self.landmarks_combo.findData(kept), 0))

    def offered_landmarks(self) -> list[int]:
        return [self.landmarks_combo.itemData(i) for i in range(1, self.landmarks_combo.count())]

    def show_details(self) -> None:
        if self.model is not None:
            QMessageBox.information(self, f"Fast for {self.model.id}", self.model.fast.note)

    def overrides(self) -> NystromOverrides:
        """The expert values (0: the model's own), only while the expert box is switched on."""
        if not self.expert.isChecked():
            return {}
        return {"landmarks": int(self.landmarks_combo.currentData() or 0), "iters": self.iters_spin.value(),
                "window": int(self.window_combo.currentData() or 0)}

    def load(self, settings: AppSettings) -> None:
        self.set_fast(settings.fast)
        self.window_combo.setCurrentIndex(max(self.window_combo.findData(settings.window), 0))
        self.landmarks_combo.setCurrentIndex(max(self.landmarks_combo.findData(settings.landmarks), 0))
        self.iters_spin.setValue(settings.iters)
        self.expert.setChecked(bool(settings.landmarks or settings.iters or settings.window))

    def store(self, settings: AppSettings) -> None:
        settings.fast = self.fast
        settings.window = int(self.window_combo.currentData() or 0)
        settings.landmarks = int(self.landmarks_combo.currentData() or 0)
        settings.iters = self.iters_spin.value()
