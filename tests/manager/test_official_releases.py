"""Every released DehazeFormer and Uformer is registered under its official file name, so a user's copy
of the authors' folder is recognised as a mirror."""

from __future__ import annotations

from pathlib import Path

import torch

from nystra_app.jobs import run_to_end
from nystra_app.manager import get_entry, install, load_model, registry
from nystra_app.models import build

from ..models.test_detect import LAYOUTS
from .helpers import fast_settings

# The authors' run.sh tests these: every size indoor, all but -L elsewhere.
RELEASED = [f"dehazeformer-{v}-indoor" for v in "tsbml"] + [
    f"dehazeformer-{v}-{exp}" for exp in ("outdoor", "reside6k", "rshaze") for v in "tsbm"
]


def test_every_released_dehazeformer_is_registered_with_its_official_layout() -> None:
    dehaze = sorted(k for k, e in registry().items() if e.arch == "dehazeformer")
    assert dehaze == sorted(RELEASED)
    for model_id in RELEASED:
        entry = get_entry(model_id)
        variant, exp = model_id.split("-")[1:]
        if model_id != "dehazeformer-t-indoor":  # ours keeps the name it has in ../shared/weights
            assert entry.file == f"{exp}/dehazeformer-{variant}.pth" and entry.sha256 is None
        with torch.device("meta"):
            shapes = {k: list(v.shape) for k, v in build("dehazeformer", entry.config).state_dict().items()}
        assert shapes == LAYOUTS[f"dehazeformer-{variant}"]["state_dict"], model_id


def test_released_uformers_build_with_the_official_test_config() -> None:
    uformers = {k: e for k, e in registry().items() if e.arch == "uformer"}
    assert sorted(uformers) == ["uformer-b-gopro", "uformer-b-sidd"]
    for entry in uformers.values():
        assert entry.config["img_size"] == 128 and "img_size" in entry.description
        with torch.device("meta"):
            shapes = {k: list(v.shape) for k, v in build("uformer", entry.config).state_dict().items()}
        assert shapes == LAYOUTS["uformer-b"]["state_dict"]


def test_the_authors_saved_models_folder_is_a_mirror(tmp_path: Path) -> None:
    """saved_models/outdoor/dehazeformer-s.pth, wrapped as released, installs as dehazeformer-s-outdoor."""
    model = build("dehazeformer", get_entry("dehazeformer-s-outdoor").config)
    saved = tmp_path / "saved_models"
    (saved / "outdoor").mkdir(parents=True)
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}},
               saved / "outdoor" / "dehazeformer-s.pth")
    record = run_to_end(install("dehazeformer-s-outdoor", settings=fast_settings(mirror=str(saved))))
    assert record.source == str(saved / "outdoor" / "dehazeformer-s.pth") and len(record.sha256) == 64
    loaded = load_model("dehazeformer-s-outdoor")
    assert torch.equal(loaded.module.state_dict()["patch_embed.proj.weight"], model.state_dict()["patch_embed.proj.weight"])
