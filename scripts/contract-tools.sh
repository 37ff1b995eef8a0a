#!/usr/bin/env bash
# Installs the AsyncAPI parser (npm, pinned by tools/contracts/package-lock.json) into
# .local/asyncapi; prints the node_modules path. Idempotent: nothing to do when the lock
# file is unchanged since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=.local/asyncapi
mkdir -p "$TARGET"
if ! cmp -s tools/contracts/package-lock.json "$TARGET/package-lock.json" || [ ! -d "$TARGET/node_modules/@asyncapi/parser" ]; then
  cp tools/contracts/package.json tools/contracts/package-lock.json "$TARGET/"
  (cd "$TARGET" && npm ci --silent --no-audit --no-fund >&2)
fi
echo "$(pwd)/$TARGET/node_modules"
