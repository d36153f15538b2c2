"""Our SwinIR and DAT-light reproduce the published Set5 PSNR when the real checkpoint is at hand: installed,
in NYSTRA_MODEL_MIRROR, or in ../shared/weights."""

from __future__ import annotations

import pytest

from nystra_app.attention import EXACT
from nystra_app.engine import pair_folders, run_to_end
from nystra_app.engine.evaluate import evaluate
from nystra_app.manager import ManagerSettings, load_model
from nystra_app.models import CheckpointError

PUBLISHED_Y_PSNR = {
    "swinir-m-x2": (2, 38.35),  # SwinIR paper, Table: classical SR, Set5
    # DAT repository figs/Table-3.png (lightweight SR), the DAT-light rows, Set5
    "dat-light-x2": (2, 38.24),
    "dat-light-x3": (3, 34.76),
    "dat-light-x4": (4, 32.57),
}
SLOW = {"dat-light-x2", "dat-light-x3", "dat-light-x4"}  # about a minute each on 2 cores


@pytest.mark.parametrize("model_id", [pytest.param(m, marks=[pytest.mark.slow] if m in SLOW else [])
                                      for m in sorted(PUBLISHED_Y_PSNR)])
def test_set5_matches_the_published_psnr(shared, model_id: str) -> None:
    scale, published = PUBLISHED_Y_PSNR[model_id]
    try:
        model = load_model(model_id, settings=ManagerSettings(mirror=str(shared / "weights")))
    except CheckpointError as missing:
        pytest.skip(f"no real {model_id} checkpoint installed, in NYSTRA_MODEL_MIRROR or in ../shared/weights ({missing})")
    set5 = shared / "testimages" / "Set5"
    pairs = pair_folders(set5 / "LR_bicubic" / f"X{scale}", set5 / "HR")
    result = run_to_end(evaluate(model, pairs, EXACT, window=None))
    assert abs(result.mean()["exact_psnr"] - published) <= 0.05
