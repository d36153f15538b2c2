"""The pixel budget reads each picture's header once and refuses a huge picture before decoding it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nystra_app.attention import EXACT
from nystra_app.engine import imageio, write_image
from nystra_app.engine.budget import OverBudget, PixelBudget, read_within_budget
from nystra_app.engine.imageio import open_picture


@pytest.fixture
def opened(monkeypatch) -> list:
    """The files Pillow opens, in order."""
    calls: list = []
    real_open = Image.open

    def counted(path, *args, **kwargs):
        calls.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counted)
    return calls


@pytest.mark.parametrize("name", ["a.jpg", "a.png"])
def test_a_header_is_read_once_on_the_way_through_the_budget(tmp_path, fake_model, opened, name):
    path = write_image(tmp_path / name, np.full((20, 30, 3), 0.5, np.float32))
    budget = PixelBudget(fake_model(), EXACT, None, "cpu", max_megapixels=1.0)
    picture, allowed = read_within_budget(open_picture(path), budget)
    assert picture.size == (30, 20) and allowed.megapixels == 1.0
    assert opened == [path]


def test_a_picture_over_the_budget_is_refused_before_it_is_decoded(tmp_path, fake_model, monkeypatch):
    path = write_image(tmp_path / "big.png", np.zeros((200, 300, 3), np.float32))
    decoded: list = []
    monkeypatch.setattr(imageio, "_decode", lambda *args: decoded.append(args))
    with pytest.raises(OverBudget, match="300x200"):
        read_within_budget(open_picture(path), PixelBudget(fake_model(), EXACT, None, "cpu", max_megapixels=0.05))
    assert decoded == []
