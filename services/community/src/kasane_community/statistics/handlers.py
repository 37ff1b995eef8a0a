"""Counting other services' events into the area statistics.

The inbox applies each event exactly once, so a count is added once per ``ce_id``; the
event's ids are read by no one here and only the counts are written.
"""

from __future__ import annotations

import asyncpg
from kasane_shared.events.base import Event
from kasane_shared.events.consumer import EventContext
from kasane_shared.profile import MunicipalityProfile

from kasane_community.rules import statistics_rules
from kasane_community.statistics import store
from kasane_community.statistics.metrics import tallies


class StatisticsCounter:
    """One handler for every event type the statistics count."""

    def __init__(self, profile: MunicipalityProfile) -> None:
        self.profile = profile
        self.zone = statistics_rules(profile).zone  # validates the profile section at worker start

    async def count(self, conn: asyncpg.Connection, event: Event, ctx: EventContext) -> None:
        """Add the event to its month's, area's and codes' counts."""
        await store.add(conn, tallies(event, ctx.time, profile=self.profile, zone=self.zone))
