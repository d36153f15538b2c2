"""`nystra bench wait`: the first tiles of the real plan timed, the rest estimated from them."""

from __future__ import annotations

import json
import statistics

import pytest

from nystra_app.cli import main
from nystra_app.engine.tiling import plan_axis
from nystra_app.research.photobench import photo_size


def test_the_estimate_is_the_median_steady_tile_times_the_planned_tiles(capsys, monkeypatch):
    from nystra_app.engine import restore

    ran: list[int] = []
    real_forward = restore.model_forward

    def counting_forward(*args, **kwargs):
        forward = real_forward(*args, **kwargs)
        return lambda image: ran.append(1) or forward(image)

    monkeypatch.setattr(restore, "model_forward", counting_forward)
    code = main(["bench", "wait", "--model", "dehazeformer-t-indoor", "--random-weights", "--megapixels", "0.05",
                 "--tile", "96", "--tiles", "3", "--json"])
    r = json.loads(capsys.readouterr().out)
    height, width = photo_size(0.05)
    (tile_height, rows), (tile_width, cols) = plan_axis(height, 96, 24), plan_axis(width, 96, 24)  # overlap: 32, at most a quarter tile
    planned = len(rows) * len(cols)
    assert code == 0 and r["tiles"] == planned > 3 and r["size"] == [width, height]
    assert r["tile"] == 96 and r["tile_size"] == [tile_width, tile_height]
    assert len(r["tile_seconds"]) == 3 and not r["whole"] and len(ran) == 3  # the other tiles never ran
    assert r["estimated_seconds"] == pytest.approx(statistics.median(r["tile_seconds"][1:]) * planned)
    assert r["range_seconds"][0] <= r["estimated_seconds"] <= r["range_seconds"][1]


def test_a_photo_of_fewer_tiles_than_asked_is_timed_whole_and_scale_sets_the_input(capsys):
    code = main(["bench", "wait", "--model", "dat-light-x2", "--random-weights", "--megapixels", "0.02",
                 "--tiles", "5", "--json"])
    r = json.loads(capsys.readouterr().out)
    height, width = photo_size(0.02 / 4)
    assert code == 0 and r["size"] == [width, height] and r["scale"] == 2
    assert r["whole"] and r["estimated_seconds"] == pytest.approx(sum(r["tile_seconds"]))
    assert r["range_seconds"] is None  # every tile ran: nothing was estimated
    assert r["output_megapixels"] == pytest.approx(width * height * 4 / 1e6)
