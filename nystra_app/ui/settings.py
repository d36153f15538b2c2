"""What the app remembers between runs, as a small JSON file in the user's config folder.

A plain dataclass rather than QSettings so tests read it without Qt and redirect it with one
environment variable. A damaged file is ignored (defaults used) rather than stopping the app.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from ..fileio import atomic_write
from ..manager import ManagerSettings

CONFIG_DIR_ENV = "NYSTRA_CONFIG_DIR"
MAX_RECENT = 8


@dataclass
class AppSettings:
    geometry: str = ""  # hex of QWidget.saveGeometry()
    open_dir: str = ""
    save_dir: str = ""
    batch_input: str = ""
    batch_output: str = ""
    recent: list[str] = field(default_factory=list)
    device: str = "cpu"
    fast: bool = False
    landmarks: int = 0  # 0: the model's Fast default
    iters: int = 0
    window: int = 0
    mirror: str = ""
    threads: int = 0  # CPU threads for torch; 0: torch's own choice
    save_format: str = "png"  # extension the Save dialog proposes
    jpeg_quality: int = 95
    output_dir: str = ""  # default folder for saved results and batch outputs
    splitter: str = ""  # hex of the picture/timing splitter's state
    task_models: dict[str, str] = field(default_factory=dict)  # task key -> model id picked for it

    def add_recent(self, path: Path | str) -> None:
        text = str(path)
        self.recent = [text] + [p for p in self.recent if p != text][: MAX_RECENT - 1]

    def manager(self) -> ManagerSettings:
        return ManagerSettings(mirror=self.mirror or None)


def config_file() -> Path:
    folder = os.environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir("nystra", appauthor=False)
    return Path(folder).expanduser() / "app.json"


def load_settings() -> AppSettings:
    try:
        raw = json.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AppSettings()
    known = {f.name for f in fields(AppSettings)}
    try:
        return AppSettings(**{k: v for k, v in raw.items() if k in known})
    except TypeError:
        return AppSettings()


def save_settings(settings: AppSettings) -> None:
    """Written beside the target and renamed over it, so a crash never leaves half a file."""
    atomic_write(config_file(), json.dumps(asdict(settings), indent=2).encode("utf-8"))
