"""installed.json: what was installed, from where, with which hash. Written atomically under a lock."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import read_json, update_json
from .paths import ManagerSettings, models_dir, record_file


@dataclass(frozen=True)
class InstallRecord:
    id: str
    file: str
    sha256: str
    size: int
    source: str
    installed_at: str  # ISO 8601, UTC


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def lock_path(name: str, settings: ManagerSettings | None = None) -> Path:
    """Lock files live apart from the weights so the cache folder holds only real files."""
    return models_dir(settings) / ".locks" / f"{name}.lock"


def read_records(settings: ManagerSettings | None = None) -> dict[str, InstallRecord]:
    raw = read_json(record_file(settings), {})
    return {model_id: InstallRecord(**item) for model_id, item in raw.items()}


def put_record(record: InstallRecord, settings: ManagerSettings | None = None) -> None:
    path = record_file(settings)
    update_json(path, lock_path(path.name, settings), {}, lambda raw: {**raw, record.id: asdict(record)})


def drop_record(model_id: str, settings: ManagerSettings | None = None) -> None:
    path = record_file(settings)
    update_json(path, lock_path(path.name, settings), {},
                lambda raw: {k: v for k, v in raw.items() if k != model_id})
