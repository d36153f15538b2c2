"""Getting models in the app: everything a chosen folder holds is installed, in plain words.

A newcomer is most often handed a folder (a USB stick, a lab share) holding the weight files. The
folder becomes the mirror, so later installs look there first, and each registered model whose file
is in it is copied into the app's cache and checked against its known hash by the manager.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from ..errors import NystraError
from ..manager import ManagerSettings, install, list_models
from ..manager.mirror import sources_for
from ..manager.progress import Progress
from ..models import ModelEntry


def install_folder(folder: Path, settings: ManagerSettings,
                   cancel: threading.Event | None = None) -> Generator[Progress, None, list[str]]:
    """Install every registered model whose file is in `folder` and not installed yet (a job, nystra_app.jobs,
    yielding each install's progress); returns their ids.

    A folder holding none of the registry's files is a plain one-line error."""
    here = [s for s in list_models(settings) if (folder / s.entry.file).is_file()]
    if not here:
        raise NystraError(f"{folder} holds none of the model files Nystra knows. Choose the folder that holds "
                          "files such as dehazeformer-t_indoor_ITS.pth, or import a single file instead.")
    from_folder = replace(settings, mirror=str(folder))
    found = [s.entry for s in here if not s.installed]
    for entry in found:
        yield from install(entry, settings=from_folder, cancel=cancel)
    return [entry.id for entry in found]


def no_source_message(entry: ModelEntry, settings: ManagerSettings) -> str | None:
    """Why `entry` cannot be installed with one click, in the user's words; None when it can."""
    if sources_for(entry, settings):
        return None
    return (f"{entry.id} has no download address: its authors share it by hand. Use 'Use a folder of model "
            f"files…' with the folder that holds {entry.file}, or 'Import file…' to pick the file itself.")


def size_text(nbytes: int | None) -> str:
    return "unknown" if nbytes is None else f"{nbytes / 2**20:.1f} MB"


def ask_model_folder(parent: QWidget, start: str) -> Path | None:
    """The folder dialog both the first-run box and the model manager open."""
    folder = QFileDialog.getExistingDirectory(parent, "Choose the folder that holds the model files",
                                              start or str(Path.home()))
    return Path(folder) if folder else None
