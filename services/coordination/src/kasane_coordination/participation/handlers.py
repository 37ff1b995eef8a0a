"""Participation's matches and placements come back onto the case's timeline."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from kasane_shared.contracts.participation import (
    MatchProposed,
    PlacementEnded,
    PlacementFollowedUp,
    PlacementStarted,
)
from kasane_shared.events.consumer import EventContext

from kasane_coordination.cases.handlers import on_timeline

PlacementFact = MatchProposed | PlacementStarted | PlacementFollowedUp | PlacementEnded


async def _case_of(conn: asyncpg.Connection, event: PlacementFact) -> UUID | None:
    """The case named in the event, else the case that made the request (ids we know only)."""
    if event.case_id is not None and await conn.fetchval("SELECT true FROM cases WHERE id = $1", event.case_id):
        return event.case_id
    return await conn.fetchval("SELECT case_id FROM participation_requests WHERE id = $1", event.request_id)


async def placement_fact(conn: asyncpg.Connection, event: PlacementFact, ctx: EventContext) -> None:
    """Keep a match or placement fact on the timeline of its case (or of its request, until known)."""
    await on_timeline(conn, event, ctx, case_id=await _case_of(conn, event), request_id=event.request_id)
