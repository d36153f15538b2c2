"""Options and output shared by the commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..attention import AttentionSpec
from ..engine import resolve_device
from ..manager import MIRROR_ENV, load_model
from ..models import FastDefault, LoadedModel
from .options import ITERS, LANDMARKS, LOCAL, TILE, WINDOW, device_name, int_range


def add_attention_options(parser: argparse.ArgumentParser, *, kind: bool = True) -> None:
    group = parser.add_argument_group("attention")
    if kind:
        group.add_argument("--attention", choices=("exact", "nystrom"), default="exact",
                           help="exact softmax (the model as trained) or PnP-Nystra (fast)")
    group.add_argument("--landmarks", "-m", type=int_range(*LANDMARKS), default=None, help="Nyström landmarks m (default: model's Fast setting)")
    group.add_argument("--iters", "-k", type=int_range(*ITERS), default=None, help="pseudoinverse iterations (default: model's Fast setting)")
    group.add_argument("--window", "-w", type=int_range(*WINDOW), default=None, help="inference window size (default: trained)")
    group.add_argument("--local", type=int_range(*LOCAL), default=None, metavar="L",
                       help="exact attention within L x L blocks, Nyström beyond (default: model's Fast setting)")
    group.add_argument("--no-guard", action="store_true",
                       help="turn off the fallback to exact attention where Nyström is unsafe (for research)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")


def emit(result: dict[str, Any], as_json: bool, table: str) -> None:
    """JSON for scripts, or the human-readable table."""
    if as_json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", required=True, metavar="ID", help="model id from the registry")
    group.add_argument("--weights", type=Path, default=None, metavar="FILE",
                       help=f"weight file (default: the installed one, else the model's file in ${MIRROR_ENV})")
    group.add_argument("--device", type=device_name, default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    group.add_argument("--tile", type=int_range(*TILE), default=None, metavar="PX",
                       help="tile side in pixels for large pictures (default: from free memory)")


def load_chosen_model(args: argparse.Namespace) -> LoadedModel:
    """The model the options name, on the device they name (errors name the missing file or device)."""
    return load_model(args.model, args.weights, device=resolve_device(args.device))


def fast_setting(args: argparse.Namespace, fast: FastDefault) -> tuple[AttentionSpec, int | None]:
    """Nyström spec and window: the options where given, else the registry's tuned 'Fast' default."""
    return fast.setting(landmarks=args.landmarks, iters=args.iters, window=args.window, local=args.local,
                        guard=False if args.no_guard else None)
