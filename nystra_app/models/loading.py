"""From a model id to a ready module: find the weight file, build the architecture, load strictly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..manager.paths import MIRROR_ENV, ManagerSettings, installed_file, is_url, mirrors
from ..manager.trust import check_installed_weights
from .architectures import build
from .checkpoint import CheckpointError, load_strict, read_state_dict
from .registry import ModelEntry, get_entry


@dataclass
class LoadedModel:
    entry: ModelEntry
    module: nn.Module
    weights: Path | None  # None: random weights (benchmarks)


def candidate_paths(entry: ModelEntry, settings: ManagerSettings | None = None) -> list[Path]:
    """Where a weight file for the entry may already be, in the order they are tried: the installed
    cache (files there were verified on install), then mirror folders (the setting, then $NYSTRA_MODEL_MIRROR)."""
    folders = [Path(m).expanduser() for m in mirrors(settings) if not is_url(m)]
    return [installed_file(entry.file, settings)] + [folder / entry.file for folder in folders]


def find_weights(entry: ModelEntry, settings: ManagerSettings | None = None) -> Path:
    candidates = candidate_paths(entry, settings)
    for path in candidates:
        if path.is_file():
            return path
    raise CheckpointError(
        f"weights for {entry.id} ({entry.file}) are not installed (looked in "
        f"{', '.join(str(p.parent) for p in candidates)}); install them with `nystra models install {entry.id}` "
        f"(add --mirror DIR, or set {MIRROR_ENV}, on a machine without internet) or pass --weights FILE"
    )


def load_model(
    model_id: str,
    weights: Path | None = None,
    *,
    random_weights: bool = False,
    device: torch.device | str = "cpu",
    settings: ManagerSettings | None = None,
) -> LoadedModel:
    entry = get_entry(model_id, settings)
    module = build(entry.arch, entry.config)
    path = None
    if not random_weights:
        path = Path(weights) if weights is not None else find_weights(entry, settings)
        if weights is None:
            check_installed_weights(entry, path, settings)
        load_strict(module, read_state_dict(path), path.name)
    module.eval().requires_grad_(False).to(device)
    return LoadedModel(entry, module, path)
