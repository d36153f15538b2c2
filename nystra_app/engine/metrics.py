"""PSNR and SSIM as restoration papers compute them, so our numbers compare with theirs.

Both quantise their inputs to 8 bits first (round(x * 255)): papers score the saved 8-bit PNGs,
and unquantised float outputs score a few hundredths of a dB higher. `y_channel` scores the BT.601
luma in MATLAB's convention (the SR papers), `border` crops that many pixels from every side.
SSIM follows Wang et al. 2004: an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, on
0..255 values, 'valid' filtering; for colour it is the mean over channels.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])


def quantise(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> 0..255 in float64, rounded as an 8-bit save would."""
    return np.round(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0)


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB in [0, 1] -> (H, W, 1) BT.601 luma in [16/255, 235/255] (MATLAB's rgb2ycbcr).

    A one-channel image is returned as it is.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        return image
    return ((16.0 + image @ _Y_WEIGHTS) / 255.0)[..., None]


def _prepare(a: np.ndarray, b: np.ndarray, border: int, y_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"images differ in shape: {np.shape(a)} vs {np.shape(b)}")
    a, b = quantise(a), quantise(b)
    if y_channel:
        a, b = rgb_to_y(a / 255.0) * 255.0, rgb_to_y(b / 255.0) * 255.0
    elif a.ndim == 2:
        a, b = a[..., None], b[..., None]
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    return a, b


def psnr(a: np.ndarray, b: np.ndarray, *, border: int = 0, y_channel: bool = False) -> float:
    """Peak signal-to-noise ratio in dB on the 0..255 scale; inf for identical images."""
    a, b = _prepare(a, b, border, y_channel)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray, *, border: int = 0, y_channel: bool = False) -> float:
    """Structural similarity (1 for identical images), mean over channels."""
    a, b = _prepare(a, b, border, y_channel)
    return float(np.mean([_ssim_plane(a[..., c], b[..., c]) for c in range(a.shape[2])]))


def _ssim_plane(x: np.ndarray, y: np.ndarray) -> float:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = cv2.getGaussianKernel(11, 1.5)
    window = g @ g.T

    def blur(img: np.ndarray) -> np.ndarray:
        return cv2.filter2D(img, -1, window)[5:-5, 5:-5]  # 'valid': only full windows

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return float(np.mean(num / den))
