"""Which model serves each task button, and loading it: injectable so tests use tiny models."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..manager import ManagerSettings, candidate_paths, get_entry, load_model, registry
from ..models import LoadedModel, ModelDescriptor, ModelEntry, describe_entry


@dataclass(frozen=True)
class Task:
    key: str
    label: str
    task: str  # the registry's task name
    scale: int = 1


TASKS = (
    Task("dehaze", "Dehaze", "dehaze"),
    Task("denoise", "Denoise", "denoise"),
    Task("deblur", "Deblur", "deblur"),
    Task("sr2", "Super-resolve ×2", "super-resolve", 2),
    Task("sr3", "Super-resolve ×3", "super-resolve", 3),
    Task("sr4", "Super-resolve ×4", "super-resolve", 4),
)


def _matches(entry: ModelEntry, task: Task) -> bool:
    return entry.task == task.task and (task.task != "super-resolve" or entry.scale == task.scale)


class ModelProvider:
    """The registry and weight cache: a task's model is the first of its entries whose weights are found.

    Loaded models are kept, so a second run does not reload; loading is locked because the worker
    threads of two devices may ask at once.
    """

    def __init__(self, settings: Callable[[], ManagerSettings] = ManagerSettings) -> None:
        self._settings = settings
        self._loaded: dict[str, LoadedModel] = {}
        self._described: dict[str, ModelDescriptor] = {}
        self._lock = threading.Lock()
        self.choices: dict[str, str] = {}  # task key -> the model id the user picked for it

    def known(self, task: Task) -> list[ModelEntry]:
        return [e for e in registry(self._settings()).values() if _matches(e, task)]

    def installed(self, task: Task) -> list[ModelEntry]:
        """The task's models whose weights are found (installed, imported, or in the mirror folder)."""
        settings = self._settings()
        return [e for e in self.known(task) if any(p.is_file() for p in candidate_paths(e, settings))]

    def available(self, task: Task) -> ModelEntry | None:
        """The model a click on the task runs: the one picked for it while installed, else the first installed."""
        found = self.installed(task)
        picked = [e for e in found if e.id == self.choices.get(task.key)]
        return next(iter(picked or found), None)

    def describe(self, entry: ModelEntry | None) -> ModelDescriptor | None:
        """The model facts the GUI shows before a run (windows, the Fast default), without loading weights."""
        if entry is None:
            return None
        if entry.id not in self._described:
            self._described[entry.id] = describe_entry(entry)
        return self._described[entry.id]

    def load(self, entry: ModelEntry) -> LoadedModel:
        with self._lock:
            if entry.id not in self._loaded:
                self._loaded[entry.id] = load_model(entry.id, settings=self._settings())
            return self._loaded[entry.id]


class FixedProvider(ModelProvider):
    """Models already in memory (tests, screenshots): each serves the task its entry names."""

    def __init__(self, models: list[LoadedModel]) -> None:
        super().__init__()
        self._models = {m.descriptor.id: m for m in models}
        self._entries = [get_entry(model_id) for model_id in self._models]

    def known(self, task: Task) -> list[ModelEntry]:
        return [e for e in self._entries if _matches(e, task)]

    def installed(self, task: Task) -> list[ModelEntry]:
        return self.known(task)

    def describe(self, entry: ModelEntry | None) -> ModelDescriptor | None:
        return None if entry is None else self._models[entry.id].descriptor

    def load(self, entry: ModelEntry) -> LoadedModel:
        return self._models[entry.id]
