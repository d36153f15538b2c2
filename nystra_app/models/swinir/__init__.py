"""SwinIR (Liang et al. 2021): the model, its checkpoint detection and what the app needs to know."""

from ..architectures import Architecture, config_builder
from ..windows import pad_flip_past_multiple
from .detect import detect_swinir
from .model import SwinIR, SwinIRConfig


ARCHITECTURE = Architecture(
    name="swinir",
    build=config_builder(SwinIR, SwinIRConfig),
    detect=detect_swinir,
    default_task="super-resolve",
    downsampling=1,  # every block works at full resolution
    pad_multiple=lambda window, trained: window,
    tiling_changes_result=False,  # windows only: blended tiles match the whole picture away from seams
    # main_test_swinir.py mirrors past the next multiple of the window (a whole one more at a multiple).
    official_padding=lambda image, trained: (pad_flip_past_multiple(image, trained), 0, 0),
)

__all__ = ["ARCHITECTURE", "SwinIR", "SwinIRConfig"]
