"""Pictures smaller than the model needs are padded (reflect, then repeat the edge) and cropped back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nystra_app.engine.small import crop_output, pad_to_min_side
from tests.corpus import pad_like_the_engine


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 40), (40, 5), (31, 32)])
def test_padding_reflects_then_repeats_the_edge(shape: tuple[int, int]) -> None:
    rgb = np.random.default_rng(0).random((*shape, 3), dtype=np.float32)
    padded = pad_to_min_side(torch.from_numpy(rgb.transpose(2, 0, 1).copy())[None], 32)
    assert padded.shape[-2:] == (max(32, shape[0]), max(32, shape[1]))
    assert np.array_equal(padded[0].permute(1, 2, 0).numpy(), pad_like_the_engine(rgb, 32))
    assert torch.equal(crop_output(padded, *shape, scale=1)[0].permute(1, 2, 0), torch.from_numpy(rgb))


def test_a_large_enough_picture_is_not_touched() -> None:
    batch = torch.rand(1, 3, 40, 33)
    assert pad_to_min_side(batch, 32) is batch
