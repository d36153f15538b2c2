"""Where tokens and landmark cells sit inside a window, and which landmark grids fit it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

import torch
from torch import Tensor


def grid_shape(landmarks: int, height: int | None = None, width: int | None = None) -> tuple[int, int]:
    """The r x c grid of m landmark cells.

    Without a window: as square as possible with r <= c (16 -> 4x4, 32 -> 4x8). For a height x width
    window: of the grids that divide it, the one whose cells are closest to square (an 8x32 window with
    16 landmarks -> 2x8 cells of 4x4 tokens; a 32x8 one -> 8x2), ties going to the squarer grid with
    r <= c, so square windows get the grid they always had. Where none divides it, the squarest grid.
    """
    grids = [(r, landmarks // r) for r in range(1, landmarks + 1) if landmarks % r == 0]
    if height is not None and width is not None:
        fitting = [g for g in grids if _fits(g, height, width)]
        if fitting:
            return min(fitting, key=lambda g: (_elongation(height * g[1], width * g[0]), _elongation(*g), g[0] > g[1]))
    return min(grids, key=lambda g: (_elongation(*g), g[0] > g[1]))


def _elongation(a: int, b: int) -> Fraction:
    """How far a : b is from 1 : 1, either way (exact, so ties stay ties)."""
    return Fraction(max(a, b), min(a, b))


def valid_landmarks(height: int, width: int) -> list[int]:
    """Every m whose grid divides a height x width window into equal cells."""
    return [m for m in range(1, height * width + 1) if _fits(grid_shape(m, height, width), height, width)]


def _fits(grid: tuple[int, int], height: int, width: int) -> bool:
    r, c = grid
    return height % r == 0 and width % c == 0


@dataclass(frozen=True)
class WindowGeometry:
    """A height x width attention window split into a grid of equal landmark cells.

    A cell's landmark is the mean of its tokens (PnP-Nystra), or with `sampled` the token at its
    centre, which makes G_A a principal submatrix of G (classic column-sampling Nyström).
    """

    height: int
    width: int
    landmarks: int | None = None
    sampled: bool = False

    def __post_init__(self) -> None:
        if self.landmarks is not None and not _fits(self.grid, self.height, self.width):
            r, c = self.grid
            raise ValueError(
                f"{self.landmarks} landmarks need a {r}x{c} grid of cells, which does not divide "
                f"the {self.height}x{self.width} attention window; choose one of "
                f"{valid_landmarks(self.height, self.width)}"
            )

    @property
    def tokens(self) -> int:
        return self.height * self.width

    @cached_property
    def grid(self) -> tuple[int, int]:
        if self.landmarks is None:
            raise ValueError("this window geometry has no landmarks")
        return grid_shape(self.landmarks, self.height, self.width)

    @property
    def cell(self) -> tuple[int, int]:
        r, c = self.grid
        return self.height // r, self.width // c

    def token_positions(self, device: torch.device | None = None) -> Tensor:
        """(N, 2) row, column of every token, in window order (row-major)."""
        ys, xs = torch.meshgrid(
            torch.arange(self.height, device=device, dtype=torch.float32),
            torch.arange(self.width, device=device, dtype=torch.float32),
            indexing="ij",
        )
        return torch.stack([ys.flatten(), xs.flatten()], dim=-1)

    def cell_centres(self, device: torch.device | None = None) -> Tensor:
        """(m, 2) position of every landmark, row-major over the grid: the cell's centre, or the
        token nearest to it (below and right of it for even cells) when landmarks are sampled."""
        (r, c), (sh, sw) = self.grid, self.cell
        offset_y, offset_x = (sh // 2, sw // 2) if self.sampled else ((sh - 1) / 2, (sw - 1) / 2)
        ys = torch.arange(r, device=device, dtype=torch.float32) * sh + offset_y
        xs = torch.arange(c, device=device, dtype=torch.float32) * sw + offset_x
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        return torch.stack([gy.flatten(), gx.flatten()], dim=-1)

    def cell_means(self, x: Tensor) -> Tensor:
        """Each cell's landmark, the mean of its tokens or its sampled token: (..., N, d) -> (..., m, d).

        A (m, N) selection matrix times x: one batched matmul, faster than strided reductions.
        """
        return self.pooling_matrix(x.device, x.dtype) @ x

    def pooling_matrix(self, device: torch.device, dtype: torch.dtype) -> Tensor:
        """(m, N) matrix whose row c averages the tokens of cell c (or picks its sampled token).

        Every block asks for it twice per call on every tile; it depends only on the geometry.
        """
        return _pooling_matrix(self, device, dtype, torch.is_inference_mode_enabled())

    def cell_labels(self, labels: Tensor) -> Tensor:
        """Region label of each cell from per-token labels (..., N) -> (..., m).

        Cells must not straddle regions; a shift that is a multiple of the cell size guarantees it.
        """
        (r, c), (sh, sw) = self.grid, self.cell
        lead = labels.shape[:-1]
        grid = labels.reshape(*lead, r, sh, c, sw)
        first = grid[..., :, :1, :, :1]
        if not torch.equal(grid, first.expand_as(grid)):
            raise ValueError(
                f"landmark cells of {sh}x{sw} tokens straddle the shifted-window mask regions; "
                "choose landmarks whose cells divide the shift"
            )
        return first.reshape(*lead, r * c)


@dataclass(frozen=True)
class BlockOrder:
    """The tokens of a height x width window regrouped so that each local x local block is contiguous.

    A reshape and transpose, not a gather: on CPU the strided copy is several times faster than
    indexing with a permutation.
    """

    height: int
    width: int
    local: int

    def __post_init__(self) -> None:
        if self.height % self.local or self.width % self.local:
            raise ValueError(f"a local block of {self.local} tokens does not divide the "
                             f"{self.height}x{self.width} attention window")

    @property
    def blocks(self) -> int:
        return (self.height // self.local) * (self.width // self.local)

    def arrange(self, x: Tensor) -> Tensor:
        """(..., N, c) in window order -> (..., N, c) in block order."""
        lead, c, l = x.shape[:-2], x.shape[-1], self.local
        grid = x.reshape(*lead, self.height // l, l, self.width // l, l, c)
        return grid.transpose(-4, -3).reshape(x.shape)

    def restore(self, x: Tensor) -> Tensor:
        """(..., N, c) in block order -> (..., N, c) in window order."""
        lead, c, l = x.shape[:-2], x.shape[-1], self.local
        grid = x.reshape(*lead, self.height // l, self.width // l, l, l, c)
        return grid.transpose(-4, -3).reshape(x.shape)


@lru_cache(maxsize=64)
def _pooling_matrix(geometry: WindowGeometry, device: torch.device, dtype: torch.dtype, inference: bool) -> Tensor:
    """Keyed on inference mode too: a tensor made under it cannot be saved for autograd later."""
    (r, c), (sh, sw) = geometry.grid, geometry.cell
    pos = geometry.token_positions(device)
    if geometry.sampled:
        picked = (pos[None, :, :] == geometry.cell_centres(device)[:, None, :]).all(dim=-1)  # (m, N)
        return picked.to(dtype)
    pos = pos.long()
    cell_of_token = (pos[:, 0] // sh) * c + pos[:, 1] // sw  # (N,)
    cells = torch.arange(r * c, device=device)
    return (cells[:, None] == cell_of_token[None, :]).to(dtype) / (sh * sw)
