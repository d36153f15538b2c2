"""Weight files are untrusted input: each failure names the file and the reason."""

from __future__ import annotations

import os

import pytest
import torch

from nystra_app.models import CheckpointError, read_state_dict


def test_random_bytes_are_called_corrupt_not_malicious(tmp_path) -> None:
    path = tmp_path / "noise.pth"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="noise.pth is not a readable checkpoint"):
        read_state_dict(path)


def test_a_truncated_checkpoint_is_refused(tmp_path) -> None:
    whole = tmp_path / "whole.pth"
    torch.save({"state_dict": {"module.w": torch.ones(64, 64)}}, whole)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="cut.pth is not a readable checkpoint"):
        read_state_dict(cut)
    assert list(read_state_dict(whole)) == ["w"]  # wrapper and DataParallel prefix removed


def test_a_missing_file_is_named(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="weight file not found: .*absent.pth"):
        read_state_dict(tmp_path / "absent.pth")
