"""Coordination's participation requests (kasane.coordination.v1)."""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.coordination import ParticipationRequested
from kasane_shared.events.consumer import EventContext, Rejected
from kasane_shared.profile import MunicipalityProfile

from kasane_participation.areas import centroid
from kasane_participation.requests import service
from kasane_participation.rules import ParticipationRules


async def participation_requested(conn: asyncpg.Connection, event: ParticipationRequested, _ctx: EventContext, *,
                                  profile: MunicipalityProfile, rules: ParticipationRules) -> None:
    """Create the request (once: a repeated request id changes nothing) and match it."""
    if event.travel_km <= 0:
        raise Rejected(f"request {event.request_id}: travel_km must be above 0")
    home = centroid(profile, event.area_code)
    if home is None:
        raise Rejected(f"request {event.request_id}: area {event.area_code} is not in the profile")
    # a range beyond the municipality's limit is capped, not refused: the request still counts
    travel = min(event.travel_km, rules.max_travel_km)
    await service.create(conn, request_id=event.request_id, participant_id=event.participant_id, facts=event,
                         home=home, travel_km=travel, origin="event", owner_agency_id=None, rules=rules)
