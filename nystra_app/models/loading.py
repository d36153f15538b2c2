"""From a model id to a ready module: find the weight file, build the architecture, load strictly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .architectures import build
from .checkpoint import CheckpointError, load_strict, read_state_dict
from .registry import ModelEntry, get_entry

MIRROR_ENV = "NYSTRA_MODEL_MIRROR"


@dataclass
class LoadedModel:
    entry: ModelEntry
    module: nn.Module
    weights: Path | None  # None: random weights (benchmarks)


def candidate_paths(entry: ModelEntry) -> list[Path]:
    """Where a weight file for the entry may already be, in the order they are tried."""
    mirror = os.environ.get(MIRROR_ENV)
    return [Path(mirror).expanduser() / entry.file] if mirror else []


def find_weights(entry: ModelEntry) -> Path:
    candidates = candidate_paths(entry)
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates) or f"nowhere: {MIRROR_ENV} is not set"
    raise CheckpointError(
        f"weights for {entry.id} ({entry.file}) not found (looked in {looked}); "
        f"pass --weights FILE or set {MIRROR_ENV} to a folder holding {entry.file}"
    )


def load_model(
    model_id: str,
    weights: Path | None = None,
    *,
    random_weights: bool = False,
    device: torch.device | str = "cpu",
) -> LoadedModel:
    entry = get_entry(model_id)
    module = build(entry.arch, entry.config)
    path = None
    if not random_weights:
        path = Path(weights) if weights is not None else find_weights(entry)
        load_strict(module, read_state_dict(path), path.name)
    module.eval().requires_grad_(False).to(device)
    return LoadedModel(entry, module, path)
