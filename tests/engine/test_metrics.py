import math

import numpy as np
import pytest

from nystra_app.engine import psnr, rgb_to_y, ssim


def picture(seed=0, shape=(48, 40, 3)):
    return np.random.default_rng(seed).random(shape)


def test_identical_images_have_infinite_psnr_and_unit_ssim():
    a = picture()
    assert psnr(a, a) == math.inf
    assert ssim(a, a) == pytest.approx(1.0)


def test_known_mse_gives_known_psnr():
    a = np.zeros((8, 8, 3))
    b = np.full((8, 8, 3), 10 / 255)  # MSE 100 on the 0..255 scale
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100))


def test_quantised_to_8_bits_before_scoring():
    a = np.full((8, 8), 0.5)
    assert psnr(a, a + 0.4 / 255) == math.inf  # rounds to the same 8-bit level


def test_border_is_cropped():
    a = np.zeros((10, 10, 1))
    b = a.copy()
    b[:2] = 1.0
    assert psnr(a, b) < 10 and psnr(a, b, border=2) == math.inf


def test_rgb_to_y_follows_matlab():
    black, white = np.zeros((1, 1, 3)), np.ones((1, 1, 3))
    assert rgb_to_y(black)[0, 0, 0] == pytest.approx(16 / 255)
    assert rgb_to_y(white)[0, 0, 0] == pytest.approx(235 / 255, abs=1e-6)
    red = np.array([[[1.0, 0, 0]]])
    assert rgb_to_y(red)[0, 0, 0] == pytest.approx((16 + 65.481) / 255)
    assert rgb_to_y(picture()).shape == (48, 40, 1)


def test_y_channel_psnr_ignores_chroma_swaps_of_equal_luma():
    a = np.full((4, 4, 3), 0.5)
    assert psnr(a, a, y_channel=True) == math.inf
    b = picture()
    assert psnr(b, b * 0.9, y_channel=True) != psnr(b, b * 0.9)


def test_ssim_of_constant_images_is_the_luminance_term():
    a, b = np.full((20, 20), 100 / 255), np.full((20, 20), 110 / 255)
    c1 = (0.01 * 255) ** 2
    assert ssim(a, b) == pytest.approx((2 * 100 * 110 + c1) / (100**2 + 110**2 + c1))


def test_ssim_symmetric_and_falls_with_noise():
    clean = np.clip(np.linspace(0, 1, 64)[None, :, None] * np.ones((64, 64, 3)), 0, 1)
    rng = np.random.default_rng(1)
    light = np.clip(clean + rng.normal(0, 0.02, clean.shape), 0, 1)
    heavy = np.clip(clean + rng.normal(0, 0.2, clean.shape), 0, 1)
    assert ssim(clean, light) == pytest.approx(ssim(light, clean))
    assert 1.0 > ssim(clean, light) > ssim(clean, heavy)
    assert psnr(clean, light) > psnr(clean, heavy)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
