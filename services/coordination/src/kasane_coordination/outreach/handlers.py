"""Intake asks for outreach (OutreachRequested): an engagement starts, carried by the agency
the profile names. It does not open a case by itself: outreach comes first for people not
yet ready for one; the engagement joins the household's open case if there is exactly one,
and a case can be opened from it later (``POST /v1/outreach/{id}/case``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import asyncpg
from kasane_shared.contracts.intake import OutreachRequested
from kasane_shared.events.consumer import EventContext
from kasane_shared.profile import MunicipalityProfile

from kasane_coordination.cases.handlers import on_timeline
from kasane_coordination.outreach import service
from kasane_coordination.rules import CoordinationRules


class OutreachRequests:
    def __init__(self, profile: MunicipalityProfile, rules: CoordinationRules) -> None:
        self.profile = profile
        self.rules = rules

    async def requested(self, conn: asyncpg.Connection, event: OutreachRequested, ctx: EventContext) -> None:
        """Start the engagement, once per referral."""
        if await conn.fetchval("SELECT true FROM outreach_engagements WHERE referral_id = $1", event.referral_id):
            return
        case_id = None
        if event.household_id is not None:
            open_cases = await conn.fetch(
                "SELECT id FROM cases WHERE household_id = $1 AND status <> 'ended' LIMIT 2", event.household_id,
            )
            case_id = open_cases[0]["id"] if len(open_cases) == 1 else None
        requester = event.from_agency_id if self.profile.agency(event.from_agency_id) else None
        engagement_id = await service.start(
            conn, agency_id=self.rules.outreach_agency_id, requested_by=requester, reason_code=event.reason_code,
            started_on=ctx.time.astimezone(ZoneInfo(self.rules.timezone)).date(), case_id=case_id,
            referral_id=event.referral_id, consultation_id=event.consultation_id, household_id=event.household_id,
            person_id=event.person_id, area_code=event.area_code, age_band=event.age_band,
        )
        await on_timeline(conn, event, ctx, household_id=event.household_id, consultation_id=event.consultation_id,
                          engagement_id=engagement_id, agency_id=event.from_agency_id)
