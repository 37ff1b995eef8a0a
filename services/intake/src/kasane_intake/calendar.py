"""Japan's calendar day, for checks that run before the municipality profile is at hand.

Servers run in UTC; between 00:00 and 09:00 in Japan, ``date.today()`` there is still
yesterday, and a consent granted "today" would look like one from the future. Request
models and row readers use :func:`japan_today`; views use the profile's
``municipality.today()`` (every Japanese municipality's zone is Asia/Tokyo).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def japan_today() -> date:
    """Today's date in Japan."""
    return datetime.now(JST).date()
