"""Periodic: approved plans past their review date raise PlanReviewOverdue (once per version)."""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.coordination import PlanReviewOverdue
from kasane_shared.service import WorkerContext

from kasane_coordination.events import emit
from kasane_coordination.plans import store
from kasane_coordination.plans.lifecycle import PlanStatus, review_overdue
from kasane_coordination.rules import rules_for


async def plan_reviews(conn: asyncpg.Connection, ctx: WorkerContext) -> None:
    """Report approved plans whose review is overdue and has not started."""
    rules = rules_for(ctx.profile)
    today = rules.today()
    for row in await store.due_for_review(conn, today):
        await conn.execute("SELECT id FROM cases WHERE id = $1 FOR UPDATE", row["case_id"])
        plan = await store.by_id(conn, row["id"])
        if plan is None or plan["overdue_notified"] or not review_overdue(PlanStatus(plan["status"]),
                                                                            plan["review_due"], today):
            continue
        await conn.execute("UPDATE plans SET overdue_notified = true WHERE id = $1", plan["id"])
        await emit(conn, PlanReviewOverdue(case_id=plan["case_id"], plan_id=plan["id"], version=plan["version"],
                                           review_due=plan["review_due"]),
                   agency_id=None, cases=[plan["case_id"]])
