"""The one job protocol of the app: long work is a generator that yields progress events and returns
its result; a `threading.Event` passed in cancels it, and it raises `Cancelled` having removed
anything half-written. The engine (tiles), the weights store (downloads, copies, hashing), the CLI
(a tqdm bar) and the GUI worker (Qt signals) all speak it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import TypeVar

E = TypeVar("E")
R = TypeVar("R")


class Cancelled(Exception):
    """The caller set the cancel token. Not an error (so not a NystraError): nothing was changed."""

    def __init__(self, what: str = "operation") -> None:
        super().__init__(f"{what} cancelled")


def check_cancel(cancel: threading.Event | None, what: str = "operation") -> None:
    """Raise Cancelled if the token is set: called between steps (tiles, chunks)."""
    if cancel is not None and cancel.is_set():
        raise Cancelled(what)


def relay(job: Generator[E, None, R], on_event: Callable[[E], None] | None = None) -> Generator[E, None, R]:
    """Pass a job's events on (for an enclosing job) after showing each to `on_event`; return its result."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)
        yield event


def run_to_end(job: Generator[E, None, R], on_event: Callable[[E], None] | None = None) -> R:
    """Drive a job to its result, handing each progress event to `on_event` (a bar, a signal).

    The relayed events are only pulled here: `relay` is the one loop that looks at them."""
    relayed = relay(job, on_event)
    try:
        while True:
            next(relayed)
    except StopIteration as stop:
        return stop.value
