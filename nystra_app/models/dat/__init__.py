"""DAT (Chen et al. 2023): the model, its checkpoint detection and what the app needs to know."""

from typing import Any

from torch import nn

from ..architectures import Architecture
from .detect import detect_dat
from .model import DAT, VARIANTS, DATConfig, config_for


def _build(config: dict[str, Any]) -> nn.Module:
    return DAT(config_for(config))


ARCHITECTURE = Architecture(
    name="dat",
    build=_build,
    detect=detect_dat,
    default_task="super-resolve",
    downsampling=1,  # every block works at full resolution
    pad_multiple=lambda window, trained: window,  # spatial attention pads its map to the longer window side
    tiling_changes_result=True,  # channel attention attends over every pixel of the picture
)

__all__ = ["ARCHITECTURE", "DAT", "VARIANTS", "DATConfig", "config_for"]
