"""Installed weights are hashed when loaded (issue #13), and the hash is remembered by size and mtime."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import torch

from nystra_app.errors import NystraError
from nystra_app.jobs import run_to_end
from nystra_app.manager import files, get_entry, import_checkpoint, install, load_model
from nystra_app.manager.files import read_json
from nystra_app.manager.record import InstallRecord, now, put_record
from nystra_app.manager.trust import hash_cache_file
from nystra_app.manager.user_registry import save_user_entry
from nystra_app.models.architectures import build

from .helpers import Checkpoint, FileServer, fast_settings, tiny_entry

MODEL = "dehazeformer-t-indoor"


@pytest.fixture
def installed(cache: Path) -> Path:
    """A DehazeFormer-T file in the cache, recorded as installed with its sha256 (random weights)."""
    entry = get_entry(MODEL)
    path = cache / entry.file
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(build(entry.arch, entry.config).state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    put_record(InstallRecord(MODEL, entry.file, digest, path.stat().st_size, "test", now()))
    return path


def alter_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # tensor data, same size
    path.write_bytes(bytes(data))


def count_hashing(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the load-time check hashes, from now on."""
    calls: list[Path] = []
    real = files.sha256_file

    def counting(path: Path, *rest):
        calls.append(path)
        return real(path, *rest)

    monkeypatch.setattr("nystra_app.manager.trust.sha256_file", counting)
    return calls


def test_an_altered_installed_file_is_refused_at_load(installed: Path) -> None:
    assert load_model(MODEL).weights == installed
    alter_one_byte(installed)
    with pytest.raises(NystraError, match="has changed since it was installed") as caught:
        load_model(MODEL)
    assert f"nystra models install {MODEL}" in str(caught.value) and "\n" not in str(caught.value)


def test_the_hash_is_computed_once_until_the_file_changes(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_hashing(monkeypatch)
    load_model(MODEL)
    load_model(MODEL)
    assert len(calls) == 1
    stat = installed.stat()
    os.utime(installed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: hashed again
    load_model(MODEL)
    assert len(calls) == 2


def test_an_explicit_weight_file_is_the_users_choice_and_not_hashed(installed: Path, tmp_path: Path) -> None:
    own = tmp_path / "mine.pth"
    own.write_bytes(installed.read_bytes())
    alter_one_byte(own)
    assert load_model(MODEL, own).weights == own


@pytest.mark.parametrize("how", ["download", "import", "placed by hand"])
def test_the_hash_of_an_install_is_remembered_so_the_first_load_does_not_hash(
        how: str, server: FileServer, tiny: Checkpoint, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "import":
        run_to_end(import_checkpoint(tiny.path, "tiny"))
    else:
        save_user_entry(tiny_entry(tiny, (server.url("tiny.pth"),)))
        if how == "placed by hand":
            cache.mkdir(parents=True, exist_ok=True)
            (cache / "tiny.pth").write_bytes(tiny.data)
        run_to_end(install("tiny", settings=fast_settings()))
    path = cache / "tiny.pth"
    assert read_json(hash_cache_file(), {})[str(path.resolve())]["sha256"] == tiny.sha256
    calls = count_hashing(monkeypatch)
    assert load_model("tiny").weights == path
    assert calls == []
    alter_one_byte(path)  # the remembered hash belongs to the file as installed, not to its name
    with pytest.raises(NystraError, match="has changed since it was installed"):
        load_model("tiny")
    assert calls == [path]
