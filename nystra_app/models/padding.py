"""How a picture is padded to the sizes a model needs: ours, or as the official test scripts do.

"reflect" (the default for photos) is each model's own padding: reflection at the bottom and right
up to the multiple its windows need, cropped back after. "official" reproduces each official test
script's preprocessing, so published numbers can be reproduced: SwinIR mirrors past the next
multiple of the window (a whole extra window when the side is already one), Uformer centres the
picture in a zero square, DehazeFormer's test adds nothing to its model's own reflection. The
descriptor says how (`ModelDescriptor.official_padding`, from the architecture package).
"""

from __future__ import annotations

from torch import Tensor, nn

from ..choices import PADDINGS, Padding
from .descriptor import ModelDescriptor


def run_padded(module: nn.Module, described: ModelDescriptor, image: Tensor, padding: Padding) -> Tensor:
    """module(image) with `padding`: (B, C, H, W) in the model's input range -> (B, C', H * scale, W * scale)."""
    if padding == "reflect":
        return module(image)
    if padding != "official":
        raise ValueError(f"unknown padding {padding!r}; choose one of {', '.join(PADDINGS)}")
    padded, top, left = described.official_padding(image)
    scale, (H, W) = described.scale, image.shape[-2:]
    return module(padded)[..., top * scale : (top + H) * scale, left * scale : (left + W) * scale]
