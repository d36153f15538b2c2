"""Which compute devices this machine has, and turning a user's device name into a torch device."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ..errors import NystraError


class DeviceError(NystraError):
    """A device name that is malformed or names hardware this machine does not have."""


@dataclass(frozen=True)
class DeviceInfo:
    id: str  # what resolve_device accepts: "cpu", "cuda:0", "mps"
    label: str  # for menus: name and memory


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[DeviceInfo]:
    devices = [DeviceInfo("cpu", f"CPU ({os.cpu_count() or 1} cores, {torch.get_num_threads()} threads)")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            devices.append(DeviceInfo(f"cuda:{index}", f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"))
    if _mps_available():
        devices.append(DeviceInfo("mps", "Apple GPU (Metal)"))
    return devices


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """'auto' picks the first GPU, else the CPU; any other name must exist on this machine."""
    if isinstance(name, torch.device):
        name = str(name)
    name = name.strip().lower()
    known = ", ".join(d.id for d in available_devices())
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", 0)
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise DeviceError(f"unknown device {name!r}; available here: auto, {known}") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but this machine has no usable CUDA GPU; available: {known}")
        index = 0 if device.index is None else device.index
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} is not present; available: {known}")
        return torch.device("cuda", index)
    if device.type == "mps" and _mps_available():
        return device
    raise DeviceError(f"device {name!r} is not available here; available: auto, {known}")


def set_cpu_threads(count: int) -> None:
    """Use `count` CPU threads for inference (0: torch's own choice, left as it is); the GUI's setting."""
    if count > 0:
        torch.set_num_threads(count)
