"""Batch dialog, model manager dialog, --screenshot and --version."""

from __future__ import annotations

import hashlib
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nystra_app.manager import MIRROR_ENV, Progress
from nystra_app.manager.user_registry import save_user_entry
from nystra_app.models.configs import config_from_dict
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig
from nystra_app.ui.app import main as app_main
from nystra_app.ui.batch_dialog import BatchDialog
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.models_dialog import ModelsDialog
from nystra_app.ui.screenshots import VIEWS, screenshot_models
from tests.manager.helpers import (
    TINY_CONFIG,
    Checkpoint,
    FileServer,
    Handler,
    tiny_entry,
)

from .conftest import make_picture


def test_batch_with_one_corrupt_file(qtbot, window: MainWindow, tmp_path: Path) -> None:
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    good = [make_picture(source / "a.png", 32, 32), make_picture(source / "sub" / "b.png", 32, 32)]
    (source / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    dialog = BatchDialog(window)
    qtbot.addWidget(dialog)
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText(str(tmp_path / "out"))
    dialog.recursive.setChecked(True)
    with qtbot.waitSignal(dialog.finished_batch, timeout=60_000) as done:
        dialog.start_button.click()
    report = done.args[0]
    assert [p.name for p, _ in report.failures] == ["broken.jpg"]
    assert len(report.written) == 2 and all(p.is_file() for p in report.written)
    assert (tmp_path / "out" / "sub" / "b_dehazeformer-t-indoor_exact.png").is_file()
    assert all(p.read_bytes() for p in good)
    assert any("FAILED" in dialog.log.item(i).text() for i in range(dialog.log.count()))


def test_batch_cancel_leaves_no_partial_output(qtbot, window: MainWindow, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for name in "abc":
        make_picture(source / f"{name}.png", 256, 256)
    dialog = BatchDialog(window)
    qtbot.addWidget(dialog)
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.finished_batch, timeout=60_000) as done:
        dialog.start_button.click()
        dialog.cancel_button.click()
    assert done.args[0].cancelled
    leftovers = list((tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else []
    assert not [p for p in leftovers if p.suffix == ".part" or p.name.startswith(".")]
    assert len([p for p in leftovers if p.is_file()]) < 3


def _tiny_checkpoint(folder: Path) -> Checkpoint:
    torch.manual_seed(0)
    model = DehazeFormer(config_from_dict(DehazeFormerConfig, TINY_CONFIG))
    path = folder / "tiny.pth"
    torch.save({"state_dict": model.state_dict()}, path)
    data = path.read_bytes()
    return Checkpoint(path, data, hashlib.sha256(data).hexdigest())


def test_install_through_the_dialog_from_a_local_server(qtbot, window: MainWindow, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = _tiny_checkpoint(tmp_path)
    state = FileServer({"tiny.pth": tiny.data})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.state = state  # type: ignore[attr-defined]
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        save_user_entry(tiny_entry(tiny, (state.url("tiny.pth"),)))
        dialog = ModelsDialog(window.settings, window, select="tiny", quiet=True)
        qtbot.addWidget(dialog)
        assert dialog.selected() == "tiny"
        shown: list[Progress] = []
        show = dialog._on_progress

        def watched(event: Progress) -> None:
            shown.append(event)
            show(event)

        monkeypatch.setattr(dialog, "_on_progress", watched)
        with qtbot.waitSignal(dialog.operation_done, timeout=30_000) as done:
            dialog.install_button.click()
        assert done.args == [""], done.args
        phases = [event.phase for event in shown]  # the install job's events, drained by the worker thread
        assert phases[0] == "download" and phases[-1] == "verify" and shown[-2].done == len(tiny.data)
    finally:
        httpd.shutdown()
        httpd.server_close()
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 0).text() == "tiny")
    assert dialog.table.item(row, 2).text().startswith("yes")
    assert ("/tiny.pth", None) in state.requests
    with qtbot.waitSignal(dialog.operation_done, timeout=30_000) as removed:
        dialog.remove_button.click()
    assert removed.args == [""]  # a user-registry entry leaves the list with its weights
    assert "tiny" not in [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]


@pytest.mark.slow
def test_screenshot_renders_every_view_at_both_screen_sizes(qtbot, tmp_path: Path, shared: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MIRROR_ENV, str(shared / "weights"))  # real weights: the result views are rendered too
    assert app_main(["--screenshot", str(tmp_path / "shots")]) == 0
    for screen, (width, height) in (("1366x768", (1366, 728)), ("1920x1080@150", (1920, 1020))):
        names = sorted(p.stem for p in (tmp_path / "shots" / screen).glob("*.png"))
        assert names == sorted(VIEWS), screen
        for path in (tmp_path / "shots" / screen).glob("*.png"):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            if path.stem in ("first_run", "restored", "slider", "error_map"):
                assert image.size == (width, height), (path, image.size)
            assert image.size[0] <= width and image.size[1] <= height, (path, image.size)
            assert min(image.size) >= 200 and pixels.std() > 5, path


def test_screenshot_window_holds_every_model_found_here(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader of the screenshots sees the rows a user with these files would see, not "none available"."""
    monkeypatch.setenv(MIRROR_ENV, str(shared / "weights"))
    models, trained = screenshot_models()
    ids = [m.descriptor.id for m in models]
    assert trained and ids[0] == "dehazeformer-t-indoor" and len(ids) == len(set(ids))
    assert {"dat-light-x2", "dat-light-x3", "dat-light-x4", "emt-x2"} <= set(ids)
    assert not any(i.startswith("swinir") for i in ids)  # no SwinIR file in the shared folder


def test_version_names_torch_and_qt(capsys) -> None:
    assert app_main(["--version"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "Qt" in out and "device" in out
