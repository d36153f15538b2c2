"""Nystra: photo restoration with pretrained vision transformers and PnP-Nystra attention."""

import os
from pathlib import Path

# torch's OpenMP threads spin while they wait for work. On a desktop, where the GUI thread and other programs
# share the cores, a spinning thread holds the core its partner needs: DehazeFormer-T at 256 px took 2-4x the
# wall time and 3x the CPU time on a 2-core machine with other work running. OpenMP reads this once, when
# torch loads, so it is set before anything of ours imports torch; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def resources_path() -> Path:
    """The folder of files the app ships (icons): package data, so it is found the same way in a
    source checkout, a pip install and a PyInstaller bundle (which maps `__file__` into its folder)."""
    return Path(__file__).resolve().parent / "resources"


def icon_files() -> list[Path]:
    """The app icon as PNGs, smallest first, for a window icon that stays sharp at every size
    (Qt picks the nearest one; the SVG beside them is the source they were rendered from)."""
    return [resources_path() / f"nystra-app-{size}.png" for size in ICON_SIZES]
