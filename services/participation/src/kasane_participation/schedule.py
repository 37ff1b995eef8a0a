"""Schedules as hours of the week, so overlap is an array test PostgreSQL can index.

An opportunity's schedule is a list of slots (weekday 0=Mon..6=Sun, hours [start, end));
a person's availability is a list of (weekdays, start, end). Both become sets of
hour-of-week numbers ``weekday * 24 + hour`` (0..167). Two schedules overlap when the sets
share an hour. An opportunity without a fixed schedule (times arranged with the host,
応相談) is stored as every hour of the week, so it passes the overlap test, and marked
``flexible`` so ranking can say so.
"""

from __future__ import annotations

from collections.abc import Iterable

from kasane_shared.contracts.coordination import Availability
from kasane_shared.contracts.participation import Slot

HOURS_IN_WEEK = 168
EVERY_HOUR: tuple[int, ...] = tuple(range(HOURS_IN_WEEK))
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def slot_problem(weekday: int, start_hour: int, end_hour: int) -> str | None:
    """Why a slot is invalid, or None."""
    if not 0 <= weekday <= 6:
        return "weekday must be 0 (Monday) to 6 (Sunday)"
    if not (0 <= start_hour < end_hour <= 24):
        return "hours must satisfy 0 <= start_hour < end_hour <= 24"
    return None


def slot_hours(slots: Iterable[Slot]) -> list[int]:
    """The hours of the week an opportunity's slots cover, sorted."""
    hours: set[int] = set()
    for s in slots:
        hours.update(s.weekday * 24 + h for h in range(s.start_hour, s.end_hour))
    return sorted(hours)


def availability_hours(availability: Iterable[Availability]) -> list[int]:
    """The hours of the week a person is available, sorted; empty means any time."""
    hours: set[int] = set()
    for a in availability:
        for day in a.weekdays:
            hours.update(day * 24 + h for h in range(a.start_hour, a.end_hour))
    return sorted(hours)


def opportunity_hours(slots: Iterable[Slot]) -> tuple[list[int], bool]:
    """(hours, flexible): no slots means times are arranged, stored as every hour."""
    hours = slot_hours(slots)
    if not hours:
        return list(EVERY_HOUR), True
    return hours, False


def describe_hours(hours: Iterable[int]) -> str:
    """A short English description of hours of the week, e.g. "Mon 10-12, Wed 13-15"."""
    by_day: dict[int, list[int]] = {}
    for h in sorted(set(hours)):
        by_day.setdefault(h // 24, []).append(h % 24)
    parts = []
    for day, hs in sorted(by_day.items()):
        runs: list[tuple[int, int]] = []
        for h in hs:
            if runs and runs[-1][1] == h:
                runs[-1] = (runs[-1][0], h + 1)
            else:
                runs.append((h, h + 1))
        parts.append(f"{WEEKDAYS_EN[day]} " + ", ".join(f"{a}-{b}" for a, b in runs))
    return "; ".join(parts)


def hours_bits(hours: Iterable[int]) -> str:
    """The hours as a 168-character bit string (bit ``h`` set when hour ``h`` is in): the
    ``bit(168)`` column, whose overlap PostgreSQL tests with ``&`` and counts with ``bit_count``."""
    chosen = set(hours)
    return "".join("1" if h in chosen else "0" for h in range(HOURS_IN_WEEK))


def bits_hours(bits: str) -> list[int]:
    """The hours a bit string holds (spaces, as asyncpg prints them, are ignored)."""
    return [i for i, b in enumerate(bits.replace(" ", "")) if b == "1"]
