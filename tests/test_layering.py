"""The core never imports Qt: importing everything below ui/ must leave PySide6 and pyqtgraph unloaded."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, nystra_app\n"
        "for m in pkgutil.walk_packages(nystra_app.__path__, 'nystra_app.'):\n"
        "    if not m.name.startswith('nystra_app.ui') and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
