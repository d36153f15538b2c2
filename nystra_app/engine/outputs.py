"""Output files of one run: names that never collide, never an input, and a folder checked before any model runs.

Two inputs called `a.png` in different folders (or `a.png` and `a.jpg` written as PNG) would get the
same output name and the second would replace the first. `OutputNames` hands each target out once per
run, adding `-2`, `-3`... to the stem of a repeat, in input order, so a rerun names them the same way.
`InputFiles` knows a run's inputs, looked up once, so no output is ever written over one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import NystraError


class OutputFolderError(NystraError):
    """The output folder cannot be created or written; found before any picture is processed."""


class OutputNames:
    """Claims output paths for one run; a path already claimed comes back with a numbered stem."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, path: Path) -> Path:
        candidate, number = path, 1
        while _key(candidate) in self._taken:
            number += 1
            candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        self._taken.add(_key(candidate))
        return candidate


def _key(path: Path) -> str:
    """Case-folded, because macOS and Windows folders treat A.png and a.png as one file."""
    return os.path.normpath(os.path.abspath(path)).casefold()


def resolved(path: Path) -> Path:
    """path.resolve(), or its absolute form where a symlink loop makes resolving impossible."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python < 3.13's "Symlink loop"
        return Path(os.path.abspath(path))


class InputFiles:
    """A run's input files, resolved and identified once: every output is checked against them all, and a
    batch of N pictures then costs N lookups, not N per output."""

    def __init__(self, paths: Iterable[str | os.PathLike]) -> None:
        inputs = [Path(p) for p in paths]
        self._paths = {resolved(p) for p in inputs}
        self._files = {_file_id(p) for p in inputs} - {None}  # catches hard links and other names of the same file

    def holds(self, path: Path) -> bool:
        """Whether writing `path` would replace one of the inputs."""
        return resolved(path) in self._paths or _file_id(path) in self._files


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode), as os.path.samefile compares; None where the file cannot be looked at."""
    try:
        status = os.stat(path)
    except OSError:  # missing, a loop, no permission
        return None
    return status.st_dev, status.st_ino


def check_output_folder(folder: Path) -> None:
    """Prove that `folder` can be created (if missing) and written, or say why not, in one line.

    Nothing is left behind: a missing folder is not created here (a run that fails on its first
    picture writes nothing); the probe file goes in the nearest folder that exists, and is removed.
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == folder else f" ({existing} is a file)"
        raise OutputFolderError(f"the output folder {folder} is not a folder{where}; give -o a folder")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".nystra-write-test.")
    except OSError as exc:
        raise OutputFolderError(f"the output folder {folder} cannot be written ({exc.strerror or type(exc).__name__}); "
                                "choose another with -o") from None
    os.close(handle)
    os.unlink(probe)
