"""Today in the municipality's time zone (placements start and end on local dates)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def today() -> date:
    return datetime.now(JST).date()
