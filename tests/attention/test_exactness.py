"""PnP-Nystra against exact attention: exactness, convergence in m, stability, independence."""

from __future__ import annotations

import pytest
import torch

from nystra_app.attention import (
    WindowGeometry,
    exact_attention,
    iterative_pinv,
    nystrom_attention,
)

from .inputs import relative_error, smooth_tokens, well_conditioned

SCALE = 16**-0.5


def nystrom(q, k, v, window: int, m: int, iters: int = 20, **kw):
    return nystrom_attention(q, k, v, scale=SCALE, geometry=WindowGeometry(window, window, m), iters=iters, **kw)


def test_equals_exact_when_landmarks_are_the_tokens() -> None:
    q = well_conditioned(3, 2, 64, 16)
    v = torch.randn(3, 2, 64, 16)
    exact = exact_attention(q, q, v, scale=SCALE)
    approx = nystrom(q, q, v, window=8, m=64, guard=False).output
    assert relative_error(approx, exact) <= 1e-4


def test_truncated_svd_solve_equals_exact_when_landmarks_are_the_tokens() -> None:
    q = well_conditioned(3, 2, 64, 16)
    v = torch.randn(3, 2, 64, 16)
    exact = exact_attention(q, q, v, scale=SCALE)
    approx = nystrom(q, q, v, window=8, m=64, solve="svd", guard=False).output
    assert relative_error(approx, exact) <= 1e-4
    few_steps = nystrom(q, q, v, window=8, m=64, iters=1, guard=False).output
    assert relative_error(few_steps, exact) > 1e-3  # the solve, not the iterations, made it exact


def test_error_falls_as_landmarks_grow_on_smooth_inputs() -> None:
    q, k, v = (smooth_tokens(4, 2, 16, 16) for _ in range(3))
    exact = exact_attention(q, k, v, scale=SCALE)
    errors = [relative_error(nystrom(q, k, v, 16, m).output, exact) for m in (1, 4, 16)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01


@pytest.mark.parametrize("magnitude", [50.0, 200.0])
def test_no_nan_or_inf_for_huge_logits(magnitude: float) -> None:
    q = torch.randn(2, 2, 64, 16)
    k = torch.randn(2, 2, 64, 16)
    q = q / q.abs().amax() * (magnitude / SCALE / 16) ** 0.5 * 4
    k = k / k.abs().amax() * (magnitude / SCALE / 16) ** 0.5 * 4
    logits = (q @ k.transpose(-2, -1)) * SCALE
    assert logits.abs().max() > magnitude / 4
    v = torch.randn(2, 2, 64, 8)
    result = nystrom(q, k, v, 8, 16, iters=6)
    assert torch.isfinite(result.output).all()
    exact = exact_attention(q, k, v, scale=SCALE)
    assert torch.isfinite(exact).all()


def test_guarded_output_stays_inside_the_range_of_v() -> None:
    # Rough features and a rough, position-dependent bias are far from low rank: plain Nyström
    # leaves V's range there, and the guard must bring every output back inside it.
    q, k = torch.randn(4, 2, 64, 16) * 2, torch.randn(4, 2, 64, 16) * 2
    v = torch.randn(4, 2, 64, 16)

    def local_bias(offsets: torch.Tensor) -> torch.Tensor:
        return (-offsets.norm(dim=-1, keepdim=True) + 2 * torch.sin(3 * offsets[:, :1])).expand(-1, 2)

    plain = nystrom(q, k, v, 8, 16, iters=6, bias_fn=local_bias, guard=False).output
    guarded = nystrom(q, k, v, 8, 16, iters=6, bias_fn=local_bias, guard=True)
    low, high = v.amin(dim=-2, keepdim=True), v.amax(dim=-2, keepdim=True)
    plain_outside = ~torch.isfinite(plain) | (plain < low - 1e-5) | (plain > high + 1e-5)
    assert plain_outside.any(), "fixture should break plain Nyström"
    assert guarded.fallback > 0
    assert ((guarded.output >= low - 1e-6) & (guarded.output <= high + 1e-6)).all()


def test_a_window_does_not_depend_on_the_other_windows() -> None:
    q, k, v = (smooth_tokens(4, 2, 8, 16) for _ in range(3))
    alone = nystrom(q[:1], k[:1], v[:1], 8, 16, iters=6).output
    # Other windows with wildly different magnitudes must not change window 0.
    q2, k2 = q.clone(), k.clone()
    q2[1:] *= 8
    k2[1:] *= 8
    together = nystrom(q2, k2, v, 8, 16, iters=6).output[:1]
    assert torch.allclose(alone, together, atol=1e-6)


def test_bias_is_honoured_and_exact_at_full_landmarks() -> None:
    q = well_conditioned(2, 2, 64, 16)
    v = torch.randn(2, 2, 64, 16)

    def bias(offsets: torch.Tensor) -> torch.Tensor:
        return torch.stack([0.3 * offsets[:, 0], -0.2 * offsets[:, 1].abs()], dim=-1)

    from nystra_app.attention.positional import full_bias

    exact = exact_attention(q, q, v, scale=SCALE, bias=full_bias(bias, WindowGeometry(8, 8), q.device))
    without_bias = exact_attention(q, q, v, scale=SCALE)
    approx = nystrom(q, q, v, 8, 64, bias_fn=bias, guard=False).output
    assert relative_error(approx, exact) <= 1e-4
    assert relative_error(without_bias, exact) > 1e-2  # the bias matters in this fixture


def test_shifted_window_mask_is_honoured() -> None:
    # Two windows of a 4-region layout (labels as a shift of half the window produces).
    window = 8
    labels = torch.zeros(2, window, window, dtype=torch.long)
    labels[1, window // 2 :, :] += 1
    labels[1, :, window // 2 :] += 2
    regions = labels.flatten(1)
    q = well_conditioned(2 * 2, 2, 64, 16)  # batch 2 x 2 windows
    v = torch.randn(4, 2, 64, 16)
    exact = exact_attention(q, q, v, scale=SCALE, regions=regions)
    unmasked = exact_attention(q, q, v, scale=SCALE)
    approx = nystrom(q, q, v, window, 64, regions=regions, guard=False).output
    assert relative_error(approx, exact) <= 1e-4
    assert relative_error(unmasked, exact) > 1e-2
    # With 2x2 cells the mask still holds exactly: no token mixes across regions.
    coarse = nystrom(q, q, v, window, 16, regions=regions, iters=6).output
    assert torch.isfinite(coarse).all()


def test_landmarks_that_do_not_fit_the_window_are_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"does not divide the 8x8 attention window; choose one of \[1, 2, 4, 8, 16, 32, 64\]"):
        WindowGeometry(8, 8, 12)


def test_iterative_pinv_converges_to_the_inverse() -> None:
    a = torch.eye(6) * 3 + 0.1 * torch.rand(6, 6)
    z = iterative_pinv(a[None], 20)[0]
    assert torch.allclose(z @ a, torch.eye(6), atol=1e-5)


def test_local_correction_makes_the_near_field_exact() -> None:
    from nystra_app.attention.positional import full_bias

    q, k, v = (smooth_tokens(4, 2, 16, 16, amplitude=2.0) for _ in range(3))

    def sharp(offsets: torch.Tensor) -> torch.Tensor:  # attention as local as DehazeFormer's
        return (-2.0 * offsets.norm(dim=-1, keepdim=True)).expand(-1, 2)

    exact = exact_attention(q, k, v, scale=SCALE, bias=full_bias(sharp, WindowGeometry(16, 16), q.device))
    errors = {
        local: relative_error(nystrom(q, k, v, 16, 16, iters=6, bias_fn=sharp, local=local).output, exact)
        for local in (None, 8, 16)
    }
    assert errors[8] < errors[None] / 4
    assert errors[16] <= 1e-5  # the block is the whole window: exact


def test_local_plus_far_field_equals_its_dense_definition() -> None:
    """Exact kernel on pairs in the same 4x4 block, G_L G_A^+ G_U elsewhere, shifted-window mask included."""
    from nystra_app.attention.nystrom import landmark_logits
    from nystra_app.attention.positional import full_bias

    torch.manual_seed(0)
    window, local, m = 8, 4, 16
    labels = torch.zeros(2, window, window, dtype=torch.long)
    labels[1, 6:, :] += 1
    labels[1, :, 2:] += 2  # regions on landmark cells (2x2) that cut through local blocks (4x4)
    regions = labels.flatten(1)
    q, k, v = (smooth_tokens(2, 2, window, 8, amplitude=1.5).double() for _ in range(3))

    def bias(offsets: torch.Tensor) -> torch.Tensor:
        return torch.stack([-0.5 * offsets.norm(dim=-1), 0.2 * offsets[:, 0]], dim=-1).double()

    geometry = WindowGeometry(window, window, m)
    logits_l, logits_a, logits_u = landmark_logits(q, k, scale=SCALE, geometry=geometry, bias_fn=bias, regions=regions)
    approx_kernel = logits_l.exp() @ iterative_pinv(logits_a.exp(), 6) @ logits_u.exp()
    mask = torch.where(regions[:, :, None] == regions[:, None, :], 0.0, float("-inf")).double()
    exact_kernel = ((q @ k.transpose(-2, -1)) * SCALE + full_bias(bias, WindowGeometry(window, window), q.device)
                    + mask[:, None]).exp()
    token = torch.arange(window * window)
    block = (token // window // local) * (window // local) + (token % window) // local
    near = block[:, None] == block[None, :]
    kernel = torch.where(near, exact_kernel, approx_kernel)
    expected = (kernel @ v) / kernel.sum(dim=-1, keepdim=True)

    got = nystrom(q, k, v, window, m, iters=6, bias_fn=bias, regions=regions, local=local, guard=False).output
    assert relative_error(got, expected) <= 1e-9
    plain = nystrom(q, k, v, window, m, iters=6, bias_fn=bias, regions=regions, guard=False).output
    assert relative_error(plain, expected) > 1e-3  # the near field made a difference


def test_local_plus_far_field_does_not_overflow_when_the_near_field_dominates() -> None:
    q, k, v = (torch.randn(2, 2, 64, 16) for _ in range(3))

    def spike(offsets: torch.Tensor) -> torch.Tensor:  # self-attention logits far beyond exp's range
        return torch.where(offsets.norm(dim=-1, keepdim=True) == 0, 200.0, 0.0).expand(-1, 2)

    out = nystrom(q, k, v, 8, 16, iters=6, bias_fn=spike, local=4).output
    assert torch.allclose(out, v, atol=1e-4)  # every token attends to itself only


def test_exact_attention_in_chunks_equals_one_pass(monkeypatch) -> None:
    import nystra_app.attention.exact as exact_module

    labels = torch.zeros(3, 8, 8, dtype=torch.long)
    labels[1, 4:, :] = 1
    labels[2, :, 4:] = 2
    regions = labels.flatten(1)
    q, k, v = (torch.randn(2 * 3, 2, 64, 16) for _ in range(3))  # 2 pictures x 3 windows
    bias = torch.randn(2, 64, 64)
    whole = exact_attention(q, k, v, scale=SCALE, bias=bias, regions=regions)
    monkeypatch.setattr(exact_module, "CHUNK_BYTES", 2 * 64 * 64 * 4 * 2)  # two windows at a time
    chunked = exact_attention(q, k, v, scale=SCALE, bias=bias, regions=regions)
    assert torch.allclose(whole, chunked, atol=1e-6)


@pytest.mark.parametrize("impl", ["sdpa", "matmul"])
def test_shifted_windows_grouped_by_mask_pattern_equal_a_dense_reference(impl) -> None:
    """Windows inside one region, two seam patterns (one with other label values), a four-region
    corner; two pictures in the batch; a per-head bias: each equals softmax with its own mask."""
    labels = torch.zeros(5, 8, 8, dtype=torch.long)
    labels[1, 4:, :] = 1
    labels[2, 4:, :] += 7  # the same pattern as window 1 with other labels
    labels[2] += 3
    labels[3, :, 6:] = 2
    labels[4, 4:, :] += 1
    labels[4, :, 6:] += 2
    regions = labels.flatten(1)
    q, k, v = (torch.randn(2 * 5, 2, 64, 16, dtype=torch.float64) for _ in range(3))
    bias = torch.randn(2, 64, 64, dtype=torch.float64)
    got = exact_attention(q, k, v, scale=SCALE, bias=bias, regions=regions, impl=impl)
    same = regions.repeat(2, 1)[:, :, None] == regions.repeat(2, 1)[:, None, :]  # (10, 64, 64)
    logits = (q @ k.transpose(-2, -1)) * SCALE + bias
    want = torch.softmax(logits.masked_fill(~same[:, None], float("-inf")), dim=-1) @ v
    assert torch.allclose(got, want, atol=1e-10)
