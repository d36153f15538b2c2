"""The script PyInstaller freezes: start the desktop app, whose `main()` also answers --self-test and --version.

Until the GUI (`nystra_app.ui.app`) is part of the tree, this falls back to answering `--self-test`
and `--version` itself, so a bundle can be built and checked before the GUI exists. Once
`nystra_app.ui.app` is importable, the first import below wins and the fallback is never used;
delete the fallback then. An ImportError from *inside* the GUI (a missing Qt library in the
bundle) is re-raised, not hidden behind the fallback.
"""

from __future__ import annotations

import sys

try:
    from nystra_app.ui.app import main
except ModuleNotFoundError as missing:
    if missing.name not in ("nystra_app.ui", "nystra_app.ui.app"):
        raise

    def main() -> int:
        """Interim entry without a GUI: --self-test runs the core self-test, --version prints versions."""
        from nystra_app.selftest import run_self_test, version_report

        args = sys.argv[1:]
        if "--self-test" in args:
            return run_self_test()
        if "--version" in args:
            print(version_report())
            return 0
        print("this build has no GUI yet; use --self-test or --version", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
