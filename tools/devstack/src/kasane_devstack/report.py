"""What the stack prints while it sets itself up: one line as each step starts, one as it
ends with its duration, a line for each wait saying what it waits for, and on failure one
line naming what failed, the log to read and the likely fix (:class:`Failure`)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "[kasane]"


class Failure(Exception):
    """A set-up step that failed, said in one line; never shown as a traceback."""

    def __init__(self, what: str, *, log: Path | str | None = None, fix: str | None = None) -> None:
        super().__init__(what)
        self.what, self.log, self.fix = what, log, fix

    def line(self) -> str:
        parts = [f"FAILED: {self.what}"]
        if self.log:
            parts.append(f"log: {self.log}")
        if self.fix:
            parts.append(f"likely fix: {self.fix}")
        return f"{PREFIX} " + "; ".join(parts)


def say(text: str) -> None:
    print(f"{PREFIX} {text}", flush=True)


def waiting(what: str) -> None:
    say(f"  waiting for {what}")


@contextlib.contextmanager
def step(title: str) -> Iterator[None]:
    """``title ...`` now, ``title: done in N s`` when the block ends (nothing on failure:
    the failure's own line follows)."""
    say(f"{title} ...")
    started = time.monotonic()
    yield
    say(f"{title}: done in {time.monotonic() - started:.1f} s")


def fail_line(exc: BaseException) -> str:
    """The one line for an exception that is not a :class:`Failure` (a bug, or an error the
    step did not foresee): its type and message, and how to see the traceback."""
    return (f"{PREFIX} FAILED: {type(exc).__name__}: {exc}; logs: .local/logs/; "
            "likely fix: run again with KASANE_DEBUG=1 to see where")


def print_failure(exc: BaseException) -> None:
    print(exc.line() if isinstance(exc, Failure) else fail_line(exc), file=sys.stderr, flush=True)
