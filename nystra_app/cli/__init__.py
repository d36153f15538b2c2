"""`nystra`: everything the desktop app does, from a terminal (one module per command group)."""

from __future__ import annotations

import argparse
from importlib import import_module

from .boundary import OneLineParser, add_debug_option, guarded

COMMAND_MODULES = ("restore", "evaluate", "bench", "models")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="nystra", description=__doc__.split(":", 1)[1].strip())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"{__name__}.{name}").register(commands)
    add_debug_option(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse and run one command; every error ends as one stderr line and an exit code (boundary.guarded)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed as one line
        return int(stop.code or 0)
    return guarded(args.handler, args)
