import math
from pathlib import Path

import numpy as np
import pytest

from nystra_app.attention import AttentionSpec
from nystra_app.engine import (
    Pair,
    Picture,
    Scoring,
    evaluate,
    gaussian_noise,
    pair_folders,
    run_to_end,
    write_image,
)
from nystra_app.engine.evaluate import find_target
from nystra_app.errors import NystraError

NYSTROM = AttentionSpec("nystrom", landmarks=4, iters=3)


def test_target_naming_rules():
    targets = [Path("GT/1438.png"), Path("GT/0001_0.8_0.2.jpg"), Path("GT/cat.bmp")]
    assert find_target(Path("hazy/1438_10.png"), targets) == Path("GT/1438.png")
    assert find_target(Path("hazy/0001_0.8_0.2.jpg"), targets) == Path("GT/0001_0.8_0.2.jpg")
    assert find_target(Path("hazy/cat.png"), targets) == Path("GT/cat.bmp")
    assert find_target(Path("hazy/dog.png"), targets) is None


def test_super_resolution_pairs_in_the_swinir_layout():
    targets = [Path("HR/baby.png"), Path("HR/bird.png")]
    assert find_target(Path("LR_bicubic/X2/babyx2.png"), targets) == Path("HR/baby.png")
    assert find_target(Path("LR_bicubic/X4/birdx4.png"), targets) == Path("HR/bird.png")


def make_dataset(root: Path, names=("1_5.png", "2_7.png"), size=(24, 32)) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    for name in names:
        clean = rng.random((*size, 3), dtype=np.float32)
        write_image(root / "GT" / f"{name.split('_')[0]}.png", clean)
        write_image(root / "hazy" / name, 1 - clean)  # the fake model (1 - x) restores it exactly
    return root / "hazy", root / "GT"


def test_pairs_and_missing_target(tmp_path):
    inputs, targets = make_dataset(tmp_path)
    assert [p.target.name for p in pair_folders(inputs, targets)] == ["1.png", "2.png"]
    assert len(pair_folders(inputs, targets, limit=1)) == 1
    write_image(inputs / "9_1.png", np.zeros((4, 4, 3)))
    with pytest.raises(NystraError, match="no target for 9_1.png"):
        pair_folders(inputs, targets)
    assert [p.input.name for p in pair_folders(inputs, targets, skip_unpaired=True)] == ["1_5.png", "2_7.png"]


def test_evaluate_scores_a_perfect_fake_model(tmp_path, fake_model):
    pairs = pair_folders(*make_dataset(tmp_path))
    report = run_to_end(evaluate(fake_model(), pairs, NYSTROM))
    data = report.as_dict()
    assert data["model"] == "dehazeformer-t-indoor" and data["landmarks"] == 4 and len(data["images"]) == 2
    assert math.isinf(data["mean"]["exact_psnr"]) and data["mean"]["exact_ssim"] == pytest.approx(1.0)
    assert data["images"][0]["fallback"] == 0 and data["images"][0]["exact_ms"] > 0


def test_evaluate_tiny_transformer(tmp_path, tiny_model):
    pairs = pair_folders(*make_dataset(tmp_path, names=("1_5.png",), size=(64, 64)))
    events: list[object] = []
    report = run_to_end(evaluate(tiny_model, pairs, NYSTROM, window=16), events.append)
    score = report.images[0]
    assert events == report.images and report.window == 16
    assert math.isfinite(score.exact_psnr) and math.isfinite(score.nystrom_psnr)
    assert 0 <= score.fallback_fraction <= 1 and score.nystrom_ms > 0


def test_noise_is_seeded_per_picture():
    clean = Picture(np.full((8, 8, 3), 0.5, np.float32))
    noise = gaussian_noise(25)
    a, b, c = noise(clean, 0).rgb, noise(clean, 0).rgb, noise(clean, 1).rgb
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(float(np.std(a - 0.5)) - 25 / 255) < 0.03


def test_denoising_pairs_score_against_the_clean_picture(tmp_path, fake_model):
    path = write_image(tmp_path / "clean.png", np.full((16, 16, 3), 0.5, np.float32))
    identity = fake_model()
    identity.module.forward = lambda x: x  # a model that removes nothing
    report = run_to_end(evaluate(identity, [Pair(path, path)], NYSTROM, degrade=gaussian_noise(25)))
    assert 18 < report.images[0].exact_psnr < 25  # the noise is still there: ~20 dB at sigma 25


def test_scoring_for_super_resolution():
    assert Scoring.for_scale(4) == Scoring(y_channel=True, border=4)
    assert Scoring.for_scale(1) == Scoring()
