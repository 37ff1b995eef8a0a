"""Intake's facts about consultations and referrals: a referral to the collaboration opens
a case (once per referral); the rest goes onto the household's timeline."""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

import asyncpg
from kasane_shared import calendar
from kasane_shared.contracts.codes import ReferralStatus, ReferralTarget, TeamRole
from kasane_shared.contracts.intake import (
    ConsultationReceived,
    ConsultationReferred,
    ConsultationScreened,
    HouseholdMemberLinked,
    ReferralStatusChanged,
)
from kasane_shared.events.base import Event
from kasane_shared.events.consumer import EventContext
from kasane_shared.profile import MunicipalityProfile

from kasane_coordination.cases.service import NewCase, open_case
from kasane_coordination.consent import store as consents
from kasane_coordination.rules import CoordinationRules
from kasane_coordination.timeline import store as timeline

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:intake-referral"


async def on_timeline(conn: asyncpg.Connection, event: Event, ctx: EventContext, **ids: Any) -> None:
    """Keep a consumed fact on the timeline at the time it happened."""
    await timeline.add(conn, source=ctx.source, event_id=ctx.id, type_=ctx.type, occurred_at=ctx.time,
                       data=event.payload(), **ids)


class IntakeFacts:
    """Handlers for intake's consultation, screening, referral and household facts."""

    def __init__(self, profile: MunicipalityProfile, rules: CoordinationRules) -> None:
        self.profile = profile
        self.rules = rules

    async def received(self, conn: asyncpg.Connection, event: ConsultationReceived, ctx: EventContext) -> None:
        await on_timeline(conn, event, ctx, household_id=event.household_id,
                           consultation_id=event.consultation_id, agency_id=event.agency_id)

    async def screened(self, conn: asyncpg.Connection, event: ConsultationScreened, ctx: EventContext) -> None:
        await on_timeline(conn, event, ctx, household_id=event.household_id,
                           consultation_id=event.consultation_id)

    async def referred(self, conn: asyncpg.Connection, event: ConsultationReferred, ctx: EventContext) -> None:
        if event.target is not ReferralTarget.collaboration:
            # referrals to an agency or to outreach are part of the household's story only
            await on_timeline(conn, event, ctx, household_id=event.household_id,
                               consultation_id=event.consultation_id, agency_id=event.from_agency_id)
            return
        if await conn.fetchval("SELECT true FROM cases WHERE referral_id = $1", event.referral_id):
            return  # the referral opened its case already (re-sent under another id)
        case_id = uuid4()
        await on_timeline(conn, event, ctx, case_id=case_id, household_id=event.household_id,
                           consultation_id=event.consultation_id, agency_id=event.from_agency_id)
        team: list[tuple[str, TeamRole]] = []
        if self.profile.agency(event.from_agency_id) is not None:
            team.append((event.from_agency_id, TeamRole.field_supporter))
        else:
            log.warning("referral %s from an agency not in the profile; the desk takes it alone",
                        event.referral_id)
        team.append((self.rules.collaboration_desk, TeamRole.field_supporter))
        screening = event.screening.model_dump(mode="json") if event.screening else None
        await open_case(conn, NewCase(
            id=case_id, origin="referral", opened_by_agency_id=event.from_agency_id, actor=SYSTEM_ACTOR,
            reason_code="referred_to_collaboration", team=team, household_id=event.household_id,
            subject_person_id=event.person_id, consultation_id=event.consultation_id,
            referral_id=event.referral_id, referring_agency_id=event.from_agency_id, area_code=event.area_code,
            concern_codes=event.concern_codes, patterns=event.screening.patterns if event.screening else (),
            screening=screening, opened_at=ctx.time,
        ))
        if event.consent_to_share:
            await consents.record_referral_consent(conn, referral_id=event.referral_id, person_id=event.person_id,
                                                   household_id=event.household_id, on=calendar.day_of(ctx.time))

    async def referral_status(
        self, conn: asyncpg.Connection, event: ReferralStatusChanged, ctx: EventContext,
    ) -> None:
        case_id = await conn.fetchval("SELECT id FROM cases WHERE referral_id = $1", event.referral_id)
        await on_timeline(conn, event, ctx, case_id=case_id, household_id=event.household_id,
                           consultation_id=event.consultation_id, agency_id=event.by_agency_id)
        if event.flagged:
            # たらい回し: kept until the referral lands somewhere (accepted, completed or cancelled)
            await conn.execute(
                """INSERT INTO referral_bounces (referral_id, consultation_id, household_id, bounce_count,
                                                 by_agency_id, flagged_at)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (referral_id) DO UPDATE SET bounce_count = EXCLUDED.bounce_count,
                       household_id = COALESCE(EXCLUDED.household_id, referral_bounces.household_id)""",
                event.referral_id, event.consultation_id, event.household_id, event.bounce_count,
                event.by_agency_id, ctx.time,
            )
        if event.status in (ReferralStatus.accepted, ReferralStatus.completed, ReferralStatus.cancelled):
            await conn.execute(
                "UPDATE referral_bounces SET resolved_at = $2 WHERE referral_id = $1 AND resolved_at IS NULL",
                event.referral_id, ctx.time,
            )

    async def member_linked(
        self, conn: asyncpg.Connection, event: HouseholdMemberLinked, ctx: EventContext,
    ) -> None:
        changed = await conn.fetchval(
            """INSERT INTO household_members (household_id, person_id, relationship, lives_together, age_band)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (household_id, person_id) DO UPDATE
                  SET relationship = EXCLUDED.relationship, lives_together = EXCLUDED.lives_together,
                      age_band = COALESCE(EXCLUDED.age_band, household_members.age_band)
                WHERE (household_members.relationship, household_members.lives_together,
                       household_members.age_band)
                      IS DISTINCT FROM (EXCLUDED.relationship, EXCLUDED.lives_together,
                                        COALESCE(EXCLUDED.age_band, household_members.age_band))
               RETURNING true""",
            event.household_id, event.person_id, event.relationship, event.lives_together, event.age_band,
        )
        if changed:  # the same link re-sent is not a new fact on the timeline
            await on_timeline(conn, event, ctx, household_id=event.household_id)
