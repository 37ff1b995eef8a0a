#!/usr/bin/env bash
# CI, after `make test` (whose stack keeps running): the README's commands from a fresh clone
# where the postgres user cannot go, beside the first stack, then the suite against your
# own servers.
#
#  1. clone the repository into "<mktemp -d>/a home/kasane": both directories are 0700
#     and the path has a space, like a clone into a home directory (issue 14);
#  2. there, `make up` on ports moved by KASANE_STACK_PORT_OFFSET (the first free offset
#     from 10000), `make status`, and the first stack still ready: two stacks side by side;
#  3. `make down`, then pid files naming a live program that is not the stack's (what a
#     reboot leaves), `make up` (must start every service, not skip one) and `make down`
#     (must not signal that program);
#  4. `make test` there with KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL naming the first
#     stack's servers and KASANE_STACK_DISABLED=1 (any attempt to start a local server
#     fails), the faked-clock runs left out (PYTEST_ARGS); then nothing of the clone runs;
#  5. `make clean` removes the clone's .local/ and its cluster under /var/lib/kasane-devstack.
# Prints each phase's duration. FIRST_ROOT names the first stack's checkout (default: this one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
FIRST_ROOT=${FIRST_ROOT:-$ROOT}
now() { date +%s%N; }
secs() { echo $(( ($(now) - $1) / 1000000000 )); }
say() { echo "[ci] $*"; }
all_started=$(now)

first_env=$(cd "$FIRST_ROOT" && env -u KAFKA_BOOTSTRAP_SERVERS -u DATABASE_URL -u KASANE_STACK_ENV \
             .local/venv/bin/kasane-stack env)
first_kafka=$(eval "$first_env"; echo "$KAFKA_BOOTSTRAP_SERVERS")
first_db=$(eval "$first_env"; echo "$DATABASE_URL")
offset=$("$FIRST_ROOT/.local/venv/bin/python" - <<'EOF'
import socket
from kasane_devstack.ports import DEFAULTS
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
print(next(off for off in range(10000, 10104, 13) if all(free(p + off) for p in DEFAULTS.values())))
EOF
)

base=$(mktemp -d)
home="$base/a home"
mkdir -m 0700 "$home"
clone="$home/kasane"
sleeper=""
cleanup() {
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null || true
  if [ -d "$clone/.local" ]; then (cd "$clone" && env -u KASANE_STACK_DISABLED make --no-print-directory clean >/dev/null 2>&1) || true; fi
  rm -rf -- "$base"
}
trap cleanup EXIT

t=$(now)
git clone -q "$ROOT" "$clone"
say "cloned into '$clone' (mode $(stat -c %a "$base") and $(stat -c %a "$home")): $(secs "$t") s"
cd "$clone"

t=$(now)
KASANE_STACK_PORT_OFFSET=$offset make --no-print-directory up
up_first=$(secs "$t")
say "make up in the fresh clone, ports moved by $offset: $up_first s"

t=$(now)
status=$(make --no-print-directory status)
echo "$status"
if grep -vE '^\[kasane\]' <<<"$status" | grep -vqE ': (up|ready) '; then
  say "FAILED: make status in the clone shows a part that is not up"; exit 1
fi
first_status=$(cd "$FIRST_ROOT" && .local/venv/bin/kasane-stack status)
if grep -vqE ': (up|ready) ' <<<"$first_status"; then
  echo "$first_status"; say "FAILED: the first stack is no longer ready beside the second"; exit 1
fi
say "make status: every part of both stacks up and ready, side by side: $(secs "$t") s"

t=$(now)
make --no-print-directory down
say "make down: $(secs "$t") s"

# what a reboot leaves: pid files whose pids now belong to another program
sleep 600 &
sleeper=$!
start=$(awk '{sub(/^.*\) /, ""); print $20}' "/proc/$sleeper/stat")
boot=$(cat /proc/sys/kernel/random/boot_id)
for service in intake coordination participation community; do
  for role in api worker; do
    printf '{"pid": %d, "start": %d, "boot": "%s"}\n' "$sleeper" "$((start + 1))" "$boot" \
      >".local/run/$service-$role.pid"
  done
done
printf '%d\n' "$sleeper" >.local/run/kafka.pid
t=$(now)
make --no-print-directory up >/dev/null
up_warm=$(secs "$t")
status=$(make --no-print-directory status)
if grep -vE '^\[kasane\]' <<<"$status" | grep -vqE ': (up|ready) '; then
  echo "$status"; say "FAILED: with stale pid files make up skipped a part"; exit 1
fi
make --no-print-directory down >/dev/null
kill -0 "$sleeper" || { say "FAILED: make down signalled the program a stale pid file named"; exit 1; }
say "stale pid files: make up started every part ($up_warm s, ports as recorded), make down left pid $sleeper alone"

t=$(now)
KAFKA_BOOTSTRAP_SERVERS=$first_kafka DATABASE_URL=$first_db KASANE_STACK_DISABLED=1 \
  make --no-print-directory test PYTEST_ARGS="-q -p no:cacheprovider"
tests_own=$(secs "$t")
status=$(.local/venv/bin/kasane-stack status)
if grep -qE ': (up|ready) ' <<<"$status"; then
  echo "$status"; say "FAILED: make test with your own servers started a part of the local stack"; exit 1
fi
say "make test in the clone against the first stack's servers ($first_kafka), nothing local started: $tests_own s"

t=$(now)
cluster=$(readlink .local/postgres || true)
make --no-print-directory clean >/dev/null
if [ -e .local ] || { [ -n "$cluster" ] && [ -e "$cluster" ]; }; then
  say "FAILED: make clean left .local/ or $cluster"; exit 1
fi
say "make clean removed .local/ and ${cluster:-the cluster}: $(secs "$t") s"
say "second stack: make up $up_first s (fresh clone), $up_warm s (again); make test (own servers) $tests_own s; all $(secs "$all_started") s"
