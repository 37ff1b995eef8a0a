#!/usr/bin/env bash
# `make clean`: removes .local/ and, when .local/postgres links to a cluster outside the
# checkout (a root-run stack keeps it where the postgres user can reach it), that
# directory too, once it says it belongs to this checkout. Run after `make down`.
set -euo pipefail
cd "$(dirname "$0")/.."
link=.local/postgres
if [ -L "$link" ]; then
  target=$(readlink "$link")
  if [ -d "$target" ]; then
    if [ "$(cat "$target/checkout" 2>/dev/null)" = "$(pwd -P)" ]; then
      rm -rf -- "$target"
      echo "removed $target (this checkout's PostgreSQL cluster)"
    else
      echo "left $target: it does not say it belongs to $(pwd -P) (see its file 'checkout')" >&2
    fi
  fi
fi
rm -rf -- .local
echo "removed .local/"
