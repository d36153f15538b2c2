"""Mirrors (a folder or a base URL) are tried before the official address."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nystra_app.jobs import run_to_end
from nystra_app.manager import InstallError, ManagerSettings, install
from nystra_app.manager.mirror import sources_for

from .helpers import Checkpoint, FileServer, fast_settings, tiny_entry


def mirror_folder(tmp_path: Path, data: bytes) -> Path:
    folder = tmp_path / "lab-share"
    folder.mkdir()
    (folder / "tiny.pth").write_bytes(data)
    return folder


@pytest.mark.parametrize("via", ["setting", "env"])
def test_mirror_folder_is_used_before_the_network(server: FileServer, tiny: Checkpoint, cache: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, via: str) -> None:
    folder = mirror_folder(tmp_path, tiny.data)
    if via == "env":
        monkeypatch.setenv("NYSTRA_MODEL_MIRROR", str(folder))
    settings = fast_settings(mirror=str(folder) if via == "setting" else None)
    record = run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=settings))
    assert server.requests == []
    assert record.source == str(folder / "tiny.pth")
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256
    assert (folder / "tiny.pth").read_bytes() == tiny.data  # the mirror is only read


def test_mirror_base_url_is_used_before_the_official_address(server: FileServer, tiny: Checkpoint) -> None:
    official = "http://127.0.0.1:9/unreachable/tiny.pth"
    record = run_to_end(install(tiny_entry(tiny, (official,)), settings=fast_settings(mirror=server.url(""))))
    assert record.source == server.url("tiny.pth")
    assert [path for path, _ in server.requests] == ["/tiny.pth"]


def test_a_bad_mirror_file_is_rejected_and_the_official_address_used(server: FileServer, tiny: Checkpoint,
                                                                      tmp_path: Path) -> None:
    folder = mirror_folder(tmp_path, tiny.data[:-10])
    entry = tiny_entry(tiny, (server.url("tiny.pth"),))
    record = run_to_end(install(entry, settings=fast_settings(mirror=str(folder))))
    assert record.source == server.url("tiny.pth") and record.sha256 == tiny.sha256


def test_when_every_source_fails_the_error_lists_each(server: FileServer, tiny: Checkpoint, tmp_path: Path,
                                                      cache: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(InstallError) as caught:
        run_to_end(install(tiny_entry(tiny, (server.url("gone.pth"),)), settings=fast_settings(mirror=str(folder))))
    message = str(caught.value)
    assert f"{folder / 'tiny.pth'}: no such file" in message and "HTTP 404" in message
    assert not (cache / "tiny.pth").exists()


def test_no_address_and_no_mirror_says_how_to_install(tiny: Checkpoint) -> None:
    with pytest.raises(InstallError, match=r"no download address.*--mirror FOLDER.*NYSTRA_MODEL_MIRROR"):
        run_to_end(install(tiny_entry(tiny), settings=ManagerSettings()))


def test_source_order_is_url_then_mirrors_then_official(tiny: Checkpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_MODEL_MIRROR", "/env/mirror")
    entry = tiny_entry(tiny, ("https://official/tiny.pth",))
    sources = sources_for(entry, ManagerSettings(mirror="https://lab/models/"), url="https://given/x.pth")
    assert [s.location for s in sources] == [
        "https://given/x.pth", "https://lab/models/tiny.pth", "/env/mirror/tiny.pth", "https://official/tiny.pth",
    ]
