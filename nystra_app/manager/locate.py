"""From a model id to a loaded model: the store finds the weight file and passes its path to models."""

from __future__ import annotations

from pathlib import Path

import torch

from ..models import CheckpointError, LoadedModel, ModelEntry, load_entry
from .paths import MIRROR_ENV, ManagerSettings, installed_file, is_url, mirrors
from .trust import check_installed_weights
from .user_registry import get_entry


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
    """The model `model_id` with `weights`, else its installed file (or random weights for timing)."""
    entry = get_entry(model_id, settings)
    if random_weights:
        return load_entry(entry, None, device)
    if weights is not None:
        return load_entry(entry, Path(weights), device)
    path = find_weights(entry, settings)
    check_installed_weights(entry, path, settings)  # a cached file changed since install is refused
    return load_entry(entry, path, device)
