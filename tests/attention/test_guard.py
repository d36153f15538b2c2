"""The guard's exact fallback: the rows it recomputes equal exact attention, and only those change."""

from __future__ import annotations

import torch

import nystra_app.attention.guard as guard_module
from nystra_app.attention import WindowGeometry, exact_attention
from nystra_app.attention.guard import ExactFallback, guarded
from nystra_app.attention.positional import full_bias

SCALE = 8**-0.5


def bias(offsets: torch.Tensor) -> torch.Tensor:
    return torch.stack([-0.4 * offsets.norm(dim=-1), 0.3 * offsets[:, 1]], dim=-1)


def fixture() -> tuple[torch.Tensor, ...]:
    torch.manual_seed(1)
    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    labels[1, 4:, :] += 1
    labels[1, :, 4:] += 2
    q, k, v = (torch.randn(2 * 2, 2, 64, 8) for _ in range(3))  # 2 pictures x 2 windows, 2 heads
    return q, k, v, labels.flatten(1)


def test_recomputed_rows_equal_exact_attention(monkeypatch) -> None:
    q, k, v, regions = fixture()
    exact = exact_attention(q, k, v, scale=SCALE, bias=full_bias(bias, WindowGeometry(8, 8), q.device), regions=regions)
    fallback = ExactFallback(q, k, v, scale=SCALE, window=(8, 8), bias_fn=bias, regions=regions)
    b_idx = torch.tensor([0, 3, 3, 1, 3, 2, 0])
    h_idx = torch.tensor([1, 0, 0, 1, 1, 0, 1])
    n_idx = torch.tensor([5, 63, 0, 17, 40, 9, 6])
    expected = exact[b_idx, h_idx, n_idx]
    assert torch.allclose(fallback.rows(b_idx, h_idx, n_idx), expected, atol=1e-5)
    monkeypatch.setattr(guard_module, "ROWS_PER_CHUNK", 64)  # one (window, head) pair per chunk
    assert torch.allclose(fallback.rows(b_idx, h_idx, n_idx), expected, atol=1e-5)


def test_only_unsafe_rows_are_recomputed() -> None:
    q, k, v, regions = fixture()
    exact = exact_attention(q, k, v, scale=SCALE, bias=full_bias(bias, WindowGeometry(8, 8), q.device), regions=regions)
    fallback = ExactFallback(q, k, v, scale=SCALE, window=(8, 8), bias_fn=bias, regions=regions)
    numerator = exact.clone()
    denominator = torch.ones(*exact.shape[:-1], 1)
    denominator[1, 0, 3] = -0.5  # a negative denominator
    numerator[1, 0, 3] = 0.123
    numerator[2, 1, 7] = 1e3  # an output far outside V's range
    result = guarded(numerator, denominator, denominator.abs(), v, fallback)
    assert result.fallback == 2
    assert torch.allclose(result.output, exact, atol=1e-5)


def test_row_bias_without_the_full_matrix_equals_its_rows(monkeypatch) -> None:
    import nystra_app.attention.positional as positional

    geometry = WindowGeometry(8, 8)
    heads, rows = torch.tensor([1, 0]), torch.tensor([[0, 9, 63], [5, 5, 40]])
    full = positional.full_bias(bias, geometry, torch.device("cpu"))
    monkeypatch.setattr(positional, "FULL_CACHE_ELEMENTS", 16)  # as if the window were too large to keep
    assert torch.equal(positional.row_bias(bias, geometry, torch.device("cpu"), heads, rows),
                       full[heads[:, None], rows])
