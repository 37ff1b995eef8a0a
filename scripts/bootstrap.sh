#!/usr/bin/env bash
# Installs what the stack and the tests need into .local/: uv (from PyPI) and the
# workspace's Python environment. Idempotent; fast when nothing changed. An interrupted
# run is finished by the next one (a uv that does not answer is installed again; uv sync
# completes a half-built environment).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOCAL="$ROOT/.local"
UV_VERSION=0.13.8
export UV_PROJECT_ENVIRONMENT="$LOCAL/venv"
export UV_PYTHON_DOWNLOADS=never
now() { date +%s%N; }
elapsed() { local ds=$(( ($(now) - $1) / 100000000 )); echo "$((ds / 10)).$((ds % 10))"; }  # tenths of a second, no bc
started=$(now)
say() { echo "[kasane] $*"; }
fail() { echo "[kasane] FAILED: $1; log: $2; likely fix: $3" >&2; exit 1; }
mkdir -p "$LOCAL/logs"
log="$LOCAL/logs/bootstrap.log"

PYTHON=$(command -v python3.11 || command -v python3 || true)
[ -n "$PYTHON" ] || fail "no python3 on PATH" "-" "apt-get install python3 (Kasane needs 3.11)"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  fail "Kasane needs Python 3.11 (found $("$PYTHON" --version 2>&1))" "-" "install Python 3.11 and put it first on PATH"
fi
# The interpreter itself, not a shim (pyenv's): uv rebuilds the environment whenever the
# path it was created with differs, which would pull it from under running services.
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')

if [ ! -x "$LOCAL/tools/bin/uv" ] || [ "$("$LOCAL/tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  say "uv $UV_VERSION from PyPI into .local/tools ..."
  t=$(now)
  { "$PYTHON" -m venv --clear "$LOCAL/tools" &&
    "$LOCAL/tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"; } >>"$log" 2>&1 ||
    fail "installing uv $UV_VERSION" "$log" "check that PyPI is reachable, then make up again"
  say "uv $UV_VERSION: done in $(elapsed "$t") s"
fi

say "Python environment (.local/venv, uv sync) ..."
"$LOCAL/tools/bin/uv" sync --all-packages --frozen --python "$PYTHON" --quiet >>"$log" 2>&1 ||
  fail "uv sync (the workspace's Python environment)" "$log" "check that PyPI is reachable, then make up again (it resumes)"
say "Python environment: done in $(elapsed "$started") s"
