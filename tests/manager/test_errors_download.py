"""A download that keeps dropping ends in one plain sentence: where it dropped and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nystra_app.jobs import run_to_end
from nystra_app.manager import InstallError, install

from .helpers import Checkpoint, FileServer, fast_settings, tiny_entry


def test_a_dropped_download_says_where_it_dropped_and_to_resume(server: FileServer, tiny: Checkpoint,
                                                                cache: Path) -> None:
    server.cut = 5
    with pytest.raises(InstallError) as caught:
        run_to_end(install(tiny_entry(tiny, (server.url("tiny.pth"),)), settings=fast_settings(retries=4)))
    message = str(caught.value)
    assert "IncompleteRead" not in message and "expected)" not in message
    dropped = re.search(r"the connection dropped at ([\d.]+) of ([\d.]+) KB", message)
    assert dropped is not None and float(dropped[2]) == pytest.approx(len(tiny.data) / 1e3, abs=0.05)
    assert 0 < float(dropped[1]) < float(dropped[2])
    assert "run the install again to resume" in message
    assert "\n" not in message
