"""Periodic: engagements with no contact for the profile's number of days raise OutreachOverdue."""

from __future__ import annotations

import asyncpg
from kasane_shared.service import WorkerContext

from kasane_coordination.outreach import service, store
from kasane_coordination.rules import rules_for


async def outreach_overdue(conn: asyncpg.Connection, ctx: WorkerContext) -> None:
    """Report each silence once (the engagement stays open: nothing forces a resolution)."""
    rules = rules_for(ctx.profile)
    for engagement_id in await store.silent(conn, rules.today(), rules.outreach_overdue_days):
        await service.report_silence(conn, engagement_id, rules)
