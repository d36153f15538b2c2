"""Architecture configurations from registry JSON, which stores tuples as lists."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a config dataclass; unknown keys are an error (a typo must not pass as a default)."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys {unknown}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
