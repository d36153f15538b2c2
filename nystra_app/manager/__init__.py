"""The model manager (the weights store): weight cache, verified resumable downloads, mirrors, import
of local checkpoints, and the catalogue of model ids. It imports models, never the reverse.

No Qt here. Installs and imports are jobs under nystra_app.jobs' protocol (generators of Progress
events, cancelled through a threading.Event): the CLI drains them into a tqdm bar, the GUI from a
worker thread into a signal.
"""

from __future__ import annotations

from .download import DownloadError
from .importer import import_checkpoint
from .locate import candidate_paths, find_weights, load_model
from .paths import DATA_DIR_ENV, MIRROR_ENV, ManagerSettings, data_dir, models_dir
from .progress import Progress
from .record import InstallRecord
from .store import InstallError, ModelStatus, VerifyResult, install, list_models, remove, verify
from .user_registry import UnknownModel, get_entry, registry, user_entries

__all__ = [
    "DATA_DIR_ENV",
    "MIRROR_ENV",
    "DownloadError",
    "InstallError",
    "InstallRecord",
    "ManagerSettings",
    "ModelStatus",
    "Progress",
    "UnknownModel",
    "VerifyResult",
    "candidate_paths",
    "data_dir",
    "find_weights",
    "get_entry",
    "import_checkpoint",
    "install",
    "list_models",
    "load_model",
    "models_dir",
    "registry",
    "remove",
    "user_entries",
    "verify",
]
