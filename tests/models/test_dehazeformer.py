"""Our DehazeFormer against the official layouts and the real checkpoint."""

from __future__ import annotations

import pytest
import torch

from nystra_app.attention import AttentionSpec
from nystra_app.manager import load_model
from nystra_app.models import (
    CheckpointError,
    collect_stats,
    configure_attention,
    load_strict,
)
from nystra_app.models.dehazeformer import VARIANTS, DehazeFormer, DehazeFormerConfig

from .layouts import official_shapes, official_state_dict

TINY = DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(1, 2, 2, 1, 1), num_heads=(1, 2, 2, 1, 1))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_state_dict_matches_the_official_layout(variant: str) -> None:
    model = DehazeFormer(VARIANTS[variant])
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours == official_shapes(f"dehazeformer-{variant}")


def test_official_layout_loads_strictly_and_runs() -> None:
    model = DehazeFormer(VARIANTS["t"]).eval()
    load_strict(model, official_state_dict("dehazeformer-t"))
    with torch.inference_mode():
        out = model(torch.rand(1, 3, 20, 28))
    assert out.shape == (1, 3, 20, 28) and torch.isfinite(out).all()


def test_a_wrong_shape_is_refused_naming_the_key() -> None:
    state = official_state_dict("dehazeformer-t")
    state["layer3.blocks.0.attn.QK.weight"] = torch.zeros(1, 96, 1, 1)
    with pytest.raises(CheckpointError, match=r"layer3\.blocks\.0\.attn\.QK\.weight: file \(1, 96, 1, 1\)"):
        load_strict(DehazeFormer(VARIANTS["t"]), state)


def test_switch_changes_attention_without_reloading() -> None:
    model = DehazeFormer(TINY).eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        exact = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=64, iters=40, guard=False))
        full_rank = model(x)
        configure_attention(model, AttentionSpec("nystrom", landmarks=4, iters=6))
        coarse = model(x)
        configure_attention(model, AttentionSpec("exact"), window=16)
        wide = model(x)
        configure_attention(model, AttentionSpec("exact"))
        back = model(x)
    assert torch.allclose(full_rank, exact, atol=1e-3)
    assert not torch.allclose(coarse, exact, atol=1e-3) and torch.isfinite(coarse).all()
    assert not torch.allclose(wide, exact, atol=1e-4)
    assert torch.equal(back, exact)


def test_landmarks_that_do_not_fit_are_refused_before_anything_changes() -> None:
    model = DehazeFormer(TINY)
    with pytest.raises(ValueError, match="choose one of"):
        configure_attention(model, AttentionSpec("nystrom", landmarks=12), window=8)
    assert all(m.spec.kind == "exact" for m in model.modules() if hasattr(m, "spec"))


@pytest.mark.shared
def test_real_checkpoint_dehazes_the_sots_pair(shared) -> None:
    import cv2
    import numpy as np

    def read(path):
        rgb = cv2.imread(str(path))[:, :, ::-1].astype(np.float32) / 255
        return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None]

    loaded = load_model("dehazeformer-t-indoor", shared / "weights" / "dehazeformer-t_indoor_ITS.pth")
    hazy = read(shared / "testimages/dehaze/SOTS-indoor/hazy/1438_10.png")
    clear = read(shared / "testimages/dehaze/SOTS-indoor/GT/1438.png")

    def psnr(spec: AttentionSpec) -> float:
        configure_attention(loaded.module, spec)
        with torch.inference_mode():
            out = (loaded.module(hazy).clamp(0, 1) * 255).round() / 255
        assert torch.isfinite(out).all()
        return float(10 * torch.log10(1 / ((out - clear) ** 2).mean()))

    assert psnr(AttentionSpec("exact")) >= 36.0
    collect_stats(loaded.module, reset=True)
    # Plain Nyström breaks this model (sharply local attention); the guard must keep it close.
    assert psnr(AttentionSpec("nystrom", landmarks=16, iters=6)) >= 35.5
    assert collect_stats(loaded.module).fallback > 0


def test_loading_new_weights_never_reuses_a_cached_bias() -> None:
    model = DehazeFormer(TINY).eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        before = model(x)
    state = {k: v + 0.05 if k.endswith("meta.2.bias") else v for k, v in model.state_dict().items()}
    fresh = DehazeFormer(TINY).eval()
    fresh.load_state_dict(state)
    model.load_state_dict(state)
    with torch.inference_mode():
        after, expected = model(x), fresh(x)
    assert not torch.allclose(before, after)
    assert torch.equal(after, expected)
