"""The cache after install: verify, remove, list, files placed by hand, and what the loader finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nystra_app.jobs import run_to_end
from nystra_app.errors import NystraError
from nystra_app.manager import (
    ManagerSettings,
    import_checkpoint,
    install,
    list_models,
    remove,
    verify,
)
from nystra_app.manager.record import read_records
from nystra_app.manager import find_weights, get_entry, load_model
from nystra_app.models import CheckpointError

from .helpers import Checkpoint, tiny_entry


@pytest.fixture
def imported(tiny: Checkpoint) -> str:
    run_to_end(import_checkpoint(tiny.path, "tiny-imported"))
    return "tiny-imported"


def test_verify_finds_a_file_changed_after_install(imported: str, cache: Path) -> None:
    [result] = verify(imported)
    assert result.ok
    path = cache / "tiny-imported.pth"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    [result] = verify()
    assert not result.ok and result.id == imported


def test_verify_reports_a_missing_file(imported: str, cache: Path) -> None:
    (cache / "tiny-imported.pth").unlink()
    [result] = verify()
    assert not result.ok and "missing" in result.message


def test_verify_of_a_model_not_installed_says_how_to_install() -> None:
    with pytest.raises(NystraError, match="nystra models install dehazeformer-t-indoor"):
        verify("dehazeformer-t-indoor")


def test_remove_deletes_file_record_and_imported_entry(imported: str, cache: Path) -> None:
    assert remove(imported) == [cache / "tiny-imported.pth"]
    assert not (cache / "tiny-imported.pth").exists()
    assert imported not in read_records()
    with pytest.raises(NystraError, match="unknown model id"):
        get_entry(imported)
    with pytest.raises(NystraError, match="unknown model id"):
        remove(imported)


def test_list_shows_installed_and_missing_models(imported: str, cache: Path) -> None:
    rows = {s.entry.id: s.to_dict() for s in list_models()}
    assert rows[imported]["installed"] and rows[imported]["imported"]
    assert rows[imported]["path"] == str(cache / "tiny-imported.pth")
    assert rows[imported]["sha256"] == read_records()[imported].sha256
    assert not rows["dehazeformer-t-indoor"]["installed"]


def test_a_file_placed_in_the_cache_by_hand_is_checked_then_recorded(tiny: Checkpoint, cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "tiny.pth").write_bytes(tiny.data)
    record = run_to_end(install(tiny_entry(tiny)))  # no source needed: the file is already there
    assert record.source == "placed in the cache by hand" and record.sha256 == tiny.sha256


def test_a_bad_file_placed_by_hand_is_refused(tiny: Checkpoint, cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "tiny.pth").write_bytes(tiny.data[:100])
    with pytest.raises(NystraError, match="nystra models remove tiny"):
        run_to_end(install(tiny_entry(tiny)))


def test_a_missing_model_says_how_to_install_it() -> None:
    with pytest.raises(CheckpointError) as caught:
        load_model("dehazeformer-t-indoor")
    assert "nystra models install dehazeformer-t-indoor" in str(caught.value)
    assert "--weights FILE" in str(caught.value)


def test_the_loader_prefers_the_installed_file_over_the_mirror(tiny: Checkpoint, cache: Path, tmp_path: Path) -> None:
    entry = tiny_entry(tiny)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.pth").write_bytes(tiny.data)
    settings = ManagerSettings(mirror=str(mirror))
    assert find_weights(entry, settings) == mirror / "tiny.pth"
    run_to_end(install(entry, settings=settings))
    assert find_weights(entry, settings) == cache / "tiny.pth"


def test_a_user_entry_that_clashes_with_a_builtin_is_an_error(_isolated_data_dir: Path) -> None:
    _isolated_data_dir.mkdir()
    clash = get_entry("dehazeformer-t-indoor").to_dict()
    (_isolated_data_dir / "user_models.json").write_text(json.dumps([clash]))
    with pytest.raises(ValueError, match="clashes with a built-in"):
        get_entry("dehazeformer-t-indoor")


def test_a_settings_folder_beats_the_environment(tiny: Checkpoint, tmp_path: Path, cache: Path) -> None:
    chosen = tmp_path / "chosen-in-gui"
    run_to_end(import_checkpoint(tiny.path, "tiny-elsewhere", settings=ManagerSettings(data_dir=chosen)))
    assert (chosen / "models" / "tiny-elsewhere.pth").is_file()
    assert not cache.exists()
    assert get_entry("tiny-elsewhere", ManagerSettings(data_dir=chosen)).file == "tiny-elsewhere.pth"
