"""Our SwinIR reproduces the published Set5 PSNR when a user's real checkpoint is at hand."""

from __future__ import annotations

import pytest

from nystra_app.attention import EXACT
from nystra_app.engine import pair_folders, run_to_end
from nystra_app.engine.evaluate import evaluate
from nystra_app.manager import load_model
from nystra_app.models import CheckpointError

PUBLISHED_Y_PSNR = {"swinir-m-x2": (2, 38.35)}  # SwinIR paper, Table: classical SR, Set5


@pytest.mark.parametrize("model_id", sorted(PUBLISHED_Y_PSNR))
def test_set5_matches_the_published_psnr(shared, model_id: str) -> None:
    scale, published = PUBLISHED_Y_PSNR[model_id]
    try:
        model = load_model(model_id)
    except CheckpointError as missing:
        pytest.skip(f"no real {model_id} checkpoint installed or in NYSTRA_MODEL_MIRROR ({missing})")
    set5 = shared / "testimages" / "Set5"
    pairs = pair_folders(set5 / "LR_bicubic" / f"X{scale}", set5 / "HR")
    result = run_to_end(evaluate(model, pairs, EXACT, window=None))
    assert abs(result.mean()["exact_psnr"] - published) <= 0.05
