"""What participation's events tell resource development: gap needs to take up, and the
opportunities made of community's places with how they are used (counts only)."""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.participation import (
    GapNeedRecorded,
    MatchProposed,
    OpportunityChanged,
    OpportunityClosed,
    OpportunityPublished,
    PlacementStarted,
)
from kasane_shared.events.consumer import EventContext, Rejected
from kasane_shared.profile import MunicipalityProfile

from kasane_community.developments import store
from kasane_community.developments.grouping import GapNeed


class DevelopmentHandlers:
    """Handlers that need the municipality profile (areas)."""

    def __init__(self, profile: MunicipalityProfile) -> None:
        self.profile = profile

    async def gap_need_recorded(self, conn: asyncpg.Connection, event: GapNeedRecorded, ctx: EventContext) -> bool:
        """Keep the gap need (codes and area) for grouping; False when it was already here
        (participation published the same gap need again, under another ce_id)."""
        if self.profile.area(event.area_code) is None:
            # Participation runs on the same profile; an unknown area means the profiles
            # differ, which a person must fix before the gap need can be grouped.
            raise Rejected(f"gap need {event.gap_need_id}: area {event.area_code} is not in the profile")
        return await store.record_gap_need(conn, GapNeed(
            id=event.gap_need_id, area_code=event.area_code, need_codes=tuple(event.need_codes),
            wanted_kinds=tuple(str(k) for k in event.wanted_kinds), accommodations=tuple(event.accommodations),
            languages=tuple(event.languages), recorded_at=ctx.time, development_id=None,
        ))


async def opportunity_published(conn: asyncpg.Connection, event: OpportunityPublished | OpportunityChanged,
                                ctx: EventContext) -> None:
    """Note the opportunity, and the place it was made of, for the project's page."""
    facts = event.facts
    await store.upsert_opportunity(conn, opportunity_id=event.opportunity_id, kind=str(facts.kind),
                                   area_code=facts.area_code, status=facts.status,
                                   source_place_id=facts.source_place_id)


async def opportunity_closed(conn: asyncpg.Connection, event: OpportunityClosed, ctx: EventContext) -> None:
    """The opportunity is closed."""
    await store.upsert_opportunity(conn, opportunity_id=event.opportunity_id, kind=None, area_code=None,
                                   status="closed", source_place_id=event.source_place_id)


async def match_proposed(conn: asyncpg.Connection, event: MatchProposed, ctx: EventContext) -> None:
    """Count a proposal at the opportunity (never who)."""
    await store.count_use(conn, opportunity_id=event.opportunity_id, matches=1)


async def placement_started(conn: asyncpg.Connection, event: PlacementStarted, ctx: EventContext) -> None:
    """Count a placement at the opportunity (never who)."""
    await store.count_use(conn, opportunity_id=event.opportunity_id, placements=1)
