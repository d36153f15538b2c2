#!/usr/bin/env bash
# Build the desktop app into dist/nystra-app/ (one folder; start dist/nystra-app/nystra-app).
#
#   packaging/build.sh [VENV] [DIST]      VENV defaults to .venv, DIST to dist
#
# The bundle freezes the venv's own torch: a CPU wheel makes a CPU build, a CUDA wheel a CUDA
# build. PyInstaller is installed into the venv when it is missing (the `package` extra).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$ROOT/.venv}"
DIST="${2:-$ROOT/dist}"
PYTHON="$VENV/bin/python"
[ -x "$PYTHON" ] || PYTHON="$VENV/Scripts/python.exe"  # a Windows venv (Git Bash)
if [ ! -x "$PYTHON" ]; then
    echo "no Python in $VENV; create the venv first (bootstrap.sh) or pass its path" >&2
    exit 2
fi

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "installing PyInstaller into $VENV"
    "$PYTHON" -m pip install "pyinstaller>=6.10"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nystra-pyinstaller.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)
# The checkout goes first on the path so its nystra_app is frozen, not an installed copy.
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m PyInstaller --noconfirm --clean \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/nystra-app.spec"
echo "built $DIST/nystra-app in $(( $(date +%s) - start )) s, $(du -sh "$DIST/nystra-app" | cut -f1)"
echo "check it with: $DIST/nystra-app/nystra-app --self-test"
