"""The frozen desktop app starts on a machine without Python: build it, then run it with a bare environment.

Slow (a PyInstaller build of torch and Qt takes minutes on 2 cores): `pytest -m slow tests/packaging`.
The bundle is run with only the system's PATH, no virtual environment, PYTHONPATH or PYTHONHOME,
from a folder outside the checkout, so it can only use what it carries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nystra_app

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install -e '.[package]')")
    dist = tmp_path_factory.mktemp("dist")
    venv = Path(sys.prefix)  # the venv running the tests: its torch and Qt are what gets frozen
    result = subprocess.run(["bash", str(ROOT / "packaging" / "build.sh"), str(venv), str(dist)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    executable = dist / "nystra-app" / ("nystra-app.exe" if os.name == "nt" else "nystra-app")
    assert executable.is_file()
    return executable


def run_frozen(executable: Path, arg: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run([str(executable), arg], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_frozen_self_test_passes(frozen_app: Path, tmp_path: Path) -> None:
    result = run_frozen(frozen_app, "--self-test", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout


def test_frozen_version_names_the_app_version(frozen_app: Path, tmp_path: Path) -> None:
    result = run_frozen(frozen_app, "--version", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert nystra_app.__version__ in result.stdout
    assert "torch" in result.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks the Linux names of Qt's platform plugins")
def test_frozen_bundle_carries_data_and_qt_platform_plugins(frozen_app: Path) -> None:
    bundle = frozen_app.parent
    names = {path.name for path in bundle.rglob("*")}
    assert {"dehazeformer.json", "nystra-app-256.png", "libqoffscreen.so", "libqxcb.so"} <= names
