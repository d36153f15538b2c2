import subprocess
import sys
from pathlib import Path


def test_engine_and_cli_do_not_import_qt():
    code = ("import sys, nystra_app.engine, nystra_app.cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; print(bad)")
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
