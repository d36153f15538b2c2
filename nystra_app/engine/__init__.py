"""Inference without Qt: image I/O, devices, tiled restoration, metrics and evaluation.

Long work is a generator that yields progress and returns its result, so the GUI's worker thread
forwards events as signals and cancels between steps; `run_to_end` drains one for scripts.
"""

from .device import DeviceError, DeviceInfo, available_devices, resolve_device, set_cpu_threads
from .evaluate import (
    Evaluation,
    ImageScore,
    Pair,
    Scoring,
    evaluate,
    gaussian_noise,
    pair_folders,
)
from .imageio import ImageError, Picture, output_extension, read_image, write_image
from .metrics import psnr, rgb_to_y, ssim
from .restore import RestoreResult, restore_picture
from ..jobs import Cancelled, run_to_end
from .tiling import OutOfMemory, TileProgress, run_tiled

__all__ = [
    "Cancelled",
    "DeviceError",
    "DeviceInfo",
    "Evaluation",
    "ImageError",
    "ImageScore",
    "OutOfMemory",
    "Pair",
    "Picture",
    "RestoreResult",
    "Scoring",
    "TileProgress",
    "available_devices",
    "evaluate",
    "gaussian_noise",
    "output_extension",
    "pair_folders",
    "psnr",
    "read_image",
    "resolve_device",
    "restore_picture",
    "rgb_to_y",
    "set_cpu_threads",
    "run_tiled",
    "run_to_end",
    "ssim",
    "write_image",
]
