"""DehazeFormer (Song et al. 2023): the model, its checkpoint detection and what the app needs to know."""

from ..architectures import Architecture, config_builder
from .detect import detect_dehazeformer
from .model import VARIANTS, DehazeFormer, DehazeFormerConfig, MetaBiasAttention


ARCHITECTURE = Architecture(
    name="dehazeformer",
    build=config_builder(DehazeFormer, DehazeFormerConfig, VARIANTS),
    detect=detect_dehazeformer,
    default_task="dehaze",
    downsampling=4,  # the deepest stage works at 1/4 resolution
    pad_multiple=lambda window, trained: 4,  # the input to the stride-2 stages; windows pad themselves
    tiling_changes_result=True,  # RescaleNorm normalises over the whole image
)

__all__ = ["ARCHITECTURE", "VARIANTS", "DehazeFormer", "DehazeFormerConfig", "MetaBiasAttention"]
