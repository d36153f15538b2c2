"""Pictures smaller than a model needs: padded up to its minimum side, the output cropped back.

A 1x1 or 4000x8 picture used to end in a traceback deep in a reflect-padded convolution. Here the
picture is extended at its bottom and right edges before the model sees it: by reflection as far
as the picture allows (it keeps texture statistics, as the models' own padding does), then by
repeating the edge where reflection cannot reach (a side of 1 px, or a pad longer than the side).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def pad_to_min_side(batch: Tensor, min_side: int) -> Tensor:
    """(B, C, H, W) extended to at least min_side x min_side; unchanged when it is large enough."""
    H, W = batch.shape[-2:]
    pad_h, pad_w = max(0, min_side - H), max(0, min_side - W)
    if not (pad_h or pad_w):
        return batch
    reflect_h, reflect_w = min(pad_h, H - 1), min(pad_w, W - 1)
    if reflect_h or reflect_w:
        batch = F.pad(batch, (0, reflect_w, 0, reflect_h), mode="reflect")
    rest_h, rest_w = pad_h - reflect_h, pad_w - reflect_w
    if rest_h or rest_w:
        batch = F.pad(batch, (0, rest_w, 0, rest_h), mode="replicate")
    return batch


def crop_output(output: Tensor, height: int, width: int, scale: int) -> Tensor:
    """The part of a padded picture's output that belongs to the original height x width."""
    return output[..., : height * scale, : width * scale]
