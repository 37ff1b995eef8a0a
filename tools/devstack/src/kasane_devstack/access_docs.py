"""``docs/access.md``: the access matrix, generated from every service's policy.

    python -m kasane_devstack.access_docs          # write it
    python -m kasane_devstack.access_docs --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kasane_community.main import SPEC as COMMUNITY
from kasane_coordination.main import SPEC as COORDINATION
from kasane_intake.main import SPEC as INTAKE
from kasane_participation.main import SPEC as PARTICIPATION
from kasane_shared.policy import render

SPECS = (INTAKE, COORDINATION, PARTICIPATION, COMMUNITY)
TARGET = Path(__file__).resolve().parents[4] / "docs" / "access.md"


def text() -> str:
    return render([s.policy for s in SPECS if s.policy is not None]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text():
            print(f"{TARGET} is out of date: run make access-docs", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
