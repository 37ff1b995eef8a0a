"""The municipality's calendar: today, now and months, in the profile's time zone.

Days are cut at midnight in the municipality (``municipality.timezone``, Asia/Tokyo for
every Japanese one), never at the server's midnight: a UTC server still calls yesterday
"today" until 09:00 in Japan, and PostgreSQL's ``current_date`` is the server's day too.
Every process configures the zone once, when it loads the profile
(:meth:`kasane_shared.service.ServiceSpec.load_profile`); request models, services and
jobs all ask this module.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Tokyo"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(zone: ZoneInfo | str) -> None:
    """Set the municipality's zone for this process (done when the profile is loaded)."""
    global _zone
    _zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def zone() -> ZoneInfo:
    """The municipality's time zone."""
    return _zone


def now() -> datetime:
    """The current instant as an aware time in the municipality's zone."""
    return datetime.now(_zone)


def today() -> date:
    """The municipality's calendar day now."""
    return now().date()


def day_of(moment: datetime) -> date:
    """The municipality's calendar day an instant falls on."""
    return moment.astimezone(_zone).date()


def month_of(moment: datetime | date) -> date:
    """The first day of the month an instant (or a day) falls in, in the municipality."""
    day = day_of(moment) if isinstance(moment, datetime) else moment
    return day.replace(day=1)
