"""Architectures by name: each lives in its own package here (models/<arch>/) and gives an `ARCHITECTURE`.

The registry data (registry/*.json) names the architecture of every model id, so adding one is its
folder plus its registry entries: the package is imported by name, nothing else lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from torch import Tensor, nn

from .checkpoint import CheckpointError
from .configs import config_from_dict
from .registry import Task, builtin_registry

Detector = Callable[[Mapping[str, Tensor]], "dict[str, Any] | None"]
OfficialPadding = Callable[[Tensor, int], "tuple[Tensor, int, int]"]
"""(B, C, H, W) picture, trained window -> the picture as the official test script pads it, and where
the picture sits in it (top, left)."""


@dataclass(frozen=True)
class Architecture:
    """What an architecture package tells the rest of the app; see ModelDescriptor for its use."""

    name: str
    build: Callable[[dict[str, Any]], nn.Module]  # registry config -> module with random weights
    detect: Detector  # state dict -> config, or None when the keys are not this architecture's
    default_task: Task  # of an imported checkpoint when the user names none
    downsampling: int  # stride of the deepest stage: a tile under downsampling x window is mostly padding
    pad_multiple: Callable[[int, int], int]  # (window, trained window) -> what the model pads its input to
    tiling_changes_result: bool  # image-wide statistics: a tiled picture differs from the whole one
    input_range: tuple[float, float] = (0.0, 1.0)
    official_padding: OfficialPadding | None = None  # None: the official test adds nothing to the model's own


def config_builder(model: Callable[[Any], nn.Module], config_type: type,
                   variants: Mapping[str, Any] | None = None) -> Callable[[dict[str, Any]], nn.Module]:
    """An `Architecture.build` from registry config: a named official variant, or the config's own keys."""

    def build(config: dict[str, Any]) -> nn.Module:
        if variants is not None and "variant" in config:
            return model(variants[config["variant"]])
        return model(config_from_dict(config_type, config))

    return build


def known_architectures() -> tuple[str, ...]:
    """Every architecture the built-in registry names."""
    return tuple(sorted({entry.arch for entry in builtin_registry().values()}))


@cache
def get_architecture(name: str) -> Architecture:
    if name not in known_architectures():
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(known_architectures())}")
    architecture: Architecture = import_module(f"{__package__}.{name}").ARCHITECTURE
    return architecture


def build(arch: str, config: dict[str, Any]) -> nn.Module:
    return get_architecture(arch).build(config)


def detect(state: Mapping[str, Tensor], name: str = "checkpoint") -> tuple[str, dict[str, Any]]:
    """(arch, config) of the one architecture that recognises the keys; CheckpointError otherwise.

    The caller confirms a detection by building the model and loading strictly.
    """
    found = [(arch, config) for arch in known_architectures()
             if (config := get_architecture(arch).detect(state)) is not None]
    if len(found) == 1:
        return found[0]
    if found:
        raise CheckpointError(f"{name} looks like several architectures ({', '.join(a for a, _ in found)})")
    sample = ", ".join(list(state)[:4])
    raise CheckpointError(
        f"{name}: architecture not recognised from its keys ({sample}, ...); "
        f"recognised: {', '.join(known_architectures())}"
    )
