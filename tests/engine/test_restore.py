import threading

import numpy as np
import pytest

from nystra_app.attention import EXACT, AttentionSpec
from nystra_app.engine import Cancelled, Picture, restore_picture, run_to_end

from .helpers import collect

NYSTROM = AttentionSpec("nystrom", landmarks=4, iters=3)


def picture(h=40, w=48, c=3, alpha=False, seed=0):
    rng = np.random.default_rng(seed)
    rgb = rng.random((h, w, c), dtype=np.float32)
    return Picture(rgb, rng.random((h, w), dtype=np.float32) if alpha else None, 16, None, "PNG")




def test_tiny_model_exact_and_nystrom_report_timings(tiny_model):
    source = picture()
    for spec in (EXACT, NYSTROM):
        events, result = collect(restore_picture(source, tiny_model, spec))
        out = result.picture
        assert out.rgb.shape == (40, 48, 3) and out.rgb.dtype == np.float32
        assert out.rgb.min() >= 0.0 and out.rgb.max() <= 1.0
        assert out.bit_depth == 16 and result.tiles == len(events) - 1 == 1
        assert result.attention_rows > 0 and 0 < result.attention_seconds < result.seconds
        assert 0 < result.attention_share < 1 and 0 <= result.fallback_fraction <= 1
        assert result.spec == spec


def test_switching_back_to_exact_reproduces_exact(tiny_model):
    source = picture(64, 64)
    first = run_to_end(restore_picture(source, tiny_model, EXACT)).picture.rgb
    fast = run_to_end(restore_picture(source, tiny_model, NYSTROM, window=16)).picture.rgb
    again = run_to_end(restore_picture(source, tiny_model, EXACT)).picture.rgb
    assert np.array_equal(first, again) and not np.array_equal(first, fast)


def test_tiled_restore_reports_every_tile(tiny_model):
    events, result = collect(restore_picture(picture(150, 140), tiny_model, EXACT, tile=64))
    assert len(events) - 1 == result.tiles == 9 and len(result.tile_seconds) == 9
    assert result.picture.rgb.shape == (150, 140, 3)
    assert result.tiling_changed  # DehazeFormer normalises over the whole picture: its descriptor says so


def test_the_first_progress_event_comes_before_any_tile_runs(fake_model, monkeypatch):
    model = fake_model()
    forwards = []
    real_forward = model.module.forward
    monkeypatch.setattr(model.module, "forward", lambda x: forwards.append(x.shape) or real_forward(x))
    job = restore_picture(picture(150, 140), model, EXACT, tile=64)
    first = next(job)
    assert (first.index, first.total, forwards) == (0, 9, [])  # the plan is announced, nothing has run
    assert next(job).index == 1 and len(forwards) == 1


def test_a_whole_picture_run_does_not_report_a_tiling_change(tiny_model):
    assert not run_to_end(restore_picture(picture(40, 40), tiny_model, EXACT)).tiling_changed


def test_landmarks_that_do_not_fit_are_refused(tiny_model):
    with pytest.raises(ValueError, match="landmarks"):
        run_to_end(restore_picture(picture(), tiny_model, AttentionSpec("nystrom", landmarks=7)))


def test_cancel_before_start(tiny_model):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run_to_end(restore_picture(picture(), tiny_model, EXACT, cancel=cancel))


def test_gray_picture_on_rgb_model_stays_gray(fake_model):
    source = picture(c=1)
    result = run_to_end(restore_picture(source, fake_model(), EXACT))
    assert result.picture.rgb.shape == (40, 48, 1)
    assert np.allclose(result.picture.rgb, 1 - source.rgb, atol=1e-6)  # luma of a gray pixel is itself


def test_rgb_picture_on_gray_model_runs_per_channel(fake_model):
    source = picture()
    result = run_to_end(restore_picture(source, fake_model(in_channels=1), EXACT))
    assert np.allclose(result.picture.rgb, 1 - source.rgb, atol=1e-6)


def test_alpha_goes_around_the_model(fake_model):
    source = picture(alpha=True)
    result = run_to_end(restore_picture(source, fake_model(), EXACT))
    assert np.array_equal(result.picture.alpha, source.alpha)


def test_alpha_is_resized_with_the_scale(fake_model):
    source = picture(alpha=True)
    source.alpha[:] = 0.25
    result = run_to_end(restore_picture(source, fake_model(scale=2), EXACT))
    assert result.picture.rgb.shape == (80, 96, 3) and result.picture.alpha.shape == (80, 96)
    assert np.allclose(result.picture.alpha, 0.25, atol=1e-6)


def test_picture_smaller_than_a_window_is_restored(tiny_model):
    result = run_to_end(restore_picture(picture(20, 28), tiny_model, EXACT, window=16))
    assert result.picture.rgb.shape == (20, 28, 3) and np.isfinite(result.picture.rgb).all()


def test_tiles_never_shrink_below_what_the_window_needs(tiny_model):
    events, result = collect(restore_picture(picture(150, 140), tiny_model, EXACT, window=16, tile=32))
    assert result.tile == 64 and len(events) - 1 == 9
