"""Issue item 2: the batch dialog never writes into the launch folder, tells the truth after Cancel,
shows progress inside each picture and the time left, and opens the output folder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtGui import QDesktopServices
from torch import Tensor, nn

from nystra_app.ui.batch_dialog import BatchDialog
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.provider import FixedProvider
from nystra_app.ui.settings import load_settings

from .conftest import make_picture, tiny_model


def test_blank_output_goes_inside_the_input_folder_never_the_launch_folder(qtbot, window: MainWindow,
                                                                             tmp_path: Path, monkeypatch) -> None:
    launch = tmp_path / "launch"
    launch.mkdir()
    monkeypatch.chdir(launch)
    source = tmp_path / "in"
    source.mkdir()
    make_picture(source / "a.png", 32, 32)
    dialog = BatchDialog(window)
    qtbot.addWidget(dialog)
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText("")
    with qtbot.waitSignal(dialog.finished_batch, timeout=60_000) as done:
        dialog.start_button.click()
    assert list(launch.iterdir()) == []
    assert [p.parent for p in done.args[0].written] == [source / "restored"]
    assert dialog.log.item(0).text() == f"Writing to {source / 'restored'}"
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    assert opened == [str(source / "restored")]


def slow_down_large_pictures(module: nn.Module, seconds_per_layer: float = 0.2) -> None:
    """Every layer of a forward pass on a picture of 512 rows or more sleeps first, so that picture takes
    tens of seconds: a Cancel clicked once its bar moves lands inside it however fast the machine is."""
    large = threading.Event()

    def note_size(_module: nn.Module, args: tuple[Tensor, ...]) -> None:
        large.set() if args[0].shape[-2] >= 512 else large.clear()

    module.register_forward_pre_hook(note_size)
    for leaf in (m for m in module.modules() if next(m.children(), None) is None):
        leaf.register_forward_pre_hook(lambda _m, _a: time.sleep(seconds_per_layer) if large.is_set() else None)


def test_cancel_summary_counts_what_happened_and_the_picture_bar_moves(qtbot, tmp_path: Path) -> None:
    model = tiny_model(embed_dims=(24, 24, 24, 24, 24))
    slow_down_large_pictures(model.module)
    main = MainWindow(FixedProvider([model]), load_settings(), quiet=True)
    qtbot.addWidget(main)
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    make_picture(source / "a.png", 32, 32)
    make_picture(source / "b.png", 32, 32)
    make_picture(source / "c.png", 512, 640)  # slowed down: cancelled inside its only tile
    out.mkdir()
    (out / "a_dehazeformer-t-indoor_exact.png").write_bytes(b"done before")  # skipped
    dialog = BatchDialog(main)
    qtbot.addWidget(dialog)
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText(str(out))
    with qtbot.waitSignal(dialog.finished_batch, timeout=120_000) as done:
        dialog.start_button.click()
        qtbot.waitUntil(lambda: "c.png" in dialog.file_label.text() and dialog.file_progress.value() > 0
                        and "left" in dialog.eta_label.text(), timeout=60_000)
        dialog.cancel_button.click()
    report = done.args[0]
    assert report.cancelled and [p.name for p in report.skipped] == ["a.png"]
    assert [p.name for p in report.written] == ["b_dehazeformer-t-indoor_exact.png"]
    assert dialog.file_label.text() == "1 written, 1 skipped, 0 failed — cancelled"
    assert sorted(p.name for p in out.iterdir()) == ["a_dehazeformer-t-indoor_exact.png",
                                                     "b_dehazeformer-t-indoor_exact.png"]
    main.queues.wait_all()
