"""EMT (Zheng et al. 2023): the model, its checkpoint detection and what the app needs to know."""

from typing import Any

from torch import nn

from ..architectures import Architecture
from ..configs import config_from_dict
from .detect import detect_emt
from .model import EMT, VARIANTS, EMTConfig


def _build(config: dict[str, Any]) -> nn.Module:
    if "variant" in config:
        return EMT(VARIANTS[config["variant"]])
    return EMT(config_from_dict(EMTConfig, config))


ARCHITECTURE = Architecture(
    name="emt",
    build=_build,
    detect=detect_emt,
    default_task="super-resolve",
    downsampling=1,  # features stay at the input's resolution
    pad_multiple=lambda window, trained: window,  # each stripe shape pads its map to whole windows
    tiling_changes_result=False,  # stripes and one-pixel mixing, BatchNorm with running statistics: local
)

__all__ = ["ARCHITECTURE", "EMT", "VARIANTS", "EMTConfig"]
