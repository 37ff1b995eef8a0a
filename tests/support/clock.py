""""Today" and "now" for tests, from the same place the services take them.

The services cut days at midnight in the municipality profile's time zone
(``municipality.today()``), not in the machine's; a test that took ``date.today()`` from a
UTC machine disagreed with them from 00:00 to 09:00 in Japan. Every test and benchmark
asks this module instead (``tests/architecture/test_clock.py`` forbids the machine's
calendar anywhere else).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from kasane_shared.profile import load_profile

from tests.support.stack import PROFILE


@cache
def zone() -> ZoneInfo:
    """The municipality's time zone (the sample profile's, which every test service loads)."""
    return load_profile(PROFILE).municipality.zone


def now() -> datetime:
    """The current instant, as an aware time in the municipality's zone."""
    return datetime.now(zone())


def today() -> date:
    """The municipality's calendar day now: the day the services consider today."""
    return now().date()


def days_ago(days: int) -> date:
    """The municipality's calendar day ``days`` before today (negative: after)."""
    return today() - timedelta(days=days)


def years_ago(years: int, month: int = 4, day: int = 10) -> str:
    """A birth date (ISO) giving the age ``years`` today, born on ``month``/``day``."""
    t = today()
    return date(t.year - years - (1 if (month, day) > (t.month, t.day) else 0), month, day).isoformat()
