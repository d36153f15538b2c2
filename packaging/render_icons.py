"""Render the app icon (nystra_app/resources/nystra-app.svg) to the PNG, .ico and .icns files beside it.

Run once after editing the SVG; the outputs are committed, so neither a build nor a user needs Qt's
SVG module or this script. Qt draws the PNGs (QtSvg is in PySide6-Essentials); Pillow packs the
Windows .ico and macOS .icns from them (both formats hold several sizes).

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nystra_app import ICON_SIZES, icon_files, resources_path  # noqa: E402

ICO_SIZES = [(s, s) for s in ICON_SIZES if s <= 256]  # the .ico format stops at 256


def render(renderer: QSvgRenderer, size: int, path: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.save(str(path), "PNG"):
        raise SystemExit(f"could not write {path}")


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one
    source = resources_path() / "nystra-app.svg"
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source}: not a valid SVG")
    for size, path in zip(ICON_SIZES, icon_files()):
        render(renderer, size, path)
    largest = Image.open(icon_files()[-1])
    largest.save(resources_path() / "nystra-app.ico", sizes=ICO_SIZES)
    largest.save(resources_path() / "nystra-app.icns")
    print(f"wrote {len(ICON_SIZES)} PNGs, nystra-app.ico and nystra-app.icns to {resources_path()}")


if __name__ == "__main__":
    main()
