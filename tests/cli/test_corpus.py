"""Issue #13: every bad input a one-line error with nothing written; every awkward one restored; a run goes on.

The corpus (tests/corpus.py) is built in each test's folder. Pictures smaller than a window go
through a tiny random DehazeFormer (the real architecture, where they used to crash); the rest
through a pointwise fake whose exact output (1 - x) is known.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from nystra_app.cli import common, main
from nystra_app.engine import Picture, read_image, write_image
from nystra_app.models import LoadedModel
from tests.corpus import AWKWARD, BAD, Case, one_thread, pad_like_the_engine, snapshot
from tests.engine.conftest import fake_model, tiny_dehazeformer

MODEL = "dehazeformer-t-indoor"
TINY = tiny_dehazeformer()


@pytest.fixture(autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The model the CLI gets (set state["model"]) and how often it was loaded."""
    state: dict = {"model": None, "count": 0}

    def load(model_id, weights=None, device="cpu"):
        state["count"] += 1
        return state["model"]

    monkeypatch.setattr(common, "load_model", load)
    return state


def restore(capsys, inputs: list[Path], out: Path, *options: str) -> tuple[int, str, str]:
    code = main(["restore", *map(str, inputs), "-o", str(out), "--model", MODEL, "--device", "cpu", *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "error" in line]


def shown(err: str) -> list[str]:
    """The lines a terminal is left showing: a progress bar drawn with carriage returns and cleared is gone."""
    lines = (line.rsplit("\r", 1)[-1] for line in err.split("\n"))
    return [line for line in lines if line.strip()]


def build(case: Case, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return case.build(folder)


def expected_output(model: LoadedModel, picture: Picture) -> np.ndarray:
    """What a correct restore gives: 1 - x for the fake; for the tiny model, its output on the picture
    padded (numpy, reflect then edge) to the model's minimum side, cropped back."""
    if model is not TINY:
        return 1.0 - picture.rgb
    h, w = picture.rgb.shape[:2]
    padded = pad_like_the_engine(picture.rgb, model.descriptor.size_rules().min_side)
    with torch.inference_mode():
        out = model.module(torch.from_numpy(np.ascontiguousarray(padded.transpose(2, 0, 1)))[None]).clamp(0, 1)
    return out[0].permute(1, 2, 0).numpy()[:h, :w]


def assert_restored(model: LoadedModel, source: Path, output: Path, lossy: bool) -> None:
    picture, restored = read_image(source), read_image(output)
    expected = expected_output(model, picture)
    if restored.alpha is not None and expected.shape[2] == 1:  # gray + alpha is written as RGBA (cv2 cannot do LA)
        expected = np.repeat(expected, 3, axis=2)
    assert restored.rgb.shape == expected.shape
    error = np.abs(restored.rgb - expected)
    if lossy:
        assert 10 * np.log10(1 / np.mean(error**2)) > 30  # PSNR in dB
    else:
        assert error.max() <= 1.01 / 255
    if picture.alpha is not None and output.suffix.lower() in (".png", ".tif", ".tiff", ".webp"):
        assert restored.alpha is not None and np.abs(restored.alpha - picture.alpha).max() <= 1.01 / 255


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_file_is_one_line_exit_1_and_nothing_written(case: Case, tmp_path: Path, loads: dict, capsys) -> None:
    loads["model"] = fake_model()
    inputs = build(case, tmp_path / "in")
    before = snapshot(tmp_path / "in")
    code, _, err = restore(capsys, inputs, tmp_path / "out", "--json")
    assert code == 1
    [line] = shown(err)  # a bar may have been drawn first (before the budget's probe), then cleared
    assert line.startswith("nystra: error: ") and inputs[0].name in line
    assert not (tmp_path / "out").exists()
    assert snapshot(tmp_path / "in") == before


@pytest.mark.parametrize("case", AWKWARD, ids=[c.name for c in AWKWARD])
def test_an_awkward_but_valid_file_is_restored_correctly(case: Case, tmp_path: Path, loads: dict, capsys) -> None:
    model = loads["model"] = TINY if case.small else fake_model()
    inputs = build(case, tmp_path / "in")
    before = snapshot(tmp_path / "in")
    code, out, err = restore(capsys, inputs, tmp_path / "out", "--json")
    assert code == 0, err
    assert "Traceback" not in err and not error_lines(err)
    outputs = [Path(f["output"]) for f in json.loads(out)["files"]]
    assert len(set(outputs)) == len(inputs) and all(p.parent == tmp_path / "out" for p in outputs)
    for source, output in zip(inputs, outputs):
        assert_restored(model, source, output, case.lossy)
    assert snapshot(tmp_path / "in") == before


def test_an_animated_picture_restores_its_first_frame_with_a_note(tmp_path: Path, loads: dict, capsys) -> None:
    loads["model"] = fake_model()
    [gif] = build(next(c for c in AWKWARD if c.name == "animated-gif"), tmp_path / "in")
    code, _, err = restore(capsys, [gif], tmp_path / "out")
    assert code == 0
    notes = [line for line in err.splitlines() if line.startswith("nystra: note:")]
    assert len(notes) == 1 and gif.name in notes[0] and "3 frames" in notes[0] and "first" in notes[0]


def test_same_named_inputs_get_distinct_outputs_none_overwritten(tmp_path: Path, loads: dict, capsys) -> None:
    loads["model"] = fake_model()
    first, second = build(next(c for c in AWKWARD if c.name == "same-name-two-folders"), tmp_path / "in")
    code, out, _ = restore(capsys, [first, second, first], tmp_path / "out", "--json")
    outputs = [Path(f["output"]) for f in json.loads(out)["files"]]
    assert code == 0 and len(set(outputs)) == 3
    assert outputs[0].name == f"same_{MODEL}_exact.png" and outputs[1].name == f"same_{MODEL}_exact-2.png"
    for source, output in zip([first, second, first], outputs):
        assert_restored(loads["model"], source, output, lossy=False)


OPTIONS = [
    ("window-0", ["--window", "0"], "--window", "from 2 to 256"),
    ("window-negative", ["--window", "-8"], "--window", "from 2 to 256"),
    ("window-0-nystrom", ["--window", "0", "--attention", "nystrom"], "--window", "from 2 to 256"),
    ("landmarks-0", ["--landmarks", "0", "--attention", "nystrom"], "--landmarks", "from 1 to 1024"),
    ("iters-0", ["--iters", "0", "--attention", "nystrom"], "--iters", "from 1 to 50"),
    ("local-0", ["--local", "0", "--attention", "nystrom"], "--local", "from 1 to 256"),
    ("tile-0", ["--tile", "0"], "--tile", "from 64 to 20000"),
    ("tile-negative", ["--tile", "-5"], "--tile", "from 64 to 20000"),
    ("tile-not-a-number", ["--tile", "big"], "--tile", "from 64 to 20000"),
    ("device-unknown", ["--device", "tpu"], "--device", "available"),
    ("max-megapixels-0", ["--max-megapixels", "0"], "--max-megapixels", "from 0.01 to 150"),
    ("format-unknown", ["--format", "gif"], "--format", "choose from"),
]


@pytest.mark.parametrize("options,option,allowed", [o[1:] for o in OPTIONS], ids=[o[0] for o in OPTIONS])
def test_a_bad_option_is_refused_when_parsed(options: list[str], option: str, allowed: str, tmp_path: Path,
                                             loads: dict, capsys) -> None:
    loads["model"] = TINY
    good = write_image(tmp_path / "good.png", np.full((40, 40, 3), 0.5, np.float32))
    code, _, err = restore(capsys, [good], tmp_path / "out", *options)
    assert code == 1 and loads["count"] == 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("nystra: error: ")
    assert option in err and allowed in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["a-file", "inside-a-file", "read-only"])
def test_an_unusable_output_folder_is_found_before_the_model_loads(where: str, tmp_path: Path, loads: dict,
                                                                   capsys) -> None:
    if where == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    loads["model"] = fake_model()
    good = write_image(tmp_path / "good.png", np.full((16, 16, 3), 0.5, np.float32))
    blocker = tmp_path / "taken"
    if where == "read-only":
        blocker.mkdir(mode=0o555)
    else:
        blocker.write_text("a file")
    out = blocker / "sub" if where == "inside-a-file" else blocker
    code, _, err = restore(capsys, [good], out)
    assert code == 1 and loads["count"] == 0
    assert len(err.strip().splitlines()) == 1 and err.count(str(out)) == 1 and "-o" in err
    assert blocker.is_dir() and not list(blocker.iterdir()) if where == "read-only" else blocker.read_text() == "a file"


def test_pictures_above_the_pixel_budget_are_refused_with_the_option_to_allow_them(tmp_path: Path, loads: dict,
                                                                                  capsys) -> None:
    loads["model"] = fake_model()
    picture = write_image(tmp_path / "large.png", np.full((300, 400, 3), 0.5, np.float32))  # 0.12 MP
    code, _, err = restore(capsys, [picture], tmp_path / "out", "--max-megapixels", "0.1")
    assert code == 1 and "0.1 MP" in err and "--max-megapixels 1" in err and not (tmp_path / "out").exists()
    code, _, _ = restore(capsys, [picture], tmp_path / "out", "--max-megapixels", "0.2")
    assert code == 0 and len(list((tmp_path / "out").iterdir())) == 1


def test_the_default_budget_is_set_by_the_measured_speed_and_says_how_long(tmp_path: Path, loads: dict,
                                                                           monkeypatch, capsys) -> None:
    from nystra_app.engine import budget

    loads["model"] = fake_model()
    monkeypatch.setattr(budget, "measure_seconds_per_megapixel", lambda *args: 2000.0)  # a very slow machine
    picture = write_image(tmp_path / "photo.png", np.full((1000, 1200, 3), 0.5, np.float32))  # 1.2 MP
    code, _, err = restore(capsys, [picture], tmp_path / "out")
    assert code == 1 and "about 40 min here" in err and "--max-megapixels 2" in err


def test_progress_reaches_stderr_even_with_json(tmp_path: Path, loads: dict, monkeypatch, capsys) -> None:
    from nystra_app.engine import budget

    loads["model"] = fake_model()
    monkeypatch.setattr(budget, "measure_seconds_per_megapixel", lambda *args: 20.0)
    picture = write_image(tmp_path / "photo.png", np.full((1000, 1200, 3), 0.5, np.float32))
    code, out, err = restore(capsys, [picture], tmp_path / "out", "--json")
    assert code == 0 and json.loads(out)["written"] == 1
    assert f"restoring {picture} (1.2 MP, about 24 s here)" in err
    assert "photo.png" in err.replace(f"restoring {picture}", "")  # the tile bar, named after the picture


SIDE = fake_model().descriptor.size_rules().min_side  # pictures narrower than this are padded up to it


class Exploding(torch.nn.Module):
    """A model with a bug: any picture wider than the model's minimum side raises an error no check anticipates."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > SIDE:
            raise RuntimeError("index 7 is out of bounds for dimension 0")
        return 1 - x


def test_an_unexpected_error_is_one_line_with_a_report_and_the_run_goes_on(tmp_path: Path, loads: dict,
                                                                           monkeypatch, capsys) -> None:
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    loads["model"] = LoadedModel(fake_model().descriptor, Exploding(), None)
    wide = write_image(tmp_path / "wide.png", np.full((16, SIDE + 14, 3), 0.5, np.float32))
    narrow = write_image(tmp_path / "narrow.png", np.full((16, 16, 3), 0.5, np.float32))
    code, _, err = restore(capsys, [wide, narrow], tmp_path / "out")
    assert code == 1 and "Traceback" not in err
    [line] = error_lines(err)[:1]
    assert line.startswith("nystra: error: ") and "wide.png" in line and "unexpected RuntimeError" in line
    [report] = list((tmp_path / "reports").iterdir())
    assert str(report) in line and "Traceback" in report.read_text() and "out of bounds" in report.read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"narrow_{MODEL}_exact.png"]
    assert "1 of 2 pictures failed" in err
    code, _, err = restore(capsys, [wide], tmp_path / "out2", "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err and "out of bounds" in err


def test_debug_prints_the_traceback_of_an_unexpected_error(tmp_path: Path, monkeypatch, capsys) -> None:
    from nystra_app.cli import models as models_cli

    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setattr(models_cli, "list_models", lambda: {}["no such key"])
    assert main(["models", "list"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unexpected KeyError" in err and "Traceback" not in err
    assert main(["models", "list", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_one_run_over_the_whole_corpus_writes_every_good_picture_and_goes_on(tmp_path: Path, loads: dict,
                                                                            monkeypatch, capsys) -> None:
    """Good first and last, every bad and awkward file between, through the tiny real architecture."""
    monkeypatch.setenv("NYSTRA_REPORT_DIR", str(tmp_path / "reports"))
    loads["model"] = TINY
    folder = tmp_path / "in"
    first = write_image(folder / "good_first.png", np.random.default_rng(1).random((40, 36, 3), dtype=np.float32))
    bad = [p for case in BAD for p in build(case, folder / case.name)]
    awkward = [p for case in AWKWARD for p in build(case, folder / case.name)]
    last = write_image(folder / "good_last.png", np.random.default_rng(2).random((36, 40, 3), dtype=np.float32))
    before = snapshot(folder)
    inputs = [first, *bad, *awkward, last]
    code, out, err = restore(capsys, inputs, tmp_path / "out", "--json")
    report = json.loads(out)
    assert code == 1 and "Traceback" not in err
    assert f"nystra: {len(bad)} of {len(inputs)} pictures failed" in err
    assert report["failed"] == len(bad) and report["written"] == len(awkward) + 2
    files = {f["input"]: f for f in report["files"]}
    assert all("error" in files[str(p)] for p in bad)
    outputs = [Path(files[str(p)]["output"]) for p in [first, *awkward, last]]
    assert len(set(outputs)) == len(outputs) and all(p.is_file() for p in outputs)
    same = [p for p in awkward if p.name == "same.png"]
    assert len(same) == 2 and all(Path(files[str(p)]["output"]).is_file() for p in same)
    for source in (first, last, *same):
        assert_restored(TINY, source, Path(files[str(source)]["output"]), lossy=False)
    assert snapshot(folder) == before
    assert not (tmp_path / "reports").exists()  # every failure was an expected one
