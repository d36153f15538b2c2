"""What the command handlers share: the chosen model and Fast setting, and their output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..attention import AttentionSpec
from ..engine import resolve_device
from ..manager import load_model
from ..models import FastDefault, LoadedModel


def emit(result: dict[str, Any], as_json: bool, table: str) -> None:
    """JSON for scripts, or the human-readable table."""
    if as_json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table)


def load_chosen_model(args: argparse.Namespace) -> LoadedModel:
    """The model the options name, on the device they name (errors name the missing file or device)."""
    return load_model(args.model, args.weights, device=resolve_device(args.device))


def fast_setting(args: argparse.Namespace, fast: FastDefault) -> tuple[AttentionSpec, int | None]:
    """Nyström spec and window: the options where given, else the registry's tuned 'Fast' default."""
    return fast.setting(landmarks=args.landmarks, iters=args.iters, window=args.window, local=args.local,
                        guard=False if args.no_guard else None)
