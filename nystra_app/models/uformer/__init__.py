"""Uformer (Wang et al. 2022): the model, its checkpoint detection and what the app needs to know."""

from ..architectures import Architecture, config_builder
from ..windows import pad_centred_square
from .detect import detect_uformer
from .model import DOWNSAMPLINGS, Uformer, UformerConfig


ARCHITECTURE = Architecture(
    name="uformer",
    build=config_builder(Uformer, UformerConfig),
    detect=detect_uformer,
    default_task="denoise",
    downsampling=2**DOWNSAMPLINGS,
    pad_multiple=lambda window, trained: trained * 2**DOWNSAMPLINGS,  # every level a multiple of the trained window
    tiling_changes_result=False,
    # The official test scripts' 'expand2square': zeros around a centred square, side a multiple of 128.
    official_padding=lambda image, trained: pad_centred_square(image, trained * 2**DOWNSAMPLINGS),
)

__all__ = ["ARCHITECTURE", "Uformer", "UformerConfig"]
