"""Coordination's facts that move intake's referrals.

* ``CaseOpened`` with a ``referral_id``: multi-agency collaboration took the referral
  (accepted); the case is remembered with its household.
* ``OutreachStarted`` with a ``referral_id``: the outreach request was taken (accepted).
* ``CaseEnded``: referrals accepted into that case are completed.

Each handler runs in the inbox transaction, so a redelivered event is never applied
twice; each is also written so that applying the same fact again changes nothing.
"""

from __future__ import annotations

import uuid

import asyncpg
from kasane_shared.contracts.codes import ReferralStatus
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, OutreachStarted
from kasane_shared.events.consumer import EventContext, Handler

from kasane_intake.consultations import store as consultations
from kasane_intake.referrals import service, store
from kasane_intake.referrals.statuses import Party
from kasane_intake.rules import IntakeRules


async def _move(conn: asyncpg.Connection, rules: IntakeRules, referral_id: uuid.UUID, wanted: ReferralStatus,
                *, from_status: ReferralStatus, reason_code: str, case_id: uuid.UUID | None) -> None:
    referral = await store.get(conn, referral_id)
    if referral is None:
        return  # a referral of another deployment, or a case opened without one of ours
    consultation = await consultations.get(conn, referral["consultation_id"], lock=True)
    referral = await store.get(conn, referral_id, lock=True)
    if referral["status"] != from_status.value:
        if case_id is not None and referral["case_id"] is None:
            await conn.execute("UPDATE referrals SET case_id = $2 WHERE id = $1", referral_id, case_id)
        return  # already moved (or cancelled meanwhile): nothing to change
    await service.change_status(
        conn, agency_id=referral["handler_agency_id"], rules=rules.referrals, consultation=consultation,
        referral=referral, wanted=wanted, reason_code=reason_code, reason=None, parties={Party.handler},
        case_id=case_id,
    )


def case_opened_handler(rules: IntakeRules) -> Handler:
    async def handle(conn: asyncpg.Connection, event: CaseOpened, ctx: EventContext) -> None:
        await conn.execute(
            """INSERT INTO cases (case_id, household_id, consultation_id, referral_id, origin, opened_event_id,
                                  opened_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id) DO NOTHING""",
            event.case_id, event.household_id, event.consultation_id, event.referral_id, event.origin, ctx.id,
            ctx.time,
        )
        if event.referral_id is not None:
            await _move(conn, rules, event.referral_id, ReferralStatus.accepted, from_status=ReferralStatus.requested,
                        reason_code="case_opened", case_id=event.case_id)

    return handle


def outreach_started_handler(rules: IntakeRules) -> Handler:
    async def handle(conn: asyncpg.Connection, event: OutreachStarted, ctx: EventContext) -> None:
        if event.referral_id is not None:
            await _move(conn, rules, event.referral_id, ReferralStatus.accepted, from_status=ReferralStatus.requested,
                        reason_code="outreach_started", case_id=event.case_id)

    return handle


def case_ended_handler(rules: IntakeRules) -> Handler:
    async def handle(conn: asyncpg.Connection, event: CaseEnded, ctx: EventContext) -> None:
        await conn.execute("UPDATE cases SET ended_on = $2 WHERE case_id = $1 AND ended_on IS NULL",
                           event.case_id, event.ended_on)
        for row in await conn.fetch("SELECT id FROM referrals WHERE case_id = $1 ORDER BY id", event.case_id):
            await _move(conn, rules, row["id"], ReferralStatus.completed, from_status=ReferralStatus.accepted,
                        reason_code="case_ended", case_id=None)

    return handle
