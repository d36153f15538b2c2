"""The values a user chooses among, and the limits on them: shared by the core, the command line and the app.

torch-free and Qt-free on purpose: `nystra` checks its options against these before torch loads (about
2 s on a slow laptop), so `nystra --help` and a usage error are immediate and a long command can say it
is starting at once. The code that acts on each choice imports it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["dehaze", "denoise", "deblur", "super-resolve"]

Precision = Literal["fp32", "bf16"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "bf16")

Padding = Literal["reflect", "official"]
PADDINGS: tuple[Padding, ...] = ("reflect", "official")

MAX_SIDE = 20_000
MAX_PIXELS = 150_000_000  # below Pillow's own decompression-bomb refusal (~179 MP)
MIN_TILE = 64  # pixels a side: smaller tiles spend more on their overlap than on the picture

DATA_DIR_ENV = "NYSTRA_DATA_DIR"  # the weight cache and install record
MIRROR_ENV = "NYSTRA_MODEL_MIRROR"  # a folder or base URL tried before a model's official address


@dataclass(frozen=True)
class OutputFormat:
    label: str  # what the GUI shows
    pillow: str  # Pillow's name for pictures read in this format
    ext: str  # the extension outputs get (and cv2 encodes by)
    deep: bool  # 16-bit possible
    alpha: bool  # alpha possible
    aliases: tuple[str, ...] = ()


OUTPUT_FORMATS = (
    OutputFormat("PNG", "PNG", ".png", True, True),
    OutputFormat("JPEG", "JPEG", ".jpg", False, False, (".jpeg",)),
    OutputFormat("TIFF", "TIFF", ".tif", True, True, (".tiff",)),
    OutputFormat("WebP", "WEBP", ".webp", False, True),
    OutputFormat("BMP", "BMP", ".bmp", False, False),
)
"""The one table of writable formats: the CLI's --format, the GUI's save and batch dialogs read it."""
