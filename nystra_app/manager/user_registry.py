"""The model catalogue: the built-in registry plus the user's imported entries (user_models.json).

The store owns the user's data folder, so the merging happens here; models.registry only parses.
A user id may not shadow a built-in one.
"""

from __future__ import annotations

import json

from ..errors import NystraError
from ..models.registry import ModelEntry, add_entries, builtin_registry
from .files import update_json
from .paths import ManagerSettings, user_registry_file
from .record import lock_path


class UnknownModel(NystraError):
    def __init__(self, model_id: str, settings: ManagerSettings | None = None) -> None:
        super().__init__(
            f"unknown model id {model_id!r}; known: {', '.join(sorted(registry(settings)))} "
            f"(add your own with `nystra models import FILE --name NAME`)"
        )


def user_entries(settings: ManagerSettings | None = None) -> dict[str, ModelEntry]:
    """Imported entries; read on every lookup (a small file) so an import is seen at once."""
    path = user_registry_file(settings)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NystraError(f"the user model registry {path} is unreadable ({exc}); fix or delete it") from None
    entries: dict[str, ModelEntry] = {}
    add_entries(entries, raw, str(path))
    return entries


def registry(settings: ManagerSettings | None = None) -> dict[str, ModelEntry]:
    """Built-in entries plus the user's imported ones."""
    entries = dict(builtin_registry())
    for model_id, entry in user_entries(settings).items():
        if model_id in entries:
            raise ValueError(f"model id {model_id!r} in {user_registry_file(settings)} clashes with a built-in one")
        entries[model_id] = entry
    return entries


def get_entry(model_id: str, settings: ManagerSettings | None = None) -> ModelEntry:
    try:
        return registry(settings)[model_id]
    except KeyError:
        raise UnknownModel(model_id, settings) from None


def save_user_entry(entry: ModelEntry, settings: ManagerSettings | None = None) -> None:
    path = user_registry_file(settings)
    update_json(path, lock_path(path.name, settings), [],
                lambda raw: [e for e in raw if e["id"] != entry.id] + [entry.to_dict()])


def drop_user_entry(model_id: str, settings: ManagerSettings | None = None) -> None:
    path = user_registry_file(settings)
    update_json(path, lock_path(path.name, settings), [], lambda raw: [e for e in raw if e["id"] != model_id])
