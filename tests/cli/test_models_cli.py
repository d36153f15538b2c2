"""`nystra models ...` end to end, in a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from nystra_app.cli import main
from nystra_app.manager import load_model
from nystra_app.models.dehazeformer import DehazeFormer, DehazeFormerConfig
from tests.conftest import SHARED

SHARED_WEIGHTS = SHARED / "weights"
REAL_T = "dehazeformer-t_indoor_ITS.pth"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user data folder."""
    monkeypatch.setenv("NYSTRA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NYSTRA_MODEL_MIRROR", raising=False)
    return tmp_path / "data"


@pytest.fixture
def shared_weights() -> Path:
    if not (SHARED_WEIGHTS / REAL_T).is_file():
        pytest.skip(f"needs {REAL_T}, skipped because ../shared is absent")
    return SHARED_WEIGHTS


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["models", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def models_json(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    return {row["id"]: row for row in json.loads(out)["models"]}


def test_install_from_the_mirror_then_load_without_it(shared_weights: Path, data_dir: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NYSTRA_MODEL_MIRROR", str(shared_weights))
    code, out, _ = run(capsys, "install", "dehazeformer-t-indoor")
    assert code == 0 and "8e99b2f7f34dd0fce0465e9d48d79a8a18dfd2f2762027c4da5355af4336f523" in out
    code, out, _ = run(capsys, "verify", "dehazeformer-t-indoor")
    assert code == 0 and out.startswith("ok ")
    monkeypatch.delenv("NYSTRA_MODEL_MIRROR")
    assert load_model("dehazeformer-t-indoor").weights == data_dir / "models" / REAL_T
    row = models_json(capsys)["dehazeformer-t-indoor"]
    assert row["installed"] and row["source"] == str(shared_weights / REAL_T)


def test_install_without_any_source_fails_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "install", "dehazeformer-t-indoor")
    assert code == 1 and "--mirror FOLDER" in err


def test_import_list_verify_remove(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint = tmp_path / "mine.pth"
    config = DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(1, 1, 2, 1, 1), num_heads=(1, 1, 2, 1, 1),
                                attn_ratio=(0.0, 0.0, 1.0, 0.0, 0.0), window_size=4)
    torch.save(DehazeFormer(config).state_dict(), checkpoint)
    code, out, _ = run(capsys, "import", str(checkpoint), "--name", "mine", "--task", "dehaze")
    assert code == 0 and "imported as dehazeformer" in out
    row = models_json(capsys)["mine"]
    assert row["installed"] and row["imported"] and row["path"] == str(data_dir / "models" / "mine.pth")
    assert run(capsys, "verify")[0] == 0
    code, out, _ = run(capsys, "remove", "mine")
    assert code == 0 and "mine" not in models_json(capsys)


def test_import_of_an_unreadable_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    code, _, err = run(capsys, "import", str(junk), "--name", "junk")
    assert code == 1 and err.startswith("nystra: error: junk.pth")
