"""`nystra bench wait`: how long a photo of a given output size takes with the default path.

The README's per-model table answers a user's question, "how long will a 12 MP photo take here?", for
models whose whole restore takes from minutes to hours on a laptop CPU. The tiles of one plan share one
size, so the first few, timed on the real plan (`restore_picture`, default path, the tile side a restore
would choose), give the whole: the median tile after the first (which carries the warm-up) times the
planned count. `nystra bench photo` times whole restores where there is time for them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from ..attention import AttentionSpec
from ..engine.budget import describe_seconds
from ..engine.imageio import Picture
from ..engine.restore import restore_picture
from ..models import LoadedModel
from .photobench import synthetic_photo


def estimate_wait(model: LoadedModel, output_megapixels: float, *, spec: AttentionSpec = AttentionSpec(),
                  window: int | None = None, tile: int | None = None, timed_tiles: int = 3,
                  log: Callable[[str], None] = lambda line: None) -> dict:
    """Seconds to restore a generated 4:3 photo whose *output* has `output_megapixels`; see the module."""
    described = model.descriptor
    photo = synthetic_photo(output_megapixels / described.scale**2)
    height, width = photo.shape[:2]
    restore = restore_picture(Picture(photo), model, spec, window=window, device="cpu", tile=tile)
    seconds: list[float] = []
    planned, side, size = 0, 0, (0, 0)
    try:
        for event in restore:
            planned, side, size = event.total, event.tile, event.size
            if event.index:
                seconds.append(event.seconds)
                log(f"tile {event.index} of {planned} ({size[1]}x{size[0]} px): {event.seconds:.1f} s")
                if len(seconds) == timed_tiles:
                    break
    finally:
        restore.close()  # the remaining tiles never run
    whole = len(seconds) == planned
    steady = seconds[1:] or seconds
    estimate = sum(seconds) if whole else statistics.median(steady) * planned
    return {
        "model": described.id, "attention": spec.describe(), "window": described.window_label(window),
        "scale": described.scale, "size": [width, height],
        "output_megapixels": width * height * described.scale**2 / 1e6,
        "tiles": planned, "tile": side, "tile_size": [size[1], size[0]], "tile_seconds": seconds, "whole": whole,
        "estimated_seconds": estimate,
        "range_seconds": None if whole else [min(steady) * planned, max(steady) * planned],
    }


def describe_wait(r: dict) -> str:
    """The line a person reads."""
    how = "every tile timed" if r["whole"] else (
        f"{len(r['tile_seconds'])} of {r['tiles']} tiles timed; from the spread of those, "
        f"{describe_seconds(r['range_seconds'][0])} to {describe_seconds(r['range_seconds'][1])}")
    return (f"{r['model']}, {r['attention']}: a {r['size'][0]}x{r['size'][1]} input "
            f"({r['output_megapixels']:.1f} MP out) in {r['tiles']} tile(s) of {r['tile_size'][0]}x{r['tile_size'][1]} px: "
            f"about {describe_seconds(r['estimated_seconds'])} ({how})")
