"""How far a picture has got and how long is left, from the engine's tile and in-tile events.

Shared by the main window and the batch dialog, so both bars move the same way: by tiles done plus
the fraction of the tile in progress, with the time left estimated from the time so far.
"""

from __future__ import annotations

import time

from ..engine import TileProgress
from ..engine.steps import StepProgress

MIN_FRACTION_FOR_ETA = 0.02  # below this the estimate is mostly noise
MIN_SECONDS_FOR_ETA = 1.0


class PictureProgress:
    """Fraction of one picture done; `total` tiles is known from the planned event (index 0) on."""

    def __init__(self) -> None:
        self.total = 1
        self.fraction = 0.0

    def update(self, event: TileProgress | StepProgress) -> float:
        if isinstance(event, TileProgress):
            self.total = event.total
            self.fraction = event.index / event.total
        else:
            self.fraction = max(self.fraction, min((event.tile - 1 + event.fraction) / self.total, 1.0))
        return self.fraction


class Eta:
    """Seconds left for work whose done fraction grows about linearly with time."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left(self, fraction: float) -> float | None:
        elapsed = self.elapsed()
        if fraction < MIN_FRACTION_FOR_ETA or elapsed < MIN_SECONDS_FOR_ETA:
            return None
        return elapsed * (1 - fraction) / fraction


def describe_left(seconds: float | None) -> str:
    """'about 40 s left', 'about 3 min left', or '' when not known yet."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"
