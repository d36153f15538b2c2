"""Architecture builders by name: registry entries say which one and with what configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from .configs import config_from_dict
from .dehazeformer import VARIANTS as DEHAZEFORMER_VARIANTS
from .dehazeformer import DehazeFormer, DehazeFormerConfig
from .emt import EMT, EMTConfig
from .emt import VARIANTS as EMT_VARIANTS
from .swinir import SwinIR, SwinIRConfig
from .uformer import Uformer, UformerConfig


def _dehazeformer(config: dict[str, Any]) -> nn.Module:
    if "variant" in config:
        return DehazeFormer(DEHAZEFORMER_VARIANTS[config["variant"]])
    return DehazeFormer(config_from_dict(DehazeFormerConfig, config))


def _emt(config: dict[str, Any]) -> nn.Module:
    if "variant" in config:
        return EMT(EMT_VARIANTS[config["variant"]])
    return EMT(config_from_dict(EMTConfig, config))


def _swinir(config: dict[str, Any]) -> nn.Module:
    return SwinIR(config_from_dict(SwinIRConfig, config))


def _uformer(config: dict[str, Any]) -> nn.Module:
    return Uformer(config_from_dict(UformerConfig, config))


ARCHITECTURES: dict[str, Callable[[dict[str, Any]], nn.Module]] = {
    "dehazeformer": _dehazeformer,
    "emt": _emt,
    "swinir": _swinir,
    "uformer": _uformer,
}


def build(arch: str, config: dict[str, Any]) -> nn.Module:
    try:
        builder = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(sorted(ARCHITECTURES))}") from None
    return builder(config)
