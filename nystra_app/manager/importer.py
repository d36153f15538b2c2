"""`nystra models import`: a local .pth/.safetensors becomes a registered, installed model."""

from __future__ import annotations

import re
import threading
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import cast, get_args

from ..errors import NystraError
from ..models import ModelEntry, Task, build, builtin_registry, detect, get_architecture, load_strict, read_state_dict
from ..models.switch import ImageModel, trained_window
from .files import FileLock
from .mirror import copy_file
from .paths import ManagerSettings, installed_file
from .progress import Progress
from .record import InstallRecord, lock_path, now, put_record
from .store import commit, part_file
from .user_registry import registry, save_user_entry, user_entries

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def import_checkpoint(
    file: Path,
    name: str,
    *,
    task: Task | None = None,
    settings: ManagerSettings | None = None,
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, ModelEntry]:
    """Detect the architecture, load strictly, copy into the cache and register under `name`; a job
    (nystra_app.jobs) yielding the copy's and the check's Progress.

    The source file is only read, never moved. Its tensors are read with weights_only=True (or
    safetensors), so a checkpoint carrying code is refused before anything is copied.
    """
    settings = settings or ManagerSettings()
    file = Path(file)
    _check_name(name, settings)
    state = read_state_dict(file)
    arch, config = detect(state, file.name)
    module = build(arch, config)
    load_strict(module, state, file.name)
    task = task or get_architecture(arch).default_task
    if task not in get_args(Task):
        raise NystraError(f"say what {name} does with --task ({', '.join(get_args(Task))})")
    cached = name + (".safetensors" if file.suffix == ".safetensors" else ".pth")
    if any(entry.file == cached for entry in registry(settings).values()):
        raise NystraError(f"another model already uses the file name {cached}; choose another name")
    entry = ModelEntry(id=name, arch=arch, config=config, task=task, scale=int(cast(ImageModel, module).scale),
                       file=cached, description=f"imported from {file}", trained_window=trained_window(module))
    final = installed_file(cached, settings)
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path(cached, settings)) as lock:
        yield from lock.take(cancel, Progress("waiting", f"another import as {name}"))
        part = part_file(final)
        try:
            yield from copy_file(file, part, cancel)
        except BaseException:  # a cancel, a full disk: a copy is not resumed, so nothing of it stays
            part.unlink(missing_ok=True)
            raise
        digest = yield from commit(entry, part, final, str(file), settings, cancel)
    entry = replace(entry, sha256=digest, size=final.stat().st_size)
    save_user_entry(entry, settings)
    put_record(InstallRecord(name, cached, digest, final.stat().st_size, f"imported from {file}", now()), settings)
    return entry


def _check_name(name: str, settings: ManagerSettings) -> None:
    if not _NAME.fullmatch(name):
        raise NystraError(f"model name {name!r}: use letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit")
    if name in builtin_registry():
        raise NystraError(f"{name!r} is a built-in model id; choose another name")
    if name in user_entries(settings):
        raise NystraError(f"{name!r} is already imported; remove it first with `nystra models remove {name}`")
