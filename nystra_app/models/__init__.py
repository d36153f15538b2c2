"""Model architectures (our own code, official parameter names), registry and the attention switch."""

from .checkpoint import CheckpointError, load_strict, read_state_dict, unwrap
from .loading import LoadedModel, load_model
from .registry import FastDefault, ModelEntry, UnknownModel, get_entry, registry
from .switch import (
    attention_modules,
    collect_stats,
    configure_attention,
    set_attention_timing,
    trained_window,
)

__all__ = [
    "CheckpointError",
    "FastDefault",
    "LoadedModel",
    "ModelEntry",
    "UnknownModel",
    "attention_modules",
    "collect_stats",
    "configure_attention",
    "get_entry",
    "load_model",
    "load_strict",
    "read_state_dict",
    "registry",
    "set_attention_timing",
    "trained_window",
    "unwrap",
]
