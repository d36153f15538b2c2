"""Error maps and the batch loop, without Qt."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nystra_app.attention import EXACT
from nystra_app.engine import read_image, run_to_end, write_image
from nystra_app.engine.batch import (
    BatchOptions,
    FileEvent,
    check_template,
    output_path,
    run_batch,
)
from nystra_app.engine.compare import error_map, heat_map, to_display
from nystra_app.errors import NystraError


def test_error_map_of_identical_pictures_is_black_with_infinite_psnr() -> None:
    a = np.random.default_rng(0).random((8, 9, 3), dtype=np.float32)
    result = error_map(a, a.copy())
    assert result.heat.shape == (8, 9, 3) and result.heat.dtype == np.uint8
    assert result.heat.max() == 0 and math.isinf(result.psnr) and result.max_error == 0


def test_error_map_shows_where_pictures_differ() -> None:
    a = np.zeros((10, 10, 3), np.float32)
    b = a.copy()
    b[2, 3] = 0.5
    result = error_map(a, b)
    assert result.heat[2, 3].sum() > 0 and result.heat[0, 0].sum() == 0
    assert result.max_error == pytest.approx(0.5)
    assert 20 < result.psnr < 60


def test_heat_map_ceiling_saturates_to_white_and_display_expands_gray() -> None:
    assert heat_map(np.array([[0.0, 1.0]]), ceiling=0.5)[0, 1].tolist() == [255, 255, 255]
    assert to_display(np.full((2, 2, 1), 0.5, np.float32)).shape == (2, 2, 3)


def test_template_must_name_the_stem_and_known_fields() -> None:
    with pytest.raises(NystraError, match="stem"):
        check_template("{model}")
    with pytest.raises(NystraError, match="unknown"):
        check_template("{stem}_{colour}")


def test_output_path_mirrors_subfolders(tmp_path: Path) -> None:
    options = BatchOptions(tmp_path / "in", tmp_path / "out", recursive=True, format="jpg")
    assert output_path(tmp_path / "in" / "a" / "x.png", options, "m", "fast") == tmp_path / "out" / "a" / "x_m_fast.jpg"


def test_batch_records_a_bad_file_and_goes_on(tmp_path: Path, fake_model) -> None:
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    write_image(source / "a.png", np.full((16, 16, 3), 0.25, np.float32))
    write_image(source / "sub" / "b.png", np.full((16, 16, 3), 0.75, np.float32))
    (source / "bad.png").write_bytes(b"not a picture")
    options = BatchOptions(source, tmp_path / "out", recursive=True)
    events: list[object] = []
    report = run_to_end(run_batch(options, fake_model(), EXACT), events.append)
    assert [f.name for f, _ in report.failures] == ["bad.png"]
    assert sorted(p.name for p in report.written) == ["a_dehazeformer-t-indoor_exact.png", "b_dehazeformer-t-indoor_exact.png"]
    assert (tmp_path / "out" / "sub" / "b_dehazeformer-t-indoor_exact.png").is_file()
    assert any(isinstance(e, FileEvent) and e.status == "failed" for e in events)
    again = run_to_end(run_batch(options, fake_model(), EXACT))
    assert len(again.skipped) == 2 and not again.written


def test_a_batch_looks_each_input_up_once_not_once_per_output(tmp_path: Path, fake_model, monkeypatch) -> None:
    from collections import Counter

    from nystra_app.engine import outputs

    source = tmp_path / "in"
    source.mkdir()
    inputs = [write_image(source / f"{i}.png", np.full((16, 16, 3), i / 8, np.float32)) for i in range(5)]
    looked_up: Counter = Counter()
    real_resolved = outputs.resolved
    monkeypatch.setattr(outputs, "resolved", lambda path: looked_up.update([Path(path)]) or real_resolved(path))
    report = run_to_end(run_batch(BatchOptions(source, tmp_path / "out"), fake_model(), EXACT))
    assert len(report.written) == 5
    assert {path: looked_up[path] for path in inputs} == {path: 1 for path in inputs}  # was 5 each: once per write


def test_an_output_that_is_an_input_under_another_name_is_refused(tmp_path: Path) -> None:
    from nystra_app.engine.imageio import ImageError
    from nystra_app.engine.outputs import InputFiles

    source = write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.float32))
    (tmp_path / "link.png").hardlink_to(source)
    protect = InputFiles([source])
    with pytest.raises(ImageError, match="refusing to write over an input"):
        write_image(tmp_path / "link.png", np.ones((4, 4, 3), np.float32), protect=protect)
    with pytest.raises(ImageError, match="refusing to write over an input"):
        write_image(tmp_path / "x" / ".." / "a.png", np.ones((4, 4, 3), np.float32), protect=protect)
    assert write_image(tmp_path / "b.png", np.ones((4, 4, 3), np.float32), protect=protect).is_file()
    assert np.array_equal(read_image(source).rgb, np.zeros((4, 4, 3), np.float32))
