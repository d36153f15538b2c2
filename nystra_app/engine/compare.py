"""Pictures made for looking at: 8-bit display arrays and error heat maps.

The GUI only shows arrays; the maths of a comparison (absolute difference, colour map, PSNR) lives
here so it is tested without Qt and a script could write the same maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .imageio import Picture
from .metrics import psnr

_FLOOR = 1.0 / 255.0


@dataclass(frozen=True)
class ErrorMap:
    """|a - b| as a colour picture, with the figures a viewer labels it with."""

    heat: np.ndarray  # (H, W, 3) uint8 RGB: black (no error) through red/yellow to white (`ceiling`)
    psnr: float  # dB on the 0..255 scale; inf for identical pictures
    max_error: float  # the largest per-pixel error, in [0, 1]
    ceiling: float  # the error shown as full brightness


def to_display(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 1 or 3) floats in [0, 1] -> (H, W, 3) uint8 RGB, C-contiguous (what an image widget wants)."""
    pixels = np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels)


def abs_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel error, the largest over the channels: (H, W) float32 in [0, 1]."""
    if a.shape != b.shape:
        raise ValueError(f"pictures differ in size: {a.shape[1]}x{a.shape[0]} vs {b.shape[1]}x{b.shape[0]}")
    diff = np.abs(a.astype(np.float32) - b.astype(np.float32))
    return diff.max(axis=2) if diff.ndim == 3 else diff


def default_ceiling(error: np.ndarray) -> float:
    """The error shown at full brightness: the 99.5th percentile, at least one 8-bit step."""
    return max(float(np.percentile(error, 99.5)) if error.size else 0.0, _FLOOR)


def heat_map(error: np.ndarray, ceiling: float | None = None) -> np.ndarray:
    """(H, W) errors -> (H, W, 3) uint8 RGB with the 'hot' colour map.

    The default ceiling is a high percentile, so a handful of outliers do not wash the rest of the
    map out to black; the floor keeps an all-zero map black instead of dividing by zero.
    """
    ceiling = default_ceiling(error) if ceiling is None else max(ceiling, _FLOOR)
    level = np.round(np.clip(error / ceiling, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.ascontiguousarray(cv2.applyColorMap(level, cv2.COLORMAP_HOT)[..., ::-1])


def error_map(a: Picture | np.ndarray, b: Picture | np.ndarray, ceiling: float | None = None) -> ErrorMap:
    """Compare two pictures of the same size (e.g. exact vs fast, or result vs ground truth)."""
    a_rgb = a.rgb if isinstance(a, Picture) else a
    b_rgb = b.rgb if isinstance(b, Picture) else b
    error = abs_difference(a_rgb, b_rgb)
    ceiling = default_ceiling(error) if ceiling is None else max(ceiling, _FLOOR)
    return ErrorMap(heat_map(error, ceiling), psnr(a_rgb, b_rgb), float(error.max(initial=0.0)), ceiling)
