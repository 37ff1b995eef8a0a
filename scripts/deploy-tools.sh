#!/usr/bin/env bash
# Tools that validate deploy/ and docker-compose.yml offline (tests/deploy), cached in
# .local/ so that only the first run on a machine takes time:
#   - kustomize: `kustomize` or `kubectl kustomize` when either is installed, otherwise
#     kustomize built from the Go module proxy into .local/bin (about a minute);
#   - Docker Compose v2: built from the Go module proxy as a Docker CLI plugin into
#     .local/docker/cli-plugins (a few minutes the first time on a machine, seconds once Go's
#     caches hold it). Run it as `DOCKER_CONFIG=.local/docker docker compose`, or directly.
# Prints KUSTOMIZE=<command> and COMPOSE=<plugin binary> on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL="$(pwd)/.local"
KUSTOMIZE_VERSION=v5.7.1   # the newest that builds with Go 1.26 (v5.8 needs 1.27)
COMPOSE_VERSION=v2.40.3    # the newest github.com/docker/compose/v2 that builds with Go 1.26

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "installing Go from Debian's packages ..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
  fi
}

# --- kustomize ---------------------------------------------------------------------------
if [ -x "$LOCAL/bin/kustomize" ]; then
  kustomize="$(printf %q "$LOCAL/bin/kustomize") build"
elif command -v kustomize >/dev/null 2>&1; then
  kustomize="$(printf %q "$(command -v kustomize)") build"
elif command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  kustomize="$(printf %q "$(command -v kubectl)") kustomize"
else
  need_go
  echo "building kustomize $KUSTOMIZE_VERSION from the Go module proxy into .local/bin ..." >&2
  mkdir -p "$LOCAL/bin"
  GOBIN="$LOCAL/bin" GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
  kustomize="$(printf %q "$LOCAL/bin/kustomize") build"
fi

# --- Docker Compose v2 -------------------------------------------------------------------
plugin="$LOCAL/docker/cli-plugins/docker-compose"
stamp="$LOCAL/docker/cli-plugins/.docker-compose-version"
if [ ! -x "$plugin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$COMPOSE_VERSION" ]; then
  need_go
  echo "building Docker Compose $COMPOSE_VERSION from the Go module proxy (first run on this machine: a few minutes) ..." >&2
  mkdir -p "$(dirname "$plugin")"
  # The module's go.mod has exclude directives, which `go install pkg@version` refuses, so
  # build inside the downloaded module (read-only in the module cache: -o writes elsewhere).
  dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "go mod download gave no directory for compose $COMPOSE_VERSION" >&2; exit 1; }
  (cd "$dir" && GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
      -o "$plugin.tmp" ./cmd) >&2
  mv "$plugin.tmp" "$plugin"
  echo "$COMPOSE_VERSION" > "$stamp"
fi

# KUSTOMIZE is a command line for shlex.split: its path is quoted (a checkout's path may hold spaces)
printf 'KUSTOMIZE=%s\n' "$kustomize"
printf 'COMPOSE=%s\n' "$plugin"
