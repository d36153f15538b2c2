"""PnP-Nystra on rectangle windows (DAT's 8x32 and 32x8, EMT's stripes): grids, bias, masks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nystra_app.attention import WindowGeometry, exact_attention, grid_shape, nystrom_attention
from nystra_app.attention.geometry import valid_landmarks
from nystra_app.attention.positional import full_bias, landmark_bias
from nystra_app.models.windows import shift_regions

from .inputs import relative_error, well_conditioned

SCALE = 16**-0.5
RECTANGLES = [(8, 32), (32, 8), (4, 16)]


def mlp_bias(heads: int = 2) -> nn.Module:
    """A dynamic position bias like DAT's: an MLP over raw (row, column) offsets."""
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(2, 16), nn.LayerNorm(16), nn.ReLU(), nn.Linear(16, heads))


def shifted_regions(window: tuple[int, int]) -> torch.Tensor:
    """Region labels of the windows of a map two windows on each side, rolled by half a window."""
    h, w = window
    return shift_regions(2 * h, 2 * w, window, (h // 2, w // 2))


def test_grids_fit_rectangles_with_the_squarest_cells() -> None:
    assert grid_shape(16, 8, 32) == (2, 8) and WindowGeometry(8, 32, 16).cell == (4, 4)
    assert grid_shape(16, 32, 8) == (8, 2) and WindowGeometry(32, 8, 16).cell == (4, 4)
    assert WindowGeometry(8, 32, 32).cell == (2, 4)
    assert grid_shape(16, 32, 32) == grid_shape(16) == (4, 4)  # square windows keep their grid
    assert 256 in valid_landmarks(8, 32) and 3 not in valid_landmarks(8, 32)


@pytest.mark.parametrize("window", RECTANGLES)
def test_equals_exact_when_landmarks_are_the_tokens(window: tuple[int, int]) -> None:
    n = window[0] * window[1]
    q = well_conditioned(4, 2, n, 16)
    v = torch.randn(4, 2, n, 16)
    bias = mlp_bias()
    regions = shifted_regions(window)
    with torch.no_grad():
        exact = exact_attention(q, q, v, scale=SCALE, regions=regions,
                                bias=full_bias(bias, WindowGeometry(*window), q.device))
        approx = nystrom_attention(q, q, v, scale=SCALE, geometry=WindowGeometry(*window, n), iters=30,
                                   bias_fn=bias, regions=regions, guard=False).output
    assert relative_error(approx, exact) <= 1e-4


@pytest.mark.parametrize("window", RECTANGLES)
def test_landmark_bias_equals_the_bias_at_the_cell_centres(window: tuple[int, int]) -> None:
    geometry = WindowGeometry(*window, 16)
    bias = mlp_bias()
    with torch.no_grad():
        bias_l, bias_a, bias_u = landmark_bias(bias, geometry, torch.device("cpu"))
        tokens, cells = geometry.token_positions(), geometry.cell_centres()
        dense_l = bias(tokens[:, None] - cells[None]).permute(2, 0, 1)
        dense_a = bias(cells[:, None] - cells[None]).permute(2, 0, 1)
        dense_u = bias(cells[:, None] - tokens[None]).permute(2, 0, 1)
    # The cell centres lie where they should: the mean position of each cell's tokens.
    assert torch.allclose(geometry.cell_means(tokens), cells)
    for got, want in ((bias_l, dense_l), (bias_a, dense_a), (bias_u, dense_u)):
        assert torch.allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("window", RECTANGLES)
@pytest.mark.parametrize("local", [None, 4])
def test_shifted_window_masks_are_honoured(window: tuple[int, int], local: int | None) -> None:
    """A token's output does not move when values in the other regions of its window change."""
    n = window[0] * window[1]
    regions = shifted_regions(window)  # (4 windows, N)
    q, k = torch.randn(4, 2, n, 16) * 0.3, torch.randn(4, 2, n, 16) * 0.3
    v = torch.randn(4, 2, n, 16)
    geometry = WindowGeometry(*window, 16)
    last = regions[-1]  # the corner window holds four regions
    assert len(last.unique()) == 4
    changed = v.clone()
    changed[-1, :, last != last[0]] += 5.0
    run = lambda values: nystrom_attention(q, k, values, scale=SCALE, geometry=geometry, iters=6,  # noqa: E731
                                           bias_fn=mlp_bias(), regions=regions, local=local)
    with torch.no_grad():
        before, after = run(v).output, run(changed).output
    first_region = last == last[0]
    assert torch.allclose(before[-1, :, first_region], after[-1, :, first_region], atol=1e-5)
    assert not torch.allclose(before[-1, :, ~first_region], after[-1, :, ~first_region], atol=1e-2)


def test_cells_that_straddle_a_mask_region_are_refused() -> None:
    regions = shift_regions(16, 64, (8, 32), (4, 16))
    with pytest.raises(ValueError, match="straddle"):
        WindowGeometry(8, 32, 4).cell_labels(regions)  # 1x4 grid of 8x8 cells: across the 4-row band edge
