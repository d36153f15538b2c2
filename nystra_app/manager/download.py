"""HTTP download into a .part file that survives failures and resumes with a Range request."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import NystraError
from ..jobs import Cancelled
from .paths import ManagerSettings
from .progress import Meter, Progress

if TYPE_CHECKING:  # imported when a download runs: a tenth of a second every `nystra` start would pay
    import requests

_CHUNK = 1 << 14  # what a broken connection can lose mid-chunk; small enough to matter little
_SPACE_MARGIN = 16 << 20  # keep this much free beyond the file itself


class DownloadError(NystraError):
    """A download that failed for good (after retries where retrying could help)."""


class _Transient(Exception):
    """A failure worth retrying: the connection broke, timed out, or the server had a 5xx moment."""


def check_space(folder: Path, needed: int) -> None:
    """Refuse before downloading rather than filling the disk and failing halfway."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed + _SPACE_MARGIN:
        raise NystraError(
            f"not enough disk space in {folder}: the download needs {needed / 1e6:.1f} MB "
            f"(plus {_SPACE_MARGIN >> 20} MiB spare) and {free / 1e6:.1f} MB are free"
        )


def download(
    url: str,
    part: Path,
    *,
    settings: ManagerSettings,
    expected_size: int | None = None,
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, None]:
    """Fetch `url` into `part`, appending to what an earlier run left there when the server allows;
    a job (nystra_app.jobs) yielding a Progress per chunk.

    Retries transient failures with exponential back-off. The requests Session keeps trust_env on
    (its default), so HTTP(S)_PROXY / NO_PROXY and the system's CA settings apply. Returns when the
    server has sent the whole body; checking what it sent is the caller's job.
    """
    import requests

    cancel = cancel or threading.Event()
    meter = Meter("download", url, expected_size)
    with requests.Session() as session:
        attempt = 0
        while True:
            try:
                yield from _fetch_once(session, url, part, settings, expected_size, meter, cancel)
                return
            except _Transient as exc:
                if attempt >= settings.retries:
                    kept = part.stat().st_size if part.exists() else 0
                    raise DownloadError(
                        f"download of {url} failed after {attempt + 1} attempts: {exc}; "
                        f"run the install again to {'resume' if kept else 'retry'}"
                    ) from None
                delay = settings.backoff * 2**attempt
                attempt += 1
                if cancel.wait(delay):
                    raise Cancelled("download") from None


def _fetch_once(session: requests.Session, url: str, part: Path, settings: ManagerSettings,
                expected_size: int | None, meter: Meter,
                cancel: threading.Event) -> Generator[Progress, None, None]:
    import requests

    have = part.stat().st_size if part.exists() else 0
    if expected_size is not None and have > expected_size:
        part.unlink()  # not a prefix of the file we want
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    host = urlsplit(url).netloc
    try:
        response = session.get(url, headers=headers, stream=True,
                               timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.ConnectTimeout:
        raise _Transient(f"could not connect to {host} within {settings.connect_timeout:g} s") from None
    except requests.ReadTimeout:
        raise _Transient(f"{host} sent nothing for {settings.read_timeout:g} s (read timeout)") from None
    except requests.ConnectionError as exc:
        raise _Transient(f"could not connect to {host} ({_reason(exc)})") from None
    with response:
        if response.status_code == 416 and expected_size is not None and have == expected_size:
            return  # an earlier run got everything but was stopped before verifying
        if response.status_code == 416:
            part.unlink(missing_ok=True)
            raise _Transient(f"{host} refused to resume the partial file; starting over")
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"{host} answered HTTP {response.status_code}")
        if response.status_code not in (200, 206):
            raise DownloadError(f"{url} answered HTTP {response.status_code} {response.reason}")
        if response.status_code == 206 and _range_start(response) != have:
            raise _Transient(f"{host} sent a range that does not continue the partial file")
        start = have if response.status_code == 206 else 0  # 200: the server ignores Range, start over
        total = _total_size(response, start) or expected_size
        if total is not None:
            check_space(part.parent, total - start)
        yield meter.restart(start, total)
        mode = "ab" if start else "wb"
        try:
            with open(part, mode) as handle:
                for chunk in response.iter_content(_CHUNK):
                    if cancel.is_set():
                        raise Cancelled("download")
                    handle.write(chunk)
                    yield meter.advance(len(chunk))
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                raise _Transient(f"{host} stopped sending ({_reason(exc, settings)})") from None
            raise _Transient(_dropped(meter.done, total)) from None
        except requests.exceptions.ChunkedEncodingError:  # urllib3's IncompleteRead: the body was cut short
            raise _Transient(_dropped(meter.done, total)) from None
    if total is not None and meter.done < total:
        raise _Transient(_dropped(meter.done, total))


def _dropped(done: int, total: int | None) -> str:
    """'the connection dropped at 1.5 of 3.0 MB': sizes a person reads, not urllib3's byte counts."""
    unit, scale = ("MB", 1e6) if (total or done) >= 1e6 else ("KB", 1e3)
    of = f" of {total / scale:.1f}" if total else ""
    return f"the connection dropped at {done / scale:.1f}{of} {unit}"


def _range_start(response: requests.Response) -> int | None:
    """First byte of a 206 body, from 'Content-Range: bytes START-END/TOTAL'."""
    value = response.headers.get("Content-Range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _total_size(response: requests.Response, start: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return start + int(length) if length is not None else None


def _reason(exc: Exception, settings: ManagerSettings | None = None) -> str:
    text = str(exc.args[0] if exc.args else exc)
    if "timed out" in text.lower() and settings is not None:
        return f"nothing received for {settings.read_timeout:g} s (read timeout)"
    return text.split(":")[-1].strip(" )'\"") or type(exc).__name__
