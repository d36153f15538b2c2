import json

import numpy as np
import pytest

from nystra_app.cli import main
from nystra_app.engine import read_image, write_image

MODEL = "dehazeformer-t-indoor"


def rgb(seed=0, h=40, w=48):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def test_restore_writes_named_outputs_keeping_depth_and_alpha(tmp_path, tiny_registry_model, capsys):
    a = write_image(tmp_path / "a.png", rgb(), bit_depth=16, alpha=np.full((40, 48), 0.5, np.float32))
    b = write_image(tmp_path / "b.jpg", rgb(1))
    out = tmp_path / "out"
    code = main(["restore", str(a), str(b), "-o", str(out), "--model", MODEL, "--attention", "nystrom",
                 "--device", "cpu", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    files = {f["input"]: f for f in report["files"]}
    assert files[str(a)]["output"] == str(out / f"a_{MODEL}_fast.png")
    assert files[str(b)]["output"] == str(out / f"b_{MODEL}_fast.jpg")
    assert set(files[str(a)]) == {"input", "output", "seconds", "attention_seconds", "attention_share", "tiles", "fallback",
                                  "tiling_changed"}
    assert files[str(a)]["tiling_changed"] is False  # small pictures run whole
    restored = read_image(out / f"a_{MODEL}_fast.png")
    assert restored.bit_depth == 16 and restored.alpha is not None and np.allclose(restored.alpha, 0.5, atol=1e-4)
    assert report["attention"].startswith("nystrom(m=16, iters=6")  # the registry's Fast default


def test_restore_format_option_and_exact_suffix(tmp_path, tiny_registry_model, capsys):
    a = write_image(tmp_path / "a.png", rgb())
    code = main(["restore", str(a), "-o", str(tmp_path), "--model", MODEL, "--format", "tif", "--device", "cpu"])
    assert code == 0 and (tmp_path / f"a_{MODEL}_exact.tif").is_file()
    assert "wrote" in capsys.readouterr().out


def test_bad_inputs_fail_alone_with_one_line_each(tmp_path, tiny_registry_model, capsys):
    good = write_image(tmp_path / "good.png", rgb())
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(good.read_bytes()[:200])
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    out = tmp_path / "out"
    code = main(["restore", str(corrupt), str(text), str(good), "-o", str(out), "--model", MODEL, "--json"])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("nystra: error:")]
    assert code == 1 and len(errors) == 2
    assert "corrupt.png" in errors[0] and "notes.png" in errors[1]
    assert sorted(p.name for p in out.iterdir()) == [f"good_{MODEL}_exact.png"]
    assert [("error" in f) for f in json.loads(captured.out)["files"]] == [True, True, False]


def test_landmarks_that_do_not_fit_fail_before_any_file(tmp_path, tiny_registry_model, capsys):
    a = write_image(tmp_path / "a.png", rgb())
    code = main(["restore", str(a), "-o", str(tmp_path / "out"), "--model", MODEL, "--attention", "nystrom",
                 "--landmarks", "7"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("nystra: error:") and "\n" not in err and "7 landmarks" in err
    assert not (tmp_path / "out").exists()


def test_missing_weight_file_is_one_line(tmp_path, capsys):
    a = write_image(tmp_path / "a.png", rgb())
    code = main(["restore", str(a), "-o", str(tmp_path / "out"), "--model", MODEL,
                 "--weights", str(tmp_path / "missing.pth")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err and "missing.pth" in err
    assert not (tmp_path / "out").exists()


def test_input_is_never_overwritten(tmp_path, tiny_registry_model, capsys):
    # an input that already has the output's name, in the output folder
    name = f"a_{MODEL}_exact.png"
    source = write_image(tmp_path / name, rgb())
    before = source.read_bytes()
    src2 = write_image(tmp_path / "a.png", rgb(3))
    code = main(["restore", str(src2), str(source), "-o", str(tmp_path), "--model", MODEL])
    assert code == 1 and source.read_bytes() == before
    assert "refusing to write over an input" in capsys.readouterr().err


def test_unknown_device_is_one_line(tmp_path, capsys):
    a = write_image(tmp_path / "a.png", rgb())
    code = main(["restore", str(a), "-o", str(tmp_path), "--model", MODEL, "--device", "tpu"])
    assert code == 1 and "tpu" in capsys.readouterr().err


@pytest.mark.shared
def test_real_model_errors(tmp_path, shared, capsys):
    weights = shared / "weights" / "dehazeformer-t_indoor_ITS.pth"
    hazy = shared / "testimages" / "dehaze" / "SOTS-indoor" / "hazy" / "1438_10.png"
    corrupt = tmp_path / "cut.png"
    corrupt.write_bytes(hazy.read_bytes()[:5000])
    out = tmp_path / "out"
    base = ["restore", "-o", str(out), "--model", MODEL, "--weights", str(weights)]
    assert main([*base[:1], str(corrupt), *base[1:]]) == 1
    assert main([*base[:1], str(hazy), *base[1:], "--attention", "nystrom", "--landmarks", "7"]) == 1
    assert main(["restore", str(hazy), "-o", str(out), "--model", MODEL, "--weights", str(tmp_path / "no.pth")]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("nystra: error:") for line in errors)
    assert "cut.png" in errors[0] and "landmarks" in errors[1] and "no.pth" in errors[2]
    assert not out.exists() or not any(out.iterdir())


def test_fast_says_when_it_is_not_faster(tmp_path, tiny_registry_model, capsys):
    from nystra_app.manager import get_entry

    a = write_image(tmp_path / "a.png", rgb())
    assert main(["restore", str(a), "-o", str(tmp_path / "out"), "--model", MODEL, "--attention", "nystrom"]) == 0
    err = capsys.readouterr().err
    assert get_entry(MODEL).fast.faster is False
    assert f"nystra: note: Fast is not faster for {MODEL}" in err


def test_progress_shows_the_planned_tiles_before_the_first_one_ends(tmp_path, tiny_registry_model, capsys):
    source = write_image(tmp_path / "a.png", rgb())
    assert main(["restore", str(source), "-o", str(tmp_path / "out"), "--model", MODEL, "--tile", "64"]) == 0
    err = capsys.readouterr().err
    assert "0/1" in err and err.index("0/1") < err.index("1/1")


def test_the_bar_is_drawn_before_the_speed_probe_and_the_decoding(tmp_path, tiny_registry_model, capsys,
                                                                  monkeypatch):
    from nystra_app.cli import restore as restore_cli
    from nystra_app.engine import budget, imageio

    source = write_image(tmp_path / "probe-me.png", rgb())
    monkeypatch.setattr(budget, "FLOOR_MP", 0.0)  # so this small picture gets the probe a large one gets
    steps: list[str] = []

    class Bar(restore_cli.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            steps.append("bar drawn" if "probe-me.png" in capsys.readouterr().err else "bar not drawn")

    real_decode = imageio._decode
    monkeypatch.setattr(restore_cli, "tqdm", Bar)
    monkeypatch.setattr(budget, "measure_seconds_per_megapixel", lambda *a, **k: steps.append("probe") or 1.0)
    monkeypatch.setattr(imageio, "_decode", lambda *a, **k: steps.append("decode") or real_decode(*a, **k))
    assert main(["restore", str(source), "-o", str(tmp_path / "out"), "--model", MODEL]) == 0
    assert steps == ["bar drawn", "probe", "decode"]


def test_each_input_is_looked_up_once_per_run_not_once_per_output(tmp_path, tiny_registry_model, monkeypatch):
    from collections import Counter
    from pathlib import Path

    from nystra_app.engine import outputs

    inputs = [write_image(tmp_path / f"{i}.png", rgb(i)) for i in range(4)]
    looked_up: Counter = Counter()
    real_resolved = outputs.resolved
    monkeypatch.setattr(outputs, "resolved", lambda path: looked_up.update([Path(path)]) or real_resolved(path))
    assert main(["restore", *map(str, inputs), "-o", str(tmp_path / "out"), "--model", MODEL]) == 0
    assert [looked_up[path] for path in inputs] == [1, 1, 1, 1]


def test_bf16_is_opt_in_and_close_to_fp32(tmp_path, tiny_registry_model, capsys):
    source = write_image(tmp_path / "a.png", rgb(), bit_depth=16)
    outputs = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        assert main(["restore", str(source), "-o", str(out), "--model", MODEL, "--precision", precision]) == 0
        outputs[precision] = read_image(out / f"a_{MODEL}_exact.png").rgb
    assert not np.array_equal(outputs["fp32"], outputs["bf16"])
    assert np.abs(outputs["fp32"] - outputs["bf16"]).mean() < 0.02
