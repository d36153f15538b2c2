"""The core never imports Qt, and the product never imports research or matplotlib. import-linter checks
both statically in the README test command (research included); this checks what an import really loads."""

from __future__ import annotations

import os
import subprocess
import sys


def test_core_loads_no_qt_and_the_product_loads_neither_research_nor_matplotlib() -> None:
    code = (
        "import sys, importlib, pathlib, nystra_app\n"
        "def loaded(*prefixes): return ','.join(sorted(n for n in sys.modules if n.startswith(prefixes)))\n"
        "root = pathlib.Path(nystra_app.__file__).parent\n"  # not pkgutil.walk_packages: it imports every package
        "for f in sorted(root.rglob('*.py')):\n"
        "    parts = f.relative_to(root.parent).with_suffix('').parts\n"
        "    if parts[1] not in ('ui', 'research') and parts[-1] != '__main__':\n"
        "        importlib.import_module('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))\n"
        "print(loaded('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "import nystra_app.ui.app, nystra_app.ui.main_window, nystra_app.ui.batch_dialog, nystra_app.ui.models_dialog\n"
        "print(loaded('matplotlib', 'nystra_app.research'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    qt_in_core, research_in_product = result.stdout.split("\n")[:2]
    assert qt_in_core == ""
    assert research_in_product == ""


def test_importing_the_package_makes_openmp_threads_sleep_unless_the_user_chose() -> None:
    code = "import os, nystra_app, torch; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert chosen.stdout.strip() == "PASSIVE"
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "OMP_WAIT_POLICY": "ACTIVE"})
    assert kept.stdout.strip() == "ACTIVE"
