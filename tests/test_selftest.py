"""The core self-test (`nystra-app --self-test`), the version report, the icons and the interim entry script."""

from __future__ import annotations

import configparser
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import nystra_app
from nystra_app import selftest
from nystra_app.engine import Picture, read_image

ROOT = Path(__file__).resolve().parents[1]


def test_self_test_passes_and_keeps_its_outputs(tmp_path: Path) -> None:
    report = io.StringIO()
    assert selftest.run_self_test(tmp_path, report) == 0
    text = report.getvalue()
    assert "self-test passed" in text and f"Nystra {nystra_app.__version__}" in text
    exact = read_image(tmp_path / "self-test-exact.png").rgb
    fast = read_image(tmp_path / "self-test-fast.png").rgb
    assert exact.shape == fast.shape == (*selftest.SIZE, 3)
    assert not np.array_equal(exact, fast)  # the fast run really took the Nyström path


def test_self_test_leaves_the_callers_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    selftest.tiny_model()
    assert torch.equal(torch.rand(3), expected)


def test_a_bad_read_back_fails_with_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def poisoned(path: Path) -> Picture:
        picture = read_image(path)
        picture.rgb[0, 0, 0] = np.nan
        return picture

    monkeypatch.setattr(selftest, "read_image", poisoned)
    report = io.StringIO()
    assert selftest.run_self_test(tmp_path, report) == 1
    assert "self-test FAILED: exact output has non-finite values" in report.getvalue()
    assert "self-test passed" not in report.getvalue()


def test_fast_too_far_from_exact_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "MIN_FAST_PSNR", float("inf"))
    report = io.StringIO()
    assert selftest.run_self_test(stream=report) == 1
    assert "fast output is too far from exact" in report.getvalue()


def test_version_report_names_versions_and_devices_without_loading_qt() -> None:
    code = (
        "import sys\n"
        "from nystra_app.versions import version_report\n"
        "print(version_report())\n"
        "print('qt loaded' if any(n.split('.')[0] in ('PySide6', 'shiboken6') for n in sys.modules) else 'no qt')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert f"Nystra {nystra_app.__version__}" in result.stdout
    assert f"torch {torch.__version__}" in result.stdout
    assert "devices cpu = CPU" in result.stdout
    assert result.stdout.strip().endswith("no qt")


def test_icons_exist_at_every_size() -> None:
    assert (nystra_app.resources_path() / "nystra-app.svg").is_file()
    for size, path in zip(nystra_app.ICON_SIZES, nystra_app.icon_files()):
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (size, size) and image.mode == "RGBA"
            assert image.getextrema()[3] == (0, 255)  # transparent corners, an opaque tile


def test_desktop_entry_launches_the_app() -> None:
    path = ROOT / "resources" / "nystra-app.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(path, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "nystra-app %F" and section["Icon"] == "nystra-app"
    assert {"image/png", "image/jpeg", "image/tiff"} <= set(section["MimeType"].strip(";").split(";"))
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    result = subprocess.run([validator, str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_entry_script_answers_version() -> None:
    """--version is answered by the GUI's main() once it exists and by the fallback until then."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "nystra_app_entry.py"), "--version"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert nystra_app.__version__ in result.stdout


def test_the_app_module_runs_and_says_how_to_get_the_gui_when_pyside6_is_missing() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    version = subprocess.run([sys.executable, "-m", "nystra_app.ui.app", "--version"], capture_output=True,
                             text=True, env=env)
    assert version.returncode == 0 and "nystra" in version.stdout.lower()
    code = "import sys; sys.modules['PySide6'] = None\nfrom nystra_app.ui.app import main\nsys.exit(main([]))"
    missing = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert missing.returncode == 1 and "pip install 'nystra-app[gui]'" in missing.stderr
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
