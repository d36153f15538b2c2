"""The compare viewer: two pictures side by side or under a split dragged on the picture, and error maps.

Every view shows its picture in the same scene coordinates (the largest layer's pixels; a smaller
input under a super-resolved result is scaled up), so zoom and pan are copied between views as a
transform and two scroll positions. Views stay fitted to the window until the user zooms; pictures
with transparency are drawn over a checkerboard; an empty view says a photo can be dropped on it.
"""

from __future__ import annotations

import math

import numpy as np
from pathlib import Path

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QPainter,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
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
HINT = "Drop a photo here\nor open one with Ctrl+O"
ZOOM_STEP = 1.25
BACKGROUND, HINT_COLOUR = QColor(48, 48, 48), QColor(210, 210, 210)  # a photo viewer's neutral dark grey
CHECKER = 12  # screen pixels per checkerboard square behind transparent pictures
ERROR_FIGURES_TIP = (  # the figures above the error map, for someone who has not met them
    "How far apart the two pictures are. PSNR, in decibels (dB): higher means closer; above about 40 dB a "
    "difference is hard to see, and two identical pictures score infinity. max |Δ|: the largest change of any "
    "one pixel, on the 0–255 scale of an 8-bit picture. The map is dark where the pictures agree and white "
    "where they differ by the amount shown, or more."
)


def _checkerboard() -> QBrush:
    tile = QPixmap(2 * CHECKER, 2 * CHECKER)
    tile.fill(QColor(204, 204, 204))
    painter = QPainter(tile)
    for x, y in ((0, 0), (CHECKER, CHECKER)):
        painter.fillRect(x, y, CHECKER, CHECKER, QColor(153, 153, 153))
    painter.end()
    return QBrush(tile)


def local_files(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    data = event.mimeData()
    return [Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()] if data.hasUrls() else []


class ImageView(QGraphicsView):
    """A zoomable (wheel, keys), pannable (drag) view that accepts dropped files.

    `moved` fires whenever zoom or pan changes; the view re-fits on resize until the user zooms.
    """

    moved = Signal()
    dropped = Signal(list)  # of Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))  # parented, so Python does not collect it
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMinimumSize(160, 120)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # drag pans; bars only crowd
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.fitted = True
        self.empty = True
        self._checker = _checkerboard()
        self.horizontalScrollBar().valueChanged.connect(self.moved)
        self.verticalScrollBar().valueChanged.connect(self.moved)

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        self.fitted = False
        self.setTransform(QTransform.fromScale(factor, factor))
        self.moved.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's naming)
        factor = math.pow(1.0015, event.angleDelta().y())
        self.fitted = False
        self.scale(factor, factor)
        self.moved.emit()

    def fit(self) -> None:
        self.fitted = True
        rect = self.sceneRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            self.moved.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fitted and self.isVisible():
            self.fit()

    def follow(self, other: ImageView) -> None:
        self.fitted = other.fitted
        self.setTransform(other.transform())
        self.horizontalScrollBar().setValue(other.horizontalScrollBar().value())
        self.verticalScrollBar().setValue(other.verticalScrollBar().value())

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        painter.fillRect(rect, BACKGROUND)
        if not self.empty:  # the checkerboard shows only through transparent pixels
            painter.save()
            painter.setBrushOrigin(0, 0)
            painter.fillRect(self.sceneRect(), self._checker)
            painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        if self.empty:
            painter.save()
            painter.resetTransform()
            painter.setPen(HINT_COLOUR)
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, HINT)
            painter.restore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if local_files(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = local_files(event)
        if files:
            event.acceptProposedAction()
            self.dropped.emit(files)


class SplitView(ImageView):
    """The slider view: the names of the two pictures are written at the top, on either side of the split."""

    def __init__(self, item: SplitItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        super().drawForeground(painter, rect)
        if self.empty:
            return
        split = self.mapFromScene(QPointF(self.item.size.width() * self.item.fraction, 0)).x()
        painter.save()
        painter.resetTransform()
        metrics = painter.fontMetrics()
        for text, right in ((self.item.left_name, False), (self.item.right_name, True)):
            width = metrics.horizontalAdvance(text) + 12
            box = QRectF(split + 6 if right else split - width - 6, 8, width, metrics.height() + 6)
            painter.fillRect(box, QColor(0, 0, 0, 160))
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class SplitItem(QGraphicsItem):
    """The left picture up to `fraction` of the width, the right one after it, and a divider line.

    Pressing or dragging on the picture moves the divider there (`on_drag` gets the new fraction).
    """

    def __init__(self) -> None:
        super().__init__()
        self.left = QPixmap()
        self.right = QPixmap()
        self.left_name = self.right_name = ""
        self.size = QRectF()
        self.fraction = 0.5
        self.on_drag = lambda fraction: None
        self.setCursor(Qt.CursorShape.SplitHCursor)

    def set_pictures(self, left: QPixmap, right: QPixmap, size: QRectF, names: tuple[str, str]) -> None:
        self.prepareGeometryChange()
        self.left, self.right, self.size = left, right, size
        self.left_name, self.right_name = names
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.size.width() > 0:
            event.accept()
            self.mouseMoveEvent(event)
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.on_drag(min(max(event.pos().x() / self.size.width(), 0.0), 1.0))

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

    dropped = Signal(list)  # files dropped on any view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers: dict[str, QPixmap] = {}
        self._errors: dict[str, ErrorMap] = {}
        self._size = QRectF()
        self._syncing = False

        self._left_item, self._right_item, self._error_item = QGraphicsPixmapItem(), QGraphicsPixmapItem(), QGraphicsPixmapItem()
        self._split_item = SplitItem()
        self._split_item.on_drag = lambda fraction: self.slider.setValue(round(fraction * 1000))
        self.left_view, self.right_view, self.error_view = (ImageView() for _ in range(3))
        self.split_view = SplitView(self._split_item)
        self.views = (self.left_view, self.right_view, self.split_view, self.error_view)
        for view, item in zip(self.views, (self._left_item, self._right_item, self._split_item, self._error_item)):
            view.scene().addItem(item)
            view.moved.connect(lambda v=view: self._sync_from(v))
            view.dropped.connect(self.dropped)

        self.left_combo, self.right_combo, self.error_combo = QComboBox(), QComboBox(), QComboBox()
        for combo in (self.left_combo, self.right_combo):
            combo.currentTextChanged.connect(self._show_pair)
            combo.setMinimumContentsLength(10)
        self.error_combo.currentTextChanged.connect(self._show_error)
        self.error_combo.setMinimumContentsLength(16)
        self.error_label = QLabel("No error map yet: run A/B, or load a ground-truth picture")
        self.error_label.setToolTip(ERROR_FIGURES_TIP)

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
        bar.addStretch(1)
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        for text, tip, keys, slot in (
            ("Fit", "Fit the picture to the window (Ctrl+0)", "Ctrl+0", self.fit),
            ("100%", "One picture pixel per screen pixel (Ctrl+1)", "Ctrl+1", lambda: self.set_zoom(1.0)),
            ("−", "Zoom out (Ctrl+−)", QKeySequence.StandardKey.ZoomOut, lambda: self.zoom_by(1 / ZOOM_STEP)),
            ("+", "Zoom in (Ctrl++)", QKeySequence.StandardKey.ZoomIn, lambda: self.zoom_by(ZOOM_STEP)),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMaximumWidth(48)
            button.clicked.connect(slot)
            bar.addWidget(button)
            action = QAction(tip, self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

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

    def set_layer(self, name: str, rgb8: np.ndarray, alpha8: np.ndarray | None = None, *,
                  show_right: bool = True) -> None:
        """Add or replace a picture; by default it becomes the right-hand one (the newest result)."""
        self._layers[name] = to_pixmap(rgb8, alpha8)
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

    def current_view(self) -> ImageView:
        return self.views[self.stack.currentIndex() if self.stack.currentIndex() else 0]

    def fit(self) -> None:
        self.current_view().fit()

    def set_zoom(self, factor: float) -> None:
        self.current_view().set_zoom(factor)

    def zoom_by(self, step: float) -> None:
        self.current_view().set_zoom(self.current_view().zoom() * step)

    def zoom(self) -> float:
        return self.current_view().zoom()

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
        names = (self.left_combo.currentText(), self.right_combo.currentText())
        left, right = self._scaled(names[0]), self._scaled(names[1])
        self._place(self._left_item, left)
        self._place(self._right_item, right)
        self._split_item.set_pictures(left, right, self._size, names)
        for view in self.views:
            view.scene().setSceneRect(self._size)
            view.empty = not self._layers
            view.viewport().update()
        if self.current_view().fitted:
            self.fit()

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
        self.split_view.viewport().update()  # the labels follow the divider

    def _sync_from(self, source: ImageView) -> None:
        self.zoom_label.setText(f"{source.zoom():.0%}" if self._layers else "")
        if self._syncing:
            return
        self._syncing = True
        try:
            for view in self.views:
                if view is not source:
                    view.follow(source)
        finally:
            self._syncing = False
