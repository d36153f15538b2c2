"""EMT (Zheng et al. 2023): the model, its checkpoint detection and what the app needs to know."""

from ..architectures import Architecture, config_builder
from .detect import detect_emt
from .model import EMT, VARIANTS, EMTConfig


ARCHITECTURE = Architecture(
    name="emt",
    build=config_builder(EMT, EMTConfig, VARIANTS),
    detect=detect_emt,
    default_task="super-resolve",
    downsampling=1,  # features stay at the input's resolution
    pad_multiple=lambda window, trained: window,  # each stripe shape pads its map to whole windows
    tiling_changes_result=False,  # stripes and one-pixel mixing, BatchNorm with running statistics: local
)

__all__ = ["ARCHITECTURE", "EMT", "VARIANTS", "EMTConfig"]
