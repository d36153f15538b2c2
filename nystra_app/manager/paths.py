"""Where Nystra keeps its data: the weight cache, the install record, the user registry.

A leaf module (no torch; from nystra_app only the variables' names) so the model loader can ask where
the cache is without importing the download machinery.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..choices import DATA_DIR_ENV, MIRROR_ENV


@dataclass(frozen=True)
class ManagerSettings:
    """What the GUI (or a test) can set; None means: the environment, then the platform default.

    An explicit value beats the environment, which beats the platform default, so a folder chosen
    in the GUI's settings is honoured even when NYSTRA_DATA_DIR is set for the terminal.
    """

    data_dir: Path | None = None
    mirror: str | None = None  # a folder or a base URL holding the registry's file names
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 4  # further attempts after the first, per source
    backoff: float = 1.0  # seconds before the first retry; doubled each time


def data_dir(settings: ManagerSettings | None = None) -> Path:
    if settings is not None and settings.data_dir is not None:
        return Path(settings.data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("nystra", appauthor=False))


def models_dir(settings: ManagerSettings | None = None) -> Path:
    """The weight cache: installed files, their record (installed.json) and in-flight .part files."""
    return data_dir(settings) / "models"


def installed_file(file: str, settings: ManagerSettings | None = None) -> Path:
    return models_dir(settings) / file


def record_file(settings: ManagerSettings | None = None) -> Path:
    return models_dir(settings) / "installed.json"


def user_registry_file(settings: ManagerSettings | None = None) -> Path:
    """Entries added by `nystra models import`, merged with the built-in registry at lookup."""
    return data_dir(settings) / "user_models.json"


def mirrors(settings: ManagerSettings | None = None) -> list[str]:
    """Mirror locations to try before the official addresses: the setting first, then the env var."""
    found = [settings.mirror if settings is not None else None, os.environ.get(MIRROR_ENV)]
    return list(dict.fromkeys(m for m in found if m))


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))
