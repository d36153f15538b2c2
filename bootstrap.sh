#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv, installs the project, then
#   ./bootstrap.sh app   [ARGS]   starts the desktop app
#   ./bootstrap.sh test  [ARGS]   checks the import contracts and types, then runs the tests (pytest ARGS)
#   ./bootstrap.sh cli   [ARGS]   runs the `nystra` command line
# torch is pinned and installed first. On a Linux machine PyPI's torch wheel is the CUDA
# build; set NYSTRA_TORCH_INDEX=https://download.pytorch.org/whl/cpu (or .../cu124, ...) to
# choose another build. Where pip already finds a local CPU wheel of that version (as on
# our CI machines), that one is used.
set -euo pipefail
cd "$(dirname "$0")"
venv="${NYSTRA_VENV:-.venv}"
python="${PYTHON:-python3}"
torch_version="${NYSTRA_TORCH_VERSION:-2.13.0}"
mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  app|test|cli) ;;
  *) echo "usage: $0 app|test|cli [ARGS...]" >&2; exit 2 ;;
esac
# Every extra, whatever the mode: switching between app, test and cli never reinstalls.
extras="gui,test,bench"

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "Installing torch==$torch_version ..." >&2
  "${pip[@]}" install ${NYSTRA_TORCH_INDEX:+--index-url "$NYSTRA_TORCH_INDEX"} "torch==$torch_version"
fi
# Reinstall the project only when its metadata changes.
stamp="$venv/.nystra-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing nystra-app${extras:+[$extras]} ..." >&2
  "${pip[@]}" install -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi

case "$mode" in
  app) exec "$venv/bin/nystra-app" "$@" ;;
  cli) exec "$venv/bin/nystra" "$@" ;;
  test)
    "$venv/bin/lint-imports"  # Qt only in ui; product never imports research; the layers (pyproject.toml)
    "$venv/bin/mypy"          # nystra_app and tests, zero errors
    QT_QPA_PLATFORM=offscreen exec "$venv/bin/python" -m pytest "$@" ;;
esac
