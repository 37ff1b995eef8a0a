"""Where the stack keeps its files: everything under the repository's ``.local/``, except
the PostgreSQL cluster when the server runs as the ``postgres`` user (see ``postgres.py``),
which lives under :data:`STATE_BASE` and is linked from ``.local/postgres``."""

from __future__ import annotations

import os
from pathlib import Path

# tools/devstack/src/kasane_devstack/paths.py -> the repository root
ROOT = Path(os.environ.get("KASANE_ROOT") or Path(__file__).resolve().parents[4])
LOCAL = ROOT / ".local"
LOGS = LOCAL / "logs"
RUN = LOCAL / "run"
KEYS = LOCAL / "keys"
STACK_FILE = LOCAL / "stack.json"  # the ports the last `make up` used
VENV_BIN = Path(os.environ.get("KASANE_VENV_BIN") or LOCAL / "venv" / "bin")
PROFILE = ROOT / "profiles" / "sample-city.yaml"
# where a root-run stack keeps what the postgres user must reach: one directory per
# checkout, named by a hash of the checkout's path (world-traversable, outside any home)
STATE_BASE = Path(os.environ.get("KASANE_STACK_STATE_DIR") or "/var/lib/kasane-devstack")


def ensure_dirs() -> None:
    for d in (LOCAL, LOGS, RUN, KEYS):
        d.mkdir(parents=True, exist_ok=True)
