"""Where the stack keeps its files: everything under the repository's ``.local/``."""

from __future__ import annotations

import os
from pathlib import Path

# tools/devstack/src/kasane_devstack/paths.py -> the repository root
ROOT = Path(os.environ.get("KASANE_ROOT") or Path(__file__).resolve().parents[4])
LOCAL = ROOT / ".local"
LOGS = LOCAL / "logs"
RUN = LOCAL / "run"
KEYS = LOCAL / "keys"
VENV_BIN = Path(os.environ.get("KASANE_VENV_BIN") or LOCAL / "venv" / "bin")
PROFILE = ROOT / "profiles" / "sample-city.yaml"


def ensure_dirs() -> None:
    for d in (LOCAL, LOGS, RUN, KEYS):
        d.mkdir(parents=True, exist_ok=True)
