"""Option values checked when the command line is parsed, each with its allowed range in the message.

argparse `type=` callables, torch-free like the parser (arguments.py): a bad value never reaches a model
(no ZeroDivisionError for --window 0, no silent fallback to a default for --landmarks 0, no 4x slower run
for --tile 0).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..choices import MAX_PIXELS, MAX_SIDE, MIN_TILE

# Inclusive ranges. The window's upper end: at 256 one exact window's scores already take 16 GiB.
WINDOW = (2, 256)
LANDMARKS = (1, 1024)
ITERS = (1, 50)
LOCAL = (1, 256)
TILE = (MIN_TILE, MAX_SIDE)
MEGAPIXELS = (0.01, MAX_PIXELS / 1e6)


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high] (no upper end when high is None)."""
    allowed = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def float_range(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number in [low, high]."""
    allowed = f"a number from {low:g} to {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}") from None
        if not low <= value <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text}")
        return value

    parse.__name__ = "number"
    return parse


def device_name(text: str) -> str:
    """An argparse type: a device this machine has (auto, cpu, cuda, cuda:N, mps); kept as the name.

    Every machine has `auto` and `cpu`; whether a named GPU is there only torch can say, so it is loaded
    here for that (parsing stays torch-free otherwise, see arguments.py).
    """
    name = text.strip().lower()
    if name in ("auto", "cpu"):
        return name
    from ..engine.device import DeviceError, resolve_device

    try:
        resolve_device(name)
    except DeviceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name
