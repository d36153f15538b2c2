"""Watching every attention layer of a model on real features, through the product's hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from torch import nn

from ..attention import SwitchableAttention
from ..attention.module import AttentionHook


@contextmanager
def observing(model: nn.Module, observer_for: Callable[[str], AttentionHook]) -> Iterator[list[str]]:
    """Give every attention layer a hook (made from its name) for the duration of the block; yields
    the names of the layers observed."""
    named = [(name, m) for name, m in model.named_modules() if isinstance(m, SwitchableAttention)]
    handles = [module.register_attention_hook(observer_for(name)) for name, module in named]
    try:
        yield [name for name, _ in named]
    finally:
        for handle in handles:
            handle.remove()
