"""The CLI's error boundary: whatever goes wrong, the terminal gets one line and an exit code.

Usage mistakes and project errors are `nystra: error: ...` and exit 1; an unexpected exception is
one line plus the path of a written report (`--debug` prints the traceback instead); Ctrl-C is 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from ..crash import is_expected, one_line


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors as one `nystra: error:` line and exit code 1, like every other error."""

    def error(self, message: str) -> NoReturn:
        print(f"nystra: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(1)


def add_debug_option(parser: argparse.ArgumentParser, *, top: bool = True) -> None:
    """--debug on the top-level parser and every sub-command, so it may be given anywhere.

    Below the top its default is SUPPRESS, so a sub-command does not reset a `nystra --debug ...`.
    """
    parser.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="print the full traceback of an unexpected error")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                add_debug_option(sub, top=False)


def failure_line(exc: Exception, subject: str | os.PathLike | None, debug: bool) -> str:
    """One picture's failure as its one line; with --debug an unexpected error's traceback comes first."""
    if debug and not is_expected(exc):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return one_line(exc, subject)


def guarded(handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run a command; map every exception to one stderr line and an exit code."""
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("nystra: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the boundary: nothing gets past as a traceback
        if getattr(args, "debug", False) and not is_expected(exc):
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
            return 1
        print(f"nystra: error: {one_line(exc)}", file=sys.stderr)
        return 1
