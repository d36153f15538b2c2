"""run_batch (the GUI's batch) over the issue #13 corpus: every picture isolated, nothing stops the batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nystra_app.attention import EXACT
from nystra_app.engine import read_image, write_image
from nystra_app.engine.batch import BatchOptions, FileEvent, run_batch
from nystra_app.errors import NystraError
from nystra_app.models import LoadedModel
from tests.corpus import AWKWARD, BAD, one_thread, snapshot

from .conftest import fake_model as pointwise_model
from .helpers import collect

MODEL = "dehazeformer-t-indoor"


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():
        yield


def test_one_batch_over_the_whole_corpus_writes_every_good_picture(tmp_path: Path, tiny_model: LoadedModel,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    folder = tmp_path / "in"
    first = write_image(folder / "0_good_first.png", np.random.default_rng(1).random((40, 36, 3), dtype=np.float32))
    for case in BAD + AWKWARD:
        (folder / case.name).mkdir(parents=True)
        case.build(folder / case.name)
    twin_png = write_image(folder / "twin.png", np.full((20, 20, 3), 0.25, np.float32))
    twin_jpg = write_image(folder / "twin.jpg", np.full((20, 20, 3), 0.75, np.float32))  # same output name as PNG
    last = write_image(folder / "zzz_good_last.png", np.random.default_rng(2).random((36, 40, 3), dtype=np.float32))
    before = snapshot(folder)
    options = BatchOptions(folder, tmp_path / "out", recursive=True, format="png")
    events, report = collect(run_batch(options, tiny_model, EXACT))
    files = [e for e in events if isinstance(e, FileEvent)]
    assert files[1].source == first and files[-1].source == last
    failed = {Path(e.source).name for e in files if e.status == "failed"}
    # every bad file the folder walk finds (an image suffix, a file or a link) fails alone
    assert failed == {"empty.png", "truncated.png", "notes.png", "page.jpg", "noise.jpg", "stub.gif", "bitflip.png",
                      "bomb.png", "wide.png", "float.tif", "int32.tif", "loop_a.png", "loop_b.png", "broken.png"}
    assert len(report.failures) == len(failed) and not report.cancelled
    written = {p.relative_to(tmp_path / "out").as_posix() for p in report.written}
    assert {f"0_good_first_{MODEL}_exact.png", f"zzz_good_last_{MODEL}_exact.png",
            f"same-name-two-folders/one/same_{MODEL}_exact.png", f"same-name-two-folders/two/same_{MODEL}_exact.png",
            f"1x1/dot_{MODEL}_exact.png", f"4000x8-strip/strip_{MODEL}_exact.png"} <= written
    assert len(written) == len(report.written) == sum(len(list((folder / c.name).iterdir())) for c in AWKWARD) + 4
    twins = sorted(p for p in report.written if p.name.startswith("twin_"))
    assert [p.name for p in twins] == [f"twin_{MODEL}_exact-2.png", f"twin_{MODEL}_exact.png"]
    means = sorted(float(read_image(p).rgb.mean()) for p in twins)
    assert means[0] != pytest.approx(means[1], abs=0.05)  # two pictures, neither overwritten by the other
    assert twin_png.is_file() and twin_jpg.is_file() and snapshot(folder) == before
    notes = [e.message for e in files if e.status == "written" and e.message]
    assert len(notes) == 1 and "animated.gif has 3 frames" in notes[0]
    assert report.summary() == f"{len(report.written)} written, 0 skipped, {len(failed)} failed"
    assert not (tmp_path / "reports").exists()


SIDE = pointwise_model().descriptor.size_rules().min_side  # pictures narrower than this are padded up to it


class Exploding(torch.nn.Module):
    """A model with a bug: any picture wider than the model's minimum side raises an error no check anticipates."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if x.shape[-1] > SIDE:
            raise KeyError("layer7")
        return 1 - x


def test_an_unexpected_error_fails_one_picture_with_a_report(tmp_path: Path, fake_model,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    write_image(tmp_path / "in" / "a_wide.png", np.full((16, SIDE + 14, 3), 0.5, np.float32))
    write_image(tmp_path / "in" / "b_narrow.png", np.full((16, 16, 3), 0.5, np.float32))
    model = LoadedModel(fake_model().descriptor, Exploding(), None)
    _, report = collect(run_batch(BatchOptions(tmp_path / "in", tmp_path / "out"), model, EXACT))
    [(source, message)] = report.failures
    assert source.name == "a_wide.png" and "unexpected KeyError" in message and "\n" not in message
    [crash] = list((tmp_path / "reports").iterdir())
    assert str(crash) in message and "KeyError: 'layer7'" in crash.read_text()
    assert [p.name for p in report.written] == [f"b_narrow_{MODEL}_exact.png"]


def test_an_unusable_output_folder_stops_the_batch_before_any_picture(tmp_path: Path, fake_model) -> None:
    write_image(tmp_path / "in" / "a.png", np.full((16, 16, 3), 0.5, np.float32))
    (tmp_path / "out").write_text("a file")
    model = LoadedModel(fake_model().descriptor, Exploding(), None)
    with pytest.raises(NystraError, match="is not a folder"):
        collect(run_batch(BatchOptions(tmp_path / "in", tmp_path / "out"), model, EXACT))
    assert model.module.calls == 0
