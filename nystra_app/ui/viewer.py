"""The compare viewer: two pictures side by side or under a slider split, and error maps.

Every view shows its picture in the same scene coordinates (the largest layer's pixels; a smaller
input under a super-resolved result is scaled up), so zoom and pan are copied between views as a
transform and two scroll positions.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.compare import ErrorMap
from .images import to_pixmap

MODES = ("Side by side", "Slider", "Error map")


class ImageView(QGraphicsView):
    """A zoomable (wheel), pannable (drag) view; `moved` fires whenever zoom or pan changes."""

    moved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))  # parented, so Python does not collect it
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(self.palette().dark())
        self.setMinimumSize(160, 120)
        self.horizontalScrollBar().valueChanged.connect(self.moved)
        self.verticalScrollBar().valueChanged.connect(self.moved)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's naming)
        factor = math.pow(1.0015, event.angleDelta().y())
        self.scale(factor, factor)
        self.moved.emit()

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            self.moved.emit()

    def follow(self, other: ImageView) -> None:
        self.setTransform(other.transform())
        self.horizontalScrollBar().setValue(other.horizontalScrollBar().value())
        self.verticalScrollBar().setValue(other.verticalScrollBar().value())


class SplitItem(QGraphicsItem):
    """The left picture up to `fraction` of the width, the right one after it, and a divider line."""

    def __init__(self) -> None:
        super().__init__()
        self.left = QPixmap()
        self.right = QPixmap()
        self.size = QRectF()
        self.fraction = 0.5

    def set_pictures(self, left: QPixmap, right: QPixmap, size: QRectF) -> None:
        self.prepareGeometryChange()
        self.left, self.right, self.size = left, right, size
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.size

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        split = self.size.width() * self.fraction
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if not self.left.isNull():
            painter.drawPixmap(QRectF(0, 0, split, self.size.height()), self.left,
                               QRectF(0, 0, self.left.width() * self.fraction, self.left.height()))
        if not self.right.isNull():
            painter.drawPixmap(QRectF(split, 0, self.size.width() - split, self.size.height()), self.right,
                               QRectF(self.right.width() * self.fraction, 0,
                                      self.right.width() * (1 - self.fraction), self.right.height()))
        painter.setPen(Qt.GlobalColor.white)
        painter.drawLine(int(split), 0, int(split), int(self.size.height()))


class CompareViewer(QWidget):
    """Layers (named pictures) picked for left and right, and named error maps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers: dict[str, QPixmap] = {}
        self._errors: dict[str, ErrorMap] = {}
        self._size = QRectF()
        self._syncing = False

        self.left_view, self.right_view, self.split_view, self.error_view = (ImageView() for _ in range(4))
        self.views = (self.left_view, self.right_view, self.split_view, self.error_view)
        self._left_item, self._right_item, self._error_item = QGraphicsPixmapItem(), QGraphicsPixmapItem(), QGraphicsPixmapItem()
        self._split_item = SplitItem()
        for view, item in zip(self.views, (self._left_item, self._right_item, self._split_item, self._error_item)):
            view.scene().addItem(item)
            view.moved.connect(lambda v=view: self._sync_from(v))

        self.left_combo, self.right_combo, self.error_combo = QComboBox(), QComboBox(), QComboBox()
        for combo in (self.left_combo, self.right_combo):
            combo.currentTextChanged.connect(self._show_pair)
            combo.setMinimumContentsLength(10)
        self.error_combo.currentTextChanged.connect(self._show_error)
        self.error_combo.setMinimumContentsLength(16)
        self.error_label = QLabel("No error map yet: run A/B, or load a ground-truth picture")

        self.mode_group = QButtonGroup(self)
        self.stack = QStackedWidget()
        bar = QHBoxLayout()
        for index, name in enumerate(MODES):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setChecked(index == 0)
            self.mode_group.addButton(button, index)
            bar.addWidget(button)
        self.mode_group.idClicked.connect(self.set_mode)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Left:"))
        bar.addWidget(self.left_combo)
        bar.addWidget(QLabel("Right:"))
        bar.addWidget(self.right_combo)
        fit = QPushButton("Fit")
        fit.setToolTip("Zoom to fit the window (wheel zooms, drag pans)")
        fit.clicked.connect(self.fit)
        bar.addWidget(fit)
        bar.addStretch(1)

        pair = QWidget()
        pair_layout = QHBoxLayout(pair)
        pair_layout.setContentsMargins(0, 0, 0, 0)
        pair_layout.addWidget(self.left_view)
        pair_layout.addWidget(self.right_view)
        self.stack.addWidget(pair)

        split = QWidget()
        split_layout = QVBoxLayout(split)
        split_layout.setContentsMargins(0, 0, 0, 0)
        split_layout.addWidget(self.split_view, 1)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.valueChanged.connect(self._move_split)
        split_layout.addWidget(self.slider)
        self.stack.addWidget(split)

        error = QWidget()
        error_layout = QVBoxLayout(error)
        error_layout.setContentsMargins(0, 0, 0, 0)
        error_bar = QHBoxLayout()
        error_bar.addWidget(QLabel("Difference:"))
        error_bar.addWidget(self.error_combo)
        error_bar.addWidget(self.error_label, 1)
        error_layout.addLayout(error_bar)
        error_layout.addWidget(self.error_view, 1)
        self.stack.addWidget(error)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

    # --- content -------------------------------------------------------------------------------

    @property
    def layer_names(self) -> list[str]:
        return list(self._layers)

    @property
    def error_names(self) -> list[str]:
        return list(self._errors)

    def error(self, name: str) -> ErrorMap:
        return self._errors[name]

    def clear(self) -> None:
        """Forget every picture and error map (a new picture was opened)."""
        self._layers.clear()
        self._errors.clear()
        self._refresh_combos()
        self._show_pair()
        self._show_error()

    def set_layer(self, name: str, rgb8: np.ndarray, *, show_right: bool = True) -> None:
        """Add or replace a picture; by default it becomes the right-hand one (the newest result)."""
        self._layers[name] = to_pixmap(rgb8)
        widest = max(self._layers.values(), key=lambda p: p.width())
        self._size = QRectF(0, 0, widest.width(), widest.height())
        self._refresh_combos()
        if show_right:
            self.right_combo.setCurrentText(name)
        self._show_pair()

    def set_error(self, name: str, error: ErrorMap) -> None:
        self._errors[name] = error
        self._refresh_combos()
        self.error_combo.setCurrentText(name)
        self._show_error()

    def drop_errors(self) -> None:
        self._errors.clear()
        self._refresh_combos()
        self._show_error()

    def set_mode(self, index: int) -> None:
        self.mode_group.button(index).setChecked(True)
        self.stack.setCurrentIndex(index)
        self._sync_from(self.left_view)

    def fit(self) -> None:
        self.views[self.stack.currentIndex() if self.stack.currentIndex() else 0].fit()

    # --- internals -----------------------------------------------------------------------------

    def _refresh_combos(self) -> None:
        for combo, names in ((self.left_combo, self._layers), (self.right_combo, self._layers),
                             (self.error_combo, self._errors)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(names))
            if current in names:
                combo.setCurrentText(current)
            combo.blockSignals(False)

    def _scaled(self, name: str) -> QPixmap:
        return self._layers.get(name, QPixmap())

    def _place(self, item: QGraphicsPixmapItem, pixmap: QPixmap) -> None:
        item.setPixmap(pixmap)
        item.setScale(self._size.width() / pixmap.width() if pixmap.width() else 1.0)

    def _show_pair(self) -> None:
        left, right = self._scaled(self.left_combo.currentText()), self._scaled(self.right_combo.currentText())
        self._place(self._left_item, left)
        self._place(self._right_item, right)
        self._split_item.set_pictures(left, right, self._size)
        for view in self.views:
            view.scene().setSceneRect(self._size)

    def _show_error(self) -> None:
        name = self.error_combo.currentText()
        if name not in self._errors:
            self._error_item.setPixmap(QPixmap())
            self.error_label.setText("No error map yet: run A/B, or load a ground-truth picture")
            return
        error = self._errors[name]
        self._place(self._error_item, to_pixmap(error.heat))
        psnr = "identical (∞ dB)" if math.isinf(error.psnr) else f"PSNR {error.psnr:.2f} dB"
        self.error_label.setText(f"{psnr}   max |Δ| {error.max_error * 255:.1f}/255   "
                                 f"white = {error.ceiling * 255:.1f}/255 or more")

    def _move_split(self, value: int) -> None:
        self._split_item.fraction = value / 1000
        self._split_item.update()

    def _sync_from(self, source: ImageView) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            for view in self.views:
                if view is not source:
                    view.follow(source)
        finally:
            self._syncing = False
