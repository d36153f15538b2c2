"""Helpers shared by the engine tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from nystra_app.jobs import run_to_end


def collect(gen: Generator[Any, None, Any]) -> tuple[list[Any], Any]:
    """Drain a progress generator: (the events it yielded, the value it returned)."""
    events: list[Any] = []
    return events, run_to_end(gen, events.append)
