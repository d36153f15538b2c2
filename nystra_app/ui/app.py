"""`nystra-app`: the desktop app's entry point (also --version, --self-test and --screenshot DIR)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nystra-app", description="Nystra photo restoration (desktop app)")
    parser.add_argument("image", nargs="?", type=Path, help="a picture to open")
    parser.add_argument("--version", action="store_true", help="print the app, torch and Qt versions and the device")
    parser.add_argument("--self-test", action="store_true", help="check the installation without a window")
    parser.add_argument("--screenshot", type=Path, metavar="DIR",
                        help="render the main views to PNG files (DIR/1366x768, DIR/1920x1080@150) and quit")
    parser.add_argument("--screen", choices=["1366x768", "1920x1080@150"], help=argparse.SUPPRESS)
    parser.add_argument("--only", type=lambda text: set(text.split(",")), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from ..engine.allocator import share_one_arena

    share_one_arena()  # before any worker thread allocates: restores run on one (see engine/allocator.py)
    if args.self_test:
        from ..selftest import run_self_test

        return run_self_test()
    if args.version:
        from ..versions import version_report

        print(version_report())
        return 0
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError:
        print("nystra-app: the desktop app needs PySide6, which is not installed; install the gui extra: "
              "pip install 'nystra-app[gui]' (./bootstrap.sh installs it)", file=sys.stderr)
        return 1

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Nystra")
    app.setWindowIcon(_app_icon())
    if args.screenshot is not None:
        from .screenshots import render_screenshots

        for path in render_screenshots(args.screenshot, args.screen, args.only):
            print(path)
        return 0
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if args.image is not None:
        window.open_path(args.image)
    return app.exec()


def _app_icon():
    from PySide6.QtGui import QIcon

    from .. import icon_files

    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon


if __name__ == "__main__":
    sys.exit(main())
