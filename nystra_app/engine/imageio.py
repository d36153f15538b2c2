"""Reading and writing pictures: every bit of the input kept (16-bit, alpha, gray), outputs atomic.

Decoding goes through cv2 from bytes (so paths with any characters work) with IMREAD_UNCHANGED,
which keeps 16-bit samples and alpha but ignores EXIF orientation; the orientation tag is read with
Pillow (header only) and applied to the arrays here. Pillow also identifies the file before it is
decoded, so a huge or bogus file is refused without decoding it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..choices import MAX_PIXELS, MAX_SIDE, OUTPUT_FORMATS
from ..errors import NystraError
from ..fileio import atomic_write
from .outputs import InputFiles

# Output formats by extension: (cv2 extension, 16-bit possible, alpha possible)
WRITABLE = {ext: (f.ext, f.deep, f.alpha) for f in OUTPUT_FORMATS for ext in (f.ext, *f.aliases)}
# Pillow's format name -> the extension an output in the same format gets.
FORMAT_EXTENSIONS = {f.pillow: f.ext for f in OUTPUT_FORMATS}
_ORIENTATION_TAG = 0x0112
# File signatures of formats Pillow decodes completely (a refusal by Pillow is a damaged file).
_PILLOW_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
_PNG_METADATA = (b"eXIf", b"tEXt", b"zTXt", b"iTXt")  # where Pillow finds EXIF and XMP orientation


def _signature_name(head: bytes) -> str:
    return "PNG" if head.startswith(b"\x89PNG") else "GIF" if head.startswith(b"GIF8") else "JPEG"


class ImageError(NystraError):
    """A picture that cannot be read or written; the message names the file and the reason."""


@dataclass
class Picture:
    """Pixels as float32 in [0, 1]: `rgb` is (H, W, 3) or (H, W, 1) for grayscale; `alpha` (H, W)."""

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    path: Path | None = None
    format: str = "PNG"
    frames: int = 1  # an animated or multi-page file: only its first frame is here

    @property
    def note(self) -> str:
        """What a user should be told about this picture besides errors ('' when nothing)."""
        if self.frames > 1:
            return f"{self.path or 'picture'} has {self.frames} frames; only the first is restored"
        return ""

    @property
    def channels(self) -> int:
        return self.rgb.shape[2]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as image tools say it."""
        return self.rgb.shape[1], self.rgb.shape[0]


@contextmanager
def _quiet_cv2() -> Iterator[None]:
    """cv2 prints decoder warnings to stderr; we raise our own one-line error instead."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(level)


@dataclass(frozen=True)
class _Header:
    """What Pillow reads from a file's header without decoding it."""

    format: str
    mode: str
    orientation: int  # EXIF, 1-8
    frames: int
    size: tuple[int, int]  # (width, height)


@dataclass(frozen=True)
class PictureFile:
    """A picture file whose header has been read, once: its size is known before anything is decoded,
    so a caller can refuse a huge picture first (the pixel budget), then `read()` it."""

    path: Path
    header: _Header | None  # None: a format Pillow does not know, decoded at once (below)
    decoded: Picture | None = None  # formats only cv2 reads: decoding alone tells their size, or that they are no picture

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.decoded.size if self.decoded is not None else self.header.size  # type: ignore[union-attr]

    def read(self) -> Picture:
        """Decode the pixels (float32 in [0, 1], EXIF orientation applied)."""
        return self.decoded if self.decoded is not None else _decode(self.path, self.header)


def open_picture(path: str | os.PathLike) -> PictureFile:
    """Check the path and read the header; raises ImageError for a missing, damaged, huge or HDR file."""
    path = Path(path)
    if not path.exists() and path.is_symlink():
        raise ImageError(f"{path}: a symbolic link that points nowhere or loops; fix or remove the link")
    if not path.exists():
        raise ImageError(f"{path}: file not found")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    header = _identify(path)
    return PictureFile(path, header, None if header is not None else _decode(path, None))


def read_image(path: str | os.PathLike) -> Picture:
    return open_picture(path).read()


def _decode(path: Path, header: _Header | None) -> Picture:
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if header is None and bytes(data[:4]).startswith(_PILLOW_SIGNATURES):
        # Pillow reads these fully, so its refusal means damage; cv2's libpng would print its own
        # complaint on the terminal before failing the same way.
        raise ImageError(f"{path}: corrupt image (damaged {_signature_name(bytes(data[:4]))} header)")
    with _quiet_cv2():
        raw = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if header is None:  # Pillow does not know it (e.g. a float TIFF); cv2 may, without EXIF
        if raw is None:
            raise ImageError(f"{path}: not an image, or a format that is not supported")
        _check_size(path, raw.shape[1], raw.shape[0])
        header = _Header(path.suffix.lstrip(".").upper(), "", 1, 1, (raw.shape[1], raw.shape[0]))
    if raw is None:
        raw = _decode_with_pillow(path)
    rgb, alpha = _split_channels(raw, gray=header.mode in ("L", "LA", "La", "I", "I;16", "1"))
    bit_depth, peak = _depth(raw.dtype, path)
    rgb = _orient(rgb.astype(np.float32) / peak, header.orientation)
    if alpha is not None:
        alpha = _orient(alpha.astype(np.float32) / peak, header.orientation)
    return Picture(np.ascontiguousarray(rgb), None if alpha is None else np.ascontiguousarray(alpha),
                   bit_depth, path, header.format, header.frames)


def _identify(path: Path) -> _Header | None:
    """Format, Pillow mode, EXIF orientation, frame count and size from the header (None: unknown to Pillow).

    Refuses huge pictures before they are decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit follows
            with Image.open(path) as im:
                fmt, mode, (width, height) = im.format or "", im.mode, im.size
                orientation = int(_exif(im, path).get(_ORIENTATION_TAG, 1) or 1)
                frames = int(getattr(im, "n_frames", 1) or 1)
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError:
        raise ImageError(f"{path}: too large (the limit is {MAX_SIDE} px a side and {MAX_PIXELS // 10**6} MP)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: corrupt or truncated image ({exc})") from None
    _check_size(path, width, height)
    if mode in ("F", "I;16F") or fmt in ("HDR", "EXR"):
        raise ImageError(f"{path}: floating-point (HDR) images are not supported; convert to 8 or 16 bits")
    return _Header(fmt, mode, orientation if 1 <= orientation <= 8 else 1, frames, (width, height))


def _exif(im: Image.Image, path: Path) -> Image.Exif:
    """The picture's EXIF, without decoding its pixels where the header holds all the metadata.

    Pillow's PNG reader decodes the whole picture to look for metadata after the pixel data (0.5 s
    for a 12 MP PNG here, then cv2 decodes it again). Where the file has none there, the chunks
    before the pixels, which Pillow has already read, are all the metadata there is.
    """
    if im.format == "PNG" and not _png_metadata_after_pixels(path):
        return Image.Image.getexif(im)  # the generic reader: the header's chunks only
    return im.getexif()


def _png_metadata_after_pixels(path: Path) -> bool:
    """Whether a PNG has text or EXIF chunks after its first pixel data (True also when the chunk list
    does not end cleanly, so Pillow's full read reports the damage). Reads chunk headers only."""
    with open(path, "rb") as handle:
        handle.seek(8)  # the signature
        after_pixels = False
        while len(head := handle.read(8)) == 8:
            kind = head[4:]
            if kind == b"IEND":
                return False
            after_pixels = after_pixels or kind == b"IDAT"
            if after_pixels and kind in _PNG_METADATA:
                return True
            handle.seek(int.from_bytes(head[:4], "big") + 4, os.SEEK_CUR)  # data and CRC
    return True


def _check_size(path: Path, width: int, height: int) -> None:
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(
            f"{path}: {width}x{height} is too large (the limit is {MAX_SIDE} px a side and "
            f"{MAX_PIXELS // 10**6} MP); downscale or crop it first"
        )


def _decode_with_pillow(path: Path) -> np.ndarray:
    """Formats cv2 does not decode (GIF, palette oddities); a failure here means a damaged file."""
    try:
        with Image.open(path) as im:
            im.load()
            converted = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: corrupt or truncated image ({exc})") from None
    channels = np.asarray(converted)
    return channels[..., [2, 1, 0, 3]] if channels.shape[2] == 4 else channels[..., ::-1]  # to cv2's BGR(A)


def _split_channels(raw: np.ndarray, gray: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """cv2 order (gray, BGR, BGRA, gray+alpha) -> (H, W, C) RGB or gray, and alpha."""
    if raw.ndim == 2:
        return raw[..., None], None
    channels = raw.shape[2]
    if channels == 1:
        return raw, None
    if channels == 2:
        return raw[..., :1], raw[..., 1]
    alpha = raw[..., 3] if channels >= 4 else None
    if gray:  # cv2 expands gray + alpha to BGRA; keep it one channel
        return raw[..., :1], alpha
    return raw[..., 2::-1], alpha


def _depth(dtype: np.dtype, path: Path) -> tuple[int, float]:
    if dtype == np.uint8:
        return 8, 255.0
    if dtype == np.uint16:
        return 16, 65535.0
    if dtype.kind == "f":
        raise ImageError(f"{path}: floating-point (HDR) images are not supported; convert to 8 or 16 bits")
    raise ImageError(f"{path}: {dtype} samples are not supported (8- or 16-bit integers only)")


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to an (H, W[, C]) array, as a viewer would show it."""
    transposed = a.swapaxes(0, 1)
    return {
        1: a,
        2: a[:, ::-1],
        3: a[::-1, ::-1],
        4: a[::-1],
        5: transposed,
        6: transposed[:, ::-1],  # 90° clockwise
        7: transposed[::-1, ::-1],
        8: transposed[::-1],  # 90° counter-clockwise
    }[orientation]


def output_extension(picture: Picture, requested: str | None = None) -> str:
    """The extension an output gets: the one asked for, else the input's own format, else PNG."""
    if requested:
        ext = requested.lower() if requested.startswith(".") else "." + requested.lower()
        if ext not in WRITABLE:
            raise ImageError(f"cannot write {requested!r} files; use one of {', '.join(sorted(WRITABLE))}")
        return ext
    if picture.path is not None and picture.path.suffix.lower() in WRITABLE:
        return picture.path.suffix.lower()
    return FORMAT_EXTENSIONS.get(picture.format, ".png")


def write_image(
    path: str | os.PathLike,
    picture: Picture | np.ndarray,
    bit_depth: int | None = None,
    alpha: np.ndarray | None = None,
    *,
    protect: InputFiles | Iterable[str | os.PathLike] = (),
    quality: int = 95,
) -> Path:
    """Encode by the extension and replace `path` atomically; refuses to write over `protect` paths
    (a run writing many outputs passes its `InputFiles`, looked up once).

    16-bit output only where the format holds it (PNG, TIFF), alpha only where it holds one
    (PNG, TIFF, WebP); otherwise 8 bits and the alpha dropped. `quality` (1-100) is JPEG's.
    A failed write leaves nothing behind.
    """
    path = Path(path)
    if isinstance(picture, Picture):
        rgb = picture.rgb
        alpha = picture.alpha if alpha is None else alpha
        bit_depth = picture.bit_depth if bit_depth is None else bit_depth
    else:
        rgb = picture if picture.ndim == 3 else picture[..., None]
    cv_ext, deep_ok, alpha_ok = _writable(path)
    if (protect if isinstance(protect, InputFiles) else InputFiles(protect)).holds(path):
        raise ImageError(f"{path}: refusing to write over an input file; choose another output folder or name")
    depth = 16 if bit_depth == 16 and deep_ok else 8
    encoded = _encode(rgb, alpha if alpha_ok else None, depth, cv_ext, path, quality)
    _atomic_write(path, encoded)
    return path


def _writable(path: Path) -> tuple[str, bool, bool]:
    try:
        return WRITABLE[path.suffix.lower()]
    except KeyError:
        raise ImageError(f"{path}: cannot write {path.suffix or 'extension-less'} files; "
                         f"use one of {', '.join(sorted(WRITABLE))}") from None


def _encode(rgb: np.ndarray, alpha: np.ndarray | None, depth: int, cv_ext: str, path: Path,
            quality: int = 95) -> bytes:
    peak = 65535 if depth == 16 else 255
    dtype = np.uint16 if depth == 16 else np.uint8

    def quantise(a: np.ndarray) -> np.ndarray:
        return np.round(np.clip(a, 0.0, 1.0) * peak).astype(dtype)

    pixels = quantise(rgb)
    if pixels.shape[2] == 3:
        pixels = pixels[..., ::-1]  # RGB -> cv2's BGR
    if alpha is not None:
        if pixels.shape[2] == 1:  # cv2 cannot write gray + alpha; expand to BGRA
            pixels = np.repeat(pixels, 3, axis=2)
        pixels = np.concatenate([pixels, quantise(alpha)[..., None]], axis=2)
    elif pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    params = [cv2.IMWRITE_JPEG_QUALITY, int(min(max(quality, 1), 100))] if cv_ext == ".jpg" else []
    with _quiet_cv2():
        ok, buffer = cv2.imencode(cv_ext, np.ascontiguousarray(pixels), params)
    if not ok:
        raise ImageError(f"{path}: the {cv_ext[1:].upper()} encoder refused this picture")
    return buffer.tobytes()


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise ImageError(f"{path}: could not be written ({exc.strerror or exc})") from None
