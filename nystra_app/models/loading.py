"""From a registry entry and a weight file to a ready module, described: the models side of loading.

Where the weight file is (the installed cache, mirrors) is the weights store's business
(`nystra_app.manager.locate`); this module is given the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..attention import AttentionSpec
from .architectures import build
from .checkpoint import load_strict, read_state_dict
from .descriptor import ModelDescriptor, describe
from .registry import ModelEntry
from .switch import configure_attention


@dataclass
class LoadedModel:
    descriptor: ModelDescriptor
    module: nn.Module
    weights: Path | None  # None: random weights (benchmarks)

    @classmethod
    def of(cls, entry: ModelEntry, module: nn.Module, weights: Path | None = None) -> LoadedModel:
        return cls(describe(entry, module), module, weights)

    def configure(self, spec: AttentionSpec, window: int | None = None) -> None:
        """The attention switch: exact or Nyström, at `window` (None: trained), without reloading."""
        configure_attention(self.module, spec, window)


def load_entry(entry: ModelEntry, weights: Path | None, device: torch.device | str = "cpu") -> LoadedModel:
    """Build `entry`'s architecture and load `weights` strictly (None: keep random weights)."""
    module = build(entry.arch, entry.config)
    if weights is not None:
        load_strict(module, read_state_dict(weights), Path(weights).name)
    module.eval().requires_grad_(False).to(device)
    return LoadedModel.of(entry, module, None if weights is None else Path(weights))


def describe_entry(entry: ModelEntry) -> ModelDescriptor:
    """`entry`'s descriptor without reading its weights: the module is built on the meta device (no
    memory, no numbers), and its structure is all `describe` looks at. The GUI explains a model this way
    before the model is loaded."""
    with torch.device("meta"):
        module = build(entry.arch, entry.config)
    return describe(entry, module)
