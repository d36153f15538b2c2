"""The pixel budget's answers for a question to the user (issue #13): which pictures of a batch are
above it (from their headers), the time of an A/B comparison, and what run_batch does with a picture
the user allowed or chose to skip. A slow "measured" speed keeps the pictures small."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from nystra_app.attention import EXACT
from nystra_app.engine import budget, write_image
from nystra_app.engine.batch import BatchOptions, FileEvent, run_batch
from nystra_app.engine.budget import PixelBudget, over_budget, runs_overage
from nystra_app.jobs import Cancelled
from nystra_app.models import LoadedModel

from .helpers import collect

SECONDS_PER_MP = 1e5  # budget: TIME_BUDGET_S / this = 0.006 MP


@pytest.fixture(autouse=True)
def _slow_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "FLOOR_MP", 0.001)
    monkeypatch.setattr(budget, "measure_seconds_per_megapixel", lambda *args: SECONDS_PER_MP)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_image(folder / "a.png", np.full((32, 32, 3), 0.5, np.float32))  # within the budget
    write_image(folder / "big.png", np.full((96, 128, 3), 0.5, np.float32))  # above it
    (folder / "notes.png").write_text("not a picture")  # no size in its header: left to the run
    return folder


def test_over_budget_finds_the_large_pictures_from_their_headers(tmp_path: Path, fake_model) -> None:
    folder = _folder(tmp_path)
    paths = sorted(folder.iterdir())
    large = over_budget(paths, PixelBudget(fake_model(), EXACT, None, "cpu"))
    assert list(large) == [folder / "big.png"]
    overage = large[folder / "big.png"]
    assert (overage.width, overage.height) == (128, 96)
    assert overage.seconds == pytest.approx(96 * 128 / 1e6 * SECONDS_PER_MP)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        over_budget(paths, PixelBudget(fake_model(), EXACT, None, "cpu"), cancel)


def test_an_ab_estimate_is_both_runs_together(fake_model) -> None:
    model: LoadedModel = fake_model()
    one = runs_overage(model, [(EXACT, None)], "cpu", "big.png", 128, 96)
    both = runs_overage(model, [(EXACT, None), (EXACT, None)], "cpu", "big.png", 128, 96)
    assert one is not None and both is not None and one.seconds is not None
    assert both.seconds == pytest.approx(2 * one.seconds) and both.budget == one.budget
    assert runs_overage(model, [(EXACT, None), (EXACT, None)], "cpu", "a.png", 32, 32) is None


@pytest.mark.parametrize("choice", ["default", "skip", "run anyway"])
def test_run_batch_fails_skips_or_runs_a_large_picture_as_told(tmp_path: Path, fake_model, choice: str) -> None:
    folder = _folder(tmp_path)
    large = {folder / "big.png"} if choice == "run anyway" else set()
    events, report = collect(run_batch(BatchOptions(folder, tmp_path / "out"), fake_model(), EXACT,
                                       run_anyway=large, skip_large=choice != "default"))
    big = [e for e in events if isinstance(e, FileEvent) and e.source.name == "big.png" and e.status != "started"][0]
    assert [p.name for p, _ in report.failures] == (["big.png", "notes.png"] if choice == "default" else ["notes.png"])
    if choice == "default":  # a script's run: the error names the option that allows it
        assert big.status == "failed" and "--max-megapixels" in big.message
    elif choice == "skip":  # the GUI's: skipped, saying why in plain words
        assert big.status == "skipped" and report.skipped == [folder / "big.png"]
        assert big.message.startswith("too large to restore without asking") and "--" not in big.message
    else:
        assert big.status == "written" and len(report.written) == 2
    assert len(report.written) == (2 if choice == "run anyway" else 1)
