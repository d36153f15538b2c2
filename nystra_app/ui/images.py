"""numpy pictures <-> Qt images; the pixel maths stays in engine.compare."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

from ..engine import Picture


def to_qimage(rgb8: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns its pixels (copied, so the array may go)."""
    height, width, _ = rgb8.shape
    data = np.ascontiguousarray(rgb8)
    return QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def to_pixmap(rgb8: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(rgb8))


def from_qimage(image: QImage) -> Picture:
    """A pasted image -> an 8-bit RGB Picture without a path (so nothing needs protecting)."""
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = converted.width(), converted.height()
    raw = np.frombuffer(converted.constBits(), np.uint8, count=converted.bytesPerLine() * height)
    rgb = raw.reshape(height, converted.bytesPerLine())[:, : width * 3].reshape(height, width, 3)
    return Picture(rgb.astype(np.float32) / 255.0, None, 8, None, "PNG")
