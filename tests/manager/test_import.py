"""Importing local checkpoints, and refusing checkpoints that carry code."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

import pytest
import torch

from nystra_app.jobs import run_to_end
from nystra_app.errors import NystraError
from nystra_app.manager import ManagerSettings, get_entry, import_checkpoint, install, load_model
from nystra_app.manager.record import read_records
from nystra_app.models import CheckpointError, read_state_dict
from nystra_app.models.configs import config_from_dict
from nystra_app.models.dehazeformer import VARIANTS, DehazeFormerConfig

from .helpers import Checkpoint, tiny_entry


class Payload:
    """Unpickling this runs a shell command: the file a malicious checkpoint would be."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


@pytest.fixture
def malicious(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"patch_embed.proj.weight": torch.zeros(1)}, "extra": Payload(marker)}, path)
    return path, marker


def test_a_pickle_that_carries_code_is_refused_and_never_run(malicious: tuple[Path, Path]) -> None:
    path, marker = malicious
    with pytest.raises(CheckpointError, match=r"evil\.pth was refused: .*could run code"):
        read_state_dict(path)
    assert not marker.exists()


def test_importing_a_malicious_pickle_leaves_nothing_behind(malicious: tuple[Path, Path], cache: Path) -> None:
    path, marker = malicious
    with pytest.raises(CheckpointError, match="refused"):
        run_to_end(import_checkpoint(path, "evil"))
    assert not marker.exists()
    assert not (cache / "evil.pth").exists()


def test_installing_a_malicious_file_with_unknown_hash_is_rejected(malicious: tuple[Path, Path], tiny: Checkpoint,
                                                                   tmp_path: Path, cache: Path) -> None:
    path, marker = malicious
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "tiny.pth").write_bytes(path.read_bytes())
    with pytest.raises(NystraError, match="refused"):
        run_to_end(install(tiny_entry(tiny, known_hash=False),
                           settings=ManagerSettings(mirror=str(tmp_path / "share"))))
    assert not marker.exists() and not (cache / "tiny.pth").exists()


def test_import_real_dehazeformer_t_registers_it_and_restores(real_t: Path, cache: Path) -> None:
    entry = run_to_end(import_checkpoint(real_t, "my-dehaze"))
    assert entry.arch == "dehazeformer" and entry.task == "dehaze"
    assert config_from_dict(DehazeFormerConfig, entry.config) == VARIANTS["t"]
    assert get_entry("my-dehaze") == entry
    assert read_records()["my-dehaze"].sha256 == entry.sha256
    loaded = load_model("my-dehaze")
    assert loaded.weights == cache / "my-dehaze.pth"
    image = torch.rand(1, 3, 64, 48)
    restored = loaded.module(image)
    assert restored.shape == image.shape and torch.isfinite(restored).all()
    assert real_t.is_file()  # the source is only read


def test_import_refuses_a_builtin_id_and_a_second_import_of_a_name(tiny: Checkpoint) -> None:
    with pytest.raises(NystraError, match="built-in model id"):
        run_to_end(import_checkpoint(tiny.path, "dehazeformer-t-indoor"))
    run_to_end(import_checkpoint(tiny.path, "tiny-mine", task="denoise"))
    assert get_entry("tiny-mine").task == "denoise"
    with pytest.raises(NystraError, match="already imported.*nystra models remove tiny-mine"):
        run_to_end(import_checkpoint(tiny.path, "tiny-mine"))


def test_import_refuses_names_that_are_not_plain_file_names(tiny: Checkpoint) -> None:
    with pytest.raises(NystraError, match="letters, digits"):
        run_to_end(import_checkpoint(tiny.path, "../escape"))


def test_an_import_that_cannot_fit_is_refused_before_copying(tiny: Checkpoint, cache: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("nystra_app.manager.download.shutil.disk_usage", lambda _: usage(10**9, 10**9, 1000))
    with pytest.raises(NystraError, match="not enough disk space"):
        run_to_end(import_checkpoint(tiny.path, "tiny-mine"))
    assert [p.name for p in cache.iterdir() if p.is_file()] == [] and "tiny-mine" not in read_records()
