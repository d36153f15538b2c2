"""The model registry: every model id as plain data (registry/*.json), apart from the code."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from ..errors import NystraError

Task = Literal["dehaze", "denoise", "deblur", "super-resolve"]


@dataclass(frozen=True)
class FastDefault:
    """The Nyström setting the app uses for 'Fast', chosen by measurement (docs/benchmarks.md)."""

    window: int | None = None  # None: the trained window
    landmarks: int = 16
    iters: int = 6
    guard: bool = True
    faster: bool = True  # False: measured no faster than the model as trained; the app says so
    note: str = ""


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelEntry:
        data = dict(data)
        data["urls"] = tuple(data.get("urls", ()))
        data["fast"] = FastDefault(**data.get("fast", {}))
        return cls(**data)


class UnknownModel(NystraError):
    def __init__(self, model_id: str) -> None:
        super().__init__(f"unknown model id {model_id!r}; known: {', '.join(sorted(registry()))}")


@cache
def registry() -> dict[str, ModelEntry]:
    """All entries from every registry/*.json; a duplicate id is an error, not a silent override."""
    entries: dict[str, ModelEntry] = {}
    folder = resources.files(__package__).joinpath("registry")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        for raw in json.loads(item.read_text(encoding="utf-8")):
            entry = ModelEntry.from_dict(raw)
            if entry.id in entries:
                raise ValueError(f"model id {entry.id!r} is registered twice ({item.name})")
            entries[entry.id] = entry
    return entries


def get_entry(model_id: str) -> ModelEntry:
    try:
        return registry()[model_id]
    except KeyError:
        raise UnknownModel(model_id) from None
