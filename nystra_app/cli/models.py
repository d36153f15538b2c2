"""`nystra models ...`: list, install, import, remove and verify model weights."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator
from pathlib import Path
from typing import TypeVar, get_args

from tqdm import tqdm

from ..jobs import run_to_end
from ..manager import ManagerSettings, models_dir
from ..manager.importer import import_checkpoint
from ..manager.progress import Progress
from ..manager.store import install, list_models, remove, verify
from ..models.registry import Task
from .common import add_json_option, emit

R = TypeVar("R")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, install, import, remove and verify model weights",
                                   description=__doc__.split(":", 1)[1].strip())
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="every model id: installed or not, task, size, path, sha256")
    add_json_option(listing)
    listing.set_defaults(handler=_list)

    installing = actions.add_parser("install", help="download (or copy from a mirror) and verify a model's weights")
    installing.add_argument("id", help="model id (see `nystra models list`)")
    installing.add_argument("--mirror", metavar="DIR|URL",
                            help="folder or base URL holding the weight file, tried before the official address")
    installing.add_argument("--url", help="download from this address instead")
    installing.set_defaults(handler=_install)

    importing = actions.add_parser("import", help="register a local .pth/.safetensors checkpoint under a name")
    importing.add_argument("file", type=Path)
    importing.add_argument("--name", required=True, help="the model id to give it")
    importing.add_argument("--task", choices=get_args(Task), default=None,
                           help="what the model does (default: the architecture's usual task)")
    importing.set_defaults(handler=_import)

    removing = actions.add_parser("remove", help="delete an installed model's weights (and an imported model's entry)")
    removing.add_argument("id")
    removing.set_defaults(handler=_remove)

    verifying = actions.add_parser("verify", help="re-hash installed files against the registry and install record")
    verifying.add_argument("id", nargs="?", help="one model (default: every installed one)")
    add_json_option(verifying)
    verifying.set_defaults(handler=_verify)


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


def _list(args: argparse.Namespace) -> int:
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


def _install(args: argparse.Namespace) -> int:
    record = _with_bar(install(args.id, settings=ManagerSettings(mirror=args.mirror), url=args.url))
    print(f"{record.id}: installed {models_dir() / record.file}\n  sha256 {record.sha256}\n  from {record.source}")
    return 0


def _import(args: argparse.Namespace) -> int:
    entry = _with_bar(import_checkpoint(args.file, args.name, task=args.task))
    print(f"{entry.id}: imported as {entry.arch} ({entry.task}), config {entry.config}\n"
          f"  {models_dir() / entry.file}\n  sha256 {entry.sha256}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    for path in remove(args.id):
        print(f"removed {path}")
    print(f"{args.id}: removed")
    return 0


def _verify(args: argparse.Namespace) -> int:
    results = verify(args.id)
    lines = [f"{'ok ' if r.ok else 'BAD'} {r.id}: {r.message}" for r in results] or ["nothing installed"]
    emit({"results": [{"id": r.id, "path": str(r.path), "ok": r.ok, "message": r.message} for r in results]},
         args.json, "\n".join(lines))
    return 0 if all(r.ok for r in results) else 1
