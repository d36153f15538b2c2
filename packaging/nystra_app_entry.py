"""The script PyInstaller freezes: the desktop app, whose `main()` also answers --self-test and --version."""

from __future__ import annotations

import sys

from nystra_app.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
