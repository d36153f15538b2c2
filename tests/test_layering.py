"""The core never imports Qt, and the product never imports research or matplotlib."""

from __future__ import annotations

import os
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


def test_product_loads_neither_research_nor_matplotlib() -> None:
    code = (
        "import sys, nystra_app.engine, nystra_app.models, nystra_app.manager, nystra_app.cli, nystra_app.cli.bench\n"
        "import nystra_app.ui, nystra_app.ui.main_window\n"
        "loaded = sorted(n for n in sys.modules if n.startswith(('matplotlib', 'nystra_app.research')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.stdout.strip() == ""
