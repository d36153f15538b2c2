"""How a picture is padded to the sizes a model needs: ours, or as the official test scripts do.

"reflect" (the default for photos) is each model's own padding: reflection at the bottom and right
up to the multiple its windows need, cropped back after. "official" reproduces each official test
script's preprocessing, so published numbers can be reproduced: SwinIR mirrors past the next
multiple of the window (a whole extra window when the side is already one), Uformer centres the
picture in a zero square, DehazeFormer's test adds nothing to its model's own reflection. A model
says how with `official_test_padding(image) -> (padded, top, left)`.
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

Padding = Literal["reflect", "official"]
PADDINGS: tuple[Padding, ...] = ("reflect", "official")


def run_padded(module: nn.Module, image: Tensor, padding: Padding) -> Tensor:
    """module(image) with `padding`: (B, C, H, W) -> (B, C', H * scale, W * scale)."""
    if padding == "reflect":
        return module(image)
    if padding != "official":
        raise ValueError(f"unknown padding {padding!r}; choose one of {', '.join(PADDINGS)}")
    official = getattr(module, "official_test_padding", None)
    if official is None:  # a model whose official test adds nothing to its own padding need not say so
        return module(image)
    padded, top, left = official(image)
    scale = int(getattr(module, "scale", 1))
    H, W = image.shape[-2:]
    return module(padded)[..., top * scale : (top + H) * scale, left * scale : (left + W) * scale]
