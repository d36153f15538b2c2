"""`nystra bench photo`: the generated photo, and one small run end to end through the command."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from nystra_app.cli import main
from nystra_app.research.photobench import photo_size, synthetic_photo
from nystra_app.engine.tiling import plan_axis


def test_generated_photo_has_the_asked_size_and_structure():
    photo = synthetic_photo(0.05)
    height, width = photo.shape[:2]
    assert (height, width) == photo_size(0.05) and width / height == pytest.approx(4 / 3, rel=0.02)
    assert abs(height * width / 0.05e6 - 1) < 0.05
    assert photo.dtype == np.float32 and 0 <= photo.min() and photo.max() <= 1
    assert np.abs(np.diff(photo, axis=1)).max() > 0.2  # has edges, not only smooth shading
    assert np.array_equal(photo, synthetic_photo(0.05))  # seeded: every run restores the same picture


@pytest.mark.slow  # two worker processes, each importing torch
def test_bench_photo_reports_both_paths_on_a_given_picture(tmp_path, capsys):
    source = tmp_path / "photo.png"
    cv2.imwrite(str(source), (synthetic_photo(0.02)[..., ::-1] * 255).astype(np.uint8))
    code = main(["bench", "photo", "--model", "dehazeformer-t-indoor", "--input", str(source), "--random-weights",
                 "--tile", "96", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and r["size"] == [160, 120]
    assert r["speedup"] == pytest.approx(r["baseline_seconds"] / r["seconds"])
    assert r["megapixels_per_s"] == pytest.approx(160 * 120 / 1e6 / r["seconds"])
    assert r["tiles"] == len(plan_axis(120, 96, 24)[1]) * len(plan_axis(160, 96, 24)[1])
    assert r["psnr_vs_baseline"] is None or r["psnr_vs_baseline"] >= 60  # fp32: rounding differences only
    assert r["peak_rss_mb"] > 0 and r["baseline_peak_rss_mb"] > 0 and r["first_progress_seconds"] < r["seconds"]
    assert [len(r["runs"][path]) for path in ("baseline", "default")] == [1, 1]


def test_bench_photo_names_an_unknown_model(capsys):
    assert main(["bench", "photo", "--model", "no-such-model", "--megapixels", "0.01"]) == 1
    assert "no-such-model" in capsys.readouterr().err
