"""``make bench``: every benchmark section, or those named: ``python -m bench platform``."""

from __future__ import annotations

import asyncio
import importlib
import sys

SECTIONS = ["platform", "intake", "participation"]


def main() -> None:
    wanted = sys.argv[1:] or SECTIONS
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        asyncio.run(module.run())
        print()


if __name__ == "__main__":
    main()
