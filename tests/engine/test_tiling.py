import itertools
import math
import threading

import pytest
import torch
import torch.nn.functional as F

from nystra_app.engine import (
    Cancelled,
    OutOfMemory,
    TileProgress,
    run_tiled,
    run_to_end,
    tiling,
)
from nystra_app.engine.tiling import auto_tile, plan_axis

from .helpers import collect


def pointwise(x: torch.Tensor) -> torch.Tensor:
    return (x * 0.5 + 0.25).repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.full((x.shape[1], 1, 5, 5), 1 / 25)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, groups=x.shape[1])


def smooth_image(h=150, w=200) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.linspace(0, 6, h), torch.linspace(0, 9, w), indexing="ij")
    return torch.stack([torch.sin(ys) * 0.5 + 0.5, torch.cos(xs) * 0.5 + 0.5, (ys + xs) / 15])[None]




def test_one_tile_when_the_side_fits():
    assert plan_axis(100, 128, 16) == (100, [0])


@pytest.mark.parametrize(("length", "side", "overlap"), list(itertools.product(
    (129, 300, 1500, 2000, 3001, 4000), (64, 128, 416, 1088), (8, 16, 32))))
def test_axis_plan_covers_with_overlap_evenly_and_the_last_flush(length, side, overlap):
    tile, starts = plan_axis(length, side, overlap, min_tile=64)
    assert starts[0] == 0 and starts[-1] + tile == length
    steps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(0 < step <= tile - overlap for step in steps)  # every seam overlaps by at least `overlap`
    assert max(steps, default=0) - min(steps, default=0) <= 1  # spread evenly
    assert tile <= side and (tile % tiling.TILE_ALIGN == 0 or tile in (side, length))
    fewest = math.ceil((length - overlap) / (side - overlap)) if length > side else 1
    assert len(starts) == fewest
    # and no fewer would do: one tile less, even at the full side, leaves the far end uncovered
    assert len(starts) == 1 or (len(starts) - 1) * (side - overlap) + overlap < length


def test_axis_plan_shrinks_the_tiles_instead_of_stacking_the_last_one():
    """2000 px in 416 px tiles needs 6 tiles; 384 px tiles cover it with 32 px overlaps, so the
    model computes 6 x 384 px instead of 6 x 416 px (the last one overlapping its neighbour by 368)."""
    assert plan_axis(2000, 416, 32) == (384, [0, 323, 646, 969, 1292, 1616])
    assert plan_axis(4000, 1088, 32)[0] == 1024 and len(plan_axis(4000, 1088, 32)[1]) == 4


def test_tiles_keep_the_models_padding_multiple():
    """A model that pads to multiples of 128 would pad a 480 px tile back to 512 and pay for it."""
    assert plan_axis(4000, 512, 32, align=128)[0] == 512
    seen = []

    def record(x):
        seen.append(tuple(x.shape[-2:]))
        return pointwise(x)

    image = smooth_image(150, 200)
    out = run_to_end(run_tiled(record, image, scale=2, tile=120, overlap=16, align=56))
    assert len(seen) > 1 and set(seen) == {(112, 112)}  # aligned to 32 instead: 96 x 120
    assert torch.allclose(out, pointwise(image), atol=1e-6)


def test_axis_plan_keeps_the_smallest_tile_the_model_runs():
    tile, starts = plan_axis(300, 128, 32, min_tile=128)
    assert tile == 128 and starts[-1] == 300 - 128


def test_pointwise_model_tiled_equals_untiled_with_scale():
    image = smooth_image()
    events, tiled = collect(run_tiled(pointwise, image, scale=2, tile=64, overlap=16))
    assert len(events) > 1
    assert tiled.shape == (1, 3, 300, 400)
    assert torch.allclose(tiled, pointwise(image), atol=1e-6)


def test_conv_model_tiles_blend_without_seams():
    image = smooth_image() + 0.05 * torch.rand(1, 3, 150, 200, generator=torch.Generator().manual_seed(0))
    tiled = run_to_end(run_tiled(blur, image, tile=64, overlap=16))
    error = (tiled - blur(image)).abs()
    assert error.mean() < 1e-3 and error.max() < 0.02


def test_one_tile_when_the_picture_fits():
    image = smooth_image(40, 50)
    events, out = collect(run_tiled(blur, image))
    assert [e.index for e in events] == [0, 1] and events[0].total == 1 and torch.equal(out, blur(image))


def test_progress_events_count_and_order():
    events, _ = collect(run_tiled(pointwise, smooth_image(), scale=2, tile=64, overlap=16))
    rows, cols = len(plan_axis(150, 64, 16)[1]), len(plan_axis(200, 64, 16)[1])
    assert [e.index for e in events] == list(range(rows * cols + 1))  # 0: planned, before the first tile
    assert all(isinstance(e, TileProgress) and e.total == rows * cols and e.seconds >= 0 for e in events)


def test_cancel_between_tiles():
    cancel = threading.Event()
    gen = run_tiled(pointwise, smooth_image(), scale=2, tile=64, cancel=cancel)
    assert next(gen).index == 0 and next(gen).index == 1
    cancel.set()
    with pytest.raises(Cancelled):
        next(gen)


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"),
                                   RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried 9 GB")])
def test_out_of_memory_halves_the_tile(error):
    sizes = []

    def picky(x):
        sizes.append(max(x.shape[-2:]))
        if max(x.shape[-2:]) > 80:
            raise error
        return pointwise(x)

    image = smooth_image()
    events, out = collect(run_tiled(picky, image, scale=2, tile=256))
    assert sizes[0] == 200 and 80 < sizes[1] <= 100 and events[-1].tile == 64  # halved side: tiles of at most 100
    assert torch.allclose(out, pointwise(image), atol=1e-6)


def test_out_of_memory_at_the_smallest_tile_is_a_clear_error():
    def always(x):
        raise torch.OutOfMemoryError("out of memory")

    with pytest.raises(OutOfMemory, match="out of memory"):
        run_to_end(run_tiled(always, smooth_image(), tile=128))


def test_other_errors_are_not_retried():
    calls = []

    def broken(x):
        calls.append(1)
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        run_to_end(run_tiled(broken, smooth_image(), tile=64))
    assert len(calls) == 1


def test_auto_tile_from_free_memory(monkeypatch):
    monkeypatch.setattr(tiling, "free_memory", lambda device: 2 * 1000 * 1000 * 100)  # 100 px/byte budget
    assert auto_tile(500, 600, torch.device("cpu"), bytes_per_pixel=1.0) == 600  # fits: whole picture
    side = auto_tile(20000, 20000, torch.device("cpu"), bytes_per_pixel=100.0)
    assert side % tiling.TILE_ALIGN == 0 and side * side <= 1000 * 1000 and side >= 900


def test_wrong_output_size_is_explained():
    with pytest.raises(ValueError, match="scale 1"):
        run_to_end(run_tiled(pointwise, smooth_image(40, 40)))
