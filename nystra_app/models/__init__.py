"""Model architectures (our own code, official parameter names), registry data, the descriptor and
the attention switch. Each architecture is a package here (dehazeformer/, swinir/, uformer/).

Nothing here knows where weight files live: the weights store (`nystra_app.manager`) passes paths in.
"""

from .architectures import Architecture, build, detect, get_architecture
from .checkpoint import CheckpointError, load_strict, read_state_dict, unwrap
from .descriptor import ModelDescriptor, SizeRules, Window, describe
from .loading import LoadedModel, describe_entry, load_entry
from .registry import FastDefault, ModelEntry, Task, builtin_registry
from .switch import (
    attention_modules,
    collect_stats,
    configure_attention,
    set_attention_timing,
    trained_window,
)

__all__ = [
    "Architecture",
    "CheckpointError",
    "FastDefault",
    "LoadedModel",
    "ModelDescriptor",
    "ModelEntry",
    "SizeRules",
    "Task",
    "Window",
    "attention_modules",
    "build",
    "builtin_registry",
    "collect_stats",
    "configure_attention",
    "describe",
    "detect",
    "get_architecture",
    "describe_entry",
    "load_entry",
    "load_strict",
    "read_state_dict",
    "set_attention_timing",
    "trained_window",
    "unwrap",
]
