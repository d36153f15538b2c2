"""Turning any exception into the one line a user sees, and keeping the full report in a file.

Shared by the CLI's error boundary, the per-picture isolation of every multi-picture loop and the
GUI: a project error (NystraError, or the ValueError our own checks raise) is shown as its message;
anything unexpected is one line naming its type, plus where the full traceback was written, so a
user never faces a raw traceback and a maintainer still gets one.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from pathlib import Path

import platformdirs

from .errors import NystraError

REPORTS_ENV = "NYSTRA_REPORT_DIR"


def is_expected(exc: BaseException) -> bool:
    """Errors whose message is written for the user: ours, and the ValueErrors our checks raise."""
    return isinstance(exc, (NystraError, ValueError))


def reports_dir() -> Path:
    """$NYSTRA_REPORT_DIR, else the platform's log folder for nystra (the temp folder is write_report's
    fallback). Not the weights store's data folder: the engine writes reports too, and it sits below the store."""
    if os.environ.get(REPORTS_ENV):
        return Path(os.environ[REPORTS_ENV]).expanduser()
    return Path(platformdirs.user_log_dir("nystra", appauthor=False))


def write_report(exc: BaseException, context: str = "") -> Path | None:
    """Write the traceback (and what was being done) to a new file; return its path.

    Falls back to the temp folder when the reports folder cannot be written; None when neither can.
    """
    text = f"nystra crash report {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
    text += f"while: {context}\n\n" if context else "\n"
    text += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for folder in (reports_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, prefix="nystra-crash-", suffix=".txt")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def one_line(exc: BaseException, subject: str | os.PathLike | None = None) -> str:
    """The message for `exc`, on one line, naming `subject` (a file) when the message does not already.

    An unexpected error gets a report file, named in the message.
    """
    if is_expected(exc):
        text = " ".join(str(exc).split()) or type(exc).__name__
    else:
        report = write_report(exc, f"processing {subject}" if subject is not None else "")
        detail = " ".join(str(exc).split())
        where = f"the full report is in {report}" if report else "no report could be written"
        text = f"unexpected {type(exc).__name__}{': ' + detail[:200] if detail else ''} (a bug; {where})"
    if subject is not None and str(subject) not in text:
        text = f"{subject}: {text}"
    return text
