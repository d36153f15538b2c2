"""Helpers every architecture's checkpoint detection shares: counting blocks, reading bias tables."""

from __future__ import annotations

import math
from collections.abc import Mapping

from torch import Tensor


def block_count(state: Mapping[str, Tensor], prefix: str) -> int:
    """How many numbered blocks `prefix<i>.` the keys hold."""
    return 1 + max((int(key[len(prefix):].split(".", 1)[0]) for key in state if key.startswith(prefix)), default=-1)


def window_from_table(table: Tensor) -> int:
    """The square window of a ((2w-1)^2, heads) relative-position bias table."""
    return (math.isqrt(table.shape[0]) + 1) // 2
