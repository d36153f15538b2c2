"""A self-test of the core that needs no weights, no network and no window: `nystra-app --self-test`.

It exists for frozen builds: a PyInstaller bundle can start and still miss a shared library,
a data file or a lazily imported torch module, and only running the real restore path finds
that out. So it runs a tiny random DehazeFormer through the same engine calls the GUI makes
(restore, write, read back) in exact and in fast (PnP-Nystra) mode, and checks what comes back.

This module must not import Qt: the GUI's `main()` calls it before any window exists, so it
also works on a machine without a display.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np
import torch

from .attention import EXACT, AttentionSpec
from .engine import (
    Picture,
    psnr,
    read_image,
    restore_picture,
    run_to_end,
    write_image,
)
from .errors import NystraError
from .models import LoadedModel, ModelEntry
from .models.dehazeformer import DehazeFormer, DehazeFormerConfig
from .versions import version_report

FAST = AttentionSpec("nystrom", landmarks=16, iters=6)
# A random tiny model's fast output differs from its exact one by well under 1% of the range;
# below this PSNR (dB) something in the Nyström path is broken, not merely approximate.
MIN_FAST_PSNR = 30.0
# An 8-bit PNG round trip changes a sample by at most half a step; allow a whole one.
ROUND_TRIP_TOLERANCE = 1.0 / 255.0
SIZE = (64, 96)  # (height, width): several windows at every stage of the tiny model, under a second on a CPU


class SelfTestFailure(NystraError):
    """One check of the self-test failed; the message says which and what was found."""


def run_self_test(out_dir: Path | None = None, stream: TextIO | None = None) -> int:
    """Run the self-test, write a short report to `stream` (default stdout) and return an exit code.

    The report is written here rather than by a CLI module because the frozen app's `--self-test`
    is the only caller and the point is a console answer. Outputs go to `out_dir` (kept) or to a
    temporary folder (removed). Returns 0 when every check passes, 1 otherwise.
    """
    stream = sys.stdout if stream is None else stream

    def say(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    say(version_report())
    try:
        if out_dir is not None:
            say(f"outputs kept in {out_dir}")
            _run_checks(Path(out_dir), say)
        else:
            with tempfile.TemporaryDirectory(prefix="nystra-selftest-") as folder:
                _run_checks(Path(folder), say)
    except Exception as exc:  # the report must name any failure, not end in a traceback
        say(f"self-test FAILED: {exc if isinstance(exc, NystraError) else f'{type(exc).__name__}: {exc}'}")
        return 1
    say("self-test passed")
    return 0


def tiny_model() -> LoadedModel:
    """A DehazeFormer with 8 channels and random (seeded) weights: the real code, a fraction of the cost."""
    config = DehazeFormerConfig(embed_dims=(8, 8, 8, 8, 8), depths=(1, 2, 2, 1, 1), num_heads=(1, 2, 2, 1, 1))
    entry = ModelEntry(
        id="self-test-tiny",
        arch="dehazeformer",
        config={"embed_dims": list(config.embed_dims), "depths": list(config.depths),
                "num_heads": list(config.num_heads)},
        task="dehaze",
        scale=1,
        file="",
        description="random weights, for the self-test only",
        trained_window=config.window_size,
    )
    with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
        torch.manual_seed(0)
        module = DehazeFormer(config)
    return LoadedModel.of(entry, module.eval().requires_grad_(False))


def test_picture() -> Picture:
    """Smooth gradients plus a little seeded noise: content in every channel, no flat windows."""
    height, width = SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / (width - 1), y / (height - 1), 0.5 + 0.4 * np.sin((x + y) / 7.0)], axis=2)
    noise = np.random.default_rng(0).normal(0.0, 0.03, rgb.shape).astype(np.float32)
    return Picture(np.clip(rgb + noise, 0.0, 1.0), None, 8, None, "PNG")


def _run_checks(folder: Path, say: Callable[[str], None]) -> None:
    model = tiny_model()
    picture = test_picture()
    results: dict[str, np.ndarray] = {}
    for name, spec in (("exact", EXACT), ("fast", FAST)):
        result = run_to_end(restore_picture(picture, model, spec, device="cpu"))
        path = write_image(folder / f"self-test-{name}.png", result.picture)
        _check_file(path)
        back = read_image(path).rgb
        _check_pixels(name, back, picture.rgb.shape)
        error = float(np.abs(back - result.picture.rgb).max())
        if error > ROUND_TRIP_TOLERANCE:
            raise SelfTestFailure(f"{path.name} read back differs from what was written by {error:.4f}")
        results[name] = back
        say(f"  {name:5s} {spec.describe()}: {result.seconds * 1000:.0f} ms, wrote and read back {path.name}")
    agreement = psnr(results["fast"], results["exact"])
    if not agreement >= MIN_FAST_PSNR:
        raise SelfTestFailure(f"fast output is too far from exact: {agreement:.1f} dB PSNR (expected >= {MIN_FAST_PSNR})")
    say(f"  fast vs exact: {agreement:.1f} dB PSNR")


def _check_file(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        raise SelfTestFailure(f"{path} was not written")


def _check_pixels(name: str, rgb: np.ndarray, shape: tuple[int, ...]) -> None:
    if rgb.shape != shape:
        raise SelfTestFailure(f"{name} output has shape {rgb.shape}, expected {shape}")
    if not np.isfinite(rgb).all():
        raise SelfTestFailure(f"{name} output has non-finite values")
    if rgb.min() < 0.0 or rgb.max() > 1.0:
        raise SelfTestFailure(f"{name} output leaves [0, 1]: {rgb.min():.3f} to {rgb.max():.3f}")
    if float(rgb.std()) < 1e-3:
        raise SelfTestFailure(f"{name} output is flat (std {rgb.std():.2e}): the model computed nothing")
