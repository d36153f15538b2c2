"""Weight files are untrusted input: each failure names the file and the reason."""

from __future__ import annotations

import random

import pytest
import torch

from nystra_app.models import CheckpointError, read_state_dict


def test_random_bytes_are_called_corrupt_not_malicious(tmp_path) -> None:
    path = tmp_path / "noise.pth"
    path.write_bytes(random.Random(0).randbytes(4096))  # seeded: the same bytes on every run
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


def _corruptions(valid: bytes, count: int) -> list[bytes]:
    """Seeded corrupt files: random bytes, truncations, flipped bytes and spliced tails of a real checkpoint."""
    rng = random.Random(1234)
    out = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(rng.randbytes(rng.randrange(0, 4096)))
        elif kind == 1:
            out.append(valid[: rng.randrange(0, len(valid))])
        elif kind == 2:
            data = bytearray(valid)
            for _ in range(rng.randrange(1, 16)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            out.append(bytes(data))
        else:
            cut = rng.randrange(len(valid))
            out.append(valid[:cut] + rng.randbytes(rng.randrange(1, 512)) + valid[cut + rng.randrange(0, 64):])
    return out


def test_corrupt_files_always_give_one_line_project_errors(tmp_path) -> None:
    whole = tmp_path / "whole.pth"
    torch.save({"params": {"a.weight": torch.ones(8, 8), "b": torch.arange(5)}, "step": 3}, whole)
    valid = whole.read_bytes()
    path = tmp_path / "fuzz.pth"
    outcomes = {"refused": 0, "read": 0}
    for data in _corruptions(valid, 300):
        path.write_bytes(data)
        try:
            state = read_state_dict(path)
        except CheckpointError as exc:
            assert "\n" not in str(exc) and "fuzz.pth" in str(exc)
            outcomes["refused"] += 1
        else:  # a flip inside tensor data leaves a readable file: then it is still a dict of tensors
            assert all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
            outcomes["read"] += 1
    assert outcomes["refused"] > 200
