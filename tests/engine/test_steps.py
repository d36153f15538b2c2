"""Progress and cancel inside one tile (the forward-pass hooks of engine.steps)."""

import threading

import numpy as np
import pytest

from nystra_app.attention import EXACT
from nystra_app.engine import Cancelled, Picture, restore_picture, run_to_end
from nystra_app.engine import steps


def _picture(h: int = 64, w: int = 64) -> Picture:
    return Picture(np.random.default_rng(0).random((h, w, 3), dtype=np.float32))


def test_progress_moves_inside_a_single_tile(tiny_model, monkeypatch):
    monkeypatch.setattr(steps, "REPORT_INTERVAL", 0.0)
    reports: list[steps.StepProgress] = []
    result = run_to_end(restore_picture(_picture(), tiny_model, EXACT, on_step=reports.append))
    assert result.tiles == 1 and len(reports) > 10
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.2 and 0.8 < fractions[-1] < 1
    assert {r.tile for r in reports} == {1}


def test_second_tile_is_counted_from_zero(tiny_model, monkeypatch):
    monkeypatch.setattr(steps, "REPORT_INTERVAL", 0.0)
    reports: list[steps.StepProgress] = []
    run_to_end(restore_picture(_picture(150, 140), tiny_model, EXACT, tile=64, on_step=reports.append))
    second = [r.fraction for r in reports if r.tile == 2]
    assert second and second[0] < 0.2 and max(second) < 1


def test_cancel_inside_a_tile_stops_the_forward_pass_and_removes_the_hooks(tiny_model):
    cancel = threading.Event()
    seen: list[float] = []

    def report(event: steps.StepProgress) -> None:
        seen.append(event.fraction)
        cancel.set()  # the user pressed Cancel while this tile was half done

    with pytest.raises(Cancelled):
        run_to_end(restore_picture(_picture(), tiny_model, EXACT, cancel=cancel, on_step=report))
    assert len(seen) == 1
    module = tiny_model.module
    assert all(not m._forward_pre_hooks for m in module.modules())
    run_to_end(restore_picture(_picture(), tiny_model, EXACT))  # the model still runs afterwards
