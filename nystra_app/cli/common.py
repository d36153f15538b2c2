"""Options and output shared by the commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..attention import AttentionSpec


def add_attention_options(parser: argparse.ArgumentParser, *, kind: bool = True) -> None:
    group = parser.add_argument_group("attention")
    if kind:
        group.add_argument("--attention", choices=("exact", "nystrom"), default="exact",
                           help="exact softmax (the model as trained) or PnP-Nystra (fast)")
    group.add_argument("--landmarks", "-m", type=int, default=None, help="Nyström landmarks m (default: model's Fast setting)")
    group.add_argument("--iters", "-k", type=int, default=None, help="pseudoinverse iterations (default: model's Fast setting)")
    group.add_argument("--window", "-w", type=int, default=None, help="inference window size (default: trained)")
    group.add_argument("--no-guard", action="store_true",
                       help="turn off the fallback to exact attention where Nyström is unsafe (for research)")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")


def nystrom_spec(args: argparse.Namespace, landmarks: int = 16, iters: int = 6) -> AttentionSpec:
    """The Nyström spec the options ask for; unset options take the given defaults."""
    return AttentionSpec(
        "nystrom",
        landmarks=args.landmarks if args.landmarks is not None else landmarks,
        iters=args.iters if args.iters is not None else iters,
        guard=not args.no_guard,
    )


def emit(result: dict[str, Any], as_json: bool, table: str) -> None:
    """JSON for scripts, or the human-readable table."""
    if as_json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table)
