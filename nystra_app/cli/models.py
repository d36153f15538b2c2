"""`nystra models ...`: list, install, import, remove and verify model weights."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from ..jobs import run_to_end
from ..manager import ManagerSettings, models_dir
from ..manager.importer import import_checkpoint
from ..manager.progress import Progress
from ..manager.store import install, list_models, remove, verify
from .common import emit

R = TypeVar("R")


class _ProgressBar:
    """One tqdm bar per phase and source, on stderr; a restarted transfer resets its bar."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._key: tuple[str, str] | None = None

    def __call__(self, event: Progress) -> None:
        if event.phase in ("waiting", "verify"):
            self.close()
            print(f"{event.phase}: {event.source}", file=sys.stderr)
            return
        bar = self._bar
        if bar is None or self._key != (event.phase, event.source) or event.done < bar.n:
            self.close()
            self._key = (event.phase, event.source)
            bar = self._bar = tqdm(total=event.total, initial=event.done, desc=event.phase, unit="B",
                                   unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=False)
        bar.update(event.done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._key = None, None


def _with_bar(job: Generator[Progress, None, R]) -> R:
    """Drive an install or import to its result, its progress on stderr."""
    bar = _ProgressBar()
    try:
        return run_to_end(job, bar)
    finally:
        bar.close()


def show_list(args: argparse.Namespace) -> int:
    statuses = list_models()
    rows = [s.to_dict() for s in statuses]
    lines = [f"cache: {models_dir()}"]
    for row in rows:
        size = f"{row['size'] / 1e6:.1f} MB" if row["size"] else "size ?"
        state = "installed" if row["installed"] else "not installed"
        lines.append(f"{row['id']:<28} {row['task']:<14} {size:>9}  {state}{' (imported)' if row['imported'] else ''}")
        if row["installed"]:
            lines.append(f"    {row['path']}\n    sha256 {row['sha256']}")
    emit({"cache": str(models_dir()), "models": rows}, args.json, "\n".join(lines))
    return 0


def install_model(args: argparse.Namespace) -> int:
    record = _with_bar(install(args.id, settings=ManagerSettings(mirror=args.mirror), url=args.url))
    print(f"{record.id}: installed {models_dir() / record.file}\n  sha256 {record.sha256}\n  from {record.source}")
    return 0


def import_file(args: argparse.Namespace) -> int:
    entry = _with_bar(import_checkpoint(args.file, args.name, task=args.task))
    print(f"{entry.id}: imported as {entry.arch} ({entry.task}), config {entry.config}\n"
          f"  {models_dir() / entry.file}\n  sha256 {entry.sha256}")
    return 0


def remove_model(args: argparse.Namespace) -> int:
    for path in remove(args.id):
        print(f"removed {path}")
    print(f"{args.id}: removed")
    return 0


def verify_files(args: argparse.Namespace) -> int:
    results = verify(args.id)
    lines = [f"{'ok ' if r.ok else 'BAD'} {r.id}: {r.message}" for r in results] or ["nothing installed"]
    emit({"results": [{"id": r.id, "path": str(r.path), "ok": r.ok, "message": r.message} for r in results]},
         args.json, "\n".join(lines))
    return 0 if all(r.ok for r in results) else 1
