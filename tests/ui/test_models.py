"""Issue item 6: models inside the app. A first run reaches a working model in at most three clicks
through a folder of model files; each task has a model picker, and an imported model can be picked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QFileDialog

from nystra_app.manager.user_registry import save_user_entry
from nystra_app.models.configs import config_from_dict
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.models_dialog import ModelsDialog
from nystra_app.ui.settings import load_settings
from tests.manager.helpers import TINY_CONFIG, Checkpoint, tiny_entry

from ..conftest import SHARED
from .conftest import make_picture


def _checkpoint(folder: Path, seed: int = 0, name: str = "tiny.pth") -> Checkpoint:
    torch.manual_seed(seed)
    path = folder / name
    torch.save({"state_dict": DehazeFormer(config_from_dict(DehazeFormerConfig, TINY_CONFIG)).state_dict()}, path)
    data = path.read_bytes()
    return Checkpoint(path, data, hashlib.sha256(data).hexdigest())


def _first_run(qtbot, folder: Path, monkeypatch: pytest.MonkeyPatch, picture: Path) -> MainWindow:
    """Open the app with nothing installed, then: click 1 'Use a folder of model files…', click 2 the folder's
    OK in the dialog (stubbed); click 3 Dehaze."""
    main = MainWindow(settings=load_settings(), quiet=True)
    qtbot.addWidget(main)
    assert not main.setup_box.isHidden() and main.provider.available(main_task()) is None
    main.open_path(picture)  # the photo is given on the command line, or dropped
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(main.models_changed, timeout=60_000):
        main.folder_button.click()
    assert main.setup_box.isHidden()
    with qtbot.waitSignal(main.result_ready, timeout=120_000):
        main.task_buttons["dehaze"].click()
    return main


def main_task():
    from nystra_app.ui.provider import TASKS

    return TASKS[0]


def test_first_run_with_a_folder_of_model_files_restores_in_three_clicks(qtbot, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    save_user_entry(tiny_entry(_checkpoint(folder)))
    main = _first_run(qtbot, folder, monkeypatch, make_picture(tmp_path / "hazy.png"))
    assert main.outcome.model.id == "tiny" and main.result().picture.rgb.shape == (48, 64, 3)
    assert any((tmp_path / "data").rglob("tiny.pth"))  # copied into the app's cache, not used from the stick
    assert main.settings.mirror == str(folder)


def test_first_run_with_the_real_weights_folder(qtbot, tmp_path: Path, monkeypatch) -> None:
    weights = SHARED / "weights"
    if not (weights / "dehazeformer-t_indoor_ITS.pth").is_file():
        pytest.skip("needs ../shared/weights, skipped because ../shared is absent")
    main = _first_run(qtbot, weights.resolve(), monkeypatch, make_picture(tmp_path / "hazy.png", 64, 64))
    assert main.outcome.model.id == "dehazeformer-t-indoor"


def test_a_folder_without_model_files_says_so_plainly(qtbot, tmp_path: Path, monkeypatch) -> None:
    main = MainWindow(settings=load_settings(), quiet=True)
    qtbot.addWidget(main)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    main.folder_button.click()
    qtbot.waitUntil(lambda: main.run_label.text() == "Installing failed", timeout=30_000)
    message = main.statusBar().currentMessage()
    assert "none of the model files" in message and "nystra models" not in message


def test_each_task_has_a_picker_and_an_imported_model_can_be_picked(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    save_user_entry(tiny_entry(_checkpoint(folder)))
    main = MainWindow(settings=load_settings(), quiet=True)
    qtbot.addWidget(main)
    main.install_model_folder(folder)
    qtbot.waitUntil(lambda: main.provider.available(main_task()) is not None, timeout=30_000)
    dialog = ModelsDialog(main.settings, main, quiet=True)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.operation_done, timeout=60_000) as done:
        dialog.import_file(_checkpoint(tmp_path, seed=1, name="mine.pth").path, "my-dehazer")
    assert done.args == [""]
    main.refresh_tasks()
    combo = main.model_combos["dehaze"]
    assert sorted(combo.itemText(i) for i in range(combo.count())) == ["my-dehazer", "tiny"]
    assert combo.isEnabled() and set(main.model_combos) == set(main.task_buttons)
    combo.setCurrentIndex(combo.findData("my-dehazer"))
    combo.activated.emit(combo.currentIndex())
    main.open_path(make_picture(tmp_path / "hazy.png"))
    with qtbot.waitSignal(main.result_ready, timeout=60_000):
        main.task_buttons["dehaze"].click()
    assert main.outcome.model.id == "my-dehazer"
    main.close()
    assert load_settings().task_models == {"dehaze": "my-dehazer"}


def test_manager_explains_itself_shows_sizes_and_installs_from_a_folder(qtbot, window: MainWindow,
                                                                         tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    tiny = _checkpoint(folder)
    save_user_entry(tiny_entry(tiny, known_hash=False))  # no size in the registry: read from the folder
    dialog = ModelsDialog(window.settings, window, select="tiny", quiet=True)
    qtbot.addWidget(dialog)
    dialog.install_button.click()  # no address and no folder yet: told what to do, in words
    text = dialog.status.text()
    assert "no download address" in text and "Use a folder of model files" in text and "nystra models" not in text
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(dialog.operation_done, timeout=60_000) as done:
        dialog.folder_button.click()
    assert done.args == [""]
    sizes = {dialog.table.item(r, 0).text(): dialog.table.item(r, 3).text() for r in range(dialog.table.rowCount())}
    assert sizes["tiny"] == f"{len(tiny.data) / 2**20:.1f} MB"
    assert "?" not in sizes.values()


def test_super_resolution_defaults_to_dat_light_and_offers_emt(tmp_path: Path) -> None:
    """Issue 15 item 6: with both families' files in the model folder, each Super-resolve button runs DAT-light
    by default, and EMT is in its picker."""
    from nystra_app.manager import ManagerSettings
    from nystra_app.ui.provider import TASKS, ModelProvider

    folder = tmp_path / "weights"
    folder.mkdir()
    for scale in (2, 3, 4):
        (folder / f"DAT_light_x{scale}.pth").write_bytes(b"")  # found is enough to be offered; not loaded here
        (folder / f"EMT_LSR_x{scale}.pth").write_bytes(b"")
    provider = ModelProvider(lambda: ManagerSettings(data_dir=tmp_path / "data", mirror=str(folder)))
    for scale in (2, 3, 4):
        task = next(t for t in TASKS if t.task == "super-resolve" and t.scale == scale)
        assert [e.id for e in provider.installed(task)] == [f"dat-light-x{scale}", f"emt-x{scale}"]
        entry = provider.available(task)
        assert entry is not None and entry.id == f"dat-light-x{scale}"
