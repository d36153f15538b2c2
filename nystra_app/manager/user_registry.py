"""Writing user_models.json (entries made by `nystra models import`); models.registry reads it."""

from __future__ import annotations

from ..models.registry import ModelEntry
from .files import update_json
from .paths import ManagerSettings, user_registry_file
from .record import lock_path


def save_user_entry(entry: ModelEntry, settings: ManagerSettings | None = None) -> None:
    path = user_registry_file(settings)
    update_json(path, lock_path(path.name, settings), [],
                lambda raw: [e for e in raw if e["id"] != entry.id] + [entry.to_dict()])


def drop_user_entry(model_id: str, settings: ManagerSettings | None = None) -> None:
    path = user_registry_file(settings)
    update_json(path, lock_path(path.name, settings), [], lambda raw: [e for e in raw if e["id"] != model_id])
