"""A corpus of bad and awkward picture files, built in the test's own folder (issue #13).

Each case writes its file(s) under a folder and returns the input paths. `BAD` cases must end in a
one-line error with nothing written; `AWKWARD` ones are valid pictures that must be restored
correctly. `SMALL` marks pictures smaller than one window of a real architecture: they need the
(tiny, random) DehazeFormer to show the crash the padding fixes, a pointwise fake runs anything.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from nystra_app.engine import write_image


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], list[Path]]
    small: bool = False  # smaller than a real model's window: run it through the tiny DehazeFormer
    lossy: bool = False  # the output format is lossy (JPEG, WebP): compared with a tolerance


def _rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _u8(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (h, w, channels) if channels > 1 else (h, w)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth_u8(h: int, w: int, channels: int) -> np.ndarray:
    """Gradients: what JPEG keeps well, so a lossy round trip can be held to a PSNR bar."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 200 // max(w - 1, 1) + 20), (y * 200 // max(h - 1, 1) + 30), ((x + y) * 100 // (h + w) + 60)]
    return np.stack((planes * 2)[:channels], axis=2).astype(np.uint8)


def _png_bytes(h: int = 12, w: int = 14) -> bytes:
    ok, buffer = cv2.imencode(".png", _u8(h, w))
    assert ok
    return buffer.tobytes()


def _write(path: Path, data: bytes) -> list[Path]:
    path.write_bytes(data)
    return [path]


def _pillow(path: Path, image: Image.Image, fmt: str, **options) -> list[Path]:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return _write(path, buffer.getvalue())


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bilevel_png(width: int, height: int) -> bytes:
    """A 1-bit PNG of any size, all black: a few KB that decode to width x height pixels."""
    row = b"\x00" + bytes((width + 7) // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _flip_ihdr_bit(folder: Path) -> list[Path]:
    data = bytearray(_png_bytes())
    data[18] ^= 0x40  # inside IHDR's width/height: its CRC no longer matches
    return _write(folder / "bitflip.png", bytes(data))


def _loop(folder: Path) -> list[Path]:
    (folder / "loop_b.png").symlink_to(folder / "loop_a.png")
    (folder / "loop_a.png").symlink_to(folder / "loop_b.png")
    return [folder / "loop_a.png"]


def _broken_link(folder: Path) -> list[Path]:
    (folder / "broken.png").symlink_to(folder / "gone.png")
    return [folder / "broken.png"]


def _directory(folder: Path) -> list[Path]:
    (folder / "folder.png").mkdir()
    return [folder / "folder.png"]


def _animated(folder: Path) -> list[Path]:
    frames = [Image.fromarray(_u8(10, 12, seed=s)).quantize(64) for s in (1, 2, 3)]
    return _pillow(folder / "animated.gif", frames[0], "GIF", save_all=True, append_images=frames[1:])


def _exif_rotated(folder: Path) -> list[Path]:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    return _pillow(folder / "rotated.jpg", Image.fromarray(_smooth_u8(10, 16, 3)), "JPEG", exif=exif, quality=95)


def _same_names(folder: Path) -> list[Path]:
    (folder / "one").mkdir()
    (folder / "two").mkdir()
    return [write_image(folder / "one" / "same.png", _rgb(12, 10, 1)),
            write_image(folder / "two" / "same.png", _rgb(12, 10, 2))]


BAD: list[Case] = [
    Case("zero-byte", lambda f: _write(f / "empty.png", b"")),
    Case("truncated-png", lambda f: _write(f / "truncated.png", _png_bytes()[:60])),
    Case("text-as-png", lambda f: _write(f / "notes.png", b"just some text, not a picture\n")),
    Case("html-as-jpg", lambda f: _write(f / "page.jpg", b"<!doctype html><html><body>404</body></html>")),
    Case("random-bytes-jpg", lambda f: _write(f / "noise.jpg", bytes(np.random.default_rng(5).integers(0, 256, 999, np.uint8)))),
    Case("gif-header-only", lambda f: _write(f / "stub.gif", b"GIF89a")),
    Case("bit-flip-in-header", _flip_ihdr_bit),
    Case("header-bomb-10000x10000", lambda f: _write(f / "bomb.png", _bilevel_png(10_000, 10_000))),
    Case("too-wide-30000x1", lambda f: _write(f / "wide.png", _bilevel_png(30_000, 1))),
    Case("float-tiff", lambda f: [p for p in [f / "float.tif"] if cv2.imwrite(str(p), np.ones((6, 6, 3), np.float32))]),
    Case("int32-tiff", lambda f: [p for p in [f / "int32.tif"] if cv2.imwrite(str(p), np.ones((6, 6), np.int32))]),
    Case("svg-text", lambda f: _write(f / "drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")),
    Case("missing-file", lambda f: [f / "missing.png"]),
    Case("folder-named-png", _directory),
    Case("symlink-loop", _loop),
    Case("broken-symlink", _broken_link),
]

AWKWARD: list[Case] = [
    Case("1x1", lambda f: [write_image(f / "dot.png", _rgb(1, 1))], small=True),
    Case("3x3", lambda f: [write_image(f / "three.png", _rgb(3, 3))], small=True),
    Case("8x8", lambda f: [write_image(f / "eight.png", _rgb(8, 8))], small=True),
    Case("4000x8-strip", lambda f: [write_image(f / "strip.png", _rgb(8, 4000))], small=True),
    Case("1-wide-column", lambda f: [write_image(f / "column.png", _rgb(40, 1))], small=True),
    Case("16-bit-png", lambda f: [write_image(f / "deep.png", _rgb(12, 10), bit_depth=16)]),
    Case("rgba-png", lambda f: [write_image(f / "alpha.png", _rgb(12, 10), alpha=_rgb(12, 10, 3)[..., 0])]),
    Case("gray-png", lambda f: [write_image(f / "gray.png", _rgb(12, 10)[..., :1])]),
    Case("gray-alpha-png", lambda f: _pillow(f / "gray_alpha.png", Image.fromarray(_u8(9, 11, 2), "LA"), "PNG")),
    Case("palette-png", lambda f: _pillow(f / "palette.png", Image.fromarray(_u8(9, 11)).quantize(16), "PNG")),
    Case("bilevel-png", lambda f: _write(f / "bilevel.png", _bilevel_png(13, 7))),
    Case("cmyk-jpeg", lambda f: _pillow(f / "cmyk.jpg", Image.fromarray(_smooth_u8(12, 10, 4), "CMYK"), "JPEG", quality=95),
         lossy=True),
    Case("exif-rotated-jpeg", _exif_rotated, lossy=True),
    Case("animated-gif", _animated),
    Case("jpeg-named-png", lambda f: _pillow(f / "liar.png", Image.fromarray(_u8(10, 12)), "JPEG", quality=95)),
    Case("upper-case-extension", lambda f: [write_image(f / "LOUD.PNG", _rgb(10, 12))]),
    Case("space-and-unicode-name", lambda f: [write_image(f / "été photo #1.png", _rgb(10, 12))]),
    Case("same-name-two-folders", _same_names),
    Case("16-bit-tiff", lambda f: [write_image(f / "deep.tif", _rgb(10, 12), bit_depth=16)]),
    Case("bmp", lambda f: [write_image(f / "plain.bmp", _rgb(10, 12))]),
    Case("webp", lambda f: [write_image(f / "web.webp", _rgb(10, 12))], lossy=True),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under `folder` by relative path: a file's sha256, a link's target (never followed)."""
    state = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                state[key] = "link -> " + os.readlink(path)
            elif path.is_file():
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def pad_like_the_engine(rgb: np.ndarray, side: int) -> np.ndarray:
    """Bottom/right padding to `side`, reflecting as far as the picture allows, then repeating the edge.

    Written with numpy for the test, independently of the engine's torch code.
    """
    h, w = rgb.shape[:2]
    ph, pw = max(0, side - h), max(0, side - w)
    rh, rw = min(ph, h - 1), min(pw, w - 1)
    out = np.pad(rgb, ((0, rh), (0, rw), (0, 0)), mode="reflect")
    return np.pad(out, ((0, ph - rh), (0, pw - rw), (0, 0)), mode="edge")


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the corpus's many tiny forwards on one torch thread: on a shared, loaded 2-core machine two
    OpenMP threads spin against each other and a 32x32 forward took 2.5 s instead of 30 ms."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
