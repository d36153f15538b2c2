import json
import math

import numpy as np
import pytest

from nystra_app.cli import main
from nystra_app.engine import write_image

MODEL = "dehazeformer-t-indoor"


def dataset(root):
    rng = np.random.default_rng(0)
    for stem in ("1", "2"):
        clean = rng.random((64, 64, 3), dtype=np.float32)
        write_image(root / "GT" / f"{stem}.png", clean)
        write_image(root / "hazy" / f"{stem}_3.png", clean * 0.6 + 0.3)
    return root / "hazy", root / "GT"


def test_eval_json_on_a_tiny_dataset(tmp_path, tiny_registry_model, capsys):
    inputs, targets = dataset(tmp_path)
    code = main(["eval", "--model", MODEL, "--inputs", str(inputs), "--targets", str(targets),
                 "--window", "16", "--landmarks", "4", "--iters", "3", "--device", "cpu", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["model"], report["window"], report["landmarks"], report["iters"]) == (MODEL, 16, 4, 3)
    assert [i["name"] for i in report["images"]] == ["1_3.png", "2_3.png"]
    keys = {"exact_psnr", "nystrom_psnr", "nystrom_vs_exact_psnr", "exact_ssim", "nystrom_ssim",
            "exact_ms", "nystrom_ms", "fallback", "fallback_fraction"}
    assert keys <= set(report["mean"]) and all(math.isfinite(report["mean"][k]) for k in keys)


def test_eval_pads_as_the_official_test_script_unless_told(tmp_path, tiny_registry_model, capsys):
    inputs, targets = dataset(tmp_path)
    args = ["eval", "--model", MODEL, "--inputs", str(inputs), "--targets", str(targets), "--limit", "1", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["padding"] == "official"
    assert main([*args, "--padding", "reflect"]) == 0
    assert json.loads(capsys.readouterr().out)["padding"] == "reflect"
    assert main([*args, "--padding", "zeros"]) == 1  # the CLI's error boundary: one line, exit 1
    assert "invalid choice: 'zeros'" in capsys.readouterr().err


def test_eval_table_and_limit(tmp_path, tiny_registry_model, capsys):
    inputs, targets = dataset(tmp_path)
    assert main(["eval", "--model", MODEL, "--inputs", str(inputs), "--targets", str(targets), "--limit", "1"]) == 0
    table = capsys.readouterr().out
    assert "1_3.png" in table and "2_3.png" not in table and "mean" in table


def test_eval_noise_sigma_uses_targets_as_inputs(tmp_path, tiny_registry_model, capsys):
    _, targets = dataset(tmp_path)
    assert main(["eval", "--model", MODEL, "--targets", str(targets), "--noise-sigma", "15", "--json"]) == 0
    assert [i["name"] for i in json.loads(capsys.readouterr().out)["images"]] == ["1.png", "2.png"]


def test_eval_without_inputs_is_an_error(tmp_path, tiny_registry_model, capsys):
    _, targets = dataset(tmp_path)
    assert main(["eval", "--model", MODEL, "--targets", str(targets)]) == 1
    assert "--inputs is required" in capsys.readouterr().err


@pytest.mark.shared
def test_eval_real_dehazeformer_on_sots_indoor(shared, capsys):
    images = shared / "testimages" / "dehaze" / "SOTS-indoor"
    code = main(["eval", "--model", MODEL, "--inputs", str(images / "hazy"), "--targets", str(images / "GT"),
                 "--weights", str(shared / "weights" / "dehazeformer-t_indoor_ITS.pth"), "--device", "cpu", "--json"])
    assert code == 0
    mean = json.loads(capsys.readouterr().out)["mean"]
    assert mean["exact_psnr"] >= 36.0
    assert math.isfinite(mean["nystrom_psnr"]) and mean["nystrom_psnr"] > 30
