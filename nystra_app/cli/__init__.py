"""`nystra`: everything the desktop app does, from a terminal (one module per command group)."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from ..errors import NystraError

COMMAND_MODULES = ("restore", "evaluate", "bench", "models")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nystra", description=__doc__.split(":", 1)[1].strip())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"{__name__}.{name}").register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (NystraError, ValueError) as exc:
        print(f"nystra: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nystra: interrupted", file=sys.stderr)
        return 130
