#!/usr/bin/env bash
# Installs what the stack and the tests need into .local/: uv (from PyPI) and the
# workspace's Python environment. Idempotent; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOCAL="$ROOT/.local"
UV_VERSION=0.13.8
export UV_PROJECT_ENVIRONMENT="$LOCAL/venv"
export UV_PYTHON_DOWNLOADS=never

PYTHON=$(command -v python3.11 || command -v python3)
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Kasane needs Python 3.11 (found $("$PYTHON" --version))" >&2
  exit 1
fi
# The interpreter itself, not a shim (pyenv's): uv rebuilds the environment whenever the
# path it was created with differs, which would pull it from under running services.
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')

if [ ! -x "$LOCAL/tools/bin/uv" ] || [ "$("$LOCAL/tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  echo "installing uv $UV_VERSION into .local/tools ..."
  "$PYTHON" -m venv "$LOCAL/tools"
  "$LOCAL/tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
fi

"$LOCAL/tools/bin/uv" sync --all-packages --frozen --python "$PYTHON" --quiet
