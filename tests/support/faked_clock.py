"""Run pytest with the clock faked to given hours and days in the municipality's zone.

    python -m tests.support.faked_clock --at 00:30 --at 23:30 -- tests/intake tests/coordination
    python -m tests.support.faked_clock --at 2026-03-31T23:30 -- tests/community

The suite once failed from 00:00 to 09:00 in Japan, because tests took the machine's UTC
day while the services took Japan's; it passed at every hour CI happened to run. These runs
put the test process, the services it runs in-process and the service processes it starts
(end-to-end tests) at the hours that broke it, with libfaketime (Debian's ``faketime``
package, installed when missing). ``--at HH:MM`` is that time on the municipality's
current day (so the faked day is the real one: only the hour moves, and instants the
database stamps stay on the same day as the calendar the services compute);
``--at YYYY-MM-DDTHH:MM`` is that moment (month and fiscal-year ends).

Kafka (Java) and PostgreSQL keep the real clock: they are shared servers, libfaketime is
unreliable under the JVM, and test topics take the broker's append time for their
timestamps (``TestStack.ensure_topics``), so a broker neither refuses records stamped "in
the future" nor expires ones stamped months ago. What is proven is the services' calendar
logic in Python, where every "today" is computed. Instants stamped by the database
(``ce_time``, timeline entries) keep the real time; at HH:MM runs they fall on the same
municipal day as the faked clock, at fixed dates they do not, so those runs take only the
suites that cut by month without mixing the two clocks (community's statistics).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from tests.support.clock import now, zone

ROOT = Path(__file__).resolve().parents[2]
# the multi-threaded build: the suite runs threads (to_thread, the JWKS client, uvicorn)
LIBRARY_GLOB = "/usr/lib/*/faketime/libfaketimeMT.so.1"


def library() -> str:
    """libfaketime's path, installing Debian's package when it is missing."""
    found = glob.glob(LIBRARY_GLOB)
    if not found:
        print("installing libfaketime from Debian's packages ...", flush=True)
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
        subprocess.run([*apt, "update", "-qq"], check=True)
        subprocess.run([*apt, "install", "-y", "-qq", "faketime"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = glob.glob(LIBRARY_GLOB)
        if not found:
            raise SystemExit("faketime was installed but libfaketimeMT.so.1 was not found")
    return found[0]


def target(spec: str, at: datetime) -> datetime:
    """The moment ``spec`` names in the municipality's zone (HH:MM: on the day of ``at``)."""
    if "T" in spec:
        return datetime.fromisoformat(spec).replace(tzinfo=zone())
    hour, minute = (int(x) for x in spec.split(":"))
    return at.replace(hour=hour, minute=minute, second=0, microsecond=0)


def faked_env(offset_seconds: int) -> dict[str, str]:
    return {
        **os.environ,
        "LD_PRELOAD": library(),
        "FAKETIME": f"{offset_seconds:+d}",
        # the monotonic clock is shifted too (with it kept real, this libfaketime returns
        # EINVAL from threads' sleeps); the JVM of a test's private broker is left alone
        "FAKETIME_SKIP_CMDS": "java",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", action="append", required=True, help="HH:MM or YYYY-MM-DDTHH:MM in the zone")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    pytest = shutil.which("pytest", path=str(Path(sys.executable).parent)) or "pytest"
    failed = []
    for spec in args.at:
        real = now()
        moment = target(spec, real)
        offset = int((moment - real).total_seconds())
        label = f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"
        print(f"== clock faked to {label} (offset {offset:+d} s): pytest {' '.join(args.pytest_args)}", flush=True)
        started = time.monotonic()
        code = subprocess.call([pytest, "-p", "no:cacheprovider", *args.pytest_args], env=faked_env(offset),
                               cwd=ROOT)
        print(f"== clock faked to {label}: {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s",
              flush=True)
        if code:
            failed.append(label)
    if failed:
        print(f"faked-clock runs failed at: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
