"""Installing from a real HTTP server on 127.0.0.1 that cuts, ignores Range, stalls or lies."""

from __future__ import annotations

import hashlib
import threading
from collections import namedtuple
from pathlib import Path

import pytest

from nystra_app.errors import NystraError
from nystra_app.jobs import Cancelled, run_to_end
from nystra_app.manager import InstallError, Progress, install
from nystra_app.manager.record import read_records

from .helpers import Checkpoint, FileServer, fast_settings, tiny_entry


def leftovers(cache: Path) -> list[str]:
    """Weight-like files in the cache (the install record, the hash cache and the lock folder do not count)."""
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*")
                  if p.is_file() and p.name not in ("installed.json", "hashes.json") and p.parent.name != ".locks")


def resume_offset(range_header: str | None) -> int:
    assert range_header is not None and range_header.startswith("bytes=") and range_header.endswith("-")
    return int(range_header[len("bytes="):-1])


def test_connection_cut_halfway_is_resumed_with_range(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    server.cut = 1
    record = run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings(retries=1)))
    first, resumed = (r for _, r in server.requests)
    assert first is None and 0 < resume_offset(resumed) <= len(tiny.data) // 2
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256 == record.sha256
    assert leftovers(cache) == ["tiny.pth"]


def test_a_rerun_resumes_the_part_file_left_by_a_failed_run(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    entry = tiny_entry(tiny, (server.url("tiny.pth"),))
    server.cut = 1
    with pytest.raises(InstallError, match="run the install again to resume"):
        run_to_end(install(entry, settings=fast_settings(retries=0)))
    kept = (cache / "tiny.pth.part").stat().st_size
    assert 0 < kept <= len(tiny.data) // 2
    run_to_end(install(entry, settings=fast_settings(retries=0)))
    assert resume_offset(server.requests[-1][1]) == kept
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256
    assert leftovers(cache) == ["tiny.pth"]


@pytest.mark.parametrize("known_hash", [True, False], ids=["hash-known", "hash-recorded"])
def test_server_without_range_support_restarts_from_zero(server: FileServer, tiny: Checkpoint, cache: Path,
                                                         known_hash: bool) -> None:
    server.ranges, server.cut = False, 1
    entry = tiny_entry(tiny, (server.url("tiny.pth"),), known_hash=known_hash)
    record = run_to_end(install(entry, settings=fast_settings()))
    assert server.requests[1][1] is not None  # it asked to resume, the server sent 200 and everything
    assert record.sha256 == tiny.sha256
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256


def test_wrong_hash_is_rejected_and_nothing_is_left(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    entry = tiny_entry(tiny, (server.url("tiny.pth"),), sha256="0" * 64)
    with pytest.raises(InstallError, match="sha256 .* must have 0000"):
        run_to_end(install(entry, settings=fast_settings()))
    assert leftovers(cache) == []
    assert read_records() == {}


def test_unknown_hash_and_a_file_that_does_not_load_is_rejected(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    server.files["tiny.pth"] = bytes(range(256)) * 64
    with pytest.raises(InstallError, match=r"tiny\.pth (was refused|is not a readable checkpoint)"):
        run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),), known_hash=False), settings=fast_settings()))
    assert leftovers(cache) == []


def test_404_says_so_and_is_not_retried(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    with pytest.raises(InstallError, match=r"missing\.pth answered HTTP 404"):
        run_to_end(install(tiny_entry(tiny, (server.url("missing.pth"),)), settings=fast_settings(retries=3)))
    assert len(server.requests) == 1
    assert leftovers(cache) == []


def test_a_stalled_server_times_out_with_a_clear_message(server: FileServer, tiny: Checkpoint) -> None:
    server.stall = 2.0
    with pytest.raises(InstallError, match=r"failed after 2 attempts: .* sent nothing for 0.3 s \(read timeout\)"):
        run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)),
                           settings=fast_settings(read_timeout=0.3, retries=1)))


def test_cancel_leaves_nothing_in_the_cache(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    cancel = threading.Event()
    seen: list[Progress] = []

    def progress(event: Progress) -> None:
        seen.append(event)
        cancel.set()

    with pytest.raises(Cancelled):
        run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings(), cancel=cancel),
                   progress)
    assert seen and seen[0].phase == "download" and seen[0].total == len(tiny.data)
    assert leftovers(cache) == []


def test_progress_reports_bytes_total_and_rate(server: FileServer, tiny: Checkpoint) -> None:
    seen: list[Progress] = []
    run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings()), seen.append)
    downloads = [e for e in seen if e.phase == "download"]
    assert downloads[-1].done == downloads[-1].total == len(tiny.data)
    assert downloads[-1].rate > 0 and downloads[-1].eta == 0
    assert seen[-1].phase == "verify"


def test_not_enough_disk_space_is_refused_before_downloading(server: FileServer, tiny: Checkpoint,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("nystra_app.manager.download.shutil.disk_usage", lambda _: usage(10**9, 10**9, 1000))
    with pytest.raises(NystraError, match="not enough disk space"):
        run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings()))
    assert server.requests == []


def test_two_installs_of_one_model_at_once_download_it_once(server: FileServer, tiny: Checkpoint, cache: Path) -> None:
    """The second install waits on the lock, then finds the first one's verified file."""
    entry = tiny_entry(tiny, (server.url("tiny.pth"),))
    second_waits = threading.Event()
    results: dict[str, object] = {}

    def second() -> None:
        def progress(event: Progress) -> None:
            if event.phase == "waiting":
                second_waits.set()
        results["second"] = run_to_end(install(entry, settings=fast_settings()), progress)

    other = threading.Thread(target=second)

    def first_progress(event: Progress) -> None:
        if not other.is_alive() and "second" not in results:
            other.start()
            assert second_waits.wait(10)

    results["first"] = run_to_end(install(entry, settings=fast_settings()), first_progress)
    other.join(10)
    assert results["first"] == results["second"]
    assert len(server.requests) == 1
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256
