"""Registry files with family defaults: each entry is the defaults with its own keys on top."""

from __future__ import annotations

import pytest

from nystra_app.models.registry import ModelEntry, add_entries, builtin_registry


def test_family_defaults_are_merged_key_by_key_and_entries_win() -> None:
    raw = {"defaults": {"arch": "swinir", "task": "super-resolve", "scale": 2, "file": "x.pth",
                        "config": {"window_size": 8, "embed_dim": 60}, "fast": {"landmarks": 16, "faster": False}},
           "models": [{"id": "a"}, {"id": "b", "scale": 4, "config": {"embed_dim": 180}, "fast": {"iters": 2}}]}
    entries: dict[str, ModelEntry] = {}
    add_entries(entries, raw, "test")
    assert entries["a"].config == {"window_size": 8, "embed_dim": 60} and entries["a"].scale == 2
    b = entries["b"]
    assert b.config == {"window_size": 8, "embed_dim": 180} and b.scale == 4
    assert (b.fast.landmarks, b.fast.iters, b.fast.faster) == (16, 2, False)
    with pytest.raises(ValueError, match="registered twice"):
        add_entries(entries, [{"id": "a", "arch": "swinir", "config": {}, "task": "denoise", "scale": 1, "file": "y"}], "t")


def test_every_builtin_swinir_entry_keeps_its_own_upscale() -> None:
    swinir = {e.id: e for e in builtin_registry().values() if e.arch == "swinir"}
    assert all(e.config["window_size"] == 8 and e.trained_window == 8 for e in swinir.values())
    assert swinir["swinir-m-x4"].config["upscale"] == swinir["swinir-m-x4"].scale == 4
