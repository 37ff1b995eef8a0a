#!/usr/bin/env python3
"""The image's HEALTHCHECK: GET /healthz on whichever role this container runs.

One image serves the API (``<SVC>_HTTP_PORT``) or the worker (``<SVC>_WORKER_PORT``);
Docker's HEALTHCHECK cannot see the command, so this asks both ports and is healthy when
the one that listens answers ``{"status": "ok"}``. Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request


def healthy(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status == 200 and json.load(response).get("status") == "ok"
    except (OSError, ValueError):
        return False


def main() -> int:
    prefix = os.environ["KASANE_SERVICE"].upper()
    ports = [os.environ.get(f"{prefix}_{name}_PORT") for name in ("HTTP", "WORKER")]
    return 0 if any(healthy(p) for p in ports if p) else 1


if __name__ == "__main__":
    sys.exit(main())
