"""Periodic: recompute which cases fall between agencies."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from kasane_shared.contracts.codes import CaseStatus
from kasane_shared.service import WorkerContext

from kasane_coordination.flags import store
from kasane_coordination.flags.detect import CaseFacts, Flag, case_flags, unassigned_bounces
from kasane_coordination.plans.lifecycle import PlanStatus
from kasane_coordination.rules import rules_for


async def between_agencies(conn: asyncpg.Connection, ctx: WorkerContext) -> None:
    """Raise and clear the between-agencies flags of every open case (and of bounced referrals
    no case holds yet)."""
    rules = rules_for(ctx.profile)
    today = rules.today()
    bounces = await store.open_bounces(conn)
    flags: list[Flag] = []
    held: set[UUID] = set()
    for row in await store.open_cases(conn, rules.timezone):
        mine = tuple(
            b["referral_id"] for b in bounces
            if b["referral_id"] == row["referral_id"] or b["consultation_id"] == row["consultation_id"]
            or (row["household_id"] is not None and b["household_id"] == row["household_id"])
        )
        held.update(mine)
        flags += case_flags(CaseFacts(
            case_id=row["id"], status=CaseStatus(row["status"]), opened_on=row["opened_on"],
            has_lead=row["has_lead"], last_activity_on=row["last_activity_on"], plan_id=row["plan_id"],
            plan_status=PlanStatus(row["plan_status"]) if row["plan_status"] else None,
            review_due=row["review_due"], bounced_referrals=mine,
        ), today, rules)
    flags += unassigned_bounces(((b["referral_id"], b["household_id"], b["bounce_count"]) for b in bounces), held)
    await store.sync(conn, flags)
