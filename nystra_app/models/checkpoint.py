"""Reading checkpoints safely: they are untrusted input."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from ..errors import NystraError

_WRAPPERS = ("params_ema", "params", "state_dict", "model", "net")


class CheckpointError(NystraError):
    """A weight file that cannot be used, with a message that names it and says why."""


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """Tensors of a .pth/.pt (tensors only: weights_only=True) or .safetensors file, unwrapped."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weight file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            raw: Mapping = load_file(str(path))
        else:
            raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch names the blocked import ("GLOBAL module.name") when the pickle references code;
        # any other unpickling failure is a damaged or foreign file.
        if "GLOBAL" not in str(exc):
            raise CheckpointError(f"{path.name} is not a readable checkpoint (corrupt or not a weight file)") from None
        raise CheckpointError(
            f"{path.name} was refused: it holds Python objects besides tensors, and loading them could run "
            "code; only plain weight files (tensors) are accepted"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file fails inside the unpickler in many ways
        # (IndexError, KeyError, struct errors ...): every one means this file, said on one line.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path.name} is not a readable checkpoint (truncated or corrupt?): {reason}") from None
    return unwrap(raw, path.name)


def unwrap(raw: Mapping, name: str = "checkpoint") -> dict[str, Tensor]:
    """Strip the containers and prefixes official releases use ('params', 'state_dict', 'module.')."""
    for key in _WRAPPERS:
        if isinstance(raw, Mapping) and key in raw and isinstance(raw[key], Mapping):
            raw = raw[key]
            break
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, Tensor) for k, v in raw.items()):
        raise CheckpointError(f"{name} does not hold a state dict of tensors")
    prefix = "module."
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in raw.items()}


class DerivedBuffers:
    """A module whose official checkpoints may carry buffers that this architecture recomputes
    from its configuration (position indices, shifted-window masks) instead of holding them.

    Such a file loads strictly with or without them; where present they must equal what the
    configuration derives, which catches a file made for other windows whose weights alone fit.
    """

    def derived_buffers(self) -> dict[str, Tensor]:
        """Name (relative to this module) -> the tensor an official file holds under it."""
        raise NotImplementedError


def _without_derived(model: nn.Module, state: Mapping[str, Tensor], name: str) -> dict[str, Tensor]:
    state = dict(state)
    for prefix, module in model.named_modules():
        if not isinstance(module, DerivedBuffers):
            continue
        for key, expected in module.derived_buffers().items():
            full = f"{prefix}.{key}" if prefix else key
            if full not in state:
                continue
            held = state.pop(full)
            if held.shape != expected.shape or not torch.equal(held.to(expected.dtype), expected):
                raise CheckpointError(
                    f"{name} does not fit {type(model).__name__}: its {full} {tuple(held.shape)} differs from what "
                    f"this configuration derives {tuple(expected.shape)} (a file made for other windows?)"
                )
    return state


def load_strict(model: nn.Module, state: Mapping[str, Tensor], name: str = "checkpoint") -> None:
    """load_state_dict(strict=True) with a message naming the first mismatched keys and shapes.

    Buffers a DerivedBuffers module recomputes are checked and set aside first.
    """
    state = _without_derived(model, state, name)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    problems = []
    if missing:
        problems.append(f"missing keys {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
    if wrong:
        problems.append(
            "wrong shapes " + ", ".join(f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                                        for k in wrong[:5])
        )
    if problems:
        raise CheckpointError(f"{name} does not fit {type(model).__name__}: " + "; ".join(problems))
    model.load_state_dict(state, strict=True)
