"""Attention operators: exact softmax and PnP-Nystra, torch only."""

from .exact import exact_attention
from .geometry import WindowGeometry, grid_shape, valid_landmarks
from .guard import GuardedResult
from .module import AttentionStats, SwitchableAttention
from .nystrom import nystrom_attention
from .pinv import iterative_pinv
from .spec import EXACT, AttentionSpec

__all__ = [
    "EXACT",
    "AttentionSpec",
    "AttentionStats",
    "GuardedResult",
    "SwitchableAttention",
    "WindowGeometry",
    "exact_attention",
    "grid_shape",
    "iterative_pinv",
    "nystrom_attention",
    "valid_landmarks",
]
