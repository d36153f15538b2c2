"""numpy pictures <-> Qt images; the pixel maths stays in engine.compare."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

from ..engine import Picture
from ..engine.compare import to_display


def to_qimage(rgb8: np.ndarray, alpha8: np.ndarray | None = None) -> QImage:
    """(H, W, 3) uint8 RGB (and (H, W) uint8 alpha) -> a QImage that owns its pixels (copied)."""
    height, width, _ = rgb8.shape
    if alpha8 is None:
        data = np.ascontiguousarray(rgb8)
        return QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    data = np.ascontiguousarray(np.concatenate([rgb8, alpha8[..., None]], axis=2))
    return QImage(data.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def to_pixmap(rgb8: np.ndarray, alpha8: np.ndarray | None = None) -> QPixmap:
    return QPixmap.fromImage(to_qimage(rgb8, alpha8))


def display_pixels(picture: Picture) -> tuple[np.ndarray, np.ndarray | None]:
    """What the viewer shows of a picture: 8-bit RGB, and its alpha when it has one."""
    alpha = None if picture.alpha is None else to_display(picture.alpha[..., None])[..., 0]
    return to_display(picture.rgb), alpha


def describe(picture: Picture) -> str:
    """'8-bit RGB with transparency', '16-bit gray': what the status bar says about a picture."""
    colour = "gray" if picture.channels == 1 else "RGB"
    return f"{picture.bit_depth}-bit {colour}" + (" with transparency" if picture.alpha is not None else "")


def from_qimage(image: QImage) -> Picture:
    """A pasted image -> an 8-bit RGB Picture without a path (so nothing needs protecting)."""
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = converted.width(), converted.height()
    raw = np.frombuffer(converted.constBits(), np.uint8, count=converted.bytesPerLine() * height)
    rgb = raw.reshape(height, converted.bytesPerLine())[:, : width * 3].reshape(height, width, 3)
    return Picture(rgb.astype(np.float32) / 255.0, None, 8, None, "PNG")
