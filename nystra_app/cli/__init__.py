"""`nystra`: everything the desktop app does, from a terminal.

`arguments` holds every command's options (torch-free, so parsing is immediate); one handler module per
command group (`restore`, `evaluate`, `bench`, `models`) is imported once its options are good.
"""

from __future__ import annotations

import argparse

from .arguments import COMMANDS
from .boundary import OneLineParser, add_debug_option, guarded


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="nystra", description="everything the desktop app does, from a terminal")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    add_debug_option(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse and run one command; every error ends as one stderr line and an exit code (boundary.guarded)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed as one line
        return int(stop.code or 0)
    return guarded(args.handler, args)
