"""Installs and imports are jobs under the one protocol (nystra_app.jobs): generators that yield Progress in
order and return their result; a cancel raises jobs.Cancelled and leaves nothing half-installed."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Generator
from pathlib import Path

import pytest

from nystra_app.jobs import Cancelled, run_to_end
from nystra_app.manager import Progress, import_checkpoint, install
from nystra_app.manager.files import read_json
from nystra_app.manager.record import read_records
from nystra_app.manager.trust import hash_cache_file

from .helpers import Checkpoint, FileServer, fast_settings, tiny_entry
from .test_download import leftovers, resume_offset


def test_an_install_yields_download_progress_in_order_then_verify_and_returns_the_record(
        server: FileServer, tiny: Checkpoint) -> None:
    job = install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings())
    assert isinstance(job, Generator) and server.requests == []  # nothing happens until the job is driven
    events: list[Progress] = []
    record = run_to_end(job, events.append)
    phases = [e.phase for e in events]
    assert phases == ["download"] * (len(events) - 1) + ["verify"]
    done = [e.done for e in events[:-1]]
    assert len(done) > 2 and done[0] == 0 and done == sorted(done) and done[-1] == len(tiny.data)
    assert events[-1].done == events[-1].total == len(tiny.data)
    assert record.sha256 == tiny.sha256 and read_records()["tiny"] == record


def test_a_mirror_copy_and_an_import_yield_copy_then_verify(tiny: Checkpoint, tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "tiny.pth").write_bytes(tiny.data)
    jobs = [(folder / "tiny.pth", install(tiny_entry(tiny), settings=fast_settings(mirror=str(folder)))),
            (tiny.path, import_checkpoint(tiny.path, "tiny-mine"))]
    for source, job in jobs:
        events: list[Progress] = []
        run_to_end(job, events.append)
        assert [(e.phase, e.source) for e in events] == [("copy", str(source)), ("verify", str(source))]
        assert events[0].done == events[0].total == len(tiny.data)


def test_cancel_mid_download_leaves_nothing_and_a_later_install_succeeds(server: FileServer, tiny: Checkpoint,
                                                                         cache: Path) -> None:
    entry = tiny_entry(tiny, (server.url("tiny.pth"),))
    cancel = threading.Event()
    cancelled_at = 0
    with pytest.raises(Cancelled, match="download cancelled"):
        for event in install(entry, settings=fast_settings(), cancel=cancel):
            if 0 < event.done < len(tiny.data) and not cancel.is_set():
                assert (cache / "tiny.pth.part").is_file()  # bytes on disk, mid-download
                cancelled_at = event.done
                cancel.set()
    assert cancelled_at > 0
    assert leftovers(cache) == [] and read_records() == {}
    assert read_json(hash_cache_file(), {}) == {}
    record = run_to_end(install(entry, settings=fast_settings()))
    assert server.requests[-1][1] is None  # a cancel keeps no .part, so this one starts from the first byte
    assert record.sha256 == tiny.sha256 == hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest()
    assert leftovers(cache) == ["tiny.pth"]


def test_a_job_dropped_mid_download_keeps_its_part_and_the_next_install_resumes(server: FileServer,
                                                                               tiny: Checkpoint, cache: Path) -> None:
    """Stopped from outside rather than cancelled (its consumer went away: the CLI interrupted), a download
    keeps what it fetched, the lock is released, and the next install asks only for the rest."""
    entry = tiny_entry(tiny, (server.url("tiny.pth"),))
    job = install(entry, settings=fast_settings())
    fetched = next(e.done for e in job if e.done > 0)
    job.close()
    assert (cache / "tiny.pth.part").stat().st_size == fetched < len(tiny.data)
    assert not (cache / "tiny.pth").exists() and read_records() == {}
    record = run_to_end(install(entry, settings=fast_settings()))
    assert resume_offset(server.requests[-1][1]) == fetched
    assert record.sha256 == tiny.sha256 == hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest()
    assert leftovers(cache) == ["tiny.pth"]
