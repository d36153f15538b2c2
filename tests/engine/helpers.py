"""Helpers shared by the engine tests."""

from __future__ import annotations


def collect(gen):
    """Drain a progress generator: (the events it yielded, the value it returned)."""
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            return events, stop.value
